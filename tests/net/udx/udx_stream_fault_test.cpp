// UDX streams over a faulty simulated link: every N-th datagram dropped (N = 2..20),
// random loss, reordering, duplication, long delay. Identical bytes must arrive in order
// and both sides must close cleanly.
#include <gtest/gtest.h>

#include "udx_pair.hpp"

using namespace udx_sim;

// N = 2 (every other datagram, both directions counted together) is an adversary, not a
// link: once a single retransmit is in flight per RTO, it or its ack is always the dropped one.
// The sender gives up after 6 RTOs on one packet, as libudx does (docs/protocol/udx.md): the
// test below wants that clean timeout, not a hang.
TEST(UdxFault, DropEveryNth) {
  for (uint64_t n = 3; n <= 20; n++) {
    Policy policy;
    policy.drop = [n](uint64_t index, int, const Datagram&) { return index % n == 0; };
    Pair p(policy);
    exchange(p, pattern(200000, static_cast<uint32_t>(n)), pattern(50000, static_cast<uint32_t>(n + 100)),
             "drop every " + std::to_string(n));
    if (HasFailure()) return;
  }
}

TEST(UdxFault, DropEveryOtherEndsInATimeout) {
  Policy policy;
  policy.drop = [](uint64_t index, int, const Datagram&) { return index % 2 == 0; };
  Pair p(policy);
  hypercore::Bytes ab = pattern(200000, 2);
  for (size_t off = 0; off < ab.size(); off += 65536) {
    ASSERT_TRUE(p.sa->write(std::span(ab).subspan(off, std::min<size_t>(65536, ab.size() - off)), p.sim.now));
  }
  ASSERT_TRUE(p.sa->end(p.sim.now));
  ASSERT_TRUE(p.sb->end(p.sim.now));
  ASSERT_TRUE(p.sim.run([&] { return p.sim.a.closed.contains(1); }, Millis(3600000)));
  const auto& closed = p.sim.a.closed[1].value();
  ASSERT_TRUE(closed.has_value()) << "the sender closed without an error";
  EXPECT_NE(closed->to_string().find("timeout"), std::string::npos) << closed->to_string();
  // Whatever arrived arrived in order: a prefix of what was written.
  const auto& got = p.sim.b.received[2];
  ASSERT_LE(got.size(), ab.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), ab.begin()));
}

TEST(UdxFault, DropEveryNthOneDirection) {
  for (uint64_t n = 2; n <= 20; n += 3) {
    for (int dir = 0; dir < 2; dir++) {
      Policy policy;
      uint64_t count = 0;
      policy.drop = [n, dir, &count](uint64_t, int d, const Datagram&) { return d == dir && ++count % n == 0; };
      Pair p(policy);
      exchange(p, pattern(150000, 1), pattern(150000, 2),
               "direction " + std::to_string(dir) + " drop every " + std::to_string(n));
      if (HasFailure()) return;
    }
  }
}

TEST(UdxFault, RandomLossReorderDuplicate) {
  for (uint32_t seed = 1; seed <= 6; seed++) {
    Policy policy;
    policy.seed = seed;
    auto rng = std::make_shared<std::mt19937>(seed * 7919);
    const double loss = 0.02 * seed;  // 2 % .. 12 %
    policy.drop = [rng, loss](uint64_t, int, const Datagram&) {
      return std::uniform_real_distribution<>(0, 1)(*rng) < loss;
    };
    policy.duplicate = 0.05;
    policy.delay = Millis(20);
    policy.jitter = Millis(15);  // reorders
    Pair p(policy);
    exchange(p, pattern(300000, seed), pattern(100000, seed + 50), "random seed " + std::to_string(seed));
    if (HasFailure()) return;
  }
}

TEST(UdxFault, LongDelayHighBandwidth) {
  Policy policy;
  policy.delay = Millis(300);
  Pair p(policy);
  exchange(p, pattern(2 * 1024 * 1024, 77), pattern(1000, 78), "300 ms one way");
  EXPECT_GT(p.sa->stats().srtt_ms, 500u);
}

TEST(UdxFault, OutagesOfHalfASecond) {
  Policy policy;
  const Millis* clock = nullptr;
  policy.drop = [&clock](uint64_t, int, const Datagram&) { return clock->count() % 3000 >= 2500; };
  Pair p(policy);
  clock = &p.sim.now;
  exchange(p, pattern(2000000, 90), pattern(2000000, 91), "500 ms outage every 3 s");
}

// Reordering by more than rtt_min / 4 (5-15 ms one way) and no loss: RACK declares packets
// lost that arrive a little later. Each recovery used to halve the window, every round trip,
// until the stream crawled at 2 packets per RTT (8 MB to udx-native took over a minute).
// Spurious losses now widen the reorder window and undo the cut (docs/protocol/udx.md).
TEST(UdxFault, ReorderingDoesNotCollapseTheWindow) {
  Policy policy;
  policy.delay = Millis(5);
  policy.jitter = Millis(10);
  Pair p(policy);
  const auto data = pattern(4 * 1024 * 1024, 31);
  const Millis start = p.sim.now;
  exchange(p, data, pattern(1000, 32), "jitter 10 ms");
  const auto elapsed = p.sim.now - start;
  const auto st = p.sa->stats();
  EXPECT_GT(st.spurious_losses, 0u);
  EXPECT_GT(st.undone_recoveries, 0u);
  // 4 MB is 3641 packets: at 2 packets per ~20 ms round trip that is over 30 s.
  EXPECT_LT(elapsed.count(), 5000) << "cwnd " << st.cwnd << ", recoveries " << st.fast_recoveries << ", undone "
                                   << st.undone_recoveries << ", retransmits " << st.retransmits;
}
