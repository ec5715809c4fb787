// The Asio completion-token forms of RemoteBeeClient (remote_bee_client.hpp):
// async_open_remote_bee, and the client's async_get / async_range / async_history.
//
//   auto client = co_await net::async_open_remote_bee(io, options, asio::use_awaitable);
//   auto entry = co_await (*client)->async_get(key, {}, asio::use_awaitable);
//
// Completion signatures carry one std::expected (no exception is thrown through a token):
//   open:    void(std::expected<std::shared_ptr<RemoteBeeClient>, RemoteQueryError>)
//   get:     void(std::expected<GetResult, RemoteQueryError>)
//   range:   void(std::expected<RangeResult, RemoteQueryError>)
//   history: void(std::expected<HistoryResult, RemoteQueryError>)
// Handlers are invoked through their associated executor (default: the io_context's).
#pragma once

#include <utility>  // before Asio (STYLE.md: Boost 1.74's awaitable.hpp needs it)

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>

#include <expected>
#include <memory>

#include "net/remote/remote_bee_client.hpp"

namespace net {

// Completes with the client once the peer's length is known: its first upgrade, or its
// sync when it has nothing we lack (an empty bee). Errors: a refused connect, a failed
// handshake or a broken connection as request_failed, cause the TransportErrc
// (connect_failed, session_failed, ...; to_hypercore_error: io_error) and the message
// "<that code's name>: <address>: <why>" (queries in flight on a connection that fails
// end the same way); a clean close by the peer as request_failed, cause closed; a swarm
// that cannot start (bad bootstrap list, no multicast interface) as request_failed with
// cause invalid_argument or io_error; the open deadline as
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
