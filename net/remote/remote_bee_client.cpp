#include "net/remote/remote_bee_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>

#include "hypercore/storage.hpp"
#include "net/connect/dht_peer.hpp"
#include "net/transport/tcp_transport.hpp"
#include "net/transport/websocket_transport.hpp"

namespace net {

namespace {
// How often waiting queries are stepped without an event (their deadlines).
constexpr std::chrono::milliseconds kTick{50};

RemoteQueryError failed(std::string message) {
  return RemoteQueryError{RemoteQueryErrc::request_failed, std::move(message)};
}
}  // namespace

struct RemoteBeeClient::Timers {
  explicit Timers(boost::asio::io_context& io) : tick(io), open(io) {}
  boost::asio::steady_timer tick;
  boost::asio::steady_timer open;
};

RemoteBeeClient::RemoteBeeClient(boost::asio::io_context& io, RemoteBeeClientOptions options)
    : io_(io), options_(std::move(options)), timers_(std::make_unique<Timers>(io)) {}

RemoteBeeClient::~RemoteBeeClient() {
  // The connection's handlers hold only weak references: stop it so it does not outlive us.
  if (peer_) peer_->stop();
  if (discovery_) discovery_->close();
}

void RemoteBeeClient::open(boost::asio::io_context& io, RemoteBeeClientOptions options, OpenCallback done) {
  std::shared_ptr<RemoteBeeClient> c(new RemoteBeeClient(io, std::move(options)));
  auto replica = hypercore::Core::open_replica(hypercore::make_memory_storage(), c->options_.key);
  if (!replica) {
    boost::asio::post(io, [done, e = replica.error()] { done(std::unexpected(failed("replica: " + e.to_string()))); });
    return;
  }
  c->core_ = std::shared_ptr<hypercore::Core>(std::move(*replica));
  auto opened = bee::Bee::open(c->core_, c->options_.bee);
  if (!opened) {
    boost::asio::post(io, [done, e = opened.error()] { done(std::unexpected(failed("bee: " + e.to_string()))); });
    return;
  }
  c->bee_ = std::move(*opened);
  c->open_done_ = std::move(done);
  c->self_ = c;

  PeerSetup& setup = c->setup_;
  setup.cores = {c->core_.get()};
  setup.replicator = c->options_.replicator;
  setup.transport = c->options_.transport;
  // Our open deadline reports first, naming the step it was waiting for.
  if (setup.transport.handshake_timeout <= c->options_.open_timeout) {
    setup.transport.handshake_timeout = c->options_.open_timeout + std::chrono::seconds(1);
  }
  std::weak_ptr<RemoteBeeClient> weak = c;
  // Handlers of a connection that is no longer peer_ (a failed swarm dial) are ignored.
  // The transport adds the setup's cores once the byte stream is up.
  setup.handlers.on_open = [weak](Peer& peer) {
    auto self = weak.lock();
    if (!self || &peer != self->peer_.get()) return;
    self->stream_open_ = true;
    self->remote_ = std::make_unique<RemoteBee>(*self->bee_, peer.session().replicator(0));
  };
  setup.handlers.on_event = [weak](Peer& peer, const SessionEvent& e) {
    auto self = weak.lock();
    if (self && &peer == self->peer_.get()) self->on_event(e);
  };
  setup.handlers.on_close = [weak](Peer& peer, const std::optional<TransportError>& error) {
    auto self = weak.lock();
    if (self && &peer == self->peer_.get()) self->on_close(error);
  };

  c->timers_->open.expires_after(c->options_.open_timeout);
  c->timers_->open.async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self) self->on_open_timeout();
  });

  if (const auto* tcp = std::get_if<TcpPeer>(&c->options_.peer)) {
    c->connect(tcp->host, tcp->port, false);
    return;
  }
  if (const auto* ws = std::get_if<WebSocketPeer>(&c->options_.peer)) {
    c->connect(ws->host, ws->port, true);
    return;
  }
  // The swarm: look the discovery key up (nothing announced: our key is a throwaway) and
  // dial what is found, one at a time.
  const auto& choice = std::get<SwarmDiscovery>(c->options_.peer);
  auto keys = hypercore::KeyPair::random();
  auto handlers = [weak] {
    swarm::DiscoveryHandlers h;
    h.found = [weak](hypercore::ByteSpan, const swarm::DiscoveredPeer& peer) {
      if (auto self = weak.lock()) self->on_found(peer);
    };
    return h;
  };
  std::vector<std::unique_ptr<swarm::DiscoverySource>> sources;
  auto start_failed = [&](const hypercore::Error& e) {
    for (auto& source : sources) source->close();
    RemoteQueryError error = failed("swarm: " + e.to_string());
    error.cause = e.code;
    boost::asio::post(io, [c, error] { c->finish_open(error); });
  };
  if (choice.mode != swarm::DiscoveryMode::lan) {
    swarm::DhtDiscoveryOptions dht;
    dht.bootstrap = choice.bootstrap;
    dht.relay_through = choice.relay_through;
    dht.key_pair = keys;
    if (dht.bootstrap.empty()) {
      start_failed({hypercore::errc::invalid_argument,
                    "the DHT needs bootstrap nodes (net::swarm::kPublicBootstrap are the public ones)"});
      return;
    }
    auto source = swarm::open_dht_discovery(io, std::move(dht), handlers());
    if (!source) return start_failed(source.error());
    c->dht_ = source->get();
    sources.push_back(std::move(*source));
  }
  if (choice.mode != swarm::DiscoveryMode::dht) {
    swarm::MdnsDiscoveryOptions mdns;
    mdns.public_key = keys.public_key;
    mdns.interfaces = choice.interfaces;
    mdns.mdns_port = choice.mdns_port;
    auto source = swarm::open_mdns_discovery(io, std::move(mdns), handlers());
    if (!source) return start_failed(source.error());
    sources.push_back(std::move(*source));
  }
  c->discovery_ = sources.size() == 1 ? std::move(sources[0]) : swarm::combine_discovery(std::move(sources));
  if (auto joined = c->discovery_->join(c->core_->discovery_key(), {.announce = false, .lookup = true}); !joined) {
    start_failed(joined.error());
  }
}

