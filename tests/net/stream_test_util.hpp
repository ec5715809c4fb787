// Helpers shared by the secret-stream tests: §2.8 keys, hex, event inspection.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "net/stream/secret_stream.hpp"

namespace net_test {

inline hypercore::KeyPair seeded(uint8_t byte) {
  hypercore::Seed seed;
  seed.fill(byte);
  return hypercore::KeyPair::from_seed(seed);
}

inline hypercore::Bytes hex(std::string_view h) {
  std::string clean;
  for (char c : h)
    if (c != ' ' && c != '\n') clean.push_back(c);
  auto b = hypercore::from_hex(clean);
  EXPECT_TRUE(b.has_value()) << h;
  return b.value_or(hypercore::Bytes{});
}

inline hypercore::Bytes framed(hypercore::ByteSpan body) {
  hypercore::Bytes out = {static_cast<uint8_t>(body.size()), static_cast<uint8_t>(body.size() >> 8),
                          static_cast<uint8_t>(body.size() >> 16)};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

inline std::vector<hypercore::Bytes> messages(const std::vector<net::StreamEvent>& events) {
  std::vector<hypercore::Bytes> out;
  for (const auto& e : events)
    if (auto* m = std::get_if<net::MessageReceived>(&e)) out.push_back(m->message);
  return out;
}

inline const net::HandshakeDone* handshake_of(const std::vector<net::StreamEvent>& events) {
  for (const auto& e : events)
    if (auto* h = std::get_if<net::HandshakeDone>(&e)) return h;
  return nullptr;
}

inline const net::StreamError* failure_of(const std::vector<net::StreamEvent>& events) {
  for (const auto& e : events)
    if (auto* f = std::get_if<net::StreamFailed>(&e)) return &f->error;
  return nullptr;
}

}  // namespace net_test
