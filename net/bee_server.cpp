#include "net/bee_server.hpp"

#include <map>

#include "net/bee_extension.hpp"
#include "net/swarm.hpp"
#include "net/tcp_transport.hpp"
#include "net/websocket_transport.hpp"

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
  uint16_t port() const override { return swarm_ ? swarm_->port() : tcp_->port(); }
  std::optional<uint16_t> websocket_port() const override {
    return ws_ ? std::optional<uint16_t>(ws_->port()) : std::nullopt;
  }
  const std::string& host() const override { return host_; }
  std::optional<hypercore::PublicKey> swarm_key() const override {
    return swarm_ ? std::optional<hypercore::PublicKey>(swarm_->public_key()) : std::nullopt;
  }
  size_t peer_count() const override {
    return (swarm_ ? swarm_->connection_count() : tcp_->peer_count()) + (ws_ ? ws_->peer_count() : 0);
  }
  void stop() override {
    if (tcp_) tcp_->stop();
    if (swarm_) swarm_->close();
    if (ws_) ws_->stop();
  }

  std::string host_;
  std::unique_ptr<Server> tcp_;
  std::unique_ptr<swarm::Swarm> swarm_;
  std::unique_ptr<Server> ws_;
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
  PeerSetup setup = make_setup(core, options, shared);
  auto listen_failed = [](const TransportError& e) {
    return hypercore::fail(hypercore::errc::io_error, "listen: " + e.to_string());
  };

  if (options.swarm) {
    swarm::SwarmOptions so;
    so.mode = options.swarm->mode;
    so.bootstrap = options.swarm->bootstrap;
    so.interfaces = options.swarm->interfaces;
    so.mdns_port = options.swarm->mdns_port;
    so.host = server->host_;
    so.port = options.port;
    so.setup = setup;
    const bool mirror = options.mirror_replica && !core.writable();
    so.setup.replicator.download_all = mirror;
    so.on_event = [shared](const swarm::SwarmEvent& e) {
      using Kind = swarm::SwarmEvent::Kind;
      if (!shared->on_event) return;
      BeeServerEvent event;
      if (e.kind == Kind::peer_found) event.kind = BeeServerEvent::Kind::peer_found;
      else if (e.kind == Kind::peer_gone) event.kind = BeeServerEvent::Kind::peer_gone;
      else if (e.kind == Kind::peer_rejected) event.kind = BeeServerEvent::Kind::peer_rejected;
      else return;  // connections are reported by the handlers (connected, closed)
      event.remote = e.remote;
      event.peer_key = e.key;
      shared->on_event(event);
    };
    HC_TRY(opened, swarm::Swarm::open(io, std::move(so)));
    server->swarm_ = std::move(opened);
    // Servers of one key meet each other (the swarm's planner has the lower key dial, so
    // both sides look up); a writer's connections to mirrors feed them, a mirror's fill it.
    HC_CHECK(server->swarm_->join(core.discovery_key(), {.announce = true, .lookup = true}));
  } else {
    ServerOptions so;
    so.host = server->host_;
    so.port = options.port;
    so.setup = setup;
    auto listening = listen_tcp(io, std::move(so));
    if (!listening) return listen_failed(listening.error());
    server->tcp_ = std::move(*listening);
  }
  if (options.websocket_port) {
    ServerOptions so;
    so.host = server->host_;
    so.port = *options.websocket_port;
    so.setup = setup;
    auto listening = listen_websocket(io, std::move(so));
    if (!listening) return listen_failed(listening.error());
    server->ws_ = std::move(*listening);
  }
  return std::unique_ptr<BeeServer>(std::move(server));
}

}  // namespace net
