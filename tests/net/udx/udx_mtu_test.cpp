// Path MTU probing (net/udx/stream_mtu.cpp) on the simulated link: the packet size climbs
// from the base 1200 to 1500 in libudx's 32-byte steps, stops below a path that drops
// larger datagrams, and a lost probe is resent unpadded without a congestion response.
#include <gtest/gtest.h>

#include <algorithm>

#include "udx_pair.hpp"

using namespace udx_sim;

namespace {

constexpr size_t kIpUdp = 28;  // IPv4 + UDP headers: a datagram of n bytes is n + 28 on the path

// Drops a->b datagrams over `path_mtu` bytes of IP; records the largest one that got through.
Policy path_of(size_t path_mtu, size_t* largest) {
  Policy policy;
  policy.drop = [path_mtu, largest](uint64_t, int dir, const Datagram& d) {
    if (dir != 0) return false;
    if (d.bytes.size() + kIpUdp > path_mtu) return true;
    *largest = std::max(*largest, d.bytes.size());
    return false;
  };
  return policy;
}

}  // namespace

TEST(UdxMtu, ClimbsFromTheBaseTo1500InSteps) {
  size_t largest = 0;
  Pair p(path_of(9000, &largest));
  // One probe per round trip at most: 20 writes, each acknowledged before the next.
  for (uint32_t i = 0; i < 20; i++) {
    ASSERT_TRUE(p.sa->write(pattern(65536, i), p.sim.now));
    ASSERT_TRUE(p.sim.run([&] { return p.sa->queued_bytes() == 0; }, Millis(10000)));
  }
  const auto st = p.sa->stats();
  EXPECT_EQ(st.mtu, 1500u);
  // 1200 (confirms the base), 1232, …, 1488, then 1500: 11 probes, none lost.
  EXPECT_EQ(st.mtu_probes_sent, 11u);
  EXPECT_EQ(st.mtu_probes_lost, 0u);
  EXPECT_EQ(st.retransmits, 0u);
  EXPECT_EQ(largest + kIpUdp, 1500u);
  // The 1200-byte probe of a full packet needs no padding; the other ten do.
  EXPECT_EQ(p.sb->stats().padded_packets_received, 10u);
}

TEST(UdxMtu, StopsBelowAPathThatDropsLargerDatagrams) {
  size_t largest = 0;
  Pair p(path_of(1300, &largest));
  exchange(p, pattern(2'000'000, 2), {}, "path mtu 1300");
  const auto st = p.sa->stats();
  EXPECT_EQ(st.mtu, 1296u);  // the last step that fits under 1300
  EXPECT_EQ(st.mtu_probes_lost, 3u) << "three 1328-byte probes lost end the search";
  EXPECT_EQ(st.retransmits, 3u) << "each lost probe is resent once, unpadded";
  EXPECT_EQ(st.fast_recoveries, 0u) << "a lost probe is not congestion";
  EXPECT_EQ(largest + kIpUdp, 1296u);
}

TEST(UdxMtu, APathAtTheBaseKeepsTheBase) {
  size_t largest = 0;
  Pair p(path_of(1200, &largest));
  exchange(p, pattern(500'000, 3), {}, "path mtu 1200");
  EXPECT_EQ(p.sa->stats().mtu, 1200u);
  EXPECT_EQ(largest, 1172u);
}

TEST(UdxMtu, OffWhenAsked) {
  size_t largest = 0;
  StreamOptions no_probing;
  no_probing.mtu_probing = false;
  Pair p(path_of(9000, &largest), no_probing);
  exchange(p, pattern(500'000, 4), {}, "no probing");
  EXPECT_EQ(p.sa->stats().mtu_probes_sent, 0u);
  EXPECT_EQ(largest, 1172u);
}

TEST(UdxMtu, CappedByMtuMax) {
  size_t largest = 0;
  StreamOptions capped;
  capped.mtu_max = 1280;
  Pair p(path_of(9000, &largest), capped);
  exchange(p, pattern(1'000'000, 5), {}, "mtu_max 1280");
  EXPECT_EQ(p.sa->stats().mtu, 1280u);
  EXPECT_EQ(largest + kIpUdp, 1280u);
}
