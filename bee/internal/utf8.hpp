// UTF-8 scanning shared by the encodings and the JSON canonicaliser: the WHATWG decoder's
// notion of a well-formed sequence, so that our replacements match Node's Buffer#toString.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bee::internal {

// Length of the well-formed UTF-8 sequence starting at data[0] (1..4), or 0 if it is not
// one. `*bad_length` (when non-null) receives the length of the maximal invalid subpart to
// replace by one U+FFFD (at least 1).
inline size_t utf8_sequence_length(const uint8_t* data, size_t size, size_t* bad_length = nullptr) {
  auto fail = [&](size_t consumed) -> size_t {
    if (bad_length) *bad_length = consumed == 0 ? 1 : consumed;
    return 0;
  };
  uint8_t lead = data[0];
  if (lead < 0x80) return 1;
  size_t need;
  uint8_t lo = 0x80, hi = 0xbf;  // range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    need = 1;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    need = 2;
    if (lead == 0xe0) lo = 0xa0;
    if (lead == 0xed) hi = 0x9f;  // no UTF-16 surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    need = 3;
    if (lead == 0xf0) lo = 0x90;
    if (lead == 0xf4) hi = 0x8f;  // at most U+10FFFF
  } else {
    return fail(1);
  }
  for (size_t i = 1; i <= need; i++) {
    if (i >= size) return fail(i);
    uint8_t c = data[i];
    uint8_t l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xbf;
    if (c < l || c > h) return fail(i);
  }
  return need + 1;
}

}  // namespace bee::internal
