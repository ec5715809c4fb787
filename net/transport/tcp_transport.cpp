// PeerSessions over TCP: a ByteStream on a tcp::socket (connect on open() for clients).
#include "net/transport/tcp_transport.hpp"

#include "net/transport/internal/session_driver.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace net {

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using asio::ip::tcp;
using boost::system::error_code;

class TcpStream : public detail::ByteStream {
 public:
  // An accepted socket.
  explicit TcpStream(tcp::socket socket) : socket_(std::move(socket)), resolver_(socket_.get_executor()) {}
  // A socket to connect on open().
  TcpStream(asio::io_context& io, std::string host, uint16_t port)
      : socket_(io), resolver_(io), host_(std::move(host)), port_(port), client_(true) {}

  awaitable<void> open(error_code& ec) override {
    if (client_) {
      auto results = co_await resolver_.async_resolve(host_, std::to_string(port_), redirect_error(use_awaitable, ec));
      if (ec) co_return;
      co_await asio::async_connect(socket_, results, redirect_error(use_awaitable, ec));
      if (ec) co_return;
    }
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
  }

  awaitable<size_t> read_some(asio::mutable_buffer buffer, error_code& ec) override {
    co_return co_await socket_.async_read_some(buffer, redirect_error(use_awaitable, ec));
  }

  awaitable<void> write(asio::const_buffer buffer, error_code& ec) override {
    co_await asio::async_write(socket_, buffer, redirect_error(use_awaitable, ec));
  }

  void close() override {
    resolver_.cancel();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  std::string remote() const override { return detail::endpoint_text(socket_); }

 private:
  tcp::socket socket_;
  tcp::resolver resolver_;
  std::string host_;
  uint16_t port_ = 0;
  bool client_ = false;
};

}  // namespace

TransportResult<std::unique_ptr<Server>> listen_tcp(boost::asio::io_context& io, ServerOptions options) {
  return detail::start_server(io, std::move(options), [](tcp::socket socket) -> std::unique_ptr<detail::ByteStream> {
    return std::make_unique<TcpStream>(std::move(socket));
  });
}

std::shared_ptr<Peer> connect_tcp(boost::asio::io_context& io, const std::string& host, uint16_t port,
                                  PeerSetup setup) {
  return detail::start_peer(io, std::make_unique<TcpStream>(io, host, port), NoiseRole::initiator, std::move(setup));
}

}  // namespace net
