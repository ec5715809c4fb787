// How a command module plugs into the `bee` dispatcher (main.cpp): each module exports a
// table of Commands; the dispatcher finds one by group and name, parses and counts its
// arguments, prints its help, and runs it. A command prints its result on stdout and any
// failure as exactly one line on stderr, through the helpers below, and returns the exit
// status.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bee/cli/args.hpp"
#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"

namespace bee::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and failed (missing core, corrupt store, ...)
inline constexpr int kExitUsage = 64;   // bad arguments (BSD sysexits EX_USAGE, as the Node tools use)

struct Invocation {
  std::string name;      // "bee core get", the prefix of every message
  std::string help_ref;  // "bee help core get", pointed to by usage errors
  ParsedArgs args;
  // Values of the repeatable options (kRepeatableOptions), in command-line order; they are
  // taken out before ParsedArgs, which refuses an option given twice.
  std::vector<std::pair<std::string, std::string>> repeated;
};

// Options that may be given more than once (`--sub a --sub b`), for commands that declare them.
inline constexpr std::string_view kRepeatableOptions[] = {"sub", "bootstrap", "merge"};

struct Command {
  std::string_view group;  // "core"; empty for a top-level command
  std::string_view name;   // "append"
  // Required positional arguments, in order ("DIR", "INDEX").
  std::span<const std::string_view> operands;
  // Extra positional arguments allowed after them, shown as "[BLOCK...]" ("" = none).
  std::string_view rest;
  std::string_view summary;      // one line, for the command list
  std::string_view description;  // paragraphs for `bee help GROUP NAME`
  std::span<const OptionSpec> options;
  int (*run)(const Invocation&);
};

// Command tables of each module. db_commands() are top-level (empty group): `bee put ...`.
std::span<const Command> core_commands();
std::span<const Command> db_commands();
// net_commands.cpp: `bee serve`, `bee clone` (top-level).
std::span<const Command> net_commands();
// dht_commands.cpp: `bee dht bootstrap|lookup`.
std::span<const Command> dht_commands();
// dht_commands.cpp: `bee relay` (top-level).
std::span<const Command> relay_commands();
// group_commands.cpp: `bee group create|join|invite|remove|put|get|del|range|history|status|serve|sync`.
std::span<const Command> group_commands();

// `bee completion bash` (completion.cpp): the bash completion script for these tables.
std::string bash_completion_script();

// One line on stderr, "<name>: <message> (see '<help_ref>')"; returns kExitUsage.
int usage_error(const Invocation& inv, std::string_view message);
// One line on stderr, "<name>: [<context>: ]<code>: <message>"; returns kExitFailure.
int report_error(const Invocation& inv, const hypercore::Error& error, std::string_view context = {});
// Writes to stdout (binary-safe); failures surface when main flushes stdout.
void print(std::string_view text);
void print_bytes(hypercore::ByteSpan data);
// What `create` commands print: the key in hex, or {key, discoveryKey, id} with --json.
int print_created(const Invocation& inv, const hypercore::Hash& key);

}  // namespace bee::cli
