// The io_context the transports run on, wrapped so that code outside net/ (the `bee`
// tool, tests) never includes Asio: run it (bounded), post work, wait for signals and
// timers. One thread runs it; every callback runs on that thread. Destroying it destroys
// what is still pending (connections included) without calling any handler, so declare
// it after the Cores it serves.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace net {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // For listen_tcp, connect_tcp, ... (transport.hpp).
  boost::asio::io_context& context();

  // Runs until no work is left (every server stopped, every peer closed, every wait
  // fired or cancelled) or stop(). Returns false if `limit` passed first (work remains).
  bool run_for(std::chrono::milliseconds limit);
  // Makes run_for return as soon as possible; pending handlers are abandoned.
  void stop();

  void post(std::function<void()> handler);
  // Calls handler(signal) on the first of `signals` (SIGINT, SIGTERM: asio::signal_set).
  void on_signals(std::vector<int> signals, std::function<void(int)> handler);
  // Calls handler once after `delay`.
  void after(std::chrono::milliseconds delay, std::function<void()> handler);
  // Cancels every on_signals / after wait not yet fired (their handlers do not run), so
  // that run_for can return once the transports are done.
  void cancel_waits();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace net
