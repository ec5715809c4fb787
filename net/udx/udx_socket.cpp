// UdxSocket: the Multiplexer on a non-blocking UDP socket. One "pass" follows every wake-up
// (datagrams readable, the timer, the socket writable again): feed what arrived, run the
// timers, send what the streams queued, call the wake handlers of the streams concerned,
// send again (the handlers may have written), re-arm the timer.
#include <utility>  // before Asio (Boost 1.74 uses std::exchange without it)

#include "net/udx/udx_socket.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace net::udx {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxBatch = 256;            // datagrams read per pass
constexpr size_t kMaxPendingDatagrams = 4096;  // queued while the kernel buffer is full
constexpr Millis kHousekeeping{1000};

// The MTU of the route to `to`, as the kernel knows it (libudx's udx__get_link_mtu: a
// connected throwaway socket's IP_MTU); nullopt when it cannot tell.
std::optional<size_t> route_mtu(const udp::endpoint& to) {
  int fd = ::socket(to.protocol().family(), SOCK_DGRAM, 0);
  if (fd < 0) return std::nullopt;
  std::optional<size_t> out;
  if (::connect(fd, to.data(), static_cast<socklen_t>(to.size())) == 0) {
    int mtu = 0;
    socklen_t len = sizeof mtu;
    const bool v6 = to.protocol() == udp::v6();
    if (::getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, &mtu, &len) == 0 && mtu > 0) {
      out = static_cast<size_t>(mtu);
    }
  }
  ::close(fd);
  return out;
}

Address to_address(const udp::endpoint& ep) {
  Address a;
  a.port = ep.port();
  auto ip = ep.address();
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) ip = asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6());
  if (ip.is_v4()) {
    auto b = ip.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), a.ip.begin());
  } else {
    auto b = ip.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), a.ip.begin());
    a.v6 = true;
  }
  return a;
}

udp::endpoint to_endpoint(const Address& a, bool socket_v6) {
  if (a.v6) {
    asio::ip::address_v6::bytes_type b;
    std::copy(a.ip.begin(), a.ip.end(), b.begin());
    return {asio::ip::address_v6(b), a.port};
  }
  asio::ip::address_v4 v4({a.ip[0], a.ip[1], a.ip[2], a.ip[3]});
  if (socket_v6) return {asio::ip::make_address_v6(asio::ip::v4_mapped, v4), a.port};
  return {v4, a.port};
}

bool would_block(const error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again || ec == asio::error::no_buffer_space;
}

}  // namespace

struct UdxSocket::Impl {
  Impl(asio::io_context& io, UdxSocketOptions opts) : io(io), sock(io), timer(io), options(opts) {}

  struct Entry {
    std::function<void()> wake;
    bool released = false;
    Millis destroy_at{0};
    bool mtu_limited = false;  // the route's MTU was given to the stream once it connected
    Firewall firewall;                     // set_firewall
    std::function<void()> path_confirmed;  // on_path_confirmed
  };
  enum class Pass { receive, timer, writable };

  asio::io_context& io;
  udp::socket sock;
  asio::steady_timer timer;
  UdxSocketOptions options;
  Clock::time_point epoch = Clock::now();
  Multiplexer mux;
  Address local;
  bool v6 = false;
  std::unordered_map<uint32_t, Entry> entries;
  DatagramHook hook;
  std::deque<Datagram> pending;  // waiting for the socket to be writable
  std::vector<uint8_t> buffer = std::vector<uint8_t>(65536);
  std::unordered_set<uint32_t> touched;  // streams that received a packet in this pass
  std::optional<Millis> armed_at;
  Millis next_housekeeping{0};
  bool write_waiting = false;
  bool in_pass = false;
  bool processing = false;  // inside process(): a firewall handler must not send yet
  bool closed = false;
  UdxSocketStats stats;
  struct Route {
    uint32_t stream;
    Address remote;
    std::shared_ptr<UdxSocket> via;
  };
  std::vector<Route> routes;  // route_through
  std::mt19937 rng{std::random_device{}()};
  std::weak_ptr<UdxSocket> self;  // handlers hold this: once the socket is gone they do nothing

  Millis now() const { return std::chrono::duration_cast<Millis>(Clock::now() - epoch); }

