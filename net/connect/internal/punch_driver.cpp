#include "net/connect/internal/punch_driver.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>

#include "net/dht/udp_dht.hpp"
#include "net/udx/udx_socket.hpp"

namespace net::connect::detail {

namespace {

udx::Address to_udx(const Ipv4Address& a) { return udx::Address::v4(a.host[0], a.host[1], a.host[2], a.host[3], a.port); }

}  // namespace

struct PunchDriver::Timer {
  explicit Timer(boost::asio::io_context& io) : step(io), life(io) {}
  boost::asio::steady_timer step;
  boost::asio::steady_timer life;
};

PunchDriver::PunchDriver(PunchEnv env) : env_(std::move(env)), timer_(std::make_unique<Timer>(*env_.io)) {}

PunchDriver::~PunchDriver() {
  for (auto& s : birthday_) {
    if (s) s->close();
  }
}

std::shared_ptr<PunchDriver> PunchDriver::client(PunchEnv env, std::unique_ptr<ClientPunch> punch, Done done) {
  std::shared_ptr<PunchDriver> d(new PunchDriver(std::move(env)));
  d->client_ = std::move(punch);
  d->done_ = std::move(done);
  d->sample();
  d->pump();
  return d;
}

std::shared_ptr<PunchDriver> PunchDriver::server(PunchEnv env, std::unique_ptr<ServerPunch> punch) {
  std::shared_ptr<PunchDriver> d(new PunchDriver(std::move(env)));
  d->server_ = std::move(punch);
  d->sample();
  d->pump();
  return d;
}

Holepuncher& PunchDriver::puncher() { return client_ ? client_->puncher() : server_->puncher(); }

void PunchDriver::sample() {
  std::weak_ptr<PunchDriver> weak = weak_from_this();
  timer_->life.expires_after(kPunchLifetime);
  timer_->life.async_wait([weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->finish(connect_fail(ConnectErrc::cannot_holepunch, "the holepunch took too long"));
  });
  // nat.js autoSample: PING the latest DHT nodes (skipping 5 of a big table) from the
  // puncher socket, which is the socket DhtNode sends its requests from.
  auto nodes = env_.udp->node().table().to_vector();
  std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.added > b.added; });
  size_t skip = nodes.size() >= 8 ? 5 : 0;
  dht::Millis now = env_.udp->now();
  for (size_t i = skip; i < nodes.size() && pings_pending_ < NatAnalyzer::kMinSamples; i++) {
    pings_pending_++;
    env_.udp->node().ping(
        nodes[i].address,
        [weak](const dht::QueryReply& reply) {
          auto self = weak.lock();
          if (!self || self->finished_) return;
          self->puncher().nat().add(reply.to, reply.from);
          if (--self->pings_pending_ == 0) self->puncher().nat().sampling_done();
          self->sampled();
        },
        [weak] {
          auto self = weak.lock();
          if (!self || self->finished_) return;
          if (--self->pings_pending_ == 0) self->puncher().nat().sampling_done();
          self->sampled();
        },
        now);
  }
  if (pings_pending_ == 0) puncher().nat().sampling_done();
  env_.udp->reschedule();
}

void PunchDriver::sampled() {
  if (server_ && waiting_ && puncher().nat().analyzed()) {
    auto holepunch = std::move(*waiting_);
    waiting_.reset();
    if (auto a = server_->resume(Millis(env_.udp->now()))) answer(holepunch, std::move(*a));
  }
  pump();
}

void PunchDriver::answer(const dht::ServerHolepunch& holepunch, HolepunchAnswer a) {
  env_.hyper->reply_holepunch(holepunch, std::move(a.payload), env_.which);
  env_.udp->reschedule();
}

void PunchDriver::on_holepunch(const dht::ServerHolepunch& h, bool from_our_relay) {
  if (!server_ || finished_ || !h.message.peer_address) return;
  Millis now(env_.udp->now());
  // server.js: a holepunch that came in on the puncher socket is a NAT sample too.
  if (h.request.socket == env_.which) puncher().nat().add(h.request.message.to, h.request.from);
  auto status = server_->on_holepunch(h.message.payload, *h.message.peer_address, from_our_relay, now);
  if (status == ServerPunch::Status::answer) {
    if (auto a = server_->take_answer()) answer(h, std::move(*a));
  } else if (status == ServerPunch::Status::wait) {
    waiting_ = h;
  }
  pump();
}