void RemoteBeeClient::connect(const std::string& host, uint16_t port, bool websocket) {
  where_ = (websocket ? "ws://" : "") + host + ":" + std::to_string(port);
  stream_open_ = channel_open_ = false;
  remote_.reset();
  peer_ = websocket ? connect_websocket(io_, host, port, setup_) : connect_tcp(io_, host, port, setup_);
}

void RemoteBeeClient::connect_dht(const Candidate& candidate) {
  where_ = "peer " + hypercore::to_hex(*candidate.dht_key) + " on the DHT";
  stream_open_ = channel_open_ = false;
  remote_.reset();
  uint64_t dial = dht_dial_ = ++dht_dials_;
  std::weak_ptr<RemoteBeeClient> weak = shared_from_this();
  dht_->peer().connect(*candidate.dht_key, candidate.relays, setup_,
                       [weak, dial](TransportResult<std::shared_ptr<Peer>> r, const connect::ConnectInfo& info) {
                         auto self = weak.lock();
                         if (!self || self->dht_dial_ != dial || self->state_ != State::connecting) {
                           if (r) (*r)->stop();
                           return;
                         }
                         self->dht_dial_ = 0;
                         if (!r) {
                           self->last_failure_ = self->where_ + ": " + r.error().to_string();
                           self->dial_next();
                           return;
                         }
                         // Its handlers (on_open next) recognise it as peer_.
                         self->peer_ = *r;
                         self->where_ += " (" + info.remote + ")";
                       });
}

void RemoteBeeClient::on_found(const swarm::DiscoveredPeer& peer) {
  if (state_ != State::connecting) return;
  Candidate candidate;
  if (peer.dht) {
    if (!dht_) return;
    candidate.dht_key = peer.key;
    candidate.relays = peer.relays;
  } else {
    if (peer.addresses.empty() || peer.port == 0) return;
    const auto& a = peer.addresses.front();
    candidate.host =
        std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." + std::to_string(a[3]);
    candidate.port = peer.port;
  }
  auto known = [&](const auto& list) { return std::find(list.begin(), list.end(), candidate) != list.end(); };
  if (known(candidates_) || known(dialled_)) return;
  candidates_.push_back(std::move(candidate));
  if (!peer_ && dht_dial_ == 0) dial_next();
}

