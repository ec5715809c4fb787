// Where a reader finds the peer serving a core: one address (TCP or WebSocket), or the
// swarm, which finds peers by the core's discovery key alone (mDNS on the LAN and/or the
// HyperDHT) and dials the first one it hears of: over TCP on the LAN, by key through
// HyperDHT's connect protocol over UDX on the DHT (so a Node Hyperswarm app serves too). RemoteBeeClient and
// RemoteDatabase take one of these; serve_bee (bee_server.hpp) announces on the same
// swarm choices. No Asio here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hypercore/error.hpp"
#include "net/swarm/swarm.hpp"

namespace net {

struct TcpPeer {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // required: 0 fails the connect
};

// The same byte stream in WebSocket binary frames (upgrade target "/").
struct WebSocketPeer {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
};

// The swarm's discovery layers. As a reader's peer source: the core's discovery key is
// looked up (nothing is announced, nothing listens) and the first peer found is dialled
// (TCP for a LAN peer, net::connect::DhtPeer::connect for a DHT one); if that dial fails
// before the core opens, the next one found is tried, within the open timeout. As a server's (BeeServerOptions::swarm): the key is announced there.
struct SwarmDiscovery {
  // lan: mDNS on the local link (no internet, no bootstrap node). dht: the HyperDHT. both.
  // Default lan.
  swarm::DiscoveryMode mode = swarm::DiscoveryMode::lan;
  // DHT bootstrap nodes ("a.b.c.d:port" or "a.b.c.d@name:port"); required with dht and
  // both (invalid_argument otherwise); swarm::kPublicBootstrap are the public ones.
  std::vector<std::string> bootstrap{};
  // With the DHT: a blind relay named in every handshake (Hyperswarm's relayThrough).
  std::optional<hypercore::PublicKey> relay_through{};
  // mDNS interfaces (empty: every up, multicast-capable, non-loopback IPv4 one) and port.
  std::vector<swarm::Ipv4> interfaces{};
  uint16_t mdns_port = mdns::kMdnsPort;
};

using PeerSource = std::variant<TcpPeer, WebSocketPeer, SwarmDiscovery>;

// "HOST:PORT" as a TcpPeer, "ws://HOST:PORT" as a WebSocketPeer (what users type);
// errc::invalid_argument naming the text otherwise.
hypercore::Result<PeerSource> parse_peer_source(std::string_view text);

// For messages: "127.0.0.1:9000", "ws://127.0.0.1:9000", "the LAN (mDNS)", "the DHT", ...
std::string to_string(const PeerSource& source);

}  // namespace net
