// Number.prototype.toString() for radix 10 (ECMA-262 Number::toString): the shortest digits
// that round-trip (std::to_chars gives those, choosing the closest like V8), laid out with
// JavaScript's rules for when to use plain decimals and when an exponent.
#include <charconv>
#include <cmath>
#include <string>

#include "bee/encoding.hpp"

namespace bee {

std::string js_number_to_string(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
  if (value == 0) return "0";  // also -0

  std::string out;
  if (value < 0) {
    out += '-';  // not `out = "-"`: g++ 12 warns -Wrestrict on that assign (GCC bug 105329)
    value = -value;
  }
  // Shortest scientific form: "d[.ddd]e[+-]x".
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  (void)ec;  // cannot fail with a buffer this large
  std::string_view sci(buf, static_cast<size_t>(end - buf));
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + 2, sci.data() + sci.size(), exponent);
  if (sci[e_pos + 1] == '-') exponent = -exponent;

  // value = 0.digits * 10^n, with k digits (the spec's s, k, n).
  int k = static_cast<int>(digits.size());
  int n = exponent + 1;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

}  // namespace bee
