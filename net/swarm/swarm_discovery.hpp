// Where a Swarm finds peers: a discovery source announces and looks up topics and reports
// peers as (Noise public key, addresses, port). Two implementations: LAN discovery over
// mDNS / DNS-SD (net/mdns, docs/protocol/mdns.md; swarm_mdns.cpp) and the HyperDHT
// (net/dht; swarm_dht.cpp, docs/protocol/dht.md "Swarm discovery over the DHT"); a third
// combines sources (mode both).
//
// Also usable on its own: `bee query --swarm` browses with it for the first peer of a key
// and then connects as with --peer.
//
// Thread-safety: the io_context's thread only (handlers run on it). The io_context must
// outlive the source.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <memory>
#include <vector>

#include "hypercore/crypto.hpp"
#include "hypercore/error.hpp"
#include "net/mdns/mdns_node.hpp"
#include "net/swarm/swarm_planner.hpp"

namespace boost::asio {
class io_context;
}

namespace net::swarm {

struct JoinOptions {
  bool announce = true;  // publish "we serve this topic" (peers can find and dial us)
  bool lookup = true;    // look for peers that announce it
};

struct DiscoveredPeer {
  PeerKey key{};                // the peer's Noise static public key
  std::vector<Ipv4> addresses;  // never empty in `found`
  uint16_t port = 0;            // where it accepts connections
};

struct DiscoveryHandlers {
  // A peer of a looked-up topic is known (again when its port or addresses change).
  std::function<void(hypercore::ByteSpan topic, const DiscoveredPeer&)> found;
  // It is gone (goodbye or expiry).
  std::function<void(hypercore::ByteSpan topic, const DiscoveredPeer&)> gone;
};

class DiscoverySource {
 public:
  virtual ~DiscoverySource() = default;
  // Idempotent; a second join of a topic replaces its options.
  virtual hypercore::Result<void> join(hypercore::ByteSpan topic, JoinOptions options) = 0;
  virtual void leave(hypercore::ByteSpan topic) = 0;
  // Withdraws every announcement (mDNS: goodbye packets) and stops; idempotent.
  virtual void close() = 0;
};

struct MdnsDiscoveryOptions {
  // Our identity (TXT pk=) and the TCP port peers dial (SRV port). Required to announce.
  PeerKey public_key{};
  uint16_t port = 0;
  // Interface addresses to use; empty: every up, multicast-capable, non-loopback IPv4
  // interface (net::mdns::local_ipv4_addresses()).
  std::vector<Ipv4> interfaces;
  // 5353 except in tests that must stay off a system responder's port.
  uint16_t mdns_port = mdns::kMdnsPort;
};

// Opens the mDNS socket at once (errors: io_error naming the failing step, e.g. no
// multicast-capable interface).
hypercore::Result<std::unique_ptr<DiscoverySource>> open_mdns_discovery(boost::asio::io_context& io,
                                                                         MdnsDiscoveryOptions options,
                                                                         DiscoveryHandlers handlers);

// The HyperDHT source (swarm_dht.cpp). It runs its own dht-rpc node (UDP, ephemeral
// client unless the node proves reachable, like the reference's adaptive mode) and the
// hyperdht client on it. join(topic) with announce: a signed ANNOUNCE of the record
// {key_pair.public_key, [our address]} to the ≤ 20 closest nodes of the topic, renewed
// every `reannounce` (+ jitter); with lookup: LOOKUP queries, repeated quickly while they
// find nothing and every `relookup` afterwards. A peer found is reported with its record's
// first relay address: by our convention (docs/protocol/dht.md) a bee peer's TCP listener
// has the same port number as its DHT UDP socket, the address in its record. A peer absent
// from a complete later lookup is reported gone. Topics must be 32 bytes.
struct DhtDiscoveryOptions {
  // Bootstrap nodes, "a.b.c.d:port" or "a.b.c.d@name:port" (the IP is used). Required:
  // open fails with invalid_argument when empty or malformed.
  std::vector<std::string> bootstrap;
  // Our identity: records carry its public key and are signed with it.
  hypercore::KeyPair key_pair = hypercore::KeyPair::random();
  // Where the UDP sockets bind; the server socket on `port` (0: any). With announce, `port`
  // must be the TCP listener's (the convention above).
  std::string host = "0.0.0.0";
  uint16_t port = 0;
  // The host written into our records. Default: `host` unless it is 0.0.0.0, else the
  // address the DHT nodes see us at (their `to` field), once known.
  std::optional<Ipv4> announce_host;
  // The reference's timings (Hyperswarm): re-announce every 10 min plus up to 2 min of
  // jitter (records live 13-27 min at the storing nodes). Lookups: after `lookup_retry`
  // (doubling up to `lookup_retry_max`) while nothing is found, then every `relookup`.
  std::chrono::milliseconds reannounce{10 * 60 * 1000};
  std::chrono::milliseconds reannounce_jitter{2 * 60 * 1000};
  std::chrono::milliseconds lookup_retry{1000};
  std::chrono::milliseconds lookup_retry_max{30000};
  std::chrono::milliseconds relookup{10 * 60 * 1000};
};

// Binds the UDP sockets and starts bootstrapping at once (errors: invalid_argument for the
// bootstrap list or host, io_error when a socket cannot be bound).
hypercore::Result<std::unique_ptr<DiscoverySource>> open_dht_discovery(boost::asio::io_context& io,
                                                                        DhtDiscoveryOptions options,
                                                                        DiscoveryHandlers handlers);

// One source made of several (mode both): join/leave/close go to each in order; join fails
// with the first failure.
std::unique_ptr<DiscoverySource> combine_discovery(std::vector<std::unique_ptr<DiscoverySource>> sources);

}  // namespace net::swarm
