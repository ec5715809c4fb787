// A remote bee over one connection, with asynchronous queries in Asio's completion-token
// style (STYLE.md rule 5): async_open finds the peer (an address, TCP or WebSocket, or the
// swarm by the key's discovery key: peer_source.hpp), opens a sparse in-memory replica of
// the bee by its key and completes once the peer's length is known (at once for an empty
// bee); async_get / async_range / async_history then run RemoteQuery (remote_bee.hpp),
// which fetches only the blocks each read walks, each verified before use.
//
//   options.peer = net::TcpPeer{"127.0.0.1", 9000};   // or WebSocketPeer, SwarmDiscovery
//   auto client = co_await net::async_open_remote_bee(io, options, asio::use_awaitable);
//   auto entry = co_await (*client)->async_get(key, {}, asio::use_awaitable);
//
// Completion signatures carry one std::expected (no exception is thrown through a token):
//   open:    void(std::expected<std::shared_ptr<RemoteBeeClient>, RemoteQueryError>)
//   get:     void(std::expected<GetResult, RemoteQueryError>)
//   range:   void(std::expected<RangeResult, RemoteQueryError>)
//   history: void(std::expected<HistoryResult, RemoteQueryError>)
// Each query has its own deadline (RemoteQueryOptions::deadline, or `timeout` here), and
// wait=false fails at once with block_not_available. A connection that ends fails every
// query in flight with request_failed. Results are at the replica's version when the query
// starts; the replica follows the peer's appends (live). For a blocking API returning
// hypercore::Result, see remote_database.hpp.
//
// Threading: everything runs on the io_context's thread; call the client from it. Handlers
// are invoked through their associated executor (default: the io_context's). The client
// keeps itself alive until async_open completes; then the caller's shared_ptr does:
// dropping the last one stops the connection, and queries still in flight are abandoned
// (their handlers are not called). close() ends the connection and fails them.
#pragma once

#include <utility>  // before Asio (STYLE.md: Boost 1.74's awaitable.hpp needs it)

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bee/bee.hpp"
#include "net/peer_source.hpp"
#include "net/remote_bee.hpp"
#include "net/swarm_discovery.hpp"
#include "net/transport.hpp"

namespace net {

struct RemoteBeeClientOptions {
  // Where the bee is served: TcpPeer{host, port}, WebSocketPeer{host, port} or SwarmDiscovery
  // (peer_source.hpp). Default TcpPeer on 127.0.0.1 without a port: set one.
  PeerSource peer = TcpPeer{};
  hypercore::Hash key{};  // the bee's core key
  // Discovery (SwarmDiscovery), connect, handshake and the peer's first length, together; the
  // transport's handshake_timeout is raised above it so that this deadline reports (and
  // names the step it was waiting for). Default 20 s.
  std::chrono::milliseconds open_timeout{20000};
  // Default deadline of a query that sets none in its RemoteQueryOptions. Default 20 s.
  std::chrono::milliseconds query_timeout{20000};
  ReplicatorOptions replicator{};
  TransportOptions transport{};
  bee::BeeOptions bee{};  // cache size, encodings of the local Bee over the replica
};

struct GetResult {
  std::optional<bee::Entry> entry;  // nullopt: no such key
  RemoteQueryStats stats;
  uint64_t version = 0;
};
struct RangeResult {
  std::vector<bee::Entry> entries;
  RemoteQueryStats stats;
  uint64_t version = 0;
};
struct HistoryResult {
  std::vector<bee::HistoryEntry> entries;
  RemoteQueryStats stats;
  uint64_t version = 0;
};

class RemoteBeeClient : public std::enable_shared_from_this<RemoteBeeClient> {
 public:
  using OpenCallback = std::function<void(std::expected<std::shared_ptr<RemoteBeeClient>, RemoteQueryError>)>;
  using QueryCallback = std::function<void(std::expected<void, RemoteQueryError>, RemoteQuery&)>;

  ~RemoteBeeClient();
  RemoteBeeClient(const RemoteBeeClient&) = delete;
  RemoteBeeClient& operator=(const RemoteBeeClient&) = delete;

  // Callback forms; the async_ templates below wrap them. `query` is one of engine()'s.
  static void open(boost::asio::io_context& io, RemoteBeeClientOptions options, OpenCallback done);
  void run_query(std::unique_ptr<RemoteQuery> query, QueryCallback done);

  template <class Token>
  auto async_get(bee::Bytes key, RemoteQueryOptions options, Token&& token);
  template <class Token>
  auto async_range(bee::Range range, RemoteQueryOptions options, Token&& token);
  template <class Token>
  auto async_history(bee::HistoryRange range, RemoteQueryOptions options, Token&& token);

  uint64_t version() const;  // the replica's length (the peer's, as far as known)
  bee::Bee& bee() { return *bee_; }
  hypercore::Core& core() { return *core_; }
  RemoteBee& engine() { return *remote_; }
  // The connection's counters (wire bytes, blocks down).
  PeerCounters counters() const;
  // Blocks the replica holds (what the queries so far downloaded, header included).
  uint64_t blocks_held() const;
  bool is_open() const { return state_ == State::open; }
  // Ends the connection; queries in flight fail with request_failed.
  void close();