void PunchDriver::send_requests() {
  std::weak_ptr<PunchDriver> weak = weak_from_this();
  while (auto r = client_->take_request()) {
    dht::HolepunchMessage m{dht::RelayMode::from_client, r->id, std::move(r->payload), r->peer_address};
    Ipv4Address relay = r->relay;
    env_.udp->node().request(
        relay, false, static_cast<uint32_t>(dht::HyperCommand::peer_holepunch), env_.target,
        dht::encode_peer_holepunch(m), std::nullopt,
        [weak, relay](const dht::QueryReply& reply) {
          auto self = weak.lock();
          if (!self || self->finished_) return;
          Millis now(self->env_.udp->now());
          auto hp = reply.value ? dht::decode_peer_holepunch(*reply.value) : hypercore::Result<dht::HolepunchMessage>{};
          if (!reply.value || !hp || hp->mode != dht::RelayMode::reply || hp->payload.empty()) {
            self->client_->on_request_failed(now);
          } else {
            self->client_->on_reply(hp->payload, hp->peer_address.value_or(relay), reply.to, reply.from, now);
          }
          self->pump();
        },
        [weak] {
          auto self = weak.lock();
          if (!self || self->finished_) return;
          self->client_->on_request_failed(Millis(self->env_.udp->now()));
          self->pump();
        },
        env_.udp->now());
  }
  env_.udp->reschedule();
}

std::shared_ptr<udx::UdxSocket> PunchDriver::socket_at(size_t index) const {
  if (index == 0) return env_.socket;
  return index - 1 < birthday_.size() ? birthday_[index - 1] : nullptr;
}

void PunchDriver::on_probe(const Ipv4Address& from) { on_probe_at(0, from); }

void PunchDriver::on_stream_elsewhere(uint32_t stream_id, Moved moved) {
  stream_id_ = stream_id;
  moved_ = std::move(moved);
}

// A birthday socket's datagram that no stream there took: a probe, or (server) the client's
// UDX stream arriving here instead of on socket 0.
void PunchDriver::on_datagram_at(size_t socket, const udx::Address& from, hypercore::ByteSpan datagram) {
  if (finished_) return;
  if (datagram.size() == 1) {
    on_probe_at(socket, Ipv4Address{{from.ip[0], from.ip[1], from.ip[2], from.ip[3]}, from.port});
    return;
  }
  if (!server_ || !moved_ || udx::receiver_id(datagram) != stream_id_) return;
  auto via = socket_at(socket);
  auto moved = std::move(moved_);
  finish(PunchResult{via, Ipv4Address{{from.ip[0], from.ip[1], from.ip[2], from.ip[3]}, from.port}});
  moved(via, from, datagram);
}

void PunchDriver::on_probe_at(size_t socket, const Ipv4Address& from) {
  if (finished_) return;
  puncher().on_probe(socket, from, Millis(env_.udp->now()));
  pump();
}

void PunchDriver::pump() {
  if (finished_) return;
  Millis now(env_.udp->now());
  if (client_) {
    client_->advance(now);
    send_requests();
  } else {
    server_->puncher().advance(now);
  }
  Holepuncher& p = puncher();
  std::weak_ptr<PunchDriver> weak = weak_from_this();
  while (birthday_.size() + 1 < p.sockets()) {
    auto opened = udx::UdxSocket::open(*env_.io, env_.host, 0);
    if (!opened) break;
    size_t index = birthday_.size() + 1;
    (*opened)->set_datagram_hook([weak, index](const udx::Address& from, hypercore::ByteSpan datagram) {
      auto self = weak.lock();
      if (self && !from.v6) self->on_datagram_at(index, from, datagram);
    });
    birthday_.push_back(std::move(*opened));
  }
  const uint8_t probe[1] = {kPunchProbe};
  for (const auto& pr : p.take_probes()) {
    // No per-datagram TTL on UdxSocket: low-TTL probes go out with the default TTL.
    if (auto s = socket_at(pr.socket)) s->send_datagram(to_udx(pr.to), hypercore::ByteSpan(probe, 1));
  }
  if (client_ && client_->finished()) {
    if (client_->connection()) {
      finish(PunchResult{socket_at(client_->connection()->socket), client_->connection()->remote});
    } else {
      finish(std::unexpected(*client_->failure()));
    }
    return;
  }
  if (server_ && p.destroyed()) {
    finish(connect_fail(ConnectErrc::cannot_holepunch, "the server's punch ended"));
    return;
  }
  auto next = client_ ? client_->next_timeout() : p.next_timeout();
  timer_->step.cancel();
  if (!next) return;
  timer_->step.expires_after(std::max(Millis(0), *next - now));
  timer_->step.async_wait([weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!ec && self) self->pump();
  });
}

void PunchDriver::finish(ConnectResult<PunchResult> result) {
  if (finished_) return;
  finished_ = true;
  timer_->step.cancel();
  timer_->life.cancel();
  std::shared_ptr<udx::UdxSocket> keep = result ? result->socket : nullptr;
  for (auto& s : birthday_) {
    if (s == keep) {
      s->set_datagram_hook({});
    } else {
      s->close();
    }
  }
  birthday_.clear();
  if (puncher().connected() || !puncher().destroyed()) puncher().destroy(Millis(env_.udp->now()));
  auto done = std::move(done_);
  if (done) done(std::move(result));
}

void PunchDriver::stop() {
  if (finished_) return;
  done_ = nullptr;
  finish(connect_fail(ConnectErrc::cannot_holepunch, "stopped"));
}

}  // namespace net::connect::detail
