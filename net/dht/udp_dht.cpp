#include <utility>  // before Asio (Boost 1.74 uses std::exchange without it)

#include "net/dht/udp_dht.hpp"

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "net/udx/udx_socket.hpp"

namespace net::dht {

namespace asio = boost::asio;
using udp = asio::ip::udp;

struct UdpDht::Impl {
  explicit Impl(asio::io_context& io) : server(io), client(io), timer(io) {}

  udp::socket server;  // unused (never opened) when the server socket is a shared UdxSocket
  udp::socket client;  // the same for the client socket
  std::shared_ptr<net::udx::UdxSocket> shared;
  std::shared_ptr<net::udx::UdxSocket> shared_client;
  asio::steady_timer timer;
  std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();
  std::unique_ptr<DhtNode> node;
  std::array<uint8_t, 2048> server_buf{};
  std::array<uint8_t, 2048> client_buf{};
  udp::endpoint server_from;
  udp::endpoint client_from;
  bool closed = false;
  // Handlers hold this token: once Impl is gone, late completions do nothing.
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  Millis now() const {
    return static_cast<Millis>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - epoch).count());
  }

  void send(Socket from, const Ipv4Address& to, hypercore::ByteSpan bytes) {
    if (closed) return;
    if (auto& udx = from == Socket::server ? shared : shared_client) {
      udx->send_datagram(net::udx::Address::v4(to.host[0], to.host[1], to.host[2], to.host[3], to.port), bytes);
      return;
    }
    udp::endpoint ep(asio::ip::address_v4(to.host), to.port);
    boost::system::error_code ec;  // UDP is best effort: a refused send is a lost datagram
    (from == Socket::server ? server : client).send_to(asio::buffer(bytes.data(), bytes.size()), ep, 0, ec);
  }

  void receive(Socket which) {
    auto& sock = which == Socket::server ? server : client;
    auto& buf = which == Socket::server ? server_buf : client_buf;
    auto& from = which == Socket::server ? server_from : client_from;
    std::weak_ptr<bool> token = alive;
    sock.async_receive_from(asio::buffer(buf), from, [this, which, token](boost::system::error_code ec, size_t n) {
      if (token.expired() || closed) return;
      auto& f = which == Socket::server ? server_from : client_from;
      auto& b = which == Socket::server ? server_buf : client_buf;
      if (!ec && f.address().is_v4()) {
        Ipv4Address addr{f.address().to_v4().to_bytes(), f.port()};
        node->receive(which, addr, hypercore::ByteSpan(b.data(), n), now());
        schedule();
      }
      if (ec == asio::error::operation_aborted) return;
      receive(which);
    });
  }

  void schedule() {
    if (closed) return;
    Millis next = node->next_wakeup();
    timer.expires_at(epoch + std::chrono::milliseconds(next));
    std::weak_ptr<bool> token = alive;
    timer.async_wait([this, token](boost::system::error_code ec) {
      if (token.expired() || closed || ec) return;
      node->advance(now());
      schedule();
    });
  }
};

hypercore::Result<std::unique_ptr<UdpDht>> UdpDht::open(EventLoop& loop, const std::string& host,
                                                        uint16_t server_port, DhtNodeOptions options) {
  return open(loop.context(), host, server_port, std::move(options));
}

hypercore::Result<std::unique_ptr<UdpDht>> UdpDht::open(asio::io_context& io, const std::string& host,
                                                        uint16_t server_port, DhtNodeOptions options) {
  auto impl = std::make_unique<Impl>(io);
  boost::system::error_code ec;
  auto address = asio::ip::make_address_v4(host, ec);
  if (ec) return hypercore::fail(hypercore::errc::invalid_argument, "dht: not an IPv4 address: " + host);
  for (auto* sock : {&impl->server, &impl->client}) {
    sock->open(udp::v4(), ec);
    if (!ec) sock->bind(udp::endpoint(address, sock == &impl->server ? server_port : 0), ec);
    if (ec) return hypercore::fail(hypercore::errc::io_error, "dht: bind " + host + ": " + ec.message());
  }
  options.server_port = impl->server.local_endpoint().port();
  Impl* raw = impl.get();
  impl->node = std::make_unique<DhtNode>(
      std::move(options), [raw](Socket s, const Ipv4Address& to, hypercore::ByteSpan b) { raw->send(s, to, b); },
      impl->now());
  impl->receive(Socket::server);
  impl->receive(Socket::client);
  impl->schedule();
  return std::unique_ptr<UdpDht>(new UdpDht(std::move(impl)));
}

