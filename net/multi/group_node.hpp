// A group on the network: start_group_node() replicates a multi::Group with every peer
// it meets — dialled (TCP or WebSocket addresses), accepted (a TCP and optionally a
// WebSocket listener), or found through the Swarm (mDNS on the LAN, the HyperDHT) by the
// group's discovery key — one GroupPeer (group_peer.hpp) per connection. Blocks that
// arrive are indexed (catch_up) once per burst; new writers reach every connection.
// `bee group serve` and `bee group sync` are this call:
//
//   net::EventLoop loop;
//   auto node = net::multi::start_group_node(loop.context(), *group, {.port = 9000});
//   ... (*node)->peers_in_sync() ...
//
// Ownership: the caller owns the io_context (run on one thread) and the group, which must
// outlive the node's connections: stop() (or dropping the node), then run the loop until
// it has no work left. Write to the group on the loop's thread and call changed().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "multi/group.hpp"
#include "net/multi/group_peer.hpp"
#include "net/remote/peer_source.hpp"
#include "net/transport/transport.hpp"

namespace boost::asio {
class io_context;
}

namespace net::multi {

struct GroupNodeEvent {
  enum class Kind {
    connected,      // a connection is up
    closed,         // ...and ended (error set unless cleanly)
    synced,         // a peer now holds the same logs as we do
    indexed,        // blocks from peers were indexed into the views
    peer_found,     // swarm: discovery reported a peer
    peer_gone,      // swarm: discovery lost it
    peer_rejected,  // swarm: a peer we dialled proved another key
    failed,         // indexing failed (message says why); the node keeps serving
  };
  Kind kind = Kind::connected;
  std::string remote{};
  std::optional<TransportError> error{};
  std::optional<hypercore::PublicKey> peer_key{};
  std::string message{};
};

struct GroupNodeOptions {
  // Accept connections: on TCP at host:port (default 127.0.0.1, or 0.0.0.0 with a swarm;
  // port 0: any free one), and on WebSocket at websocket_port if set.
  bool listen = true;
  std::optional<std::string> host{};
  uint16_t port = 0;
  std::optional<uint16_t> websocket_port{};
  // Announce and look up the group's discovery key (the Swarm listens on `port` then).
  std::optional<SwarmDiscovery> swarm{};
  // Peers to dial: over TCP, and over WebSocket.
  std::vector<TcpPeer> connect{};
  std::vector<WebSocketPeer> connect_websocket{};
  TransportOptions transport{};
  GroupPeerOptions peer{};
  std::function<void(const GroupNodeEvent&)> on_event{};
};

class GroupNode {
 public:
  virtual ~GroupNode() = default;  // stops
  virtual uint16_t port() const = 0;  // 0 when not listening
  virtual std::optional<uint16_t> websocket_port() const = 0;
  virtual const std::string& host() const = 0;
  virtual size_t peer_count() const = 0;
  // Connections whose peer holds the same logs as this device (GroupPeer::in_sync).
  virtual size_t peers_in_sync() const = 0;
  // With a swarm: the key peers know this node by. Else nullopt.
  virtual std::optional<hypercore::PublicKey> swarm_key() const = 0;
  // After writing to the group: sends the new blocks and list to every peer.
  virtual void changed() = 0;
  // Stops listening and discovery and closes every connection; idempotent.
  virtual void stop() = 0;
};

// Errors: io_error naming the address of a listener that cannot be opened, and
// Swarm::open's (invalid_argument for a DHT without bootstrap nodes).
hypercore::Result<std::unique_ptr<GroupNode>> start_group_node(boost::asio::io_context& io, ::multi::Group& group,
                                                               GroupNodeOptions options = {});

}  // namespace net::multi
