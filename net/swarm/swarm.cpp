// Swarm: SwarmPlanner bound to a TCP listener, TCP dials (LAN peers), the DHT source's
// DhtPeer (listen and connect by key over UDX: DHT peers), a DiscoverySource and a steady
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

#include "net/connect/dht_peer.hpp"
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

// One dial of ours. superseded: Hyperswarm's duplicate rule dropped it for a connection the
// peer made (swarm.hpp); its end is then no failure to back off from.
struct DialToken {
  PeerKey key{};
  bool dht = false;
  bool superseded = false;
};

struct DialSlot {
  std::shared_ptr<Peer> peer;  // null while a DHT connect is in progress
  std::shared_ptr<DialToken> token;
};

// A connection accepted through the DHT: its key is known from the Noise IK handshake
// before the stream opens.
struct DhtAccepted {
  PeerKey key{};
  Ipv4 address{};
  std::weak_ptr<Peer> peer;
};

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
  DhtDiscoverySource* dht = nullptr;  // inside `discovery` (modes dht, both)
  std::map<PeerKey, DialSlot> dialled;  // our dials in flight or connected
  std::map<Peer*, Connection> connections;
  std::map<Peer*, DhtAccepted> dht_accepted;  // accepted through the DHT, until closed
  std::unique_ptr<asio::steady_timer> dht_close_timer;
  std::set<std::string> announced;
  bool closed = false;
  bool withdrawn = false;  // the DHT source's unannounces ended (after close())

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

  PeerSetup make_setup(std::shared_ptr<DialToken> token) {
    PeerSetup setup = options.setup;
    setup.cores = cores;
    setup.transport.session.stream.keys.static_key_pair = key_pair;
    std::weak_ptr<State> weak = weak_from_this();
    std::optional<PeerKey> dialled_key = token ? std::optional<PeerKey>(token->key) : std::nullopt;
    setup.handlers.on_open = [weak, dialled_key](Peer& peer) {
      auto self = weak.lock();
      if (!self) return;
      Connection c;
      c.key = dialled_key;
      c.opened = true;
      if (!dialled_key) {
        if (auto a = self->dht_accepted.find(&peer); a != self->dht_accepted.end()) {
          // Through the DHT: identified (and told to the planner) when accepted.
          c.inbound = a->second.address;
          c.proven = a->second.key;
        } else {
          // The Noise handshake has not run yet, so the peer's key is not available: until
          // it is (identify_inbound), the planner can only hold the connection's source
          // address, the one fallback to address matching.
          c.inbound = remote_address(peer.remote());
          if (c.inbound) self->planner.inbound_opened(*c.inbound);
        }
      }
      self->connections[&peer] = c;
      self->add_missing_cores(peer);
      self->emit({SwarmEvent::Kind::peer_joined, dialled_key, peer.remote(), dialled_key.has_value(), std::nullopt});
      if (self->options.setup.handlers.on_open) self->options.setup.handlers.on_open(peer);
    };
    setup.handlers.on_event = [weak, dialled_key](Peer& peer, const SessionEvent& e) {
      auto self = weak.lock();
      if (!self) return;
      // Noise proves the key of whoever answered at the address discovery gave; if it
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
              if (auto d = s->dialled.find(key); d != s->dialled.end() && d->second.peer) d->second.peer->stop();
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
    setup.handlers.on_close = [weak, token](Peer& peer, const std::optional<TransportError>& error) {
      auto self = weak.lock();
      if (!self) return;
      std::optional<PeerKey> dialled_key = token ? std::optional<PeerKey>(token->key) : std::nullopt;
      std::optional<DhtAccepted> accepted;
      if (auto a = self->dht_accepted.find(&peer); a != self->dht_accepted.end()) {
        accepted = a->second;
        self->dht_accepted.erase(a);
      }
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
      if (inbound) {
        self->planner.inbound_closed(*inbound, proven, self->now());
      } else if (accepted) {
        // Ended before it opened: the planner knew it since the accept.
        self->planner.inbound_closed(accepted->address, accepted->key, self->now());
      }
      if (opened) {
        std::optional<PeerKey> key = dialled_key ? dialled_key : peer.session().remote_public_key();
        self->emit({SwarmEvent::Kind::peer_left, key, peer.remote(), dialled_key.has_value(), error});
        if (self->options.setup.handlers.on_close) self->options.setup.handlers.on_close(peer, error);
      }
      if (token) {
        // Keep the Peer alive until this handler has returned.
        if (auto d = self->dialled.find(token->key); d != self->dialled.end() && d->second.token == token) {
          asio::post(self->io, [keep = std::move(d->second.peer)] {});
          self->dialled.erase(d);
        }
        if (!self->closed && !token->superseded) self->planner.dial_ended(token->key, self->now());
      }
      self->maybe_close_dht();
      self->reschedule();
    };
    return setup;
  }

  void dial(const Dial& d) {
    if (closed || dialled.contains(d.key)) return;
    auto token = std::make_shared<DialToken>(DialToken{d.key, d.dht, false});
    if (!d.dht) {
      dialled[d.key] = DialSlot{connect_tcp(io, ipv4_text(d.address), d.port, make_setup(token)), token};
      return;
    }
    if (!dht) return;
    dialled[d.key] = DialSlot{nullptr, token};
    std::weak_ptr<State> weak = weak_from_this();
    dht->peer().connect(d.key, d.relays, make_setup(token),
                        [weak, token](TransportResult<std::shared_ptr<Peer>> r, const connect::ConnectInfo&) {
                          auto self = weak.lock();
                          if (!self || self->closed || token->superseded) {
                            if (r) (*r)->stop();
                            return;
                          }
                          auto slot = self->dialled.find(token->key);
                          bool current = slot != self->dialled.end() && slot->second.token == token;
                          if (r && current) {
                            slot->second.peer = *r;
                            return;
                          }
                          if (r) {
                            (*r)->stop();
                            return;
                          }
                          if (current) self->dialled.erase(slot);
                          self->planner.dial_ended(token->key, self->now());
                          self->reschedule();
                        });
  }

  // Hyperswarm's duplicate rule (keep_incoming_duplicate, swarm_planner.hpp), applied when
  // a connection from `key` comes in through the DHT while we have another with that key
  // (ours, dialled or still dialling, or one it made). Returns whether to keep the new
  // connection; the existing one is dropped if so.
  bool keep_accepted(const PeerKey& key) {
    Peer* existing = nullptr;
    std::shared_ptr<DialToken> existing_dial;
    if (auto d = dialled.find(key); d != dialled.end()) {
      existing = d->second.peer.get();
      existing_dial = d->second.token;
    } else {
      for (auto& [peer, a] : dht_accepted) {
        if (a.key == key && !peer->closed()) existing = peer;
      }
      for (auto& [peer, c] : connections) {
        if (!c.key && c.proven == key && !peer->closed()) existing = peer;
      }
      if (!existing) return true;
    }
    bool outdated = false;
    if (existing) {
      auto counters = existing->counters();
      outdated = counters.bytes_down > 0 && counters.bytes_up > 0;
    }
    if (!keep_incoming_duplicate(key_pair.public_key, key, outdated)) return false;
    if (existing_dial) {
      // Not a failure: the peer's connection replaces ours; the planner waits for it to end.
      existing_dial->superseded = true;
      planner.dial_succeeded(key);
      planner.dial_ended(key, now());
      auto d = dialled.find(key);
      asio::post(io, [keep = d->second.peer] {});
      dialled.erase(d);
    }
    if (existing) existing->stop();
    return true;
  }

  void on_dht_accept(const std::shared_ptr<Peer>& peer, const connect::ConnectInfo& info) {
    PeerKey key = info.remote_public_key;
    if (closed || key == key_pair.public_key || !keep_accepted(key)) {
      peer->stop();
      return;
    }
    DhtAccepted a;
    a.key = key;
    a.address = remote_address(info.remote).value_or(Ipv4{});
    a.peer = peer;
    dht_accepted[peer.get()] = a;
    planner.inbound_opened(a.address);
    planner.inbound_identified(a.address, key);
  }

  // After close(): the DhtPeer's sockets go once its connections ended and our topics were
  // unannounced (or after a bound).
  void maybe_close_dht() {
    if (!closed || !dht || !withdrawn) return;
    size_t alive = dht_accepted.size();
    for (auto& [key, slot] : dialled) alive += slot.token->dht ? 1 : 0;
    if (alive == 0) {
      if (dht_close_timer) dht_close_timer->cancel();
      dht->peer().close();
    }
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

  // "10.0.0.5:40123" (LAN), "the DHT via 10.0.0.1:49737" (the first relay of a DHT record).
  static std::string where(const DiscoveredPeer& peer) {
    if (peer.dht) {
      std::string text = "the DHT";
      if (!peer.relays.empty()) text.append(" via ").append(peer.relays.front().to_string());
      return text;
    }
    std::string host = peer.addresses.empty() ? "?" : ipv4_text(peer.addresses.front());
    return host + ":" + std::to_string(peer.port);
  }

  void on_found(hypercore::ByteSpan topic, const DiscoveredPeer& peer) {
    if (closed) return;
    emit({SwarmEvent::Kind::peer_found, peer.key, where(peer), false, std::nullopt});
    if (peer.dht) {
      planner.found_dht(topic, peer.key, peer.relays, now());
    } else {
      planner.found(topic, peer.key, peer.addresses, peer.port, now());
    }
    reschedule();
  }

  void on_gone(hypercore::ByteSpan topic, const DiscoveredPeer& peer) {
    if (closed) return;
    emit({SwarmEvent::Kind::peer_gone, peer.key, where(peer), false, std::nullopt});
    planner.gone(topic, peer.key);
    reschedule();
  }

  void close() {
    if (closed) return;
    closed = true;
    timer.cancel();
    if (dht) {
      std::weak_ptr<State> weak = weak_from_this();
      dht->withdraw([weak] {
        auto self = weak.lock();
        if (!self) return;
        self->withdrawn = true;
        self->maybe_close_dht();
      });
    }
    if (discovery) discovery->close();
    if (server) server->stop();
    if (dht) dht->peer().unlisten(key_pair.public_key);
    // Copies: close() may run handlers that erase from these maps.
    std::vector<std::shared_ptr<Peer>> peers;
    for (auto& [key, slot] : dialled) {
      if (slot.peer) peers.push_back(slot.peer);
    }
    for (auto& [raw, a] : dht_accepted) {
      if (auto p = a.peer.lock()) peers.push_back(p);
    }
    for (auto& peer : peers) peer->close();
    // Connects still in progress are dropped; the sockets close once the connections
    // through them ended, within a bound.
    for (auto it = dialled.begin(); it != dialled.end();) {
      it = it->second.peer ? std::next(it) : dialled.erase(it);
    }
    if (dht) {
      dht_close_timer = std::make_unique<asio::steady_timer>(io, std::chrono::seconds(2));
      std::weak_ptr<State> weak = weak_from_this();
      dht_close_timer->async_wait([weak](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (!ec && self && self->dht) self->dht->peer().close();
      });
      maybe_close_dht();
    }
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
    server_options.setup = state->make_setup(nullptr);
    auto server = listen_tcp(io, server_options);
    if (!server) return std::unexpected(Error{errc::io_error, "swarm listener: " + server.error().to_string()});
    state->server = std::move(*server);
    return {};
  };

  std::vector<std::unique_ptr<DiscoverySource>> sources;
  if (use_dht) {
    // The DhtPeer's UDP server socket takes the TCP listener's port number (one number to
    // open in a firewall; TCP serves --peer and LAN peers, UDP the DHT and its UDX
    // connections). With an ephemeral port the UDP one may be taken: listen again on
    // another, a few times.
    constexpr int kAttempts = 8;
    for (int attempt = 1;; attempt++) {
      if (auto r = listen(); !r) return std::unexpected(r.error());
      DhtDiscoveryOptions dht_options;
      dht_options.bootstrap = state->options.bootstrap;
      dht_options.relay_through = state->options.relay_through;
      dht_options.network_poll = state->options.network_poll;
      dht_options.key_pair = keys;
      dht_options.host = state->options.host;
      dht_options.port = state->server->port();
      auto dht = open_dht_discovery(io, std::move(dht_options), handlers());
      if (dht) {
        state->dht = dht->get();
        sources.push_back(std::move(*dht));
        break;
      }
      state->server->stop();
      if (dht.error().code != errc::io_error || state->options.port != 0 || attempt == kAttempts) {
        return std::unexpected(Error{dht.error().code, "swarm DHT: " + dht.error().message});
      }
    }
    // Reachable by key through HyperDHT's connect protocol, as a Hyperswarm server.
    state->dht->peer().listen(keys, state->make_setup(nullptr),
                              [weak](std::shared_ptr<Peer> peer, const connect::ConnectInfo& info) {
                                if (auto self = weak.lock()) {
                                  self->on_dht_accept(peer, info);
                                } else {
                                  peer->stop();
                                }
                              });
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