hypercore::Result<std::unique_ptr<UdpDht>> UdpDht::open(std::shared_ptr<net::udx::UdxSocket> server,
                                                        DhtNodeOptions options) {
  return open(std::move(server), nullptr, std::move(options));
}

hypercore::Result<std::unique_ptr<UdpDht>> UdpDht::open(std::shared_ptr<net::udx::UdxSocket> server,
                                                        std::shared_ptr<net::udx::UdxSocket> client,
                                                        DhtNodeOptions options) {
  const net::udx::Address local = server->local_address();
  if (local.v6 || (client && client->local_address().v6)) {
    return hypercore::fail(hypercore::errc::invalid_argument, "dht: the shared socket is not IPv4");
  }
  auto impl = std::make_unique<Impl>(server->context());
  if (!client) {
    const std::array<uint8_t, 4> host{local.ip[0], local.ip[1], local.ip[2], local.ip[3]};
    boost::system::error_code ec;
    impl->client.open(udp::v4(), ec);
    if (!ec) impl->client.bind(udp::endpoint(asio::ip::address_v4(host), 0), ec);
    if (ec) return hypercore::fail(hypercore::errc::io_error, "dht: bind client socket: " + ec.message());
  }
  options.server_port = local.port;
  impl->shared = std::move(server);
  impl->shared_client = std::move(client);
  Impl* raw = impl.get();
  impl->node = std::make_unique<DhtNode>(
      std::move(options), [raw](Socket s, const Ipv4Address& to, hypercore::ByteSpan b) { raw->send(s, to, b); },
      impl->now());
  std::weak_ptr<bool> token = impl->alive;
  for (Socket which : {Socket::server, Socket::client}) {
    auto& udx = which == Socket::server ? impl->shared : impl->shared_client;
    if (!udx) continue;
    udx->set_datagram_hook([raw, token, which](const net::udx::Address& from, hypercore::ByteSpan datagram) {
      if (token.expired() || raw->closed || from.v6) return;
      Ipv4Address addr{{from.ip[0], from.ip[1], from.ip[2], from.ip[3]}, from.port};
      raw->node->receive(which, addr, datagram, raw->now());
      raw->schedule();
    });
  }
  if (!impl->shared_client) impl->receive(Socket::client);
  impl->schedule();
  return std::unique_ptr<UdpDht>(new UdpDht(std::move(impl)));
}

UdpDht::UdpDht(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UdpDht::~UdpDht() { close(); }

DhtNode& UdpDht::node() { return *impl_->node; }
uint16_t UdpDht::server_port() const {
  return impl_->shared ? impl_->shared->port() : impl_->server.local_endpoint().port();
}
uint16_t UdpDht::client_port() const {
  return impl_->shared_client ? impl_->shared_client->port() : impl_->client.local_endpoint().port();
}
Millis UdpDht::now() const { return impl_->now(); }
void UdpDht::reschedule() { impl_->schedule(); }

void UdpDht::close() {
  if (impl_->closed) return;
  impl_->closed = true;
  boost::system::error_code ec;
  impl_->timer.cancel();
  for (auto* udx : {&impl_->shared, &impl_->shared_client}) {
    if (*udx) (*udx)->set_datagram_hook({});
    udx->reset();
  }
  impl_->server.close(ec);
  impl_->client.close(ec);
}

}  // namespace net::dht
