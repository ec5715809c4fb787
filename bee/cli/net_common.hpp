// What the replication commands share (net_commands.cpp: serve, clone; query_command.cpp:
// query): parsing ports, --peer, --swarm/--lan/--bootstrap and --timeout, finding a peer
// on the LAN, and the one-line report of a transport failure.
#pragma once

#include <cstdint>
#include <chrono>
#include <expected>
#include <optional>
#include <span>
#include <string>

#include "bee/cli/command.hpp"
#include "hypercore/bytes.hpp"

namespace net {
class EventLoop;
}

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

// How the peers are found: --peer HOST:PORT, or --swarm with --lan (mDNS on the local
// link). --swarm without --lan means the DHT, which is not implemented yet.
struct SwarmChoice {
  bool swarm = false;  // --swarm given
  bool lan = false;    // --lan given (with --swarm)
};
// The usage errors: --lan or --bootstrap without --swarm, --swarm with --peer, a
// malformed --bootstrap list. `--swarm` without `--lan` parses; check dht_unsupported().
std::expected<SwarmChoice, std::string> swarm_option(const ParsedArgs& args);
// Non-empty ("unsupported: DHT discovery is not implemented yet; use --lan") when the
// choice needs the DHT.
std::string dht_unsupported(const SwarmChoice& choice);

// Browses mDNS for peers announcing `topic` (a discovery key) and returns the first one
// found, running `loop` for at most `timeout`. The error is a message starting with its
// code: io_error (no multicast-capable interface, port refused) or request_timeout.
std::expected<PeerAddress, std::string> find_lan_peer(net::EventLoop& loop, hypercore::ByteSpan topic,
                                                      std::chrono::milliseconds timeout);

// One line on stderr, "<name>: <message>" (the message starts with the error's code);
// returns kExitFailure.
int transport_error(const Invocation& inv, const std::string& message);

// query_command.cpp: `bee query` (listed with the net commands).
std::span<const Command> query_commands();

}  // namespace bee::cli