  // --- receiving
  void wait_readable() {
    if (closed) return;
    sock.async_wait(udp::socket::wait_read, [w = self](const error_code& ec) {
      auto s = w.lock();
      if (!s || s->impl_->closed) return;
      s->impl_->on_readable(ec);
    });
  }

  void on_readable(const error_code& wait_ec) {
    if (wait_ec == asio::error::operation_aborted) return;
    for (size_t i = 0; i < kMaxBatch && !closed; i++) {
      udp::endpoint from;
      error_code ec;
      const size_t n = sock.receive_from(asio::buffer(buffer), from, 0, ec);
      if (would_block(ec)) break;
      if (ec) continue;  // ICMP errors reported on the socket, truncated datagrams: not ours to keep
      stats.datagrams_received++;
      stats.bytes_received += n;
      process(hypercore::ByteSpan(buffer.data(), n), to_address(from));
    }
    if (closed) return;
    run_pass(Pass::receive);
    wait_readable();
  }

  // Built once: process() runs per datagram.
  Multiplexer::Firewall firewall_hook = [this](uint32_t id, const Address& from) { return firewall(id, from); };
  size_t paths_watched = 0;  // entries with a path_confirmed handler

  bool firewall(uint32_t id, const Address& from) {
    auto it = entries.find(id);
    if (it == entries.end() || it->second.released || !it->second.firewall) return false;
    auto fw = it->second.firewall;  // it may replace itself
    fw(from);
    return true;
  }

  void process(hypercore::ByteSpan datagram, const Address& from) {
    processing = true;
    const auto routed = mux.receive(datagram, from, now(), firewall_hook);
    processing = false;
    switch (routed) {
      case Multiplexer::Routed::stream:
        touched.insert(*receiver_id(datagram));
        break;
      case Multiplexer::Routed::not_udx:
      case Multiplexer::Routed::malformed:
      case Multiplexer::Routed::unknown_id:
        // libudx hands every datagram no stream consumed to the socket's on_recv.
        stats.to_hook++;
        if (hook) {
          auto h = hook;  // the hook may replace itself
          h(from, datagram);
        }
        break;
    }
  }

  // --- one pass
  void run_pass(Pass pass) {
    if (closed) return;
    in_pass = true;
    Millis t = now();
    if (pass == Pass::timer) {
      mux.on_timer(t);
      if (t >= next_housekeeping) housekeeping(t);
    }
    discard_released_events();
    limit_mtus();
    transmit(t);
    if (pass != Pass::writable) wake(pass == Pass::timer);
    if (closed) return;
    confirm_paths();
    if (closed) return;
    discard_released_events();
    transmit(now());
    touched.clear();
    in_pass = false;
    arm(now(), pass == Pass::timer);
  }

  void wake(bool all) {
    std::vector<std::pair<uint32_t, std::function<void()>>> calls;
    for (auto& [id, e] : entries) {
      if (e.released || !e.wake) continue;
      Stream* s = mux.find(id);
      if (s == nullptr) continue;
      if (all || touched.contains(id) || s->has_events()) calls.emplace_back(id, e.wake);
    }
    for (auto& [id, fn] : calls) {
      if (closed) return;
      auto it = entries.find(id);
      if (it == entries.end() || it->second.released) continue;  // released by an earlier handler
      fn();
    }
  }

  void confirm_paths() {
    if (paths_watched == 0) return;
    std::vector<std::function<void()>> calls;
    for (auto& [id, e] : entries) {
      if (e.released || !e.path_confirmed) continue;
      Stream* s = mux.find(id);
      if (s != nullptr && s->path_confirmed()) {
        calls.push_back(std::exchange(e.path_confirmed, nullptr));
        paths_watched--;
      }
    }
    for (auto& fn : calls) {
      if (closed) return;
      fn();
    }
  }

  // Streams connect in many ways (connect_stream, an owner's connect, a first packet): once
  // connected, each learns the route's MTU before its first probe can go out (probing starts
  // with the first ACK, in a pass like this one).
  void limit_mtus() {
    for (auto& [id, e] : entries) {
      if (e.mtu_limited) continue;
      Stream* s = mux.find(id);
      if (s == nullptr || !s->connected()) continue;
      e.mtu_limited = true;
      if (auto mtu = route_mtu(to_endpoint(s->remote_address(), v6))) s->limit_mtu(*mtu);
    }
  }

