// What the replication commands share (net_commands.cpp: serve, clone; query_command.cpp:
// query): parsing ports, --peer, --swarm/--lan/--bootstrap and --timeout, finding a peer
// by its key (mDNS, the DHT), and the one-line report of a transport failure.
#pragma once

#include <array>
#include <cstdint>
#include <chrono>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bee/cli/command.hpp"
#include "hypercore/bytes.hpp"
#include "net/dht/address.hpp"

namespace net {
class EventLoop;
}
namespace net::swarm {
enum class DiscoveryMode;
class DhtDiscoverySource;
}
namespace net {
struct SwarmDiscovery;
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

// How the peers are found: --peer HOST:PORT, or --swarm: --lan alone is mDNS on the local
// link; --swarm without --lan is the HyperDHT (--bootstrap HOST:PORT, repeatable or
// comma-separated; default the public HyperDHT bootstrap nodes); --lan with --bootstrap is
// both.
struct SwarmChoice {
  bool swarm = false;  // --swarm given
  bool lan = false;    // mDNS
  bool dht = false;    // the DHT
  std::vector<std::string> bootstrap;  // with dht: never empty
  std::optional<std::array<uint8_t, 32>> relay_through;  // --relay PUBLICKEY (needs dht)
};
// The usage errors: --lan, --bootstrap or --relay without --swarm, --swarm with --peer, a
// malformed --bootstrap entry (IPV4:PORT or IPV4@NAME:PORT), --relay that is not 64 hex
// digits or without the DHT.
std::expected<SwarmChoice, std::string> swarm_option(const Invocation& inv);
// Where a client command (clone, query) connects: the peer a --swarm lookup finds, or
// --peer HOST:PORT; over WebSocket with --websocket (only with --peer). The errors are
// swarm_option's and peer_option's usage messages, and --websocket with --swarm.
struct ConnectChoice {
  SwarmChoice swarm;
  std::optional<PeerAddress> peer;  // set unless swarm.swarm
  bool websocket = false;
};
std::expected<ConnectChoice, std::string> connect_option(const Invocation& inv);

// The option rows of --lan, --bootstrap and --relay, as every command with --swarm lists them.
#define BEE_SWARM_DISCOVERY_OPTIONS                                                                      \
  {"lan", "", "with --swarm: discovery on the local link (mDNS); no DHT unless --bootstrap is given too"}, \
  {"bootstrap", "IPV4:PORT", "with --swarm: a DHT bootstrap node (repeatable; default the public HyperDHT ones)"}, \
  {"relay", "PUBLICKEY", "with --swarm: a blind relay (`bee relay`) that DHT connections with firewalled peers go through"}

// "lan", "dht" or "both".
std::string swarm_mode_name(const SwarmChoice& choice);
// The library's form of the choice (BeeServerOptions::swarm, a reader's peer source).
net::SwarmDiscovery swarm_discovery(const SwarmChoice& choice);
net::swarm::DiscoveryMode swarm_mode(const SwarmChoice& choice);

// A peer --swarm found: on the LAN at a TCP address, or on the DHT by its key (connect with
// dht->peer().connect(key, relays, ...): HyperDHT's connect protocol over UDX).
struct SwarmPeer {
  std::optional<PeerAddress> address;             // LAN
  std::array<uint8_t, 32> key{};                  // DHT: the peer's public key
  std::vector<net::dht::Ipv4Address> relays;      // DHT: its record's relay addresses
  std::shared_ptr<net::swarm::DhtDiscoverySource> dht;  // DHT: its DhtPeer (keep while connected)
  // "at 10.0.0.5:40123", "by key 1a2b... (via 10.0.0.1:49737)".
  std::string where() const;
};
// Looks up `topic` (a discovery key) with the discovery layers of `choice` and returns the
// first peer found, running `loop` for at most `timeout`. The error is a message starting
// with its code: io_error (no multicast-capable interface, port refused), invalid_argument
// (bootstrap list) or request_timeout.
std::expected<SwarmPeer, std::string> find_swarm_peer(net::EventLoop& loop, hypercore::ByteSpan topic,
                                                      const SwarmChoice& choice, std::chrono::milliseconds timeout);

// One line on stderr, "<name>: <message>" (the message starts with the error's code);
// returns kExitFailure.
int transport_error(const Invocation& inv, const std::string& message);

// query_command.cpp: `bee query` (listed with the net commands).
std::span<const Command> query_commands();

}  // namespace bee::cli
