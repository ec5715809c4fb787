// The option parser of the `bee` tool: positional arguments, `--flag`, `--name VALUE` and
// `--name=VALUE`, in any order; `--` ends the options (so a block may start with '-').
// Every command declares its options; anything else is a usage error, reported as one
// line that names the offending argument. `--help` / `-h` is accepted by every command.
#pragma once

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bee::cli {

struct OptionSpec {
  std::string_view name;        // without the leading "--"
  std::string_view value_name;  // "HEX" for `--seed HEX`; empty for a flag
  std::string_view help;        // one line for the help text

  bool takes_value() const { return !value_name.empty(); }
};

class ParsedArgs {
 public:
  const std::vector<std::string>& positional() const { return positional_; }
  // Whether the flag or option was given.
  bool has(std::string_view name) const;
  // The value of an option that takes one, if given.
  std::optional<std::string> value(std::string_view name) const;

 private:
  friend std::expected<ParsedArgs, std::string> parse_args(std::span<const std::string>, std::span<const OptionSpec>);
  std::vector<std::string> positional_;
  std::vector<std::pair<std::string, std::optional<std::string>>> options_;
};

// Parses `args` (without the program and command names). The error is a usage message
// such as "unknown option --frob" or "option --seed needs a value".
std::expected<ParsedArgs, std::string> parse_args(std::span<const std::string> args,
                                                  std::span<const OptionSpec> options);

}  // namespace bee::cli