  // A released stream's events have no reader: drop them so its window stays open and it
  // can finish.
  void discard_released_events() {
    for (auto& [id, e] : entries) {
      if (!e.released) continue;
      if (Stream* s = mux.find(id)) {
        while (s->poll_event()) {
        }
      }
    }
  }

  void housekeeping(Millis t) {
    next_housekeeping = t + kHousekeeping;
    for (auto& [id, e] : entries) {
      if (!e.released) continue;
      Stream* s = mux.find(id);
      if (s != nullptr && !s->closed() && t >= e.destroy_at) s->destroy(t);
      if (s != nullptr) {
        while (s->poll_event()) {
        }
      }
    }
    mux.collect(t, [this](uint32_t id) {
      auto it = entries.find(id);
      return it != entries.end() && !it->second.released;
    });
    std::erase_if(entries, [this](const auto& kv) { return kv.second.released && mux.find(kv.first) == nullptr; });
    std::erase_if(routes, [this](const Route& r) {
      if (mux.find(r.stream) != nullptr) return false;
      r.via->close();
      return true;
    });
  }

  // --- sending
  // False when the kernel buffer is full (the datagram was not sent).
  bool send_now(const Address& to, hypercore::ByteSpan bytes) {
    for (const auto& r : routes) {
      if (r.remote == to) {
        r.via->send_datagram(to, bytes);
        return true;
      }
    }
    error_code ec;
    sock.send_to(asio::buffer(bytes.data(), bytes.size()), to_endpoint(to, v6), 0, ec);
    if (would_block(ec)) return false;
    if (ec) {
      stats.send_errors++;  // unreachable and the like: a lost datagram, as UDP has them
      return true;
    }
    stats.datagrams_sent++;
    stats.bytes_sent += bytes.size();
    return true;
  }

  void transmit(Millis t) {
    if (closed || write_waiting) return;
    while (!pending.empty()) {
      if (!send_now(pending.front().to, pending.front().bytes)) {
        wait_writable();
        return;
      }
      pending.pop_front();
    }
    while (auto d = mux.poll_transmit(t)) {
      if (!send_now(d->to, d->bytes)) {
        pending.push_back(std::move(*d));
        wait_writable();
        return;
      }
    }
  }

  void wait_writable() {
    write_waiting = true;
    stats.send_blocked++;
    sock.async_wait(udp::socket::wait_write, [w = self](const error_code& ec) {
      auto s = w.lock();
      if (!s || s->impl_->closed || ec == asio::error::operation_aborted) return;
      s->impl_->write_waiting = false;
      s->impl_->run_pass(Pass::writable);
    });
  }

  // --- the timer
  void arm(Millis t, bool after_timer) {
    if (closed) return;
    std::optional<Millis> next = mux.next_timeout();
    if (mux.size() > 0) next = next ? std::min(*next, next_housekeeping) : next_housekeeping;
    if (!next) return;  // a pending wait that fires early is harmless
    // Never a zero-delay loop: a timer that is due right after a timer pass (or a stream
    // whose datagrams wait for the socket to drain) is looked at 1 ms later.
    Millis at = std::max(*next, (after_timer || write_waiting) ? t + Millis(1) : t);
    if (armed_at && *armed_at <= at) return;
    armed_at = at;
    timer.expires_at(epoch + at);
    timer.async_wait([w = self](const error_code& ec) {
      auto s = w.lock();
      if (!s || s->impl_->closed || ec == asio::error::operation_aborted) return;
      s->impl_->armed_at.reset();
      s->impl_->run_pass(Pass::timer);
    });
  }

  void flush() {
    if (closed || in_pass || processing) return;  // a pass sends again after its handlers
    Millis t = now();
    discard_released_events();
    transmit(t);
    arm(t, false);
  }
};

