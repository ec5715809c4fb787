// PeerSessions in WebSocket binary messages: a ByteStream on a Beast websocket stream.
// The driver's watchdog bounds every wait, so Beast's own timeouts stay off.
#include "net/transport/websocket_transport.hpp"

#include "net/transport/internal/session_driver.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace net {

namespace {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using asio::ip::tcp;
using boost::system::error_code;

class WebSocketStream : public detail::ByteStream {
 public:
  explicit WebSocketStream(tcp::socket socket) : ws_(std::move(socket)), resolver_(ws_.get_executor()) {}
  WebSocketStream(asio::io_context& io, std::string host, uint16_t port)
      : ws_(io), resolver_(io), host_(std::move(host)), port_(port), client_(true) {}

  awaitable<void> open(error_code& ec) override {
    auto& socket = boost::beast::get_lowest_layer(ws_);
    if (client_) {
      auto results = co_await resolver_.async_resolve(host_, std::to_string(port_), redirect_error(use_awaitable, ec));
      if (ec) co_return;
      co_await asio::async_connect(socket, results, redirect_error(use_awaitable, ec));
      if (ec) co_return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    ws_.binary(true);
    ws_.auto_fragment(false);
    if (client_) {
      co_await ws_.async_handshake(host_ + ":" + std::to_string(port_), "/", redirect_error(use_awaitable, ec));
    } else {
      co_await ws_.async_accept(redirect_error(use_awaitable, ec));
    }
  }

  awaitable<size_t> read_some(asio::mutable_buffer buffer, error_code& ec) override {
    co_return co_await ws_.async_read_some(buffer, redirect_error(use_awaitable, ec));
  }

  awaitable<void> write(asio::const_buffer buffer, error_code& ec) override {
    co_await ws_.async_write(buffer, redirect_error(use_awaitable, ec));
  }

  void close() override {
    resolver_.cancel();
    auto& socket = boost::beast::get_lowest_layer(ws_);
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  std::string remote() const override { return detail::endpoint_text(boost::beast::get_lowest_layer(ws_)); }

 private:
  websocket::stream<tcp::socket> ws_;
  tcp::resolver resolver_;
  std::string host_;
  uint16_t port_ = 0;
  bool client_ = false;
};

}  // namespace

TransportResult<std::unique_ptr<Server>> listen_websocket(boost::asio::io_context& io, ServerOptions options) {
  return detail::start_server(io, std::move(options), [](tcp::socket socket) -> std::unique_ptr<detail::ByteStream> {
    return std::make_unique<WebSocketStream>(std::move(socket));
  });
}

std::shared_ptr<Peer> connect_websocket(boost::asio::io_context& io, const std::string& host, uint16_t port,
                                        PeerSetup setup) {
  return detail::start_peer(io, std::make_unique<WebSocketStream>(io, host, port), NoiseRole::initiator,
                            std::move(setup));
}

}  // namespace net
