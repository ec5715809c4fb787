// What the commands that read a database share, wherever the database is: the range
// options as parsed from the command line, and the entries as printed (text lines, or the
// reference's JSON shape), so that `bee query` (query_command.cpp, a remote bee) answers
// exactly as `bee get|range|history` (db_commands.cpp, a directory) would on a full copy.
#pragma once

#include <expected>
#include <optional>
#include <span>
#include <string>

#include "bee/cli/command.hpp"
#include "bee/cli/db_store.hpp"

namespace bee::cli {

// --gt/--gte/--lt/--lte KEY (in the key encoding), --reverse, --limit N. The error is a
// usage message.
std::expected<DbRange, std::string> key_range_option(const Invocation& inv, const DbOptions& options);
// --gt/--gte/--lt/--lte SEQ (negative: from the version), --reverse, --limit N. The error
// is a usage message.
std::expected<HistoryRange, std::string> history_range_option(const Invocation& inv);

// One output line (with its newline) of a listed entry: `KEY<TAB>VALUE` (just `KEY` for
// no value), or the entry's JSON with options.json.
std::string entry_line(const DbEntry& entry, const DbOptions& options);
// One history line: `SEQ<TAB>put|del<TAB>KEY[<TAB>VALUE]`, or JSON with a "type".
std::string history_line(const DbHistoryEntry& entry, const DbOptions& options);

// What `get` prints for KEY (as typed, for the not_found message): the value and a
// newline (nothing for a key without a value), or with --json the entry or `null`. An
// absent key without --json fails with not_found.
int print_get_result(const Invocation& inv, const std::optional<DbEntry>& entry, const DbOptions& options,
                     const std::string& key_arg);

}  // namespace bee::cli
