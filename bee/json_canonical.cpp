// JSON.stringify(JSON.parse(text)) without a JavaScript engine: the bytes of the json
// encoding (spec §7). A small strict parser (ECMA-404 as JSON.parse reads it) builds a tree
// in which strings are WTF-8, so that lone surrogate escapes, which JavaScript strings can
// hold and JSON.stringify writes back as \udxxx, survive; numbers are doubles as in
// JavaScript (a general JSON library keeps 64-bit integers, rejects 1e400 where
// JSON.parse gives Infinity, and cannot hold lone surrogates, hence a parser of our own).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bee/encoding.hpp"
#include "bee/internal/utf8.hpp"

namespace bee {

namespace {

using hypercore::errc;
using hypercore::fail;

// Deeper nesting is refused rather than risking the stack (V8 also has a limit).
constexpr int kMaxDepth = 2000;

struct JsValue {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  double number = 0;
  std::string string;                // WTF-8 (UTF-8 that may hold lone surrogates)
  std::vector<std::string> keys;     // object: member names in first-seen order
  std::vector<JsValue> items;        // array elements, or object values parallel to keys
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<JsValue> parse_document() {
    skip_space();
    JsValue value;
    HC_CHECK(parse_value(value, 0));
    skip_space();
    if (pos_ != text_.size()) return error("unexpected " + describe_here() + " after the JSON value");
    return value;
  }

 private:
  std::unexpected<Error> error(const std::string& what) const {
    return fail(errc::invalid_argument, "invalid JSON at offset " + std::to_string(pos_) + ": " + what);
  }

  std::string describe_here() const {
    if (pos_ >= text_.size()) return "end of input";
    unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c >= 0x21 && c < 0x7f) return std::string("character '") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
    return buf;
  }

