#include "net/remote_bee_client.hpp"

#include <boost/asio/post.hpp>

#include "hypercore/storage.hpp"
#include "net/tcp_transport.hpp"
#include "net/websocket_transport.hpp"

namespace net {

namespace {
// How often waiting queries are stepped without an event (their deadlines).
constexpr std::chrono::milliseconds kTick{50};

RemoteQueryError failed(std::string message) {
  return RemoteQueryError{RemoteQueryErrc::request_failed, std::move(message)};
}
}  // namespace

RemoteBeeClient::RemoteBeeClient(boost::asio::io_context& io, RemoteBeeClientOptions options)
    : io_(io), options_(std::move(options)), tick_timer_(io), open_timer_(io) {}

RemoteBeeClient::~RemoteBeeClient() {
  // The connection's handlers hold only weak references: stop it so it does not outlive us.
  if (peer_) peer_->stop();
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

  PeerSetup setup;
  setup.cores = {c->core_.get()};
  setup.replicator = c->options_.replicator;
  setup.transport = c->options_.transport;
  std::weak_ptr<RemoteBeeClient> weak = c;
  // The transport adds the setup's cores once the byte stream is up.
  setup.handlers.on_open = [weak](Peer& peer) {
    if (auto self = weak.lock()) self->remote_ = std::make_unique<RemoteBee>(*self->bee_, peer.session().replicator(0));
  };
  setup.handlers.on_event = [weak](Peer&, const SessionEvent& e) {
    if (auto self = weak.lock()) self->on_event(e);
  };
  setup.handlers.on_close = [weak](Peer&, const std::optional<TransportError>& error) {
    if (auto self = weak.lock()) self->on_close(error);
  };
  c->peer_ = c->options_.websocket ? connect_websocket(io, c->options_.host, c->options_.port, std::move(setup))
                                   : connect_tcp(io, c->options_.host, c->options_.port, std::move(setup));
  c->open_timer_.expires_after(c->options_.open_timeout);
  c->open_timer_.async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->state_ != State::connecting) return;
    self->finish_open(RemoteQueryError{RemoteQueryErrc::request_timeout,
                                       "the peer did not open the core within " +
                                           std::to_string(self->options_.open_timeout.count()) + " ms"});
  });
}

void RemoteBeeClient::finish_open(std::optional<RemoteQueryError> error) {
  if (state_ != State::connecting) return;
  open_timer_.cancel();
  OpenCallback done = std::move(open_done_);
  auto self = shared_from_this();
  if (error) {
    state_ = State::closed;
    if (peer_) peer_->stop();
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
  if (state_ == State::connecting && e.event.kind == ReplicatorEvent::Kind::upgraded) finish_open(std::nullopt);
  step_all();
}

void RemoteBeeClient::on_close(const std::optional<TransportError>& error) {
  std::string why = error ? error->to_string() : std::string("the connection closed");
  auto keep = shared_from_this();
  if (state_ == State::connecting) finish_open(failed(why));
  state_ = State::closed;
  tick_timer_.cancel();
  std::vector<Running> running = std::move(running_);
  running_.clear();
  for (auto& r : running) r.done(std::unexpected(failed(why)), *r.query);
  self_.reset();
}

void RemoteBeeClient::run_query(std::unique_ptr<RemoteQuery> query, QueryCallback done) {
  auto keep = shared_from_this();
  if (state_ != State::open) {
    std::shared_ptr<RemoteQuery> q(std::move(query));
    boost::asio::post(io_, [keep, q, done = std::move(done)] {
      done(std::unexpected(failed("the connection is not open")), *q);
    });
    return;
  }
  running_.push_back(Running{std::move(query), std::move(done)});
  // Step on the next turn of the loop: a completion never runs inside the call that asked.
  boost::asio::post(io_, [keep] { keep->step_all(); });
  schedule_tick();
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
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([weak](boost::system::error_code ec) {
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
