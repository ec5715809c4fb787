#include "net/multi/group_node.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <map>
#include <set>

#include "net/swarm.hpp"
#include "net/tcp_transport.hpp"
#include "net/websocket_transport.hpp"

namespace net::multi {

namespace {

// What the connections' handlers share; they may run after the node object is gone (a
// connection closing after stop()), so they hold this, not the node.
struct Shared {
  boost::asio::io_context* io = nullptr;
  ::multi::Group* group = nullptr;
  GroupPeerOptions peer_options;
  std::function<void(const GroupNodeEvent&)> on_event;
  std::map<Peer*, std::unique_ptr<GroupPeer>> peers;
  std::set<Peer*> synced;
  std::vector<std::shared_ptr<Peer>> dialled;
  bool step_posted = false;
  bool stopped = false;
  bool arrivals = false;

  void emit(GroupNodeEvent e) {
    if (on_event) on_event(e);
  }

  // Indexes what arrived and brings every connection up to date, once per burst of events.
  static void schedule(const std::shared_ptr<Shared>& self) {
    if (self->step_posted || self->stopped) return;
    self->step_posted = true;
    boost::asio::post(*self->io, [self] { self->step(); });
  }

  void step() {
    step_posted = false;
    if (stopped) return;
    if (std::exchange(arrivals, false)) {
      auto caught = group->catch_up();
      if (!caught) {
        emit({GroupNodeEvent::Kind::failed, "", std::nullopt, std::nullopt, caught.error().to_string()});
      } else {
        emit({GroupNodeEvent::Kind::indexed});
      }
    }
    auto now = Clock::now();
    for (auto& [peer, gp] : peers) {
      gp->refresh(now);
      if (gp->failure()) {
        peer->stop();
        continue;
      }
      peer->flush();
      bool in_sync = gp->in_sync();
      if (in_sync && synced.insert(peer).second) {
        emit({GroupNodeEvent::Kind::synced, peer->remote()});
      } else if (!in_sync) {
        synced.erase(peer);
      }
    }
  }
};

class GroupNodeImpl : public GroupNode {
 public:
  ~GroupNodeImpl() override { stop(); }
  uint16_t port() const override { return swarm_ ? swarm_->port() : tcp_ ? tcp_->port() : 0; }
  std::optional<uint16_t> websocket_port() const override {
    return ws_ ? std::optional<uint16_t>(ws_->port()) : std::nullopt;
  }
  const std::string& host() const override { return host_; }
  size_t peer_count() const override { return shared_->peers.size(); }
  size_t peers_in_sync() const override { return shared_->synced.size(); }
  std::optional<hypercore::PublicKey> swarm_key() const override {
    return swarm_ ? std::optional<hypercore::PublicKey>(swarm_->public_key()) : std::nullopt;
  }
  void changed() override { Shared::schedule(shared_); }
  void stop() override {
    shared_->stopped = true;
    writers_watch_.reset();
    if (tcp_) tcp_->stop();
    if (swarm_) swarm_->close();
    if (ws_) ws_->stop();
    for (auto& p : shared_->dialled) p->close();
  }

