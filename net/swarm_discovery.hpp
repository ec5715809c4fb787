// Where a Swarm finds peers: a discovery source announces and looks up topics and reports
// peers as (Noise public key, addresses, port). LAN discovery over mDNS / DNS-SD
// (net/mdns, docs/protocol/mdns.md) is the one source today; the DHT (net/dht) will be a
// second implementation of the same interface, so the Swarm and its callers do not change
// when it comes.
//
// Also usable on its own: `bee query --swarm --lan` browses with it for the first peer of
// a key and then connects as with --peer.
//
// Thread-safety: the io_context's thread only (handlers run on it). The io_context must
// outlive the source.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "hypercore/error.hpp"
#include "net/mdns/mdns_node.hpp"
#include "net/swarm_planner.hpp"

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

}  // namespace net::swarm