 private:
  enum class State { connecting, open, closed };
  struct Running {
    std::unique_ptr<RemoteQuery> query;
    QueryCallback done;
  };
  RemoteBeeClient(boost::asio::io_context& io, RemoteBeeClientOptions options);
  void connect(const std::string& host, uint16_t port, bool websocket);
  void on_found(const swarm::DiscoveredPeer& peer);
  void dial_next();
  void on_event(const SessionEvent& e);
  void on_close(const std::optional<TransportError>& error);
  void on_open_timeout();
  void step_all();
  void schedule_tick();
  void finish_open(std::optional<RemoteQueryError> error);
  RemoteQueryOptions with_deadline(RemoteQueryOptions options) const;

  boost::asio::io_context& io_;
  RemoteBeeClientOptions options_;
  std::shared_ptr<hypercore::Core> core_;
  std::unique_ptr<bee::Bee> bee_;
  std::shared_ptr<Peer> peer_;
  std::string where_;  // peer_'s address, for messages
  PeerSetup setup_;    // what every dial (several with SwarmDiscovery) uses
  std::unique_ptr<swarm::DiscoverySource> discovery_;  // SwarmDiscovery, until open
  std::vector<std::pair<std::string, uint16_t>> candidates_;  // found, not yet dialled
  std::vector<std::pair<std::string, uint16_t>> dialled_;
  std::optional<std::string> last_failure_;  // of a dial that failed before open
  bool stream_open_ = false;
  bool channel_open_ = false;
  std::unique_ptr<RemoteBee> remote_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer open_timer_;
  std::shared_ptr<RemoteBeeClient> self_;  // keeps the client alive while async_open runs
  OpenCallback open_done_;
  State state_ = State::connecting;
  std::vector<Running> running_;
  bool stepping_ = false;
};

// Completes with the client once the peer's length is known: its first upgrade, or its
// sync when it has nothing we lack (an empty bee). Errors: a refused connect, a closed
// connection or a failed handshake as request_failed (cause io_error; the message names
// the address); a swarm that cannot start (bad bootstrap list, no multicast interface) as
// request_failed with cause invalid_argument or io_error; the open deadline as
// request_timeout naming the step it was waiting for (cause io_error while connecting or
// in the handshake, not_found when no peer was found or the peer never opened the core,
// block_not_available while waiting for its length).
template <class Token>
auto async_open_remote_bee(boost::asio::io_context& io, RemoteBeeClientOptions options, Token&& token) {
  using Result = std::expected<std::shared_ptr<RemoteBeeClient>, RemoteQueryError>;
  return boost::asio::async_initiate<Token, void(Result)>(
      [&io](auto handler, RemoteBeeClientOptions opts) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        RemoteBeeClient::open(io, std::move(opts), [h, &io](Result r) {
          auto ex = boost::asio::get_associated_executor(*h, io.get_executor());
          boost::asio::dispatch(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
        });
      },
      token, std::move(options));
}

namespace detail {
// Runs `query` on `client` and completes `token` with make(query) or the query's error.
template <class Value, class Token, class Make>
auto async_run(RemoteBeeClient& client, boost::asio::io_context& io, std::unique_ptr<RemoteQuery> query, Make make,
               Token&& token) {
  using Result = std::expected<Value, RemoteQueryError>;
  return boost::asio::async_initiate<Token, void(Result)>(
      [&client, &io, make](auto handler, std::unique_ptr<RemoteQuery> q) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        client.run_query(std::move(q), [h, &io, make](std::expected<void, RemoteQueryError> status, RemoteQuery& done) {
          Result r = status ? Result(make(done)) : Result(std::unexpected(status.error()));
          auto ex = boost::asio::get_associated_executor(*h, io.get_executor());
          boost::asio::dispatch(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
        });
      },
      token, std::move(query));
}
}  // namespace detail

template <class Token>
auto RemoteBeeClient::async_get(bee::Bytes key, RemoteQueryOptions options, Token&& token) {
  auto q = remote_->get(key, with_deadline(options));
  return detail::async_run<GetResult>(
      *this, io_, std::move(q),
      [](RemoteQuery& done) { return GetResult{done.entry(), done.stats(), done.version()}; },
      std::forward<Token>(token));
}

template <class Token>
auto RemoteBeeClient::async_range(bee::Range range, RemoteQueryOptions options, Token&& token) {
  auto q = remote_->range(range, with_deadline(options));
  return detail::async_run<RangeResult>(
      *this, io_, std::move(q),
      [](RemoteQuery& done) { return RangeResult{done.entries(), done.stats(), done.version()}; },
      std::forward<Token>(token));
}

template <class Token>
auto RemoteBeeClient::async_history(bee::HistoryRange range, RemoteQueryOptions options, Token&& token) {
  auto q = remote_->history(range, with_deadline(options));
  return detail::async_run<HistoryResult>(
      *this, io_, std::move(q),
      [](RemoteQuery& done) { return HistoryResult{done.history(), done.stats(), done.version()}; },
      std::forward<Token>(token));
}

}  // namespace net
