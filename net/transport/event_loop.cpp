// EventLoop: an io_context with signal sets and timers it can cancel all at once.
#include "net/transport/event_loop.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <list>

namespace net {

namespace asio = boost::asio;
using boost::system::error_code;

struct EventLoop::Impl {
  asio::io_context io{1};
  std::list<asio::signal_set> signal_sets;
  std::list<asio::steady_timer> timers;
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}

// Pending handlers are destroyed without running (no user callback runs from here); the
// connections they keep end with them.
EventLoop::~EventLoop() {
  cancel_waits();
  impl_->io.stop();
}

asio::io_context& EventLoop::context() { return impl_->io; }

bool EventLoop::run_for(std::chrono::milliseconds limit) {
  impl_->io.restart();
  impl_->io.run_for(limit);
  return impl_->io.stopped();
}

void EventLoop::stop() { impl_->io.stop(); }

void EventLoop::post(std::function<void()> handler) { asio::post(impl_->io, std::move(handler)); }

void EventLoop::on_signals(std::vector<int> signals, std::function<void(int)> handler) {
  auto& set = impl_->signal_sets.emplace_back(impl_->io);
  for (int s : signals) {
    error_code ec;
    set.add(s, ec);
  }
  set.async_wait([handler = std::move(handler)](const error_code& ec, int signal) {
    if (!ec) handler(signal);
  });
}

void EventLoop::after(std::chrono::milliseconds delay, std::function<void()> handler) {
  auto& timer = impl_->timers.emplace_back(impl_->io, delay);
  timer.async_wait([handler = std::move(handler)](const error_code& ec) {
    if (!ec) handler();
  });
}

void EventLoop::cancel_waits() {
  for (auto& s : impl_->signal_sets) {
    error_code ec;
    s.cancel(ec);
  }
  for (auto& t : impl_->timers) t.cancel();
}

}  // namespace net
