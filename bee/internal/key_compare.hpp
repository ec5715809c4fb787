// Unsigned lexicographic byte order, the order of every key (spec conventions), inline:
// keys are short, and a call to memcmp per comparison of a binary search costs more than
// comparing them here eight bytes at a time.
#pragma once

#include <cstdint>
#include <cstring>

#include "hypercore/bytes.hpp"

namespace bee::internal {

// < 0, 0 or > 0 as a sorts before, with or after b.
inline int compare_keys(hypercore::ByteSpan a, hypercore::ByteSpan b) {
  size_t n = a.size() < b.size() ? a.size() : b.size();
  const uint8_t* p = a.data();
  const uint8_t* q = b.data();
  for (; n >= 8; n -= 8, p += 8, q += 8) {
    uint64_t x, y;
    std::memcpy(&x, p, 8);
    std::memcpy(&y, q, 8);
    if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
  }
  for (; n > 0; --n, ++p, ++q) {
    if (*p != *q) return *p < *q ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

}  // namespace bee::internal
