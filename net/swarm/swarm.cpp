// Swarm: SwarmPlanner bound to a TCP listener, TCP dials, a DiscoverySource and a steady
// timer. Everything the handlers touch lives in a shared State that they hold weakly, so
// a handler running after the Swarm is gone (a connection ending during destruction)
// finds nothing and does nothing.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include "net/swarm/swarm.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <set>

#include "net/mdns/mdns_socket.hpp"
#include "net/transport/tcp_transport.hpp"

namespace net::swarm {

namespace asio = boost::asio;
using hypercore::errc;
using hypercore::Error;
using hypercore::Result;

namespace {

std::string ipv4_text(const Ipv4& a) {
  return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." + std::to_string(a[3]);
}

// "10.77.0.2:40123" -> 10.77.0.2.
std::optional<Ipv4> remote_address(const std::string& remote) {
  auto colon = remote.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  return mdns::parse_ipv4(remote.substr(0, colon));
}

struct Connection {
  std::optional<PeerKey> key;      // dialled: the key we dialled
  std::optional<Ipv4> inbound;     // accepted: the source address
  std::optional<PeerKey> proven;   // accepted: the key its handshake proved, once the planner knows it
  bool opened = false;
  bool impostor = false;  // dialled, and the handshake proved another key: being stopped
};

struct State : std::enable_shared_from_this<State> {
  State(asio::io_context& io, SwarmOptions opts, hypercore::KeyPair keys)
      : io(io),
        options(std::move(opts)),
        key_pair(keys),
        planner([&] {
          PlannerOptions p = options.planner;
          p.local_key = key_pair.public_key;
          p.announcing = false;
          return p;
        }()),
        timer(io),
        start(std::chrono::steady_clock::now()),
        cores(options.setup.cores) {}

  asio::io_context& io;
  SwarmOptions options;
  hypercore::KeyPair key_pair;
  SwarmPlanner planner;
  asio::steady_timer timer;
  std::chrono::steady_clock::time_point start;
  std::vector<hypercore::Core*> cores;
  std::unique_ptr<Server> server;
  std::unique_ptr<DiscoverySource> discovery;
  std::map<PeerKey, std::shared_ptr<Peer>> dialled;  // our dials in flight or connected
  std::map<Peer*, Connection> connections;
  std::set<std::string> announced;
  bool closed = false;

  Time now() const {
    return std::chrono::duration_cast<Time>(std::chrono::steady_clock::now() - start);
  }

  // Tells the planner the key of every accepted connection whose Noise handshake has
  // finished since the last look, so that it matches the connection to a discovered peer
  // by key. Done lazily before each poll, the only place the planner uses it; a connection
  // still in its handshake stays matched by address (the planner rechecks it shortly).
  void identify_inbound() {
    for (auto& [peer, c] : connections) {
      if (!c.inbound || c.proven) continue;
      if (auto key = peer->session().remote_public_key()) {
        c.proven = *key;
        planner.inbound_identified(*c.inbound, *key);
      }
    }
  }

  void emit(SwarmEvent event) {
    if (options.on_event) options.on_event(event);
  }

  // Cores added after this connection's setup was taken (add_core during a connect).
  void add_missing_cores(Peer& peer) {
    auto& session = peer.session();
    for (size_t i = session.core_count(); i < cores.size(); i++) {
      session.add_core(*cores[i], options.setup.replicator, Clock::now());
    }
  }