  std::shared_ptr<Shared> shared_;
  std::string host_;
  std::unique_ptr<Server> tcp_;
  std::unique_ptr<swarm::Swarm> swarm_;
  std::unique_ptr<Server> ws_;
  std::shared_ptr<void> writers_watch_;
};

PeerSetup make_setup(const GroupNodeOptions& options, const std::shared_ptr<Shared>& shared) {
  PeerSetup setup;
  setup.replicator = options.peer.replicator;
  setup.transport = options.transport;
  setup.handlers.on_open = [shared](Peer& peer) {
    GroupPeerOptions o = shared->peer_options;
    std::weak_ptr<Shared> weak = shared;
    o.on_list = [weak] {
      if (auto s = weak.lock()) Shared::schedule(s);
    };
    shared->peers[&peer] = std::make_unique<GroupPeer>(*shared->group, peer.session(), o, Clock::now());
    shared->emit({GroupNodeEvent::Kind::connected, peer.remote()});
  };
  setup.handlers.on_event = [shared](Peer& peer, const SessionEvent& e) {
    auto it = shared->peers.find(&peer);
    if (it == shared->peers.end()) return;
    it->second->on_session_event(e, Clock::now());
    if (it->second->take_arrivals()) shared->arrivals = true;
    Shared::schedule(shared);
  };
  setup.handlers.on_close = [shared](Peer& peer, const std::optional<TransportError>& error) {
    shared->peers.erase(&peer);
    shared->synced.erase(&peer);
    shared->emit({GroupNodeEvent::Kind::closed, peer.remote(), error});
  };
  return setup;
}

}  // namespace

hypercore::Result<std::unique_ptr<GroupNode>> start_group_node(boost::asio::io_context& io, ::multi::Group& group,
                                                               GroupNodeOptions options) {
  auto shared = std::make_shared<Shared>();
  shared->io = &io;
  shared->group = &group;
  shared->peer_options = options.peer;
  shared->on_event = std::move(options.on_event);
  auto node = std::make_unique<GroupNodeImpl>();
  node->shared_ = shared;
  node->host_ = options.host.value_or(options.swarm ? "0.0.0.0" : "127.0.0.1");
  PeerSetup setup = make_setup(options, shared);
  auto listen_failed = [](const TransportError& e) {
    return hypercore::fail(hypercore::errc::io_error, "listen: " + e.to_string());
  };
  // A new writer core (an invitation indexed, an announcement) goes to every connection.
  node->writers_watch_ = group.watch_writers([shared](const std::shared_ptr<hypercore::Core>&) { Shared::schedule(shared); });

  if (options.swarm) {
    swarm::SwarmOptions so;
    so.mode = options.swarm->mode;
    so.bootstrap = options.swarm->bootstrap;
    so.interfaces = options.swarm->interfaces;
    so.mdns_port = options.swarm->mdns_port;
    so.host = node->host_;
    so.port = options.port;
    so.setup = setup;
    so.on_event = [shared](const swarm::SwarmEvent& e) {
      using Kind = swarm::SwarmEvent::Kind;
      GroupNodeEvent event;
      if (e.kind == Kind::peer_found) event.kind = GroupNodeEvent::Kind::peer_found;
      else if (e.kind == Kind::peer_gone) event.kind = GroupNodeEvent::Kind::peer_gone;
      else if (e.kind == Kind::peer_rejected) event.kind = GroupNodeEvent::Kind::peer_rejected;
      else return;  // connections are reported by the handlers
      event.remote = e.remote;
      event.peer_key = e.key;
      shared->emit(event);
    };
    HC_TRY(opened, swarm::Swarm::open(io, std::move(so)));
    node->swarm_ = std::move(opened);
    HC_CHECK(node->swarm_->join(group.discovery_key(), {.announce = true, .lookup = true}));
  } else if (options.listen) {
    ServerOptions so;
    so.host = node->host_;
    so.port = options.port;
    so.setup = setup;
    auto listening = listen_tcp(io, std::move(so));
    if (!listening) return listen_failed(listening.error());
    node->tcp_ = std::move(*listening);
  }
  if (options.listen && options.websocket_port) {
    ServerOptions so;
    so.host = node->host_;
    so.port = *options.websocket_port;
    so.setup = setup;
    auto listening = listen_websocket(io, std::move(so));
    if (!listening) return listen_failed(listening.error());
    node->ws_ = std::move(*listening);
  }
  for (const auto& source : options.connect) {
    if (const auto* tcp = std::get_if<TcpPeer>(&source)) {
      shared->dialled.push_back(connect_tcp(io, tcp->host, tcp->port, setup));
    } else if (const auto* ws = std::get_if<WebSocketPeer>(&source)) {
      shared->dialled.push_back(connect_websocket(io, ws->host, ws->port, setup));
    } else {
      return hypercore::fail(hypercore::errc::invalid_argument, "group node: a swarm is joined with `swarm`, not dialled");
    }
  }
  return std::unique_ptr<GroupNode>(std::move(node));
}

}  // namespace net::multi
