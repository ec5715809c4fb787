#include "bee/cli/block_input.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <simdjson.h>

namespace bee::cli {

using hypercore::Bytes;
using hypercore::errc;
using hypercore::fail;
using hypercore::Result;

Result<std::vector<Bytes>> blocks_from_args(std::span<const std::string> args, bool hex) {
  std::vector<Bytes> blocks;
  blocks.reserve(args.size());
  for (size_t i = 0; i < args.size(); i++) {
    if (!hex) {
      blocks.push_back(hypercore::to_bytes(args[i]));
      continue;
    }
    auto bytes = hypercore::from_hex(args[i]);
    if (!bytes) {
      return fail(errc::invalid_argument, "block " + std::to_string(i) + " ('" + args[i] + "') is not hex");
    }
    blocks.push_back(std::move(*bytes));
  }
  return blocks;
}

Result<std::vector<Bytes>> blocks_from_json_lines(std::string_view text, bool hex) {
  // One padded copy of the whole input lets simdjson parse every line in place: the
  // padding it reads past a line's end is then always inside the buffer.
  simdjson::padded_string padded(text);
  const char* base = padded.data();
  simdjson::dom::parser parser;
  std::vector<Bytes> blocks;
  size_t line_number = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    size_t start = pos;
    pos = end + 1;
    line_number++;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;

    auto where = "stdin line " + std::to_string(line_number);
    simdjson::dom::element element;
    if (auto error = parser.parse(base + start, line.size(), false).get(element); error) {
      return fail(errc::invalid_argument, where + ": not valid JSON (" + simdjson::error_message(error) + ")");
    }
    std::string_view value;
    if (element.get_string().get(value)) {
      return fail(errc::invalid_argument, where + ": expected a JSON string");
    }
    if (!hex) {
      blocks.push_back(hypercore::to_bytes(value));
      continue;
    }
    auto bytes = hypercore::from_hex(value);
    if (!bytes) return fail(errc::invalid_argument, where + ": string is not hex");
    blocks.push_back(std::move(*bytes));
  }
  return blocks;
}

Result<std::string> read_stdin() {
  std::string text;
  char buffer[1 << 16];
  while (true) {
    size_t n = std::fread(buffer, 1, sizeof buffer, stdin);
    text.append(buffer, n);
    if (n < sizeof buffer) break;
  }
  if (std::ferror(stdin)) return fail(errc::io_error, std::string("reading stdin: ") + std::strerror(errno));
  return text;
}

}  // namespace bee::cli
