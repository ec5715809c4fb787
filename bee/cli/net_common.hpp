// What the replication commands share (net_commands.cpp: serve, clone; query_command.cpp:
// query): parsing ports, --peer and --timeout, and the one-line report of a transport
// failure.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>

#include "bee/cli/command.hpp"

namespace bee::cli {

// 0 ... 65535.
std::optional<uint16_t> parse_port(const std::string& text);

struct PeerAddress {
  std::string host;
  uint16_t port = 0;  // never 0
};
// --peer HOST:PORT (required). The error is a usage message.
std::expected<PeerAddress, std::string> peer_option(const ParsedArgs& args);
// --timeout MS (1 ... 2^31-1), or `default_ms`. The error is a usage message.
std::expected<uint64_t, std::string> timeout_option(const ParsedArgs& args, uint64_t default_ms);

// One line on stderr, "<name>: <message>" (the message starts with the error's code);
// returns kExitFailure.
int transport_error(const Invocation& inv, const std::string& message);

// query_command.cpp: `bee query` (listed with the net commands).
std::span<const Command> query_commands();

}  // namespace bee::cli
