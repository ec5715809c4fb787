#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include "net/connect/internal/relay_upgrade.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/udx/udx_socket.hpp"

namespace net::connect::detail {

struct RelayUpgrade::Impl {
  explicit Impl(boost::asio::io_context& io) : watch_end(io) {}
  boost::asio::steady_timer watch_end;
};

std::shared_ptr<RelayUpgrade> RelayUpgrade::create(boost::asio::io_context& io, std::shared_ptr<udx::UdxSocket> home,
                                                   uint32_t local_id, uint32_t direct_remote_id,
                                                   std::shared_ptr<Peer> relay, Confirmed confirmed) {
  std::shared_ptr<RelayUpgrade> u(new RelayUpgrade());
  u->impl_ = std::make_unique<Impl>(io);
  u->home_ = home;
  u->local_id_ = local_id;
  u->direct_remote_id_ = direct_remote_id;
  u->relay_ = std::move(relay);
  u->confirmed_ = std::move(confirmed);
  return u;
}

RelayUpgrade::~RelayUpgrade() {
  if (impl_) impl_->watch_end.cancel();
}

void RelayUpgrade::watch(std::chrono::milliseconds deadline) {
  auto home = home_.lock();
  if (!home || moved_ || stopped_) return;
  std::weak_ptr<RelayUpgrade> weak = weak_from_this();
  home->set_firewall(local_id_, [weak](const udx::Address& from) {
    if (auto self = weak.lock()) self->move(from, nullptr);
  });
  impl_->watch_end.expires_after(deadline);
  impl_->watch_end.async_wait([weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!ec && self) self->unwatch();
  });
}

void RelayUpgrade::unwatch() {
  impl_->watch_end.cancel();
  if (auto home = home_.lock()) home->set_firewall(local_id_, {});
}

bool RelayUpgrade::move(const udx::Address& to, std::shared_ptr<udx::UdxSocket> via) {
  auto home = home_.lock();
  if (moved_ || stopped_ || !home) return false;
  if (via == home) via = nullptr;
  if (!home->change_remote(local_id_, direct_remote_id_, to, via)) return false;
  moved_ = true;
  unwatch();
  // relay-connection.js: "a raw UDX message to make the peer observe the direct path
  // without writing application data into the secret stream".
  if (udx::Stream* s = home->find(local_id_)) (void)s->send_message({}, home->now());
  std::weak_ptr<RelayUpgrade> weak = weak_from_this();
  home->on_path_confirmed(local_id_, [weak, to] {
    auto self = weak.lock();
    if (!self || self->stopped_) return;
    if (self->relay_) self->relay_->close();
    self->relay_.reset();
    if (self->confirmed_) self->confirmed_(to);
  });
  home->flush();
  return true;
}

void RelayUpgrade::stop() {
  if (stopped_) return;
  stopped_ = true;
  unwatch();
  if (relay_) relay_->close();
  relay_.reset();
}

}  // namespace net::connect::detail
