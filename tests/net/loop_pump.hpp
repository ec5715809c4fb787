// Driving a net::EventLoop from a test until a condition holds, with a deadline.
#pragma once

#include <chrono>
#include <functional>

#include "net/transport/event_loop.hpp"

namespace net_test {

// Runs `loop` in 20 ms slices until `done()` or `limit` passes; false on the deadline.
inline bool pump(net::EventLoop& loop, const std::function<bool()>& done, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    loop.run_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace net_test