void RemoteBeeClient::dial_next() {
  if (candidates_.empty()) return;
  auto next = candidates_.front();
  candidates_.erase(candidates_.begin());
  dialled_.push_back(next);
  if (next.dht_key) {
    connect_dht(next);
  } else {
    connect(next.host, next.port, false);
  }
}

void RemoteBeeClient::on_open_timeout() {
  if (state_ != State::connecting) return;
  std::string within = " within " + std::to_string(options_.open_timeout.count()) + " ms";
  RemoteQueryError error{RemoteQueryErrc::request_timeout, ""};
  if (!peer_ && dht_dial_ != 0) {
    error.message = "connecting to " + where_ + ": no handshake reply" + within;
    error.cause = hypercore::errc::io_error;
  } else if (!peer_ && !dialled_.empty()) {
    error.message = "no peer found on " + to_string(options_.peer) + " could be reached" + within;
    error.cause = hypercore::errc::io_error;
  } else if (!peer_) {
    error.message = "no peer announcing discovery key " + hypercore::to_hex(core_->discovery_key()) + " found on " +
                    to_string(options_.peer) + within;
    error.cause = hypercore::errc::not_found;
  } else if (!stream_open_) {
    error.message = "connecting to " + where_ + ": no connection" + within;
    error.cause = hypercore::errc::io_error;
  } else if (!peer_->session().handshake_complete()) {
    error.message = "no Noise handshake with " + where_ + within;
    error.cause = hypercore::errc::io_error;
  } else if (!channel_open_) {
    error.message = "the peer at " + where_ + " did not open the core" + within + " (does it have this key?)";
    error.cause = hypercore::errc::not_found;
  } else {
    error.message = "the peer at " + where_ + " did not send its length" + within;
    error.cause = hypercore::errc::block_not_available;
  }
  if (last_failure_) error.message += "; earlier: " + *last_failure_;
  finish_open(std::move(error));
}

void RemoteBeeClient::finish_open(std::optional<RemoteQueryError> error) {
  if (state_ != State::connecting) return;
  timers_->open.cancel();
  // Discovery was only for finding this peer.
  if (discovery_) discovery_->close();
  candidates_.clear();
  OpenCallback done = std::move(open_done_);
  auto self = shared_from_this();
  if (error) {
    state_ = State::closed;
    if (peer_) peer_->stop();
    if (dht_) boost::asio::post(io_, [self, dht = dht_] { dht->peer().close(); });
    self_.reset();
    if (done) done(std::unexpected(std::move(*error)));
    return;
  }
  state_ = State::open;
  self_.reset();  // from here on the caller's shared_ptr keeps the client
  if (done) done(self);
}

void RemoteBeeClient::on_event(const SessionEvent& e) {
  if (e.core == SessionEvent::kSessionEvent || !remote_) return;  // a session failure ends in on_close
  remote_->on_event(e.event);
  if (e.event.kind == ReplicatorEvent::Kind::opened) channel_open_ = true;
  // Open once the peer's length is known: it grew ours, or its sync says it has nothing
  // we lack (an empty bee never upgrades).
  bool known = e.event.kind == ReplicatorEvent::Kind::upgraded ||
               (e.event.kind == ReplicatorEvent::Kind::synced && e.event.value <= core_->length());
  if (state_ == State::connecting && known) finish_open(std::nullopt);
  post_step();
}

void RemoteBeeClient::on_close(const std::optional<TransportError>& error) {
  // "connect_failed: 127.0.0.1:9000: Connection refused": the transport's code first, so a
  // tool can print the message as the failure's line (bee query does).
  std::string why = error ? std::string(errc_name(error->code)) + ": " + where_ + ": " + error->message
                          : where_ + ": the connection closed";
  // The transport's code (to_hypercore_error: io_error); stop() and clean closes are `closed`.
  std::error_code cause = !error || error->code == TransportErrc::stopped ? make_error_code(hypercore::errc::closed)
                                                                          : error->error_code();
  auto keep = shared_from_this();
  if (state_ == State::connecting) {
    // A swarm dial that failed: try the next peer found (now or later) until the deadline.
    if (discovery_) {
      last_failure_ = why;
      // Released on the next turn: this handler runs inside that connection.
      boost::asio::post(io_, [old = std::move(peer_)] {});
      remote_.reset();
      dial_next();
      return;
    }
    RemoteQueryError e = failed(why);
    e.cause = error ? error->error_code() : make_error_code(hypercore::errc::closed);
    finish_open(std::move(e));
  }
  state_ = State::closed;
  timers_->tick.cancel();
  // The DHT's sockets carried only this connection: close them so the loop can end.
  if (dht_) {
    boost::asio::post(io_, [keep, dht = dht_] { dht->peer().close(); });
  }
  std::vector<Running> running = std::move(running_);
  running_.clear();
  for (auto& r : running) {
    RemoteQueryError e = failed(why);
    e.cause = cause;
    r.done(std::unexpected(std::move(e)), *r.query);
  }
  self_.reset();
}

