// Hybrid logical clock properties (Kulkarni et al. 2014): monotonic, a receive dominates
// both inputs, bounded drift under skew, the logical counter's overflow, clamping.
#include "multi/hlc.hpp"

#include <gtest/gtest.h>

#include <random>

namespace {

using multi::Hlc;
using multi::HybridClock;

TEST(Hlc, PacksPhysicalAndLogicalInOrder) {
  Hlc a = Hlc::make(1000, 5);
  EXPECT_EQ(a.physical(), 1000u);
  EXPECT_EQ(a.logical(), 5u);
  EXPECT_LT(Hlc::make(1000, 65535), Hlc::make(1001, 0));
  EXPECT_LT(Hlc::make(1000, 1), Hlc::make(1000, 2));
}

TEST(Hlc, NowIsStrictlyMonotonicWhenTheWallClockGoesBack) {
  uint64_t wall = 5000;
  HybridClock clock([&] { return wall; });
  Hlc prev = clock.now();
  for (int i = 0; i < 1000; ++i) {
    wall = (i % 7 == 0) ? wall - 3 : wall + (i % 3);  // jumps back now and then
    Hlc next = clock.now();
    ASSERT_GT(next, prev) << "step " << i;
    prev = next;
  }
}

TEST(Hlc, FollowsPhysicalTimeWhenItMovesOn) {
  uint64_t wall = 100;
  HybridClock clock([&] { return wall; });
  clock.now();
  wall = 200;
  EXPECT_EQ(clock.now(), Hlc::make(200, 0));
}

TEST(Hlc, ReceiveDominatesBothInputs) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    uint64_t wall = 1'000'000 + rng() % 1000;
    HybridClock clock([&] { return wall; }, 0);
    for (int k = 0; k < static_cast<int>(rng() % 5); ++k) clock.now();
    Hlc local = clock.last();
    Hlc remote = Hlc::make(1'000'000 + rng() % 1000, static_cast<uint16_t>(rng() % 4));
    Hlc got = clock.receive(remote);
    ASSERT_GT(got, local);
    ASSERT_GT(got, remote);
    ASSERT_GE(got.physical(), wall);
  }
}

TEST(Hlc, DriftStaysWithinTheSkewOfTheClocksItHears) {
  // Three devices whose wall clocks differ by up to 40 ms exchange stamps at random: no
  // device's l runs more than the skew ahead of its own wall clock.
  const uint64_t skew = 40;
  uint64_t true_time = 1'000'000;
  std::vector<uint64_t> offset = {0, 17, skew};
  std::vector<HybridClock> clocks;
  for (size_t d = 0; d < 3; ++d) clocks.emplace_back([&, d] { return true_time + offset[d]; }, 0);
  std::mt19937_64 rng(11);
  for (int step = 0; step < 20000; ++step) {
    true_time += rng() % 2;
    size_t from = rng() % 3, to = rng() % 3;
    Hlc sent = clocks[from].now();
    Hlc got = clocks[to].receive(sent);
    uint64_t pt = true_time + offset[to];
    ASSERT_LE(got.physical(), pt + skew) << "step " << step;
    ASSERT_GE(got.physical(), pt);
  }
}

TEST(Hlc, LogicalOverflowCarriesIntoTheNextMillisecond) {
  HybridClock clock([] { return uint64_t{777}; });
  Hlc prev = clock.now();
  for (int i = 0; i < 70000; ++i) {
    Hlc next = clock.now();
    ASSERT_GT(next, prev);
    prev = next;
  }
  EXPECT_EQ(prev.physical(), 778u);  // 65,536 stamps fit in 777; the rest borrow 778
  // A receive of a stamp with an exhausted counter carries too.
  HybridClock other([] { return uint64_t{10}; });
  Hlc got = other.receive(Hlc::make(10, 65535));
  EXPECT_EQ(got, Hlc::make(11, 0));
}

TEST(Hlc, ClampsStampsTooFarAhead) {
  uint64_t wall = 1'000'000;
  HybridClock clock([&] { return wall; }, 60'000);
  Hlc years_ahead = Hlc::make(wall + 10ull * 365 * 24 * 3600 * 1000, 0);
  Hlc got = clock.receive(years_ahead);
  EXPECT_LE(got.physical(), wall + 60'000);
  EXPECT_EQ(clock.clamped(), 1u);
  // Within the bound, nothing is clamped.
  Hlc near = Hlc::make(wall + 59'000, 3);
  EXPECT_GT(clock.receive(near), near);
  EXPECT_EQ(clock.clamped(), 1u);
  // 0 turns clamping off: the clock follows the stamp.
  HybridClock trusting([&] { return wall; }, 0);
  EXPECT_GT(trusting.receive(years_ahead), years_ahead);
  EXPECT_EQ(trusting.clamped(), 0u);
}

TEST(Hlc, ObserveMovesPastAStampWithoutAnEvent) {
  HybridClock clock([] { return uint64_t{5}; });
  clock.observe(Hlc::make(900, 2));
  EXPECT_EQ(clock.last(), Hlc::make(900, 2));
  EXPECT_EQ(clock.now(), Hlc::make(900, 3));
  clock.observe(Hlc::make(10, 0));  // older: no effect
  EXPECT_EQ(clock.last(), Hlc::make(900, 3));
}

}  // namespace
