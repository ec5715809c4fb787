#include "net/remote/bee_server.hpp"

#include <map>

#include "net/remote/bee_extension.hpp"
#include "net/remote/internal/listeners.hpp"
#include "net/swarm/swarm.hpp"

namespace net {

namespace {

// What the connections' handlers share; they may run after the server object is gone
// (a connection closing after stop()), so they hold this, not the server.
struct Shared {
  hypercore::Core* core = nullptr;
  bool extension = true;
  std::function<void(const BeeServerEvent&)> on_event;
  std::map<Peer*, std::unique_ptr<BeeExtensionResponder>> responders;  // one per connection
};

class BeeServerImpl : public BeeServer {
 public:
  ~BeeServerImpl() override { stop(); }
  uint16_t port() const override { return listeners_.port(); }
  std::optional<uint16_t> websocket_port() const override { return listeners_.websocket_port(); }
  const std::string& host() const override { return host_; }
  std::optional<hypercore::PublicKey> swarm_key() const override { return listeners_.swarm_key(); }
  size_t peer_count() const override { return listeners_.peer_count(); }
  void stop() override { listeners_.stop(); }

  std::string host_;
  internal::Listeners listeners_;
};

PeerSetup make_setup(hypercore::Core& core, const BeeServerOptions& options, std::shared_ptr<Shared> shared) {
  PeerSetup setup;
  setup.cores = {&core};
  setup.replicator = options.replicator;
  setup.transport = options.transport;
  setup.handlers.on_open = [shared](Peer& peer) {
    if (shared->extension) shared->responders[&peer] = std::make_unique<BeeExtensionResponder>(*shared->core);
    if (shared->on_event) shared->on_event({BeeServerEvent::Kind::connected, peer.remote(), std::nullopt, {}, 0});
  };
  setup.handlers.on_event = [shared](Peer& peer, const SessionEvent& e) {
    auto it = shared->responders.find(&peer);
    if (it == shared->responders.end() || e.core == SessionEvent::kSessionEvent) return;
    it->second->on_event(e.event, peer.session().replicator(e.core), Clock::now());
  };
  setup.handlers.on_close = [shared](Peer& peer, const std::optional<TransportError>& error) {
    uint64_t answered = 0;
    if (auto it = shared->responders.find(&peer); it != shared->responders.end()) {
      answered = it->second->asks_answered();
      shared->responders.erase(it);
    }
    if (shared->on_event) {
      shared->on_event({BeeServerEvent::Kind::closed, peer.remote(), error, peer.counters(), answered});
    }
  };
  return setup;
}

}  // namespace

hypercore::Result<std::unique_ptr<BeeServer>> serve_bee(boost::asio::io_context& io, hypercore::Core& core,
                                                        BeeServerOptions options) {
  auto shared = std::make_shared<Shared>();
  shared->core = &core;
  shared->extension = options.extension;
  shared->on_event = std::move(options.on_event);
  auto server = std::make_unique<BeeServerImpl>();
  server->host_ = options.host.value_or(options.swarm ? "0.0.0.0" : "127.0.0.1");
  internal::ListenerOptions lo;
  lo.host = server->host_;
  lo.port = options.port;
  lo.websocket_port = options.websocket_port;
  lo.swarm = options.swarm;
  lo.topic = core.discovery_key();
  lo.setup = make_setup(core, options, shared);
  // Over the swarm, a replica meets the other servers of its key: a writer's connections
  // to mirrors feed them, a mirror's fill it.
  if (options.swarm) lo.setup.replicator.download_all = options.mirror_replica && !core.writable();
  lo.on_swarm_event = [shared](const swarm::SwarmEvent& e) {
    using Kind = swarm::SwarmEvent::Kind;
    if (!shared->on_event) return;
    BeeServerEvent event;
    event.kind = e.kind == Kind::peer_found  ? BeeServerEvent::Kind::peer_found
                 : e.kind == Kind::peer_gone ? BeeServerEvent::Kind::peer_gone
                                             : BeeServerEvent::Kind::peer_rejected;
    event.remote = e.remote;
    event.peer_key = e.key;
    shared->on_event(event);
  };
  HC_TRY(listeners, internal::open_listeners(io, std::move(lo)));
  server->listeners_ = std::move(listeners);
  return std::unique_ptr<BeeServer>(std::move(server));
}

}  // namespace net
