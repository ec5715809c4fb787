#include "hypercore/id.hpp"

#include <algorithm>
#include <array>

namespace hypercore {

namespace {

constexpr std::string_view kAlphabet = "ybndrfg8ejkmcpqxot1uwisza345h769";

constexpr std::array<int8_t, 256> make_reverse() {
  std::array<int8_t, 256> r{};
  r.fill(-1);
  for (size_t i = 0; i < kAlphabet.size(); i++) r[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return r;
}
constexpr std::array<int8_t, 256> kReverse = make_reverse();

}  // namespace

std::string z32_encode(ByteSpan data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t buffer = 0;  // pending bits, MSB first
  int bits = 0;
  for (uint8_t byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kAlphabet[(buffer >> bits) & 31]);
    }
    buffer &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Result<Bytes> z32_decode(std::string_view text) {
  // Lengths 1, 3 and 6 (mod 8) leave 5 or more unused bits: no byte string encodes to them.
  size_t tail = text.size() % 8;
  if (tail == 1 || tail == 3 || tail == 6) {
    return fail(errc::invalid_argument, "z32: length " + std::to_string(text.size()) + " is not a valid encoding length");
  }
  Bytes out;
  out.reserve(text.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); i++) {
    int8_t v = kReverse[static_cast<uint8_t>(text[i])];
    if (v < 0) {
      return fail(errc::invalid_argument, "z32: invalid character '" + std::string(1, text[i]) + "' at position " + std::to_string(i));
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(buffer >> bits));
      buffer &= (1u << bits) - 1;
    }
  }
  return out;
}

std::string key_to_id(const Hash& key) { return z32_encode(key); }

Result<Hash> parse_key(std::string_view text) {
  std::string_view id = text;
  if (id.starts_with("pear://")) {
    id.remove_prefix(7);
    id = id.substr(0, id.find('/'));
  }
  Hash key{};
  if (id.size() == 52) {
    auto bytes = z32_decode(id);
    if (!bytes) return fail(errc::invalid_argument, "key \"" + std::string(text) + "\": " + bytes.error().message);
    std::copy(bytes->begin(), bytes->end(), key.begin());
    return key;
  }
  if (id.size() == 64) {
    auto parsed = hash_from_hex(id);
    if (!parsed) return fail(errc::invalid_argument, "key \"" + std::string(text) + "\": not 64 hex digits");
    return *parsed;
  }
  return fail(errc::invalid_argument, "key \"" + std::string(text) + "\": expected 52 z-base-32 or 64 hex characters, got " +
                                          std::to_string(id.size()));
}

}  // namespace hypercore
