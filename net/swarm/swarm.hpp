// A Swarm: join topics, find peers for them (LAN mDNS, the HyperDHT, or both, through the
// DiscoverySource interface), connect to them with the replication transport — over TCP
// to a LAN peer, through HyperDHT's connect protocol over UDX to a DHT peer (as stock
// Hyperswarm does, so Node Hyperswarm apps are peers too) — one connection per pair of
// peers, and replicate every core added to the swarm over every connection. For a bee the
// topic is its core's discovery key.
//
//   auto swarm = net::swarm::Swarm::open(loop.context(), options);   // listens on TCP
//   (*swarm)->add_core(*core);
//   (*swarm)->join(core->discovery_key(), {.announce = true, .lookup = true});
//
// Our identity is one Noise static key pair (SwarmOptions::key_pair) used on every
// connection and published by discovery, so a peer's discovery record and its handshake
// name the same key. Who dials whom, and the retry backoff, are decided by SwarmPlanner
// (swarm_planner.hpp, sans-I/O, unit-tested); this class binds it to sockets and timers.
// Connections we dial are retried with that backoff while discovery still reports the
// peer; connections peers make to us are theirs to retry. Two connections with one peer
// that both went through the DHT race (both dialled): Hyperswarm's duplicate rule keeps
// the one initiated by the larger key unless the other already moved bytes both ways.
//
// With the DHT (modes dht, both) the Swarm runs one net::connect::DhtPeer: it listens
// with key_pair (answers PEER_HANDSHAKEs for it, its self-announcement names our relays),
// announces each joined topic as Hyperswarm does ({public key, relays}) and connects to a
// DHT-found peer by its key with its record's relays as hints. TCP stays for LAN peers
// (and the listener serves `--peer` clients).
//
// Ownership: the caller owns the io_context (run on one thread) and the cores, which
// must outlive the Swarm; the Swarm owns its listener, its discovery socket and its
// connections. Thread-safety: call it from the io_context's thread (or before run()).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hypercore/core.hpp"
#include "net/swarm/swarm_discovery.hpp"
#include "net/swarm/swarm_planner.hpp"
#include "net/transport/transport.hpp"

namespace boost::asio {
class io_context;
}

namespace net::swarm {

// HyperDHT's public bootstrap nodes (../shared/spec/dht.md §1.9).
inline const std::vector<std::string> kPublicBootstrap = {
    "88.99.3.86@node1.hyperdht.org:49737", "142.93.90.113@node2.hyperdht.org:49737",
    "138.68.147.8@node3.hyperdht.org:49737"};

enum class DiscoveryMode {
  lan,   // mDNS on the local link only: needs no internet and no bootstrap node
  dht,   // the HyperDHT only (needs bootstrap nodes; peers are reached by key over UDX)
  both,  // both: a peer found by either layer is dialled (once: the planner dedups by key)
};

// Connection events. `key` is the peer's Noise key: for a connection we dialled, the key
// we dialled (from discovery); for one the peer made to us, the key its handshake proved,
// so unknown (nullopt) in peer_joined (the handshake follows) and set in peer_left once
// the handshake was done.
struct SwarmEvent {
  enum class Kind {
    peer_found,   // discovery reported a peer for a topic (key set; remote: its address, or
                  // "the DHT via RELAY" for a DHT record)
    peer_gone,    // discovery lost it
    peer_joined,  // a connection is up (TCP connected; the Noise handshake follows)
    peer_left,    // that connection ended (error set unless it closed cleanly)
    peer_rejected,  // we dialled a key and the handshake proved another (`key`): stopped
  };
  Kind kind = Kind::peer_found;
  std::optional<PeerKey> key;
  std::string remote;      // "10.77.0.2:40123" for connections (UDX for DHT ones), see peer_found
  bool initiator = false;  // we dialled it
  std::optional<TransportError> error;
};

struct SwarmOptions {
  // Which discovery layers to use. Default lan (needs no internet and no bootstrap node).
  DiscoveryMode mode = DiscoveryMode::lan;
  // DHT bootstrap nodes ("a.b.c.d:port" or "a.b.c.d@name:port"); empty is valid with lan
  // and an error (invalid_argument) with dht or both. The public HyperDHT ones are
  // kPublicBootstrap.
  std::vector<std::string> bootstrap;
  // With the DHT: a blind relay named in every handshake (DhtDiscoveryOptions::relay_through).
  std::optional<hypercore::PublicKey> relay_through;
  // Our Noise static key pair (identity). Default: a random one per Swarm.
  std::optional<hypercore::KeyPair> key_pair;
  // The TCP listener LAN peers dial; its port goes into our mDNS announcements. Default any
  // port on every address (a LAN announcement of 127.0.0.1 would reach nobody). With the
  // DHT, the DhtPeer's UDP server socket binds the same host and port number.
  std::string host = "0.0.0.0";
  uint16_t port = 0;
  // With the DHT: how often the network interfaces are checked for a change, on which every
  // topic is looked up and announced again (DhtDiscoveryOptions::network_poll). 0: never.
  std::chrono::milliseconds network_poll{5000};
  // mDNS interfaces (empty: every multicast-capable one) and port (5353).
  std::vector<Ipv4> interfaces;
  uint16_t mdns_port = mdns::kMdnsPort;
  // What every connection replicates: cores (add_core adds more), replicator and
  // transport options, and the application's handlers, called for every connection
  // (dialled or accepted) after the Swarm's own bookkeeping.
  // setup.transport.session.stream.keys.static_key_pair is overwritten with key_pair.
  PeerSetup setup;
  // Dial decisions and backoff (local_key and announcing are set by the Swarm).
  PlannerOptions planner;
  std::function<void(const SwarmEvent&)> on_event;
};

class Swarm {
 public:
  // Listens on TCP (and with the DHT on its UDP sockets) and opens discovery at once.
  // Errors: invalid_argument for a mode with the DHT and no (or a malformed) bootstrap
  // list, io_error when the listener, the DHT's UDP socket or the mDNS socket cannot be
  // opened (the message names which).
  static hypercore::Result<std::unique_ptr<Swarm>> open(boost::asio::io_context& io, SwarmOptions options);

  virtual ~Swarm() = default;
  // Announces and/or looks up `topic` (32 bytes for a discovery key; any bytes work on mDNS,
  // the DHT needs 32: invalid_argument otherwise).
  virtual hypercore::Result<void> join(hypercore::ByteSpan topic, JoinOptions options = {}) = 0;
  // Stops announcing and looking up `topic`; live connections stay.
  virtual void leave(hypercore::ByteSpan topic) = 0;
  // Replicates `core` over every connection, the open ones included.
  virtual void add_core(hypercore::Core& core) = 0;
  // Goodbyes on discovery (mDNS goodbye packets; DHT: our topic records unannounced, as
  // Hyperswarm's destroy), stops the listener and closes every connection gracefully (their
  // on_close handlers follow; the DHT's sockets close once its connections ended and the
  // unannounces did, within 2 s). Idempotent; nothing is dialled afterwards.
  virtual void close() = 0;

  virtual uint16_t port() const = 0;  // the TCP listener's
  virtual const PeerKey& public_key() const = 0;
  virtual size_t connection_count() const = 0;
};

}  // namespace net::swarm