hypercore::Result<std::shared_ptr<UdxSocket>> UdxSocket::open(asio::io_context& io, const std::string& host,
                                                              uint16_t port, UdxSocketOptions options) {
  auto impl = std::make_unique<Impl>(io, options);
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return hypercore::fail(hypercore::errc::invalid_argument, "udx: not an IP address: " + host);
  udp::endpoint endpoint(address, port);
  auto& sock = impl->sock;
  sock.open(endpoint.protocol(), ec);
  if (!ec && address.is_v6()) sock.set_option(asio::ip::v6_only(false), ec);
  if (!ec) sock.bind(endpoint, ec);
  if (!ec) sock.non_blocking(true, ec);
  if (ec) return hypercore::fail(hypercore::errc::io_error, "udx: bind " + host + ":" + std::to_string(port) + ": " + ec.message());
  error_code ignored;  // best effort: the kernel caps them at net.core.rmem_max / wmem_max
  if (options.receive_buffer > 0) sock.set_option(asio::socket_base::receive_buffer_size(options.receive_buffer), ignored);
  if (options.send_buffer > 0) sock.set_option(asio::socket_base::send_buffer_size(options.send_buffer), ignored);
  impl->v6 = address.is_v6();
  impl->local = to_address(sock.local_endpoint(ec));
  if (impl->v6) impl->local.v6 = true;  // keep "::" even when v4-mapped
  std::shared_ptr<UdxSocket> socket(new UdxSocket(std::move(impl)));
  socket->impl_->self = socket;
  socket->impl_->wait_readable();
  return socket;
}

UdxSocket::UdxSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UdxSocket::~UdxSocket() { close(); }

asio::io_context& UdxSocket::context() { return impl_->io; }
const Address& UdxSocket::local_address() const { return impl_->local; }
Millis UdxSocket::now() const { return impl_->now(); }
bool UdxSocket::closed() const { return impl_->closed; }
UdxSocketStats UdxSocket::stats() const { return impl_->stats; }

UdxResult<Stream*> UdxSocket::create_stream(uint32_t local_id, StreamOptions options, std::function<void()> wake) {
  if (impl_->closed) return udx_fail(UdxErrc::destroyed, "udx socket closed");
  // An id still held by a released stream that has not finished is taken too.
  auto stream = impl_->mux.create_stream(local_id, options);
  if (!stream) return stream;
  Impl::Entry entry;
  entry.wake = std::move(wake);
  impl_->entries[local_id] = std::move(entry);
  return stream;
}

uint32_t UdxSocket::free_stream_id() {
  for (;;) {
    const uint32_t id = impl_->rng();
    if (impl_->mux.find(id) == nullptr) return id;
  }
}

Stream* UdxSocket::find(uint32_t local_id) {
  auto it = impl_->entries.find(local_id);
  if (it == impl_->entries.end() || it->second.released) return nullptr;
  return impl_->mux.find(local_id);
}

void UdxSocket::release(uint32_t local_id) {
  auto it = impl_->entries.find(local_id);
  if (it == impl_->entries.end() || it->second.released) return;
  it->second.released = true;
  it->second.wake = nullptr;
  if (it->second.path_confirmed) impl_->paths_watched--;
  it->second.path_confirmed = nullptr;
  it->second.firewall = nullptr;
  it->second.destroy_at = impl_->now() + impl_->options.release_grace;
  impl_->flush();
}

size_t UdxSocket::stream_count() const { return impl_->mux.size(); }

bool UdxSocket::connect_stream(uint32_t local_id, uint32_t remote_id, const Address& remote) {
  Stream* s = find(local_id);
  if (s == nullptr || s->connected() || s->closed()) return false;
  s->connect(remote_id, remote, impl_->now());
  // The owner may be waiting for the first packet (UdxByteStream::open): it looks again.
  auto it = impl_->entries.find(local_id);
  if (it != impl_->entries.end() && it->second.wake) {
    asio::post(impl_->io, [w = impl_->self, local_id]() {
      auto self = w.lock();
      if (!self || self->impl_->closed) return;
      auto e = self->impl_->entries.find(local_id);
      if (e != self->impl_->entries.end() && !e->second.released && e->second.wake) e->second.wake();
    });
  }
  impl_->flush();
  return true;
}

void UdxSocket::flush() { impl_->flush(); }

void UdxSocket::set_datagram_hook(DatagramHook hook) { impl_->hook = std::move(hook); }

