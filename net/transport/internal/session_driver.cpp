// The coroutines behind every transport (see transport.hpp for the contract). Only the
// error_code forms of Asio operations are used (redirect_error: Boost 1.74 has no
// as_tuple), so no exception leaves a coroutine for an I/O failure.
#include "net/transport/internal/session_driver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <set>

namespace net {

const char* errc_name(TransportErrc e) {
  switch (e) {
    case TransportErrc::listen_failed: return "listen_failed";
    case TransportErrc::connect_failed: return "connect_failed";
    case TransportErrc::handshake_timeout: return "handshake_timeout";
    case TransportErrc::idle_timeout: return "idle_timeout";
    case TransportErrc::io_error: return "io_error";
    case TransportErrc::session_failed: return "session_failed";
    case TransportErrc::stopped: return "stopped";
  }
  return "unknown";
}

const std::error_category& transport_category() {
  static const hypercore::ErrcCategory<TransportErrc> category("transport");
  return category;
}

}  // namespace net

namespace net::detail {

namespace {

using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;

class Connection : public Peer, public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, std::unique_ptr<ByteStream> stream, NoiseRole role, PeerSetup setup)
      : io_(io),
        stream_(std::move(stream)),
        setup_(std::move(setup)),
        session_(role, setup_.transport.session),
        wake_(io),
        watchdog_(io) {}

  void start() {
    started_ = Clock::now();
    last_read_ = started_;
    last_write_ = started_;
    auto self = shared_from_this();
    asio::co_spawn(io_, [self]() { return self->run(); }, asio::detached);
    asio::co_spawn(io_, [self]() { return self->watch(); }, asio::detached);
  }

  PeerSession& session() override { return session_; }
  PeerCounters counters() const override {
    PeerCounters c = counters_;
    for (size_t i = 0; i < session_.core_count(); i++) {
      const ReplicatorCounters& r = session_.replicator(i).counters();
      c.blocks_down += r.blocks_down;
      c.block_bytes_down += r.block_bytes_down;
      c.blocks_up += r.blocks_up;
      c.block_bytes_up += r.block_bytes_up;
      c.upgrades += r.upgrades;
    }
    return c;
  }
  const std::string& remote() const override { return remote_; }
  bool closed() const override { return closed_; }

  void close() override {
    if (closed_ || closing_) return;
    closing_ = true;
    session_.close();
    wake_.cancel();
    // Not yet open: nothing to flush.
    if (!open_) shutdown(std::nullopt);
  }

  void stop() override { shutdown(TransportError{TransportErrc::stopped, "stopped"}); }

  void flush() override { wake_.cancel(); }

  // Ends the connection once; on_close is posted so that it never runs inside a handler.
  void shutdown(std::optional<TransportError> error) {
    if (closed_) return;
    closed_ = true;
    stream_->close();
    wake_.cancel();
    watchdog_.cancel();
    auto self = shared_from_this();
    asio::post(io_, [self, error = std::move(error)]() {
      if (self->setup_.handlers.on_close) self->setup_.handlers.on_close(*self, error);
      // Handlers may hold references into the setup; drop them now to break cycles.
      self->setup_.handlers = {};
    });
  }

 private:
  awaitable<void> run() {
    error_code ec;
    co_await stream_->open(ec);
    if (closed_) co_return;
    if (ec) {
      shutdown(TransportError{TransportErrc::connect_failed, ec.message()});
      co_return;
    }
    open_ = true;
    remote_ = stream_->remote();
    last_read_ = Clock::now();
    for (auto* core : setup_.cores) session_.add_core(*core, setup_.replicator, Clock::now());
    if (setup_.handlers.on_open) setup_.handlers.on_open(*this);
    if (closed_) co_return;
    auto self = shared_from_this();
    asio::co_spawn(io_, [self]() { return self->read_loop(); }, asio::detached);
    co_await write_loop();
  }

