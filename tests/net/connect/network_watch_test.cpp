// NetworkWatch (net/connect/network_watch.hpp) with a scripted interface list: a change is
// reported once, a reordering is not, and the real list names loopback.
#include <gtest/gtest.h>

#include <chrono>

#include "net/connect/network_watch.hpp"
#include "net/transport/event_loop.hpp"
#include "tests/net/loop_pump.hpp"

using namespace std::chrono_literals;
using net::connect::InterfaceAddress;
using net::connect::NetworkWatch;

namespace {

InterfaceAddress address(const char* name, uint8_t last) { return InterfaceAddress{name, {10, 0, 0, last}, false}; }

}  // namespace

TEST(NetworkWatch, ReportsAChangeOnceAndIgnoresTheOrder) {
  net::EventLoop loop;
  std::vector<InterfaceAddress> now{address("eth0", 1), address("wlan0", 2)};
  int changed = 0;
  NetworkWatch watch(loop.context(), 10ms, [&] { changed++; }, [&] { return now; });
  loop.run_for(60ms);
  EXPECT_EQ(changed, 0);
  now = {address("wlan0", 2), address("eth0", 1)};  // the same, listed in another order
  loop.run_for(60ms);
  EXPECT_EQ(changed, 0);
  now = {address("wlan0", 3)};  // eth0 went down, wlan0 joined another network
  ASSERT_TRUE(net_test::pump(loop, [&] { return changed == 1; }, 2s));
  loop.run_for(60ms);
  EXPECT_EQ(changed, 1) << "one change, one report";
  EXPECT_EQ(watch.changes(), 1u);
  now = {};
  ASSERT_TRUE(net_test::pump(loop, [&] { return changed == 2; }, 2s));
}

TEST(NetworkWatch, StopsWhenDestroyed) {
  net::EventLoop loop;
  std::vector<InterfaceAddress> now{address("eth0", 1)};
  int changed = 0;
  auto watch = std::make_unique<NetworkWatch>(loop.context(), 10ms, [&] { changed++; }, [&] { return now; });
  watch.reset();
  now = {address("eth0", 2)};
  loop.run_for(60ms);
  EXPECT_EQ(changed, 0);
}

TEST(NetworkWatch, ListsLoopback) {
  auto list = net::connect::interface_addresses();
  bool loopback = false;
  for (const auto& a : list) loopback |= a.loopback && a.ip == std::array<uint8_t, 4>{127, 0, 0, 1};
  EXPECT_TRUE(loopback) << "every Linux machine has lo at 127.0.0.1";
}
