// `bee`: the command-line tool. This file is the dispatcher: it finds the command named by
// the arguments in the modules' tables (command.hpp; top-level database commands first,
// then groups such as `core`), handles --help, --version and
// `bee help ...`, and turns every failure, even an exception, into one line on stderr
// and an exit status (0 ok, 1 failure, 64 usage). Commands live in *_commands.cpp.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <expected>
#include <new>
#include <string>
#include <vector>

#include "bee/cli/command.hpp"

#include "bee_build_info.hpp"  // BEE_VERSION, BEE_GIT_COMMIT: written by the build (cmake/build_info.cmake)

namespace bee::cli {

namespace {

struct Group {
  std::string_view name;
  std::string_view summary;
  std::span<const Command> commands;
};

// Later modules add their groups (and top-level commands) here.
std::vector<Group> groups() {
  return {{"core", "a Hypercore log stored in a directory", core_commands()},
          {"dht", "the HyperDHT (a bootstrap node, topic lookups)", dht_commands()},
          {"group", "a database many devices write (a log per device, merged views)", group_commands()}};
}

const Group* find_group(std::string_view name) {
  static const std::vector<Group> all = groups();
  for (const auto& g : all) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

const Command* find_command(const Group& group, std::string_view name) {
  for (const auto& c : group.commands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Commands without a group: `bee put DIR KEY VALUE`.
const Command* find_top_level(std::string_view name) {
  for (const auto& c : db_commands()) {
    if (c.name == name) return &c;
  }
  for (const auto& c : net_commands()) {
    if (c.name == name) return &c;
  }
  for (const auto& c : relay_commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Built by appending: g++ 12 at -O3 warns falsely (-Wrestrict) on "literal" + std::string.
std::string full_name(const Command& c) {
  std::string s = "bee ";
  if (!c.group.empty()) s.append(c.group).append(" ");
  s.append(c.name);
  return s;
}

std::string help_ref(const Command& c) {
  std::string s = "bee help ";
  if (!c.group.empty()) s.append(c.group).append(" ");
  s.append(c.name);
  return s;
}

std::string synopsis(const Command& c) {
  std::string s = full_name(c);
  for (auto operand : c.operands) s.append(" ").append(operand);
  if (!c.rest.empty()) s.append(" [").append(c.rest).append("...]");
  if (!c.options.empty()) s += " [options]";
  return s;
}

// One line in stderr for every usage error, as for failures.
int usage_line(const std::string& name, const std::string& message, const std::string& help_ref) {
  std::fprintf(stderr, "%s: %s (see '%s')\n", name.c_str(), message.c_str(), help_ref.c_str());
  return kExitUsage;
}

void print_command_help(const Command& c) {
  std::string text = "Usage: ";
  text.append(synopsis(c)).append("\n\n").append(c.description).append("\n\nOptions:\n");
  auto option_line = [&](std::string left, std::string_view help) {
    if (left.size() < 16) left.append(16 - left.size(), ' ');
    text.append("  ").append(left).append("  ").append(help).append("\n");
  };
  for (const auto& o : c.options) {
    std::string left = "--";
    left.append(o.name);
    if (o.takes_value()) left.append(" ").append(o.value_name);
    option_line(left, o.help);
  }
  option_line("-h, --help", "show this help");
  text += "\nExit status: 0 success, 1 failure (one line on stderr), 64 bad arguments.\n";
  print(text);
}

void print_group_help(const Group& g) {
  std::string text = "Usage: bee " + std::string(g.name) + " COMMAND [ARGS...] [options]\n\n" +
                     "Commands on " + std::string(g.summary) + ":\n";
  for (const auto& c : g.commands) {
    std::string left = std::string(c.name);
    left.append(left.size() < 10 ? 10 - left.size() : 1, ' ');
    text += "  " + left + std::string(c.summary) + "\n";
  }
  text += "\nRun 'bee help " + std::string(g.name) + " COMMAND' for a command's arguments and options.\n";
  print(text);
}

void print_main_help() {
  std::string text =
      "bee " BEE_VERSION " - an embedded peer-to-peer database (Hyperbee 2 on a Hypercore 10 log)\n\n"
      "Usage: bee COMMAND [ARGS...] [options]\n"
      "       bee GROUP COMMAND [ARGS...] [options]\n"
      "       bee help [GROUP] [COMMAND]\n"
      "       bee completion bash   (the bash completion script)\n"
      "       bee --version\n\n"
      "Commands:\n";
  for (const auto& c : db_commands()) {
    std::string left = std::string(c.name);
    left.append(left.size() < 14 ? 14 - left.size() : 1, ' ');
    text += "  " + left + std::string(c.summary) + "\n";
  }
  for (const auto& c : net_commands()) {
    std::string left = std::string(c.name);
    left.append(left.size() < 14 ? 14 - left.size() : 1, ' ');
    text += "  " + left + std::string(c.summary) + "\n";
  }
  for (const auto& c : relay_commands()) {
    std::string left = std::string(c.name);
    left.append(left.size() < 14 ? 14 - left.size() : 1, ' ');
    text += "  " + left + std::string(c.summary) + "\n";
  }
  for (const auto& g : groups()) {
    for (const auto& c : g.commands) {
      std::string left = std::string(g.name) + " " + std::string(c.name);
      left.append(left.size() < 14 ? 14 - left.size() : 1, ' ');
      text += "  " + left + std::string(c.summary) + "\n";
    }
  }
  text +=
      "\nExit status: 0 success, 1 failure (one line on stderr), 64 bad arguments.\n"
      "Run 'bee help GROUP COMMAND' for details; the manual is `man bee` (docs/cli.md).\n";
  print(text);
}

// `bee help [GROUP [COMMAND]]`
int run_help(const std::vector<std::string>& args) {
  if (args.empty()) {
    print_main_help();
    return kExitOk;
  }
  const Group* group = find_group(args[0]);
  if (!group) {
    const Command* command = find_top_level(args[0]);
    if (!command) return usage_line("bee help", "unknown command group '" + args[0] + "'", "bee --help");
    if (args.size() > 1) return usage_line("bee help", "unexpected argument '" + args[1] + "'", "bee --help");
    print_command_help(*command);
    return kExitOk;
  }
  if (args.size() == 1) {
    print_group_help(*group);
    return kExitOk;
  }
  std::string group_ref = "bee help " + std::string(group->name);
  const Command* command = find_command(*group, args[1]);
  if (!command) return usage_line("bee help", "unknown command '" + args[1] + "'", group_ref);
  if (args.size() > 2) return usage_line("bee help", "unexpected argument '" + args[2] + "'", group_ref);
  print_command_help(*command);
  return kExitOk;
}

// Takes the repeatable options the command declares out of `args` (ParsedArgs refuses an
// option given twice). Stops at "--", like the parser.
std::expected<std::vector<std::string>, std::string> take_repeated(std::span<const std::string> args, const Command& command,
                                                                   Invocation& inv) {
  auto declared = [&](std::string_view name) {
    bool repeatable = false;
    for (auto r : kRepeatableOptions) repeatable |= r == name;
    if (!repeatable) return false;
    for (const auto& o : command.options) {
      if (o.name == name) return true;
    }
    return false;
  };
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& arg = args[i];
    if (arg == "--") {
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (arg.starts_with("--")) {
      std::string body = arg.substr(2);
      auto eq = body.find('=');
      std::string name = body.substr(0, eq);
      if (declared(name)) {
        if (eq != std::string::npos) {
          inv.repeated.emplace_back(name, body.substr(eq + 1));
        } else if (i + 1 < args.size()) {
          inv.repeated.emplace_back(name, args[++i]);
        } else {
          return std::unexpected("option --" + name + " needs a value");
        }
        continue;
      }
    }
    rest.push_back(arg);
  }
  return rest;
}

int run_command(const Command& command, std::span<const std::string> all_args) {
  Invocation inv;
  inv.name = full_name(command);
  inv.help_ref = help_ref(command);
  auto args = take_repeated(all_args, command, inv);
  if (!args) return usage_error(inv, args.error());
  auto parsed = parse_args(*args, command.options);
  if (!parsed) return usage_error(inv, parsed.error());
  if (parsed->has("help")) {
    print_command_help(command);
    return kExitOk;
  }
  const auto& positional = parsed->positional();
  if (positional.size() < command.operands.size()) {
    return usage_error(inv, "missing argument " + std::string(command.operands[positional.size()]));
  }
  for (size_t i = 0; i < command.operands.size(); i++) {
    if (positional[i].empty()) return usage_error(inv, std::string(command.operands[i]) + " is empty");
  }
  if (command.rest.empty() && positional.size() > command.operands.size()) {
    return usage_error(inv, "unexpected argument '" + positional[command.operands.size()] + "'");
  }
  inv.args = std::move(*parsed);
  return command.run(inv);
}

int dispatch(const std::vector<std::string>& args) {
  if (args.empty()) return usage_line("bee", "missing command", "bee --help");
  const std::string& first = args[0];
  if (first == "--help" || first == "-h") return run_help({});
  if (first == "--version") {
    print("bee " BEE_VERSION " (git " BEE_GIT_COMMIT ")\n");
    return kExitOk;
  }
  if (first == "help") return run_help({args.begin() + 1, args.end()});
  if (first == "completion") {
    if (args.size() != 2 || args[1] != "bash") return usage_line("bee completion", "expected 'bee completion bash'", "bee --help");
    print(bash_completion_script());
    return kExitOk;
  }

  const Group* group = find_group(first);
  if (!group) {
    if (const Command* command = find_top_level(first)) return run_command(*command, std::span(args).subspan(1));
    if (first.starts_with("-")) return usage_line("bee", "unknown option " + first, "bee --help");
    return usage_line("bee", "unknown command '" + first + "'", "bee --help");
  }
  std::string group_name = "bee " + first;
  std::string group_ref = "bee help " + first;
  if (args.size() < 2) return usage_line(group_name, "missing command", group_ref);
  if (args[1] == "--help" || args[1] == "-h") {
    print_group_help(*group);
    return kExitOk;
  }
  const Command* command = find_command(*group, args[1]);
  if (!command) return usage_line(group_name, "unknown command '" + args[1] + "'", group_ref);
  return run_command(*command, std::span(args).subspan(2));
}

// An error message is printed on one line whatever it contains.
std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

int usage_error(const Invocation& inv, std::string_view message) {
  return usage_line(inv.name, one_line(message), inv.help_ref);
}

int report_error(const Invocation& inv, const hypercore::Error& error, std::string_view context) {
  std::string line = inv.name + ": ";
  if (!context.empty()) line += std::string(context) + ": ";
  line += one_line(error.to_string());
  std::fprintf(stderr, "%s\n", line.c_str());
  return kExitFailure;
}

// An empty block's span may hold a null pointer, which fwrite must never see.
void print(std::string_view text) {
  if (!text.empty()) std::fwrite(text.data(), 1, text.size(), stdout);
}

void print_bytes(hypercore::ByteSpan data) {
  if (!data.empty()) std::fwrite(data.data(), 1, data.size(), stdout);
}

}  // namespace bee::cli

int main(int argc, char** argv) {
  int status;
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    status = bee::cli::dispatch(args);
  } catch (const std::bad_alloc&) {
    std::fputs("bee: out of memory\n", stderr);
    return bee::cli::kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bee: internal error: %s\n", bee::cli::one_line(e.what()).c_str());
    return bee::cli::kExitFailure;
  } catch (...) {
    std::fputs("bee: internal error: unknown exception\n", stderr);
    return bee::cli::kExitFailure;
  }
  // Output that could not be written (a full disk, a closed pipe) is a failure too.
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "bee: writing output: %s\n", std::strerror(errno));
    return bee::cli::kExitFailure;
  }
  return status;
}
