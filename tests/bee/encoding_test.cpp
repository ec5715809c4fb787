// The key/value encodings (spec §7), above all the json encoding, whose bytes must be
// JSON.stringify(JSON.parse(text)) exactly: thousands of generated texts are compared with
// what Node prints for them (tests/interop/json_canon.js), plus invalid texts both refuse.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bee/encoding.hpp"
#include "tests/support/expect_errc.hpp"
#include "tests/support/oracle.hpp"

namespace {

using bee::Encoding;
using hypercore::as_bytes;
using hypercore::to_hex;

std::string canon(std::string_view text) {
  auto r = bee::json_canonical(text);
  return r ? *r : "!" + r.error().message;
}

TEST(JsNumber, FormatsLikeJavaScript) {
  EXPECT_EQ(bee::js_number_to_string(1e21), "1e+21");
  EXPECT_EQ(bee::js_number_to_string(1e20), "100000000000000000000");
  EXPECT_EQ(bee::js_number_to_string(1e-7), "1e-7");
  EXPECT_EQ(bee::js_number_to_string(123e-20), "1.23e-18");
  EXPECT_EQ(bee::js_number_to_string(0.000001), "0.000001");
  EXPECT_EQ(bee::js_number_to_string(-0.0), "0");
  EXPECT_EQ(bee::js_number_to_string(1.5), "1.5");
  EXPECT_EQ(bee::js_number_to_string(-123.456), "-123.456");
  EXPECT_EQ(bee::js_number_to_string(9007199254740993.0), "9007199254740992");
  EXPECT_EQ(bee::js_number_to_string(5e-324), "5e-324");
  EXPECT_EQ(bee::js_number_to_string(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(bee::js_number_to_string(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(bee::js_number_to_string(std::numeric_limits<double>::infinity()), "Infinity");
}

TEST(JsonCanonical, WorkedExamples) {
  EXPECT_EQ(canon(" { \"b\" : 1 , \"a\" : [ true , null , 2.50 ] } "), R"({"b":1,"a":[true,null,2.5]})");
  EXPECT_EQ(canon(R"({"b":1,"10":2,"a":3,"2":4,"4294967295":5,"4294967294":6,"01":7})"),
            R"({"2":4,"10":2,"4294967294":6,"b":1,"a":3,"4294967295":5,"01":7})");
  EXPECT_EQ(canon(R"({"a":1,"b":2,"a":3})"), R"({"a":3,"b":2})");
  EXPECT_EQ(canon(R"("\u00e9\/\ud83d\ude00\ud800\u001f\u007f")"), "\"\xc3\xa9/\xf0\x9f\x98\x80\\ud800\\u001f\x7f\"");
  EXPECT_EQ(canon("1e400"), "null");
  EXPECT_EQ(canon("-1e-400"), "0");
  EXPECT_EQ(canon("-0"), "0");
  EXPECT_EQ(canon("12345678901234567890123"), "1.2345678901234568e+22");
  EXPECT_TRUE(canon("[1,]").starts_with("!invalid JSON at offset 3"));
  EXPECT_TRUE(canon("").starts_with("!invalid JSON at offset 0"));
  EXPECT_TRUE(canon("\"a\xff\"").starts_with("!invalid JSON at offset 2: invalid UTF-8"));
}

TEST(Encoding, NamesAndRoundTrips) {
  EXPECT_EQ(*bee::parse_encoding("utf8"), Encoding::utf8);
  EXPECT_EQ(bee::encoding_name(*bee::parse_encoding("utf-8")), "utf-8");
  EXPECT_EQ(*bee::parse_encoding("json"), Encoding::json);
  EXPECT_ERRC(bee::parse_encoding("hex"), hypercore::errc::invalid_argument);

  hypercore::Bytes raw = {0x00, 0xff, 0x80};
  EXPECT_EQ(*bee::encode(Encoding::binary, raw), raw);
  EXPECT_EQ(*bee::decode(Encoding::binary, raw), raw);
  EXPECT_FALSE(bee::encode(Encoding::utf8, raw));
  // Node's Buffer#toString('utf8'): maximal invalid subparts become U+FFFD.
  EXPECT_EQ(bee::utf8_sanitize(raw), std::string("\x00\xef\xbf\xbd\xef\xbf\xbd", 7));
  EXPECT_EQ(bee::utf8_sanitize(as_bytes("a\xe2\x82z\xed\xa0\x80")),
            "a\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(to_hex(*bee::encode(Encoding::json, as_bytes("{ \"k\" : 1.0 }"))), to_hex(as_bytes("{\"k\":1}")));
  EXPECT_ERRC(bee::decode(Encoding::json, as_bytes("{")), hypercore::errc::corrupt);
}

// ---------------------------------------------------------------- generated cases

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  std::string value(int depth) {
    int kind = pick(depth > 3 ? 5 : 8);
    switch (kind) {
      case 0: return maybe_space() + string() + maybe_space();
      case 1: case 2: return maybe_space() + number() + maybe_space();
      case 3: return pick(2) ? "true" : pick(2) ? "false" : "null";
      case 4: return string();
      case 5: case 6: return object(depth);
      default: return array(depth);
    }
  }

  std::string number() {
    switch (pick(12)) {
      case 0: return std::to_string(static_cast<int64_t>(rng_()) - (1ll << 31));
      case 1: return std::to_string(rng_() % 1000);
      case 2: {  // huge integers: beyond 2^53 and beyond 2^64
        std::string s = pick(2) ? "-" : "";
        s += std::to_string(1 + pick(9));
        int n = 15 + pick(15);
        for (int i = 0; i < n; i++) s += static_cast<char>('0' + pick(10));
        return s;
      }
      case 3: {  // a random double printed with full precision, in either notation
        double d;
        uint64_t bits = (static_cast<uint64_t>(rng_()) << 32) | rng_();
        std::memcpy(&d, &bits, sizeof d);
        if (!std::isfinite(d)) d = 1.5;
        char buf[64];
        if (pick(2)) {
          std::snprintf(buf, sizeof buf, "%.17g", d);
        } else {
          std::snprintf(buf, sizeof buf, "%.*e", pick(20), d);
        }
        std::string s = buf;
        if (s.find('e') == std::string::npos && s.find('.') == std::string::npos && pick(2)) s += ".0";
        return s;
      }
      case 4: {  // mantissa and exponent around every threshold of Number#toString
        std::string s = pick(4) == 0 ? "-" : "";
        s += mantissa();
        s += pick(2) ? "e" : "E";
        int sign = pick(3);
        if (sign == 1) s += "+";
        if (sign == 2) s += "-";
        int e = pick(4) == 0 ? pick(400) : pick(30);
        s += std::to_string(e);
        return s;
      }
      case 5: {
        static const char* kEdges[] = {"0", "-0", "0.0", "-0.0", "0e0", "1e21", "1e-7", "123e-20", "0.000001",
                                       "0.0000001", "1e400", "-1e400", "1e-400", "5e-324", "2.4703282292062328e-324",
                                       "1.7976931348623157e308", "1.7976931348623159e308", "9007199254740993",
                                       "18446744073709551615", "18446744073709551616", "-9223372036854775809",
                                       "100000000000000000000", "999999999999999999999", "0.1", "1e-6", "1.5e-6",
                                       "123456789012345678901234567890e-10", "4.35", "1E+2", "2e-0"};
        return kEdges[pick(sizeof kEdges / sizeof *kEdges)];
      }
      default: {
        std::string s = pick(3) == 0 ? "-" : "";
        s += mantissa();
        return s;
      }
    }
  }

  std::string mantissa() {
    std::string s = pick(3) == 0 ? "0" : std::to_string(1 + pick(9));
    if (s != "0") {
      int n = pick(5) == 0 ? pick(25) : pick(4);
      for (int i = 0; i < n; i++) s += static_cast<char>('0' + pick(10));
    }
    if (pick(2)) {
      s += '.';
      int n = 1 + (pick(5) == 0 ? pick(25) : pick(4));
      for (int i = 0; i < n; i++) s += static_cast<char>('0' + pick(10));
    }
    return s;
  }

  std::string string() {
    std::string s = "\"";
    int n = pick(4) == 0 ? pick(30) : pick(6);
    for (int i = 0; i < n; i++) s += string_char();
    return s + "\"";
  }

  std::string key() {
    switch (pick(10)) {
      case 0: return "\"" + std::to_string(pick(20)) + "\"";
      case 1: {
        static const char* kKeys[] = {"\"4294967294\"", "\"4294967295\"", "\"4294967296\"", "\"01\"", "\"-1\"",
                                      "\"1.5\"", "\"0\"", "\"00\"", "\"1e3\"", "\"\"", "\" 1\"", "\"\\u0031\"",
                                      "\"9999999999\"", "\"123\""};
        return kKeys[pick(sizeof kKeys / sizeof *kKeys)];
      }
      case 2: return "\"" + std::to_string(rng_()) + "\"";
      case 3: case 4: {  // few distinct names, so repeats happen
        static const char* kNames[] = {"\"a\"", "\"b\"", "\"c\"", "\"\\u0061\"", "\"é\""};
        return kNames[pick(5)];
      }
      default: return string();
    }
  }

  std::string object(int depth) {
    std::string s = "{" + maybe_space();
    int n = pick(6);
    for (int i = 0; i < n; i++) {
      if (i) s += "," + maybe_space();
      s += key() + maybe_space() + ":" + value(depth + 1);
    }
    return s + maybe_space() + "}";
  }

  std::string array(int depth) {
    std::string s = "[" + maybe_space();
    int n = pick(6);
    for (int i = 0; i < n; i++) {
      if (i) s += ",";
      s += value(depth + 1);
    }
    return s + "]";
  }

  // A valid text made invalid by one edit.
  std::string broken() {
    static const char* kBad[] = {"[1,]", "{\"a\":1,}", "01", "+1", ".5", "1.", "1e", "1e+", "-", "--1", "{a:1}",
                                 "'a'", "\"\t\"", "\"\\x41\"", "\"\\u12\"", "\"\\u12g4\"", "NaN", "Infinity",
                                 "[1 2]", "{\"a\" 1}", "\"abc", "[", "{", "", " ", "1 2", "/*c*/1", "\xef\xbb\xbf" "1",
                                 "tru", "nul", "[1,,2]", "{\"a\":}", "\"\\\"", "0x10", "1e5.5", "[]]", "\f1",
                                 "\"\n\"", "{\"a\":1 \"b\":2}", "-01", "00", "1.e5", "[-]", "\"\\u\"", "truex"};
    std::string s = kBad[pick(sizeof kBad / sizeof *kBad)];
    if (pick(2)) s = "[" + value(2) + "," + s + "]";
    return s;
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  std::string maybe_space() {
    static const char* kSpaces[] = {" ", "\n", "\t", "\r\n  "};
    return pick(5) == 0 ? kSpaces[pick(4)] : "";
  }

  std::string string_char() {
    static const char* kEscapes[] = {"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0000", "\\u001F",
                                     "\\u007f", "\\u00E9", "\\u2028", "\\uD83D\\uDE00", "\\ud800", "\\udfff",
                                     "\\uDBFF\\uDFFF", "\\ud83d\\u0041", "\\ude00\\ud83d", "\\uFFFF", "\\uFEFF",
                                     "\\u0020"};
    static const char* kRaw[] = {"é", "€", "😀", "\x7f", "/", "\xe2\x80\xa8", "\xef\xbf\xbf", "中", "\xc2\x80",
                                 "\xf4\x8f\xbf\xbf"};
    switch (pick(6)) {
      case 0: return kEscapes[pick(sizeof kEscapes / sizeof *kEscapes)];
      case 1: return kRaw[pick(sizeof kRaw / sizeof *kRaw)];
      default: {
        char c = static_cast<char>(0x20 + pick(95));
        if (c == '"' || c == '\\') c = 'x';
        return std::string(1, c);
      }
    }
  }

  std::mt19937 rng_;
};

TEST(JsonCanonicalInterop, MatchesJsonStringifyOnGeneratedTexts) {
  Generator gen(20240607);
  std::vector<std::string> cases;
  for (int i = 0; i < 2500; i++) cases.push_back(gen.value(0));
  for (int i = 0; i < 1500; i++) cases.push_back(gen.number());
  for (int i = 0; i < 600; i++) cases.push_back(gen.broken());
  // Deep nesting both sides accept.
  cases.push_back(std::string(500, '[') + std::string(500, ']'));

  std::string input;
  for (const auto& c : cases) input += to_hex(as_bytes(c)) + "\n";
  auto out = bee_test::run_node(bee_test::interop_script("json_canon.js"), {}, input);
  ASSERT_TRUE(out) << out.error().to_string();

  std::istringstream lines(*out);
  std::string line;
  size_t i = 0, rejected = 0, mismatches = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(i, cases.size());
    auto ours = bee::json_canonical(cases[i]);
    if (line.starts_with("!")) {
      rejected++;
      if (ours) {
        ADD_FAILURE() << "case " << i << " accepted by us, refused by JSON.parse (" << line << "): " << cases[i];
        mismatches++;
      }
    } else if (!ours) {
      ADD_FAILURE() << "case " << i << " refused by us (" << ours.error().message << "): " << cases[i];
      mismatches++;
    } else if (to_hex(as_bytes(*ours)) != line) {
      auto expected = hypercore::from_hex(line);
      ADD_FAILURE() << "case " << i << ": " << cases[i] << "\n ours: " << *ours
                    << "\n node: " << std::string(expected->begin(), expected->end());
      mismatches++;
    }
    if (mismatches > 20) FAIL() << "too many mismatches";
    i++;
  }
  EXPECT_EQ(i, cases.size());
  // The generator must really exercise both paths.
  EXPECT_GT(rejected, 500u);
  EXPECT_GT(cases.size() - rejected, 3500u);
}

}  // namespace
