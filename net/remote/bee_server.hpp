// Serving a database in one call: serve_bee() listens on TCP (and optionally WebSocket) and
// replicates one core (a bee's) to every reader that connects, answering the `hyperbee`
// extension so a remote get costs about one round trip; with `swarm` it also announces
// the core's discovery key (mDNS and/or the HyperDHT), so readers find it by the key alone.
// This is `bee serve` (bee/cli/net_commands.cpp) as a library call:
//
//   net::EventLoop loop;
//   auto server = net::serve_bee(loop.context(), db->core(), {.port = 9000});
//   loop.on_signals({SIGINT, SIGTERM}, [&](int) { (*server)->stop(); });
//   while (!loop.run_for(std::chrono::hours(1))) {}   // until stopped and every peer gone
//
// Ownership: the caller owns the io_context (run on one thread) and the core, which must
// outlive the server's connections: stop() (or dropping the server) and then run the
// loop until it has no work left. Thread-safety: the io_context's thread (or before it
// runs). Writes to the core on that thread reach live readers as they happen.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "hypercore/core.hpp"
#include "net/remote/peer_source.hpp"
#include "net/transport/transport.hpp"

namespace boost::asio {
class io_context;
}

namespace net {

struct BeeServerEvent {
  enum class Kind {
    connected,      // a reader connected
    closed,         // ...and left
    peer_found,     // swarm: discovery reported a peer for the key (`peer_key` set)
    peer_gone,      // swarm: discovery lost it
    peer_rejected,  // swarm: a peer we dialled proved another key (`peer_key`): dropped
  };
  Kind kind = Kind::connected;
  std::string remote{};                   // "127.0.0.1:40123"
  std::optional<TransportError> error{};  // closed: why, unless it closed cleanly
  PeerCounters counters{};                // closed: what the connection carried
  uint64_t lookups_answered = 0;        // closed: extension asks answered
  std::optional<hypercore::PublicKey> peer_key{};  // the swarm events: the peer's key
};

struct BeeServerOptions {
  // The TCP listener's address. Default 127.0.0.1, or 0.0.0.0 with `swarm` (an
  // announcement of a loopback address would reach nobody on the LAN).
  std::optional<std::string> host{};
  uint16_t port = 0;  // 0: any free port; BeeServer::port() tells which
  // Also serve over WebSocket on this port (0: any). Default: no WebSocket.
  std::optional<uint16_t> websocket_port{};
  // Also announce the discovery key on these discovery layers (their TCP listener is the
  // one above). Default: not announced; readers need the address.
  std::optional<SwarmDiscovery> swarm{};
  // Answer the hyperbee extension. Default true (harmless on a core that is no bee).
  bool extension = true;
  // With `swarm` the server also looks the key up and connects to the other servers of it
  // (one connection per pair). A replica (a core without its secret key) then downloads
  // the whole log from them (they may be ahead of it), so it can serve every block in
  // turn. false: a replica serves only the blocks it holds. Default true.
  bool mirror_replica = true;
  ReplicatorOptions replicator{};
  TransportOptions transport{};
  // Readers connecting and leaving (on the io_context's thread). Default: none.
  std::function<void(const BeeServerEvent&)> on_event{};
};

class BeeServer {
 public:
  virtual ~BeeServer() = default;  // stops
  virtual uint16_t port() const = 0;
  virtual std::optional<uint16_t> websocket_port() const = 0;
  virtual const std::string& host() const = 0;
  virtual size_t peer_count() const = 0;
  // With `swarm`: the key peers know this server by (its Noise key). Else nullopt.
  virtual std::optional<hypercore::PublicKey> swarm_key() const = 0;
  // Stops listening (and announcing: goodbyes are sent) and closes every connection;
  // idempotent. The io_context then runs out of work once the connections have ended.
  virtual void stop() = 0;
};

// Listens at once. Errors: io_error naming the address for a listener that cannot be
// opened (port in use, bad host), and Swarm::open's (invalid_argument for a DHT without
// bootstrap nodes, io_error for discovery sockets).
hypercore::Result<std::unique_ptr<BeeServer>> serve_bee(boost::asio::io_context& io, hypercore::Core& core,
                                                        BeeServerOptions options = {});

}  // namespace net
