#include "bee/cli/args.hpp"

#include <algorithm>

namespace bee::cli {

namespace {
constexpr OptionSpec kHelp{"help", "", "show this help"};

const OptionSpec* find_option(std::string_view name, std::span<const OptionSpec> options) {
  if (name == kHelp.name) return &kHelp;
  auto it = std::find_if(options.begin(), options.end(), [&](const OptionSpec& o) { return o.name == name; });
  return it == options.end() ? nullptr : &*it;
}
}  // namespace

bool ParsedArgs::has(std::string_view name) const {
  return std::any_of(options_.begin(), options_.end(), [&](const auto& o) { return o.first == name; });
}

std::optional<std::string> ParsedArgs::value(std::string_view name) const {
  for (const auto& [n, v] : options_) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::expected<ParsedArgs, std::string> parse_args(std::span<const std::string> args,
                                                  std::span<const OptionSpec> options) {
  ParsedArgs parsed;
  bool options_ended = false;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& arg = args[i];
    // "-" alone conventionally means stdin, so it is a positional argument.
    if (options_ended || arg.size() < 2 || arg[0] != '-') {
      parsed.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    if (arg == "-h") {
      parsed.options_.emplace_back("help", std::nullopt);
      continue;
    }
    if (!arg.starts_with("--")) return std::unexpected("unknown option " + arg);

    std::string_view body = std::string_view(arg).substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = body.find('='); eq != std::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    const OptionSpec* spec = find_option(body, options);
    std::string display = "--" + std::string(body);
    if (!spec) return std::unexpected("unknown option " + display);
    if (parsed.has(spec->name)) return std::unexpected("option " + display + " given twice");

    if (!spec->takes_value()) {
      if (inline_value) return std::unexpected("option " + display + " takes no value");
      parsed.options_.emplace_back(std::string(spec->name), std::nullopt);
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        return std::unexpected("option " + display + " needs a value (" + std::string(spec->value_name) + ")");
      }
      inline_value = args[++i];
    }
    parsed.options_.emplace_back(std::string(spec->name), std::move(inline_value));
  }
  return parsed;
}

}  // namespace bee::cli