  PeerSetup make_setup(std::optional<PeerKey> dialled_key) {
    PeerSetup setup = options.setup;
    setup.cores = cores;
    setup.transport.session.stream.keys.static_key_pair = key_pair;
    std::weak_ptr<State> weak = weak_from_this();
    setup.handlers.on_open = [weak, dialled_key](Peer& peer) {
      auto self = weak.lock();
      if (!self) return;
      Connection c;
      c.key = dialled_key;
      c.opened = true;
      if (!dialled_key) {
        // The Noise handshake has not run yet, so the peer's key is not available: until
        // it is (identify_inbound), the planner can only hold the connection's source
        // address, the one fallback to address matching.
        c.inbound = remote_address(peer.remote());
        if (c.inbound) self->planner.inbound_opened(*c.inbound);
      }
      self->connections[&peer] = c;
      self->add_missing_cores(peer);
      self->emit({SwarmEvent::Kind::peer_joined, dialled_key, peer.remote(), dialled_key.has_value(), std::nullopt});
      if (self->options.setup.handlers.on_open) self->options.setup.handlers.on_open(peer);
    };
    setup.handlers.on_event = [weak, dialled_key](Peer& peer, const SessionEvent& e) {
      auto self = weak.lock();
      if (!self) return;
      // Noise XX proves the key of whoever answered at the address discovery gave; if it
      // is not the key we dialled, someone else answered there (a stale record, or a
      // record naming another's key). Nothing of this connection counts: it is stopped
      // (after this handler returns), and the dial backs off as a failure.
      if (dialled_key) {
        auto proven = peer.session().remote_public_key();
        if (proven && *proven != *dialled_key) {
          auto it = self->connections.find(&peer);
          if (it != self->connections.end() && !it->second.impostor) {
            it->second.impostor = true;
            self->emit({SwarmEvent::Kind::peer_rejected, proven, peer.remote(), true, std::nullopt});
            asio::post(self->io, [weak, key = *dialled_key] {
              auto s = weak.lock();
              if (!s) return;
              if (auto d = s->dialled.find(key); d != s->dialled.end()) d->second->stop();
            });
          }
          return;
        }
      }
      // The channel opened: the peer has the core and replication runs. Only then does
      // the dial count as a success (a peer that accepts TCP and then fails every
      // handshake keeps backing off).
      if (dialled_key && e.core != SessionEvent::kSessionEvent && e.event.kind == ReplicatorEvent::Kind::opened) {
        self->planner.dial_succeeded(*dialled_key);
      }
      if (self->options.setup.handlers.on_event) self->options.setup.handlers.on_event(peer, e);
    };
    setup.handlers.on_close = [weak, dialled_key](Peer& peer, const std::optional<TransportError>& error) {
      auto self = weak.lock();
      if (!self) return;
      auto it = self->connections.find(&peer);
      bool opened = it != self->connections.end();
      std::optional<Ipv4> inbound = opened ? it->second.inbound : std::nullopt;
      // Identified first if its handshake finished since the last identify_inbound(), so
      // that the planner knows whose connection ended.
      if (inbound && !it->second.proven) {
        if (auto key = peer.session().remote_public_key()) {
          it->second.proven = *key;
          self->planner.inbound_identified(*inbound, *key);
        }
      }
      std::optional<PeerKey> proven = opened ? it->second.proven : std::nullopt;
      if (opened) self->connections.erase(it);
      if (inbound) self->planner.inbound_closed(*inbound, proven, self->now());
      if (opened) {
        std::optional<PeerKey> key = dialled_key ? dialled_key : peer.session().remote_public_key();
        self->emit({SwarmEvent::Kind::peer_left, key, peer.remote(), dialled_key.has_value(), error});
        if (self->options.setup.handlers.on_close) self->options.setup.handlers.on_close(peer, error);
      }
      if (dialled_key) {
        // Keep the Peer alive until this handler has returned.
        if (auto d = self->dialled.find(*dialled_key); d != self->dialled.end() && d->second.get() == &peer) {
          asio::post(self->io, [keep = std::move(d->second)] {});
          self->dialled.erase(d);
        }
        if (!self->closed) self->planner.dial_ended(*dialled_key, self->now());
      }
      self->reschedule();
    };
    return setup;
  }

  void dial(const Dial& d) {
    if (closed || dialled.contains(d.key)) return;
    dialled[d.key] = connect_tcp(io, ipv4_text(d.address), d.port, make_setup(d.key));
  }

  // Runs the planner and sets the timer for its next wakeup.
  void reschedule() {
    if (closed) return;
    identify_inbound();
    std::vector<Dial> dials;
    Time next = planner.poll(now(), dials);
    for (const auto& d : dials) dial(d);
    timer.cancel();
    if (next == kNever) return;
    timer.expires_at(start + next);
    std::weak_ptr<State> weak = weak_from_this();
    timer.async_wait([weak](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->reschedule();
    });
  }

  void on_found(hypercore::ByteSpan topic, const DiscoveredPeer& peer) {
    if (closed) return;
    std::string where = peer.addresses.empty() ? "?" : ipv4_text(peer.addresses.front());
    emit({SwarmEvent::Kind::peer_found, peer.key, where + ":" + std::to_string(peer.port), false, std::nullopt});
    planner.found(topic, peer.key, peer.addresses, peer.port, now());
    reschedule();
  }

  void on_gone(hypercore::ByteSpan topic, const DiscoveredPeer& peer) {
    if (closed) return;
    std::string where = peer.addresses.empty() ? "?" : ipv4_text(peer.addresses.front());
    emit({SwarmEvent::Kind::peer_gone, peer.key, where + ":" + std::to_string(peer.port), false, std::nullopt});
    planner.gone(topic, peer.key);
    reschedule();
  }

  void close() {
    if (closed) return;
    closed = true;
    timer.cancel();
    if (discovery) discovery->close();
    if (server) server->stop();
    // Copies: close() may run handlers that erase from these maps.
    std::vector<std::shared_ptr<Peer>> peers;
    for (auto& [key, peer] : dialled) peers.push_back(peer);
    for (auto& peer : peers) peer->close();
  }
};

class SwarmImpl final : public Swarm {
 public:
  explicit SwarmImpl(std::shared_ptr<State> state) : state_(std::move(state)) {}
  ~SwarmImpl() override { state_->close(); }

