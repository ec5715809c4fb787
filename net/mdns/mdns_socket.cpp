#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include "net/mdns/mdns_socket.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/unicast.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstring>

namespace net::mdns {

namespace asio = boost::asio;
using asio::ip::udp;
using hypercore::errc;
using hypercore::fail;

namespace {

asio::ip::address_v4 to_asio(const Ipv4& a) { return asio::ip::address_v4(a); }
Ipv4 from_asio(const asio::ip::address_v4& a) { return a.to_bytes(); }

// The node, socket and timer live in a shared state that every pending handler holds, so
// a handler that runs after close() (with operation_aborted) still finds its objects.
struct State : std::enable_shared_from_this<State> {
  explicit State(asio::io_context& io) : socket(io), timer(io), start(std::chrono::steady_clock::now()) {}

  udp::socket socket;
  asio::steady_timer timer;
  std::chrono::steady_clock::time_point start;
  std::unique_ptr<MdnsNode> node;
  MdnsSocket::EventHandler on_event;
  udp::endpoint group;
  std::array<uint8_t, 9000> buffer{};  // RFC 6762 §17: up to 9000 bytes on jumbo links
  udp::endpoint sender;
  bool closed = false;

  Time now() const {
    return std::chrono::duration_cast<Time>(std::chrono::steady_clock::now() - start);
  }

  void send(const OutgoingPacket& p) {
    if (closed) return;
    udp::endpoint to = p.unicast_to ? udp::endpoint(to_asio(p.unicast_to->address), p.unicast_to->port) : group;
    boost::system::error_code ec;
    // Datagram sends do not block for long; a lost one is what mDNS is built to survive.
    socket.send_to(asio::buffer(p.bytes), to, 0, ec);
  }

  // Polls the node, hands out its events, and waits until it wants to run again.
  void reschedule() {
    if (closed) return;
    Time next = node->poll(now());
    for (const auto& e : node->take_events())
      if (on_event) on_event(e);
    if (closed || next == kNever) return;
    timer.expires_at(start + next);
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->reschedule();
    });
  }

  void receive() {
    socket.async_receive_from(asio::buffer(buffer), sender,
                              [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                                if (self->closed || ec == asio::error::operation_aborted) return;
                                if (!ec && self->sender.address().is_v4()) {
                                  Endpoint from{from_asio(self->sender.address().to_v4()), self->sender.port()};
                                  self->node->receive(ByteSpan(self->buffer.data(), n), from, self->now());
                                  self->reschedule();
                                }
                                // Other errors (an ICMP unreachable from a legacy
                                // querier) concern one datagram: keep listening.
                                self->receive();
                              });
  }
};

class SocketImpl final : public MdnsSocket {
 public:
  explicit SocketImpl(std::shared_ptr<State> state) : state_(std::move(state)) {}
  ~SocketImpl() override { close(); }

  Result<void> announce(ByteSpan topic) override {
    HC_CHECK(state_->node->announce(topic, state_->now()));
    state_->reschedule();
    return {};
  }
  void unannounce(ByteSpan topic) override {
    state_->node->unannounce(topic, state_->now());
    state_->reschedule();
  }
  void browse(ByteSpan topic) override {
    state_->node->browse(topic, state_->now());
    state_->reschedule();
  }
  void stop_browse(ByteSpan topic) override {
    state_->node->stop_browse(topic, state_->now());
    state_->reschedule();
  }
  void close() override {
    if (state_->closed) return;
    state_->node->leave(state_->now());
    state_->closed = true;
    boost::system::error_code ec;
    state_->timer.cancel();
    state_->socket.close(ec);
  }
  const MdnsNode& node() const override { return *state_->node; }
  Time now() const override { return state_->now(); }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace

std::vector<Ipv4> local_ipv4_addresses() {
  std::vector<Ipv4> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    if (!(i->ifa_flags & IFF_UP) || !(i->ifa_flags & IFF_MULTICAST) || (i->ifa_flags & IFF_LOOPBACK)) continue;
    auto* sin = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    Ipv4 a;
    std::memcpy(a.data(), &sin->sin_addr, 4);
    out.push_back(a);
  }
  freeifaddrs(list);
  return out;
}

std::optional<Ipv4> parse_ipv4(const std::string& text) {
  boost::system::error_code ec;
  auto a = asio::ip::make_address_v4(text, ec);
  if (ec) return std::nullopt;
  return from_asio(a);
}

Result<std::unique_ptr<MdnsSocket>> MdnsSocket::open(asio::io_context& io, MdnsOptions node_options,
                                                     MdnsSocketOptions options, EventHandler on_event) {
  if (options.interfaces.empty()) options.interfaces = local_ipv4_addresses();
  if (options.interfaces.empty()) return fail(errc::io_error, "mdns: no multicast-capable IPv4 interface");
  if (node_options.addresses.empty()) node_options.addresses = options.interfaces;

  auto state = std::make_shared<State>(io);
  boost::system::error_code ec;
  auto step = [&](const char* what) -> Result<void> {
    if (ec) return fail(errc::io_error, std::string("mdns socket: ") + what + ": " + ec.message());
    return {};
  };
  auto& s = state->socket;
  s.open(udp::v4(), ec);
  HC_CHECK(step("open"));
  s.set_option(udp::socket::reuse_address(true), ec);
  HC_CHECK(step("SO_REUSEADDR"));
  int one = 1;
  if (setsockopt(s.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    return fail(errc::io_error, "mdns socket: SO_REUSEPORT refused");
  s.bind(udp::endpoint(asio::ip::address_v4::any(), options.port), ec);
  HC_CHECK(step("bind"));
  auto group = asio::ip::address_v4({kMdnsGroupV4[0], kMdnsGroupV4[1], kMdnsGroupV4[2], kMdnsGroupV4[3]});
  for (const auto& iface : options.interfaces) {
    s.set_option(asio::ip::multicast::join_group(group, to_asio(iface)), ec);
    HC_CHECK(step("join 224.0.0.251"));
  }
  s.set_option(asio::ip::multicast::outbound_interface(to_asio(options.interfaces[0])), ec);
  HC_CHECK(step("IP_MULTICAST_IF"));
  // RFC 6762 §11: TTL 255 so receivers can tell link-local traffic from routed spoofs.
  s.set_option(asio::ip::multicast::hops(255), ec);
  HC_CHECK(step("IP_MULTICAST_TTL"));
  s.set_option(asio::ip::unicast::hops(255), ec);
  HC_CHECK(step("IP_TTL"));
  // Loopback stays on so that two nodes on one host see each other; the node recognises
  // its own packets.
  s.set_option(asio::ip::multicast::enable_loopback(true), ec);
  HC_CHECK(step("IP_MULTICAST_LOOP"));

  state->group = udp::endpoint(group, options.port);
  state->on_event = std::move(on_event);
  std::weak_ptr<State> weak = state;
  state->node = std::make_unique<MdnsNode>(std::move(node_options), [weak](OutgoingPacket p) {
    if (auto st = weak.lock()) st->send(p);
  });
  state->receive();
  return std::unique_ptr<MdnsSocket>(std::make_unique<SocketImpl>(state));
}

}  // namespace net::mdns
