// Byte buffers and the conversions every module needs (hex).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hypercore {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
using Hash = std::array<uint8_t, 32>;

inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline Bytes to_bytes(std::string_view s) {
  auto b = as_bytes(s);
  return {b.begin(), b.end()};
}

// Lower-case hex of `data`.
std::string to_hex(ByteSpan data);

// Parses hex (either case). Returns nullopt on odd length or a non-hex digit.
std::optional<Bytes> from_hex(std::string_view hex);

// Parses exactly 64 hex digits into a Hash.
std::optional<Hash> hash_from_hex(std::string_view hex);

}  // namespace hypercore
