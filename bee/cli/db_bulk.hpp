// The bulk database commands (db_bulk_commands.cpp): `bee batch` replays an op script,
// `bee blocks`/`bee export` print every block, `bee import` rebuilds a store from them.
#pragma once

#include <expected>
#include <span>
#include <string>

#include "bee/cli/command.hpp"
#include "bee/messages.hpp"

namespace bee::cli {

std::span<const Command> db_bulk_commands();

// --metadata '{"contentFeed":HEX,"userData":HEX}' (either field optional). The error is a
// usage message.
std::expected<Metadata, std::string> parse_metadata(const std::string& json);

}  // namespace bee::cli