void UdxSocket::send_datagram(const Address& to, hypercore::ByteSpan datagram) {
  auto& im = *impl_;
  if (im.closed) return;
  if (im.write_waiting || !im.pending.empty()) {
    if (im.pending.size() < kMaxPendingDatagrams) im.pending.push_back({to, hypercore::Bytes(datagram.begin(), datagram.end())});
    return;
  }
  if (!im.send_now(to, datagram)) {
    im.pending.push_back({to, hypercore::Bytes(datagram.begin(), datagram.end())});
    im.wait_writable();
  }
}

void UdxSocket::route_through(uint32_t local_id, const Address& remote, std::shared_ptr<UdxSocket> via) {
  auto& im = *impl_;
  if (im.closed || !via || via.get() == this) return;
  std::weak_ptr<UdxSocket> home = im.self;
  via->set_datagram_hook([home](const Address& from, hypercore::ByteSpan datagram) {
    // Only UDX: probes and DHT messages on the birthday socket are nobody's now.
    if (!is_udx(datagram)) return;
    if (auto h = home.lock()) h->inject(from, datagram);
  });
  im.routes.push_back({local_id, remote, std::move(via)});
}

bool UdxSocket::change_remote(uint32_t local_id, uint32_t remote_id, const Address& remote,
                              std::shared_ptr<UdxSocket> via) {
  auto& im = *impl_;
  Stream* s = find(local_id);
  if (im.closed || s == nullptr || !s->connected() || s->closed()) return false;
  if (!s->change_remote(remote_id, remote, im.now())) return false;
  // The stream's earlier route (if any) has no use now.
  std::erase_if(im.routes, [&](const Impl::Route& r) {
    if (r.stream != local_id || (via && r.via == via && r.remote == remote)) return false;
    r.via->close();
    return true;
  });
  if (via && via.get() != this) {
    bool routed = std::any_of(im.routes.begin(), im.routes.end(),
                              [&](const Impl::Route& r) { return r.stream == local_id && r.via == via; });
    if (!routed) route_through(local_id, remote, std::move(via));
  }
  im.entries[local_id].mtu_limited = false;  // the new route's MTU caps the new search
  im.flush();
  return true;
}

void UdxSocket::set_firewall(uint32_t local_id, Firewall firewall) {
  auto it = impl_->entries.find(local_id);
  if (it != impl_->entries.end() && !it->second.released) it->second.firewall = std::move(firewall);
}

void UdxSocket::on_path_confirmed(uint32_t local_id, std::function<void()> confirmed) {
  auto it = impl_->entries.find(local_id);
  if (it == impl_->entries.end() || it->second.released) return;
  auto& slot = it->second.path_confirmed;
  impl_->paths_watched += (confirmed ? 1 : 0) - (slot ? 1 : 0);
  slot = std::move(confirmed);
}

void UdxSocket::inject(const Address& from, hypercore::ByteSpan datagram) {
  auto& im = *impl_;
  if (im.closed) return;
  im.stats.datagrams_received++;
  im.stats.bytes_received += datagram.size();
  im.process(datagram, from);
  if (!im.in_pass) im.run_pass(Impl::Pass::receive);
}

void UdxSocket::close() {
  auto& im = *impl_;
  if (im.closed) return;
  // Every stream says DESTROY (best effort: a full kernel buffer drops it).
  const Millis t = im.now();
  for (uint32_t id : std::vector<uint32_t>(im.mux.ids())) {
    if (Stream* s = im.mux.find(id)) s->destroy(t);
  }
  im.write_waiting = false;
  im.pending.clear();
  while (auto d = im.mux.poll_transmit(t)) {
    if (!im.send_now(d->to, d->bytes)) break;
  }
  for (auto& r : im.routes) r.via->close();
  im.routes.clear();
  im.closed = true;
  im.hook = nullptr;
  im.timer.cancel();
  error_code ec;
  im.sock.close(ec);
  // Owners waiting on their streams look once more and find them closed.
  for (auto& [id, e] : im.entries) {
    if (e.released || !e.wake) continue;
    asio::post(im.io, [w = im.self, wake = e.wake, id = id]() {
      auto s = w.lock();
      if (!s) return;
      auto it = s->impl_->entries.find(id);
      if (it != s->impl_->entries.end() && !it->second.released) wake();
    });
  }
}

}  // namespace net::udx