  Result<void> join(hypercore::ByteSpan topic, JoinOptions options) override {
    if (state_->closed) return std::unexpected(Error{errc::closed, "the swarm is closed"});
    std::string key(topic.begin(), topic.end());
    if (auto r = state_->discovery->join(topic, options); !r) return r;
    if (options.announce) {
      state_->announced.insert(key);
    } else {
      state_->announced.erase(key);
    }
    if (!options.lookup) state_->planner.forget_topic(topic);
    state_->planner.set_announcing(!state_->announced.empty());
    return {};
  }

  void leave(hypercore::ByteSpan topic) override {
    if (state_->closed) return;
    state_->discovery->leave(topic);
    state_->announced.erase(std::string(topic.begin(), topic.end()));
    state_->planner.forget_topic(topic);
    state_->planner.set_announcing(!state_->announced.empty());
  }

  void add_core(hypercore::Core& core) override {
    state_->cores.push_back(&core);
    for (auto& [peer, connection] : state_->connections) {
      state_->add_missing_cores(*peer);
      peer->flush();
    }
  }

  void close() override { state_->close(); }
  uint16_t port() const override { return state_->server->port(); }
  const PeerKey& public_key() const override { return state_->key_pair.public_key; }
  size_t connection_count() const override { return state_->connections.size(); }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace

Result<std::unique_ptr<Swarm>> Swarm::open(asio::io_context& io, SwarmOptions options) {
  const bool use_dht = options.mode != DiscoveryMode::lan;
  const bool use_mdns = options.mode != DiscoveryMode::dht;
  if (use_dht && options.bootstrap.empty()) {
    return std::unexpected(Error{errc::invalid_argument, "DHT discovery needs at least one bootstrap node"});
  }
  hypercore::KeyPair keys = options.key_pair ? *options.key_pair : hypercore::KeyPair::random();
  auto state = std::make_shared<State>(io, std::move(options), keys);

  std::weak_ptr<State> weak = state;
  auto handlers = [weak] {
    DiscoveryHandlers h;
    h.found = [weak](hypercore::ByteSpan topic, const DiscoveredPeer& peer) {
      if (auto self = weak.lock()) self->on_found(topic, peer);
    };
    h.gone = [weak](hypercore::ByteSpan topic, const DiscoveredPeer& peer) {
      if (auto self = weak.lock()) self->on_gone(topic, peer);
    };
    return h;
  };
  auto listen = [&]() -> Result<void> {
    ServerOptions server_options;
    server_options.host = state->options.host;
    server_options.port = state->options.port;
    server_options.setup = state->make_setup(std::nullopt);
    auto server = listen_tcp(io, server_options);
    if (!server) return std::unexpected(Error{errc::io_error, "swarm listener: " + server.error().to_string()});
    state->server = std::move(*server);
    return {};
  };

  std::vector<std::unique_ptr<DiscoverySource>> sources;
  if (use_dht) {
    // The DHT's UDP server socket takes the TCP listener's port number (the convention of
    // swarm_dht.cpp: our record's address is both). With an ephemeral port the UDP one may be
    // taken: listen again on another, a few times.
    constexpr int kAttempts = 8;
    for (int attempt = 1;; attempt++) {
      if (auto r = listen(); !r) return std::unexpected(r.error());
      DhtDiscoveryOptions dht_options;
      dht_options.bootstrap = state->options.bootstrap;
      dht_options.key_pair = keys;
      dht_options.host = state->options.host;
      dht_options.port = state->server->port();
      auto dht = open_dht_discovery(io, std::move(dht_options), handlers());
      if (dht) {
        sources.push_back(std::move(*dht));
        break;
      }
      state->server->stop();
      if (dht.error().code != errc::io_error || state->options.port != 0 || attempt == kAttempts) {
        return std::unexpected(Error{dht.error().code, "swarm DHT: " + dht.error().message});
      }
    }
  } else if (auto r = listen(); !r) {
    return std::unexpected(r.error());
  }

  if (use_mdns) {
    MdnsDiscoveryOptions mdns_options;
    mdns_options.public_key = keys.public_key;
    mdns_options.port = state->server->port();
    mdns_options.interfaces = state->options.interfaces;
    mdns_options.mdns_port = state->options.mdns_port;
    auto discovery = open_mdns_discovery(io, mdns_options, handlers());
    if (!discovery) {
      state->server->stop();
      for (auto& s : sources) s->close();
      return std::unexpected(Error{discovery.error().code, "swarm mDNS: " + discovery.error().message});
    }
    sources.push_back(std::move(*discovery));
  }
  state->discovery = sources.size() == 1 ? std::move(sources.front()) : combine_discovery(std::move(sources));
  return std::make_unique<SwarmImpl>(std::move(state));
}

}  // namespace net::swarm
