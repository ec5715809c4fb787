// Helpers for the tests of UDX on real sockets: the byte pattern both our tests and
// tests/interop/udx_peer.js generate (xorshift32, little endian, so a stream's bytes do not
// depend on how they were chunked), SHA-256 over what arrived, and an Endpoint that drives
// one raw stream of a UdxSocket (writes with back-pressure, reads, records how it ended).
#pragma once

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "net/udx/udx_socket.hpp"

namespace udx_test {

using namespace net::udx;
using hypercore::ByteSpan;
using hypercore::Bytes;

// Byte i of the stream is byte (i % 4) of the (i / 4 + 1)-th xorshift32 state from `seed`.
class Pattern {
 public:
  explicit Pattern(uint32_t seed) : x_(seed ? seed : 1) {}
  void fill(uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; i++) {
      if (pos_ % 4 == 0) {
        x_ ^= x_ << 13;
        x_ ^= x_ >> 17;
        x_ ^= x_ << 5;
      }
      out[i] = static_cast<uint8_t>(x_ >> (8 * (pos_ % 4)));
      pos_++;
    }
  }
  Bytes next(size_t n) {
    Bytes b(n);
    fill(b.data(), n);
    return b;
  }

 private:
  uint32_t x_;
  uint64_t pos_ = 0;
};

class Sha256 {
 public:
  Sha256() { crypto_hash_sha256_init(&state_); }
  void update(ByteSpan b) { crypto_hash_sha256_update(&state_, b.data(), b.size()); }
  std::string hex() {
    uint8_t out[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state_, out);
    std::string s;
    char buf[3];
    for (uint8_t c : out) {
      std::snprintf(buf, sizeof buf, "%02x", c);
      s += buf;
    }
    return s;
  }

 private:
  crypto_hash_sha256_state state_;
};

// SHA-256 of the first `n` bytes of Pattern(seed).
inline std::string pattern_sha256(uint32_t seed, uint64_t n) {
  Pattern p(seed);
  Sha256 h;
  Bytes chunk;
  while (n > 0) {
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n, 1 << 20));
    chunk = p.next(take);
    h.update(chunk);
    n -= take;
  }
  return h.hex();
}

// One raw stream on a socket, driven from its wake handler: writes `send_bytes` of
// Pattern(seed) in 64 KiB pieces while at most `max_queued` bytes wait, then END (when
// `end_after`); hashes what arrives; records the end and the close.
struct Endpoint {
  std::shared_ptr<UdxSocket> socket;
  Stream* stream = nullptr;
  uint32_t id = 0;
  // Sending.
  uint64_t send_bytes = 0;
  uint64_t sent = 0;
  bool end_after = true;
  bool ended = false;
  size_t max_queued = 1 << 20;
  std::unique_ptr<Pattern> pattern;
  // Receiving.
  uint64_t received = 0;
  Sha256 hash;
  std::string received_sha256;  // set at the remote end
  bool remote_ended = false;
  // Destroy once this many bytes arrived (0 = never).
  uint64_t destroy_after = 0;
  bool destroyed = false;
  std::optional<std::optional<UdxError>> closed;
  bool reading = true;

  static std::unique_ptr<Endpoint> create(std::shared_ptr<UdxSocket> socket, uint32_t id, StreamOptions options = {}) {
    auto e = std::make_unique<Endpoint>();
    e->socket = socket;
    e->id = id;
    Endpoint* raw = e.get();
    auto s = socket->create_stream(id, options, [raw] { raw->pump(); });
    if (!s) return nullptr;
    e->stream = *s;
    return e;
  }
  ~Endpoint() {
    if (socket && stream) socket->release(id);
  }

  void connect(uint32_t remote_id, const Address& remote) { stream->connect(remote_id, remote, socket->now()); }

  void start_sending(uint64_t bytes, uint32_t seed, bool end = true) {
    send_bytes = bytes;
    end_after = end;
    pattern = std::make_unique<Pattern>(seed);
    pump();
  }

  void pump() {
    if (stream == nullptr) return;
    while (reading) {
      auto e = stream->poll_event();
      if (!e) break;
      switch (e->kind) {
        case StreamEvent::Kind::data:
          received += e->bytes.size();
          hash.update(e->bytes);
          if (destroy_after > 0 && received >= destroy_after && !destroyed) {
            destroyed = true;
            stream->destroy(socket->now());
          }
          break;
        case StreamEvent::Kind::remote_end:
          remote_ended = true;
          received_sha256 = hash.hex();
          break;
        case StreamEvent::Kind::closed: closed = e->error; break;
        case StreamEvent::Kind::message:
        case StreamEvent::Kind::drained: break;
      }
    }
    while (pattern && sent < send_bytes && stream->connected() && !stream->closed() &&
           stream->queued_bytes() < max_queued) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(65536, send_bytes - sent));
      auto chunk = pattern->next(n);
      if (!stream->write(chunk, socket->now())) break;
      sent += n;
    }
    if (pattern && sent == send_bytes && end_after && !ended && stream->connected() && !stream->closed()) {
      ended = true;
      (void)stream->end(socket->now());
    }
    socket->flush();
  }

  bool clean_close() const { return closed.has_value() && !closed->has_value(); }
  std::string close_text() const {
    if (!closed) return "open";
    if (!closed->has_value()) return "clean";
    return (*closed)->to_string();
  }
};

}  // namespace udx_test