  awaitable<void> read_loop() {
    std::array<uint8_t, 65536> buffer;
    while (!closed_) {
      error_code ec;
      size_t n = co_await stream_->read_some(asio::buffer(buffer), ec);
      if (closed_) co_return;
      if (ec) {
        // EOF after a handshake is the peer's way to end; anything else is a failure.
        bool clean = (ec == asio::error::eof || ec == asio::error::connection_reset) && session_.handshake_complete();
        shutdown(clean ? std::nullopt
                       : std::optional<TransportError>(TransportError{TransportErrc::io_error, ec.message()}));
        co_return;
      }
      counters_.bytes_down += n;
      last_read_ = Clock::now();
      session_.feed(ByteSpan(buffer.data(), n), last_read_);
      dispatch_events();
      if (check_failed()) co_return;
      wake_.cancel();
    }
  }

  awaitable<void> write_loop() {
    while (!closed_) {
      session_.tick(Clock::now());
      dispatch_events();
      if (check_failed()) co_return;
      Bytes out = session_.take_output();
      const auto keepalive = setup_.transport.keepalive;
      if (out.empty() && keepalive.count() > 0 && session_.handshake_complete() && !closing_ &&
          Clock::now() - last_write_ >= keepalive) {
        session_.send_keepalive();
        if (check_failed()) co_return;
        out = session_.take_output();
      }
      if (!out.empty()) {
        error_code ec;
        writing_ = true;
        write_started_ = Clock::now();
        co_await stream_->write(asio::buffer(out), ec);
        writing_ = false;
        last_write_ = Clock::now();
        if (closed_) co_return;
        if (ec) {
          shutdown(TransportError{TransportErrc::io_error, "write: " + ec.message()});
          co_return;
        }
        counters_.bytes_up += out.size();
        continue;
      }
      if (closing_) {
        shutdown(std::nullopt);
        co_return;
      }
      error_code ec;
      wake_.expires_after(setup_.transport.tick_interval);
      co_await wake_.async_wait(redirect_error(use_awaitable, ec));
    }
  }

  // Enforces the deadlines of every other wait.
  awaitable<void> watch() {
    const auto& t = setup_.transport;
    auto period = std::min(t.tick_interval, std::chrono::milliseconds(1000));
    while (!closed_) {
      error_code ec;
      watchdog_.expires_after(period);
      co_await watchdog_.async_wait(redirect_error(use_awaitable, ec));
      if (closed_) co_return;
      auto now = Clock::now();
      if (!session_.handshake_complete() && now - started_ > t.handshake_timeout) {
        shutdown(TransportError{TransportErrc::handshake_timeout,
                                open_ ? "no Noise handshake within the deadline" : "not connected within the deadline"});
      } else if (open_ && now - last_read_ > t.idle_timeout) {
        shutdown(TransportError{TransportErrc::idle_timeout, "nothing received within the deadline"});
      } else if (writing_ && now - write_started_ > t.idle_timeout) {
        shutdown(TransportError{TransportErrc::idle_timeout, "a write did not complete within the deadline"});
      }
    }
  }

  void dispatch_events() {
    for (auto& e : session_.take_events()) {
      if (setup_.handlers.on_event) setup_.handlers.on_event(*this, e);
      if (closed_) return;
    }
  }

  bool check_failed() {
    if (closed_) return true;
    if (!session_.failed()) return false;
    shutdown(TransportError{TransportErrc::session_failed, session_.error()->to_string()});
    return true;
  }

  asio::io_context& io_;
  std::unique_ptr<ByteStream> stream_;
  PeerSetup setup_;
  PeerSession session_;
  asio::steady_timer wake_;
  asio::steady_timer watchdog_;
  PeerCounters counters_;  // wire bytes; the rest comes from the replicators
  std::string remote_;
  bool open_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool writing_ = false;
  TimePoint started_{};
  TimePoint last_read_{};
  TimePoint write_started_{};
  TimePoint last_write_{};  // the last write's end (keepalive)
};

