// Where a Swarm finds peers: a discovery source announces and looks up topics and reports
// peers by their Noise public key and how to reach them. Two implementations: LAN discovery
// over mDNS / DNS-SD (net/mdns, docs/protocol/mdns.md; swarm_mdns.cpp), whose peers accept
// TCP at an address and port, and the HyperDHT (net/dht + net/connect; swarm_dht.cpp,
// docs/protocol/dht.md "Swarm discovery over the DHT"), whose peers are reached by key
// through HyperDHT's connect protocol over UDX (DhtPeer::connect with the record's relay
// addresses); a third combines sources (mode both).
//
// Also usable on its own: `bee query|clone --swarm` look up with it and connect to the
// first peer found (over TCP for a LAN peer, through the DHT source's DhtPeer for a DHT one).
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
#include "net/dht/address.hpp"
#include "net/mdns/mdns_node.hpp"
#include "net/swarm/swarm_planner.hpp"

namespace boost::asio {
class io_context;
}

namespace net::connect {
class DhtPeer;
}

namespace net::swarm {

struct JoinOptions {
  bool announce = true;  // publish "we serve this topic" (peers can find and dial us)
  bool lookup = true;    // look for peers that announce it
};

struct DiscoveredPeer {
  PeerKey key{};                // the peer's Noise static public key
  // LAN (mDNS): where it accepts TCP connections (addresses never empty, port set).
  std::vector<Ipv4> addresses;
  uint16_t port = 0;
  // DHT: found in a topic's record, reached by key through DhtPeer::connect with the
  // record's relay addresses as hints (may be empty: FIND_PEER finds its relays).
  bool dht = false;
  std::vector<dht::Ipv4Address> relays;
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

// The HyperDHT source (swarm_dht.cpp), on a DhtPeer of its own (net/connect/dht_peer.hpp:
// a dht-rpc node on two UDX-capable UDP sockets, ephemeral unless it proves reachable).
// join(topic) with announce: as Hyperswarm, a signed ANNOUNCE of the record {key_pair's
// public key, relay addresses = DhtPeer::relays(public key)} to the <= 20 closest nodes of
// the topic, renewed every `reannounce` (+ jitter) — so the owner must have called
// peer().listen(key_pair, ...) (the announce waits until that listen's own announcement
// named its relays); with lookup: LOOKUP queries, repeated quickly while they find nothing
// and every `relookup` afterwards. A peer found is reported with dht = true and its
// record's relay addresses; connect to it with peer().connect(key, relays, ...). A peer
// absent from a complete later lookup is reported gone. Topics must be 32 bytes.
struct DhtDiscoveryOptions {
  // Bootstrap nodes, "a.b.c.d:port" or "a.b.c.d@name:port" (the IP is used). Required:
  // open fails with invalid_argument when empty or malformed.
  std::vector<std::string> bootstrap;
  // Our identity: the DhtPeer's (connections it makes prove it), records carry its public
  // key and are signed with it.
  hypercore::KeyPair key_pair = hypercore::KeyPair::random();
  // Where the DhtPeer's UDP sockets bind; the server socket on `port` (0: any).
  std::string host = "0.0.0.0";
  uint16_t port = 0;
  // A blind relay (its public key) the DhtPeer names in every handshake, as Hyperswarm's
  // relayThrough: connections to and from firewalled peers go through it.
  std::optional<hypercore::PublicKey> relay_through;
  // The reference's timings (Hyperswarm): re-announce every 10 min plus up to 2 min of
  // jitter (records live 13-27 min at the storing nodes). Lookups: after `lookup_retry`
  // (doubling up to `lookup_retry_max`) while nothing is found, then every `relookup`.
  std::chrono::milliseconds reannounce{10 * 60 * 1000};
  std::chrono::milliseconds reannounce_jitter{2 * 60 * 1000};
  std::chrono::milliseconds lookup_retry{1000};
  std::chrono::milliseconds lookup_retry_max{30000};
  std::chrono::milliseconds relookup{10 * 60 * 1000};
  // How often the DhtPeer checks the network interfaces (DhtPeerOptions::network_poll); on a
  // change every topic is looked up and announced again at once. 0: never.
  std::chrono::milliseconds network_poll{5000};
};

class DhtDiscoverySource : public DiscoverySource {
 public:
  // The DhtPeer discovery runs on: listen() on it to be reachable (and announceable),
  // connect() on it to reach a peer found. close() stops discovery only; the DhtPeer (and
  // the connections it carries) lives until the source is destroyed or peer().close().
  virtual connect::DhtPeer& peer() = 0;
  // close(), and first the unannounce of every topic announced (best effort, as Hyperswarm
  // does when it is destroyed): `done` runs once those queries ended (at once if none).
  virtual void withdraw(std::function<void()> done) = 0;
};

// Binds the UDP sockets and starts bootstrapping at once (errors: invalid_argument for the
// bootstrap list or host, io_error when a socket cannot be bound).
hypercore::Result<std::unique_ptr<DhtDiscoverySource>> open_dht_discovery(boost::asio::io_context& io,
                                                                           DhtDiscoveryOptions options,
                                                                           DiscoveryHandlers handlers);

// One source made of several (mode both): join/leave/close go to each in order; join fails
// with the first failure.
std::unique_ptr<DiscoverySource> combine_discovery(std::vector<std::unique_ptr<DiscoverySource>> sources);

}  // namespace net::swarm
