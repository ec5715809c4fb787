// JSON output for `--json`: string escaping and a one-object writer. Output is compact,
// one object per line, so scripts can read it line by line (jq, simdjson, JSON.parse).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bee::cli {

// `s` as a quoted JSON string. Control characters are escaped; bytes that are not valid
// UTF-8 become U+FFFD so the output always parses.
std::string json_quote(std::string_view s);

// Builds `{"name":value,...}` in insertion order. Distinct method names (not overloads)
// so that a string literal can never silently pick the bool version.
class JsonObject {
 public:
  JsonObject& string(std::string_view name, std::string_view value);
  JsonObject& number(std::string_view name, uint64_t value);
  JsonObject& boolean(std::string_view name, bool value);
  JsonObject& null(std::string_view name);
  // `json` must already be valid JSON (a nested object, an array).
  JsonObject& raw(std::string_view name, std::string_view json);

  std::string str() const { return text_ + "}"; }

 private:
  void key(std::string_view name);
  std::string text_ = "{";
};

}  // namespace bee::cli