void RemoteBeeClient::run_query(std::unique_ptr<RemoteQuery> query, QueryCallback done) {
  auto keep = shared_from_this();
  if (state_ != State::open) {
    std::shared_ptr<RemoteQuery> q(std::move(query));
    boost::asio::post(io_, [keep, q, done = std::move(done)] {
      RemoteQueryError e = failed("the connection is not open");
      e.cause = hypercore::errc::closed;
      done(std::unexpected(std::move(e)), *q);
    });
    return;
  }
  running_.push_back(Running{std::move(query), std::move(done)});
  // Step on the next turn of the loop: a completion never runs inside the call that asked.
  post_step();
  schedule_tick();
}

// One step of every query once the events of one read from the socket (or the queries
// started in one turn) have all arrived, not one per event: a step re-runs each waiting
// query's read, so stepping per event costs O(queries) per block (500 concurrent gets in
// bench/replication_bench.cpp took 2.6x as long, debug build). step_all() flushes what it
// requests.
void RemoteBeeClient::post_step() {
  if (step_posted_) return;
  step_posted_ = true;
  std::weak_ptr<RemoteBeeClient> weak = shared_from_this();
  boost::asio::post(io_, [weak] {
    auto self = weak.lock();
    if (!self) return;
    self->step_posted_ = false;
    self->step_all();
  });
}

void RemoteBeeClient::step_all() {
  if (stepping_ || state_ != State::open) return;
  stepping_ = true;
  auto now = Clock::now();
  std::vector<Running> finished;
  std::vector<std::optional<RemoteQueryError>> outcomes;
  for (size_t i = 0; i < running_.size();) {
    auto s = running_[i].query->step(now);
    if (s && *s == RemoteQuery::State::waiting) {
      i++;
      continue;
    }
    outcomes.push_back(s ? std::nullopt : std::optional<RemoteQueryError>(s.error()));
    finished.push_back(std::move(running_[i]));
    running_.erase(running_.begin() + long(i));
  }
  stepping_ = false;
  if (peer_) peer_->flush();  // requests made here are not inside a transport handler
  auto keep = shared_from_this();
  for (size_t i = 0; i < finished.size(); i++) {
    if (outcomes[i]) {
      finished[i].done(std::unexpected(*outcomes[i]), *finished[i].query);
    } else {
      finished[i].done({}, *finished[i].query);
    }
  }
}

void RemoteBeeClient::schedule_tick() {
  if (state_ != State::open || running_.empty()) return;
  std::weak_ptr<RemoteBeeClient> weak = shared_from_this();
  timers_->tick.expires_after(kTick);
  timers_->tick.async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->step_all();
    self->schedule_tick();
  });
}

RemoteQueryOptions RemoteBeeClient::with_deadline(RemoteQueryOptions options) const {
  if (!options.deadline) options.deadline = Clock::now() + options_.query_timeout;
  return options;
}

uint64_t RemoteBeeClient::version() const { return core_ ? core_->length() : 0; }

PeerCounters RemoteBeeClient::counters() const { return peer_ ? peer_->counters() : PeerCounters{}; }

uint64_t RemoteBeeClient::blocks_held() const {
  uint64_t n = 0;
  for (uint64_t i = 0; i < core_->length(); i++) n += core_->has(i);
  return n;
}

void RemoteBeeClient::close() {
  if (peer_ && !peer_->closed()) peer_->close();
}

}  // namespace net