  void skip_space() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      pos_++;
    }
  }

  bool consume_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Result<void> parse_value(JsValue& out, int depth) {
    if (depth > kMaxDepth) return error("nesting deeper than " + std::to_string(kMaxDepth));
    if (pos_ >= text_.size()) return error("unexpected end of input, expected a value");
    char c = text_[pos_];
    switch (c) {
      case '{':
        return parse_object(out, depth);
      case '[':
        return parse_array(out, depth);
      case '"':
        out.kind = JsValue::Kind::string;
        return parse_string(out.string);
      case 't':
      case 'f':
      case 'n':
        if (consume_word("true")) {
          out.kind = JsValue::Kind::boolean;
          out.boolean = true;
        } else if (consume_word("false")) {
          out.kind = JsValue::Kind::boolean;
        } else if (consume_word("null")) {
          out.kind = JsValue::Kind::null;
        } else {
          return error("unexpected " + describe_here());
        }
        return {};
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(out);
        return error("unexpected " + describe_here() + ", expected a value");
    }
  }

  Result<void> parse_object(JsValue& out, int depth) {
    out.kind = JsValue::Kind::object;
    pos_++;  // '{'
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      pos_++;
      return {};
    }
    std::unordered_map<std::string, size_t> index;  // name -> position, for repeated names
    while (true) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') return error("unexpected " + describe_here() + ", expected a member name");
      std::string name;
      HC_CHECK(parse_string(name));
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ':') return error("unexpected " + describe_here() + ", expected ':'");
      pos_++;
      skip_space();
      JsValue value;
      HC_CHECK(parse_value(value, depth + 1));
      // JSON.parse assigns in order: a repeated name keeps its place and takes the last value.
      auto [it, inserted] = index.try_emplace(name, out.keys.size());
      if (inserted) {
        out.keys.push_back(std::move(name));
        out.items.push_back(std::move(value));
      } else {
        out.items[it->second] = std::move(value);
      }
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        pos_++;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        pos_++;
        return {};
      }
      return error("unexpected " + describe_here() + ", expected ',' or '}'");
    }
  }

  Result<void> parse_array(JsValue& out, int depth) {
    out.kind = JsValue::Kind::array;
    pos_++;  // '['
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      pos_++;
      return {};
    }
    while (true) {
      skip_space();
      out.items.emplace_back();
      HC_CHECK(parse_value(out.items.back(), depth + 1));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        pos_++;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        pos_++;
        return {};
      }
      return error("unexpected " + describe_here() + ", expected ',' or ']'");
    }
  }

  static void append_code_point(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {  // includes lone surrogates (WTF-8)
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  // Four hex digits after "\u" at pos_ (which points at the 'u').
  Result<uint32_t> parse_hex4() {
    if (pos_ + 5 > text_.size()) {
      pos_ = text_.size();
      return error("unexpected end of input in a \\u escape");
    }
    uint32_t v = 0;
    for (size_t i = 1; i <= 4; i++) {
      char c = text_[pos_ + i];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) {
        pos_ += i;
        return error("bad hex digit in a \\u escape");
      }
      v = v * 16 + static_cast<uint32_t>(d);
    }
    pos_ += 5;
    return v;
  }

  Result<void> parse_string(std::string& out) {
    pos_++;  // '"'
    const auto* bytes = reinterpret_cast<const uint8_t*>(text_.data());
    while (true) {
      if (pos_ >= text_.size()) return error("unterminated string");
      uint8_t c = bytes[pos_];
      if (c == '"') {
        pos_++;
        return {};
      }
      if (c < 0x20) return error("control character in a string (must be escaped)");
      if (c == '\\') {
        pos_++;
        if (pos_ >= text_.size()) return error("unterminated string");
        char e = text_[pos_];
        switch (e) {
          case '"': out += '"'; pos_++; continue;
          case '\\': out += '\\'; pos_++; continue;
          case '/': out += '/'; pos_++; continue;
          case 'b': out += '\b'; pos_++; continue;
          case 'f': out += '\f'; pos_++; continue;
          case 'n': out += '\n'; pos_++; continue;
          case 'r': out += '\r'; pos_++; continue;
          case 't': out += '\t'; pos_++; continue;
          case 'u': break;
          default: return error("bad escape \\" + describe_here());
        }
        HC_TRY(unit, parse_hex4());
        uint32_t cp = unit;
        // A high surrogate followed by an escaped low one is one code point, as in UTF-16.
        if (unit >= 0xd800 && unit <= 0xdbff && text_.substr(pos_, 2) == "\\u") {
          size_t save = pos_;
          pos_++;
          HC_TRY(low, parse_hex4());
          if (low >= 0xdc00 && low <= 0xdfff) {
            cp = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          } else {
            pos_ = save;  // parsed again on its own
          }
        }
        append_code_point(out, cp);
        continue;
      }
      size_t bad = 0;
      size_t len = internal::utf8_sequence_length(bytes + pos_, text_.size() - pos_, &bad);
      if (len == 0) return error("invalid UTF-8");
      out.append(text_.substr(pos_, len));
      pos_ += len;
    }
  }

  Result<void> parse_number(JsValue& out) {
    size_t start = pos_;
    auto digit = [&] { return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; };
    bool negative = false;
    if (text_[pos_] == '-') {
      negative = true;
      pos_++;
    }
    if (!digit()) return error("unexpected " + describe_here() + " in a number");
    size_t int_start = pos_;
    if (text_[pos_] == '0') {
      pos_++;
    } else {
      while (digit()) pos_++;
    }
    size_t int_digits = pos_ - int_start;
    std::string_view frac;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      pos_++;
      if (!digit()) return error("unexpected " + describe_here() + " after a decimal point");
      size_t frac_start = pos_;
      while (digit()) pos_++;
      frac = text_.substr(frac_start, pos_ - frac_start);
    }
    int64_t exponent = 0;
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      pos_++;
      bool exp_negative = false;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) exp_negative = text_[pos_++] == '-';
      if (!digit()) return error("unexpected " + describe_here() + " in an exponent");
      while (digit()) {
        exponent = std::min<int64_t>(exponent * 10 + (text_[pos_] - '0'), 1'000'000'000);
        pos_++;
      }
      if (exp_negative) exponent = -exponent;
    }
    // Leading zeros are not allowed: "01" stops after the "0" and fails as trailing input.
    std::string_view literal = text_.substr(start, pos_ - start);
    out.kind = JsValue::Kind::number;
    double value = 0;
    auto [end, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), value);
    if (ec == std::errc::result_out_of_range) {
      // Overflow gives +-Infinity and underflow +-0, as JSON.parse does. The magnitude is
      // 10^(position of the first non-zero digit + exponent).
      std::string digits(text_.substr(int_start, int_digits));
      digits += frac;
      size_t first = digits.find_first_not_of('0');
      int64_t magnitude = static_cast<int64_t>(int_digits) - static_cast<int64_t>(first) + exponent;
      value = first != std::string::npos && magnitude > 0 ? std::numeric_limits<double>::infinity() : 0.0;
      if (negative) value = -value;
    } else if (ec != std::errc() || end != literal.data() + literal.size()) {
      return error("number '" + std::string(literal) + "' does not convert");
    }
    out.number = value;
    return {};
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// The JSON.stringify string quoting (QuoteJSONString, well-formed variant).
void quote(std::string& out, const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const auto* bytes = reinterpret_cast<const uint8_t*>(s.data());
  for (size_t i = 0; i < s.size(); i++) {
    uint8_t c = bytes[i];
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else if (c == 0xed && i + 2 < s.size() && bytes[i + 1] >= 0xa0) {
      // A lone surrogate (WTF-8 ED A0..BF xx): written as an escape.
      uint32_t unit = 0xd000 | ((bytes[i + 1] & 0x3fu) << 6) | (bytes[i + 2] & 0x3fu);
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(unit >> shift) & 15];
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// A canonical array index ("0".."4294967294"): V8 lists these first, in numeric order.
std::optional<uint32_t> array_index(const std::string& key) {
  if (key.empty() || key.size() > 10) return std::nullopt;
  if (key.size() > 1 && key[0] == '0') return std::nullopt;
  uint64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > 4294967294u) return std::nullopt;
  return static_cast<uint32_t>(v);
}

void stringify(std::string& out, const JsValue& v) {
  switch (v.kind) {
    case JsValue::Kind::null:
      out += "null";
      return;
    case JsValue::Kind::boolean:
      out += v.boolean ? "true" : "false";
      return;
    case JsValue::Kind::number:
      out += std::isfinite(v.number) ? js_number_to_string(v.number) : "null";
      return;
    case JsValue::Kind::string:
      quote(out, v.string);
      return;
    case JsValue::Kind::array:
      out += '[';
      for (size_t i = 0; i < v.items.size(); i++) {
        if (i) out += ',';
        stringify(out, v.items[i]);
      }
      out += ']';
      return;
    case JsValue::Kind::object: {
      std::vector<std::pair<uint32_t, size_t>> indexed;
      std::vector<size_t> named;
      for (size_t i = 0; i < v.keys.size(); i++) {
        if (auto n = array_index(v.keys[i])) {
          indexed.emplace_back(*n, i);
        } else {
          named.push_back(i);
        }
      }
      std::sort(indexed.begin(), indexed.end());
      std::vector<size_t> order;
      for (auto& [n, i] : indexed) order.push_back(i);
      order.insert(order.end(), named.begin(), named.end());
      out += '{';
      bool first = true;
      for (size_t i : order) {
        if (!first) out += ',';
        first = false;
        quote(out, v.keys[i]);
        out += ':';
        stringify(out, v.items[i]);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string json_quote(std::string_view utf8) {
  std::string out;
  quote(out, utf8_sanitize(hypercore::as_bytes(utf8)));
  return out;
}

Result<std::string> json_canonical(std::string_view text) {
  Parser parser(text);
  HC_TRY(value, parser.parse_document());
  std::string out;
  out.reserve(text.size());
  stringify(out, value);
  return out;
}

}  // namespace bee
