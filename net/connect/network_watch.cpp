#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include "net/connect/network_watch.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace net::connect {

std::vector<InterfaceAddress> interface_addresses() {
  std::vector<InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP)) continue;
    InterfaceAddress a;
    a.name = i->ifa_name != nullptr ? i->ifa_name : "";
    std::memcpy(a.ip.data(), &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
    a.loopback = (i->ifa_flags & IFF_LOOPBACK) != 0;
    out.push_back(std::move(a));
  }
  freeifaddrs(list);
  return out;
}

struct NetworkWatch::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& io, std::chrono::milliseconds interval, std::function<void()> changed, Lister lister)
      : timer(io), interval(interval), changed(std::move(changed)), lister(std::move(lister)) {}

  boost::asio::steady_timer timer;
  std::chrono::milliseconds interval;
  std::function<void()> changed;
  Lister lister;
  std::vector<InterfaceAddress> last;  // sorted: the system's order is not a change
  uint64_t changes = 0;

  std::vector<InterfaceAddress> list() {
    auto now = lister();
    std::sort(now.begin(), now.end());
    now.erase(std::unique(now.begin(), now.end()), now.end());
    return now;
  }

  void arm() {
    timer.expires_after(interval);
    std::weak_ptr<Impl> weak = weak_from_this();
    timer.async_wait([weak](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      auto now = self->list();
      const bool differs = now != self->last;
      self->last = std::move(now);
      self->arm();
      if (differs) {
        self->changes++;
        if (self->changed) self->changed();  // last: it may destroy the watch
      }
    });
  }
};

NetworkWatch::NetworkWatch(boost::asio::io_context& io, std::chrono::milliseconds interval,
                           std::function<void()> changed, Lister lister)
    : impl_(std::make_shared<Impl>(io, interval, std::move(changed), std::move(lister))) {
  impl_->last = impl_->list();
  impl_->arm();
}

NetworkWatch::~NetworkWatch() { impl_->timer.cancel(); }

uint64_t NetworkWatch::changes() const { return impl_->changes; }

}  // namespace net::connect
