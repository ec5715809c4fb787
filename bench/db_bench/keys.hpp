// The key and value generator every engine is driven with, identical to bench/bee_bench.cpp
// and to hyperbee_runner.js (the Node side): key i is "key" followed by the 10-digit
// zero-padded decimal of (i * 2654435761 mod 2^32), a permutation of 0..2^32-1, so keys
// written in index order arrive in random key order; value i is `size` bytes
// 'a' + (i + k) % 26. Change one and the other two must follow, or the engines stop
// doing the same work.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace db_bench {

inline uint64_t key_hash(uint64_t i) { return (i * 2654435761ull) % (1ull << 32); }

inline std::string key_of(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key%010llu", static_cast<unsigned long long>(key_hash(i)));
  return buf;
}

inline std::string value_of(uint64_t i, size_t size) {
  std::string v(size, '\0');
  for (size_t k = 0; k < size; k++) v[k] = static_cast<char>('a' + (i + k) % 26);
  return v;
}

// The j-th key index a read workload visits, in 0..n-1, with a per-workload salt: cheap,
// deterministic and identical in JavaScript (all products stay below 2^53).
inline uint64_t pick(uint64_t j, uint64_t salt, uint64_t n) { return key_hash(j + salt) % n; }

}  // namespace db_bench
