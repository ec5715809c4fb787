// What a server of cores listens with, shared by serve_bee (bee_server.cpp) and a group's
// node (net/multi/group_node.cpp): a Swarm that announces and looks up one topic (its TCP
// listener included), or a plain TCP listener; and optionally a WebSocket listener. Every
// connection gets the same PeerSetup. Internal: no public header includes it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "net/remote/peer_source.hpp"
#include "net/swarm/swarm.hpp"
#include "net/transport/transport.hpp"

namespace net::internal {

struct ListenerOptions {
  std::string host;
  uint16_t port = 0;
  bool tcp = true;  // without a swarm: listen on TCP (false: dial only)
  std::optional<uint16_t> websocket_port;
  std::optional<SwarmDiscovery> swarm;
  hypercore::Hash topic{};  // what the swarm announces and looks up
  PeerSetup setup;
  // Discovery's own events (peer_found, peer_gone, peer_rejected); connections are the
  // setup's handlers' business.
  std::function<void(const swarm::SwarmEvent&)> on_swarm_event;
};

struct Listeners {
  std::unique_ptr<Server> tcp;
  std::unique_ptr<swarm::Swarm> swarm;
  std::unique_ptr<Server> websocket;

  // The TCP port peers dial (the swarm's, else the listener's; 0 when neither).
  uint16_t port() const;
  std::optional<uint16_t> websocket_port() const;
  std::optional<hypercore::PublicKey> swarm_key() const;
  size_t peer_count() const;
  void stop();
};

// Errors: io_error naming the address of a listener that cannot be opened, and
// Swarm::open's (invalid_argument for a DHT without bootstrap nodes, io_error).
hypercore::Result<Listeners> open_listeners(boost::asio::io_context& io, ListenerOptions options);

}  // namespace net::internal