class Listener : public Server, public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, ServerOptions options, StreamFactory factory)
      : io_(io), options_(std::move(options)), factory_(std::move(factory)), acceptor_(io) {}

  TransportResult<void> listen() {
    error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return std::unexpected(TransportError{TransportErrc::listen_failed, options_.host + ": " + ec.message()});
    asio::ip::tcp::endpoint endpoint(address, options_.port);
    auto where = options_.host + ":" + std::to_string(options_.port);
    if (acceptor_.open(endpoint.protocol(), ec); ec) return fail(where, ec);
    if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec); ec) return fail(where, ec);
    if (acceptor_.bind(endpoint, ec); ec) return fail(where, ec);
    if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) return fail(where, ec);
    port_ = acceptor_.local_endpoint(ec).port();
    if (ec) return fail(where, ec);
    auto self = shared_from_this();
    asio::co_spawn(io_, [self]() { return self->accept_loop(); }, asio::detached);
    return {};
  }

  uint16_t port() const override { return port_; }
  const std::string& host() const override { return options_.host; }
  size_t peer_count() const override {
    size_t n = 0;
    for (const auto& p : peers_) n += p.expired() ? 0 : 1;
    return n;
  }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    error_code ec;
    acceptor_.close(ec);
    auto peers = std::move(peers_);
    for (auto& weak : peers) {
      if (auto p = weak.lock()) p->stop();
    }
  }

 private:
  static std::unexpected<TransportError> fail(const std::string& where, const error_code& ec) {
    return std::unexpected(TransportError{TransportErrc::listen_failed, where + ": " + ec.message()});
  }

  awaitable<void> accept_loop() {
    while (!stopped_) {
      error_code ec;
      auto socket = co_await acceptor_.async_accept(redirect_error(use_awaitable, ec));
      if (stopped_) co_return;
      if (ec) {
        // Out of descriptors and the like: back off briefly rather than spin.
        asio::steady_timer pause(io_, std::chrono::milliseconds(100));
        co_await pause.async_wait(redirect_error(use_awaitable, ec));
        continue;
      }
      auto stream = factory_(std::move(socket));
      auto peer = std::make_shared<Connection>(io_, std::move(stream), NoiseRole::responder, options_.setup);
      std::erase_if(peers_, [](const auto& w) { return w.expired(); });
      peers_.push_back(peer);
      peer->start();
    }
  }

  asio::io_context& io_;
  ServerOptions options_;
  StreamFactory factory_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  bool stopped_ = false;
  std::vector<std::weak_ptr<Connection>> peers_;
};

// The handle the caller owns: stops the listener when dropped.
class ServerHandle : public Server {
 public:
  explicit ServerHandle(std::shared_ptr<Listener> listener) : listener_(std::move(listener)) {}
  ~ServerHandle() override { listener_->stop(); }
  uint16_t port() const override { return listener_->port(); }
  const std::string& host() const override { return listener_->host(); }
  void stop() override { listener_->stop(); }
  size_t peer_count() const override { return listener_->peer_count(); }

 private:
  std::shared_ptr<Listener> listener_;
};

}  // namespace

std::shared_ptr<Peer> start_peer(asio::io_context& io, std::unique_ptr<ByteStream> stream, NoiseRole role,
                                 PeerSetup setup) {
  auto peer = std::make_shared<Connection>(io, std::move(stream), role, std::move(setup));
  peer->start();
  return peer;
}

TransportResult<std::unique_ptr<Server>> start_server(asio::io_context& io, ServerOptions options,
                                                      StreamFactory factory) {
  auto listener = std::make_shared<Listener>(io, std::move(options), std::move(factory));
  auto listening = listener->listen();
  if (!listening) return std::unexpected(listening.error());
  return std::make_unique<ServerHandle>(std::move(listener));
}

std::string endpoint_text(const asio::ip::tcp::socket& socket) {
  error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "?";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace net::detail
