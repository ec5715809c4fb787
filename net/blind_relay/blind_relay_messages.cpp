#include "net/blind_relay/blind_relay_messages.hpp"

#include <sodium.h>

#include <algorithm>

#include "hypercore/compact_encoding.hpp"

namespace net::blind_relay {

namespace {

// compact-encoding-bitfield decode: one byte up to 0xfc, else a 2/4/8-byte field after the
// prefix. Only the first data byte carries flags we know.
hypercore::Result<uint8_t> get_flags(hypercore::cenc::Decoder& d) {
  auto first = d.u8();
  if (!first) return std::unexpected(first.error());
  size_t width = 0;
  if (*first == 0xfd) width = 2;
  if (*first == 0xfe) width = 4;
  if (*first == 0xff) width = 8;
  if (width == 0) return *first;
  auto rest = d.fixed(width);
  if (!rest) return std::unexpected(rest.error());
  return (*rest)[0];
}

hypercore::Result<Token> get_token(hypercore::cenc::Decoder& d) {
  auto bytes = d.fixed(32);
  if (!bytes) return std::unexpected(bytes.error());
  Token t;
  std::copy(bytes->begin(), bytes->end(), t.begin());
  return t;
}

}  // namespace

Token random_token() {
  Token t;
  randombytes_buf(t.data(), t.size());
  return t;
}

// Reserved up front: g++ 12 at -O3 otherwise warns (array-bounds, a false positive) about
// growing the one-byte buffer by the token.
constexpr size_t kMaxMessageSize = 1 + sizeof(Token) + 2 * 9;

hypercore::Bytes encode_pair(const PairMessage& m) {
  hypercore::cenc::Encoder e;
  e.bytes().reserve(kMaxMessageSize);
  e.u8(m.is_initiator ? 1 : 0);
  e.fixed(m.token);
  e.uint(m.id);
  e.uint(m.seq);
  return e.take();
}

hypercore::Bytes encode_unpair(const UnpairMessage& m) {
  hypercore::cenc::Encoder e;
  e.bytes().reserve(kMaxMessageSize);
  e.u8(0);
  e.fixed(m.token);
  return e.take();
}

hypercore::Result<PairMessage> decode_pair(hypercore::ByteSpan bytes) {
  hypercore::cenc::Decoder d(bytes, "blind-relay pair");
  PairMessage m;
  auto flags = get_flags(d);
  if (!flags) return std::unexpected(flags.error());
  m.is_initiator = (*flags & 1) != 0;
  auto token = get_token(d);
  if (!token) return std::unexpected(token.error());
  m.token = *token;
  auto id = d.uint();
  if (!id) return std::unexpected(id.error());
  m.id = *id;
  auto seq = d.uint();
  if (!seq) return std::unexpected(seq.error());
  m.seq = *seq;
  return m;
}

hypercore::Result<UnpairMessage> decode_unpair(hypercore::ByteSpan bytes) {
  hypercore::cenc::Decoder d(bytes, "blind-relay unpair");
  auto flags = get_flags(d);
  if (!flags) return std::unexpected(flags.error());
  auto token = get_token(d);
  if (!token) return std::unexpected(token.error());
  return UnpairMessage{*token};
}

}  // namespace net::blind_relay
