// BBR against NewReno on the simulated link (udx_sim.hpp): random loss must not collapse
// BBR's window, and it must not buy its speed with needless retransmissions.
#include <gtest/gtest.h>

#include <random>

#include "udx_pair.hpp"

using namespace udx_sim;

namespace {

struct Outcome {
  Millis took{0};
  StreamStats sender;
  uint64_t dropped = 0;
};

// `bytes` one way a -> b over a link with `loss` random loss each way and `delay` each way.
Outcome one_way(CongestionControl cc, double loss, Millis delay, size_t bytes, uint32_t seed = 3) {
  Policy policy;
  auto rng = std::make_shared<std::mt19937>(seed);
  policy.drop = [rng, loss](uint64_t, int, const Datagram&) { return std::uniform_real_distribution<>(0, 1)(*rng) < loss; };
  policy.delay = delay;
  StreamOptions options;
  options.congestion = cc;
  Pair p(policy, options, options);
  const hypercore::Bytes data = pattern(bytes, seed);
  for (size_t off = 0; off < data.size(); off += 65536) {
    EXPECT_TRUE(p.sa->write(std::span(data).subspan(off, std::min<size_t>(65536, data.size() - off)), p.sim.now));
  }
  EXPECT_TRUE(p.sa->end(p.sim.now));
  EXPECT_TRUE(p.sim.run([&] { return p.sim.b.remote_ended[2]; }, Millis(3600000)));
  EXPECT_EQ(p.sim.b.received[2], data);
  Outcome o;
  o.took = p.sim.now;
  o.sender = p.sa->stats();
  o.dropped = p.sim.dropped;
  return o;
}

}  // namespace

TEST(UdxBbr, RandomLossDoesNotCollapseTheWindow) {
  // 1 % loss, 20 ms round trips: NewReno's window halves every ~100 packets.
  auto bbr = one_way(CongestionControl::bbr, 0.01, Millis(10), 4 << 20);
  auto reno = one_way(CongestionControl::newreno, 0.01, Millis(10), 4 << 20);
  std::printf("[ 1%% loss, 20 ms RTT, 4 MiB ] BBR %lld ms (%llu retransmits), NewReno %lld ms (%llu retransmits)\n",
              static_cast<long long>(bbr.took.count()), static_cast<unsigned long long>(bbr.sender.retransmits),
              static_cast<long long>(reno.took.count()), static_cast<unsigned long long>(reno.sender.retransmits));
  EXPECT_LT(bbr.took.count() * 4, reno.took.count());
  EXPECT_GT(bbr.sender.bandwidth, 0);
}

TEST(UdxBbr, RetransmissionsStayNearTheLoss) {
  for (double loss : {0.01, 0.05}) {
    auto o = one_way(CongestionControl::bbr, loss, Millis(1), 4 << 20);
    std::printf("[ %.0f%% loss, 2 ms RTT, 4 MiB ] BBR %lld ms, %llu packets sent, %llu retransmits, %llu dropped\n",
                loss * 100, static_cast<long long>(o.took.count()), static_cast<unsigned long long>(o.sender.packets_sent),
                static_cast<unsigned long long>(o.sender.retransmits), static_cast<unsigned long long>(o.dropped));
    // Each drop costs at most a couple of resends (a resend can be dropped too).
    EXPECT_LT(o.sender.retransmits, 3 * o.dropped + 20) << loss;
  }
}


// The model alone: a path of 10 packets/ms and 10 ms, every packet acked one RTT after it
// left, the sender always having data.
namespace {

struct ModelRun {
  DeliveryRate rate;
  Bbr bbr{4096};
  Millis now{0};
  struct InFlight {
    SendSnapshot snapshot;
    Millis sent;
  };
  std::vector<InFlight> flight;

  // One millisecond: acks for what left 10 ms ago (at most `path_rate` of them), then sends
  // up to cwnd at the pacing rate.
  void step(uint32_t path_rate) {
    uint32_t acked = 0;
    std::vector<InFlight> keep;
    for (auto& f : flight) {
      if (now - f.sent >= Millis(10) && acked < path_rate) {
        rate.on_delivered(f.snapshot, f.sent);
        acked++;
      } else {
        keep.push_back(f);
      }
    }
    flight.swap(keep);
    if (acked > 0) {
      auto rs = rate.finish(now, acked, 0);
      bbr.on_ack(rs, static_cast<uint32_t>(flight.size()), now, 10);
    }
    double budget = std::max(1.0, bbr.pacing_rate());
    while (flight.size() < bbr.cwnd() && budget >= 1) {
      budget -= 1;
      flight.push_back({rate.on_send(now, static_cast<uint32_t>(flight.size())), now});
    }
    now += Millis(1);
  }
};

}  // namespace

TEST(UdxBbr, DeliveryRateMeasuresTheInterval) {
  DeliveryRate rate;
  std::vector<SendSnapshot> sent;
  for (int i = 0; i < 10; i++) sent.push_back(rate.on_send(Millis(0), static_cast<uint32_t>(i)));
  for (auto& s : sent) rate.on_delivered(s, Millis(0));
  auto rs = rate.finish(Millis(10), 10, 0);
  ASSERT_TRUE(rs.valid());
  EXPECT_EQ(rs.delivered, 10u);
  EXPECT_EQ(rs.interval, Millis(10));
  EXPECT_DOUBLE_EQ(rs.rate(), 1.0);
  // Under a millisecond there is no rate on this clock.
  auto next = rate.on_send(Millis(10), 0);
  rate.on_delivered(next, Millis(10));
  EXPECT_FALSE(rate.finish(Millis(10), 1, 0).valid());
}

TEST(UdxBbr, StartupFindsTheRateThenProbesAroundIt) {
  ModelRun run;
  for (int ms = 0; ms < 2000; ms++) run.step(10);
  EXPECT_TRUE(run.bbr.full_bandwidth_reached());
  EXPECT_EQ(run.bbr.mode(), Bbr::Mode::probe_bw);
  EXPECT_NEAR(run.bbr.bandwidth(), 10.0, 1.5);
  EXPECT_EQ(run.bbr.min_rtt_ms(), 10u);
  // cwnd = 2 x BDP (10 x 10) + 3, give or take the rate estimate.
  EXPECT_GE(run.bbr.cwnd(), 180u);
  EXPECT_LE(run.bbr.cwnd(), 240u);
}

TEST(UdxBbr, MinRttAgesIntoProbeRtt) {
  ModelRun run;
  bool probed = false;
  for (int ms = 0; ms < 12000 && !probed; ms++) {
    run.step(10);
    probed = run.bbr.mode() == Bbr::Mode::probe_rtt;
  }
  EXPECT_TRUE(probed);
  EXPECT_EQ(run.bbr.cwnd(), Bbr::kMinCwnd);
}
