#include "net/multi/group_node.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <map>
#include <set>

#include "net/remote/internal/listeners.hpp"
#include "net/swarm/swarm.hpp"
#include "net/transport/tcp_transport.hpp"
#include "net/transport/websocket_transport.hpp"

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
  uint16_t port() const override { return listeners_.port(); }
  std::optional<uint16_t> websocket_port() const override { return listeners_.websocket_port(); }
  const std::string& host() const override { return host_; }
  size_t peer_count() const override { return shared_->peers.size(); }
  size_t peers_in_sync() const override { return shared_->synced.size(); }
  std::optional<hypercore::PublicKey> swarm_key() const override { return listeners_.swarm_key(); }
  void changed() override { Shared::schedule(shared_); }
  void stop() override {
    shared_->stopped = true;
    writers_watch_.reset();
    listeners_.stop();
    for (auto& p : shared_->dialled) p->close();
  }

  std::shared_ptr<Shared> shared_;
  std::string host_;
  internal::Listeners listeners_;
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
  // A new writer core (an invitation indexed, an announcement) goes to every connection.
  node->writers_watch_ = group.watch_writers([shared](const std::shared_ptr<hypercore::Core>&) { Shared::schedule(shared); });
  internal::ListenerOptions lo;
  lo.host = node->host_;
  lo.port = options.port;
  lo.tcp = options.listen;
  if (options.listen) lo.websocket_port = options.websocket_port;
  lo.swarm = options.swarm;
  lo.topic = group.discovery_key();
  lo.setup = setup;
  lo.on_swarm_event = [shared](const swarm::SwarmEvent& e) {
    using Kind = swarm::SwarmEvent::Kind;
    GroupNodeEvent event;
    event.kind = e.kind == Kind::peer_found  ? GroupNodeEvent::Kind::peer_found
                 : e.kind == Kind::peer_gone ? GroupNodeEvent::Kind::peer_gone
                                             : GroupNodeEvent::Kind::peer_rejected;
    event.remote = e.remote;
    event.peer_key = e.key;
    shared->emit(event);
  };
  HC_TRY(listeners, internal::open_listeners(io, std::move(lo)));
  node->listeners_ = std::move(listeners);
  for (const auto& peer : options.connect) shared->dialled.push_back(connect_tcp(io, peer.host, peer.port, setup));
  for (const auto& peer : options.connect_websocket) {
    shared->dialled.push_back(connect_websocket(io, peer.host, peer.port, setup));
  }
  return std::unique_ptr<GroupNode>(std::move(node));
}

}  // namespace net::multi
