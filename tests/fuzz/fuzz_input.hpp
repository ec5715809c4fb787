// The fuzzer's bytes read as a stream of decisions and payloads by the targets that drive a
// state machine step by step; reads past the end give zeros and empty spans.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hypercore/bytes.hpp"

namespace fuzz {

struct Input {
  const uint8_t* p;
  size_t n;
  uint8_t byte() { return n ? (n--, *p++) : 0; }
  hypercore::ByteSpan take(size_t k) {
    k = k < n ? k : n;
    hypercore::ByteSpan s(p, k);
    p += k, n -= k;
    return s;
  }
};

}  // namespace fuzz
