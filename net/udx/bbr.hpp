// BBR (v1, as Linux's tcp_bbr.c, which libudx's udx_bbr.c ports) for a UDX sender: a model
// of the path, the bottleneck rate (the max delivery rate of the last 10 round trips) and
// the round-trip propagation time (the min RTT of the last 10 s), sets the congestion
// window (2 x rate x RTT) and the pacing rate (gain x rate) instead of reacting to every
// loss as NewReno does, so random loss does not collapse the window. States: STARTUP
// (doubling, until the rate stops growing by 25 % for 3 rounds), DRAIN (the queue it
// built), PROBE_BW (gains 1.25, 0.75, then 1 for six rounds, cycling), PROBE_RTT (4
// packets for 200 ms when the min RTT is 10 s old). A bottleneck that drops what exceeds
// a rate (a policer, or a receiver's socket buffer that a slower reader lets overflow) is
// found as Linux's BBR v1 finds it: two intervals of 4+ rounds with 20 % loss and the same
// delivery rate; the sender then paces at that rate for 48 rounds before probing again.
//
// Units: packets and milliseconds (the stream's clock); a min RTT under a millisecond
// counts as one. Sans-I/O: the Stream feeds it samples and reads cwnd() and pacing_rate().
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "net/udx/delivery_rate.hpp"

namespace net::udx {

class Bbr {
 public:
  using Millis = std::chrono::milliseconds;
  enum class Mode { startup, drain, probe_bw, probe_rtt };

  static constexpr uint32_t kInitialCwnd = 10;
  static constexpr uint32_t kMinCwnd = 4;

  explicit Bbr(uint32_t max_cwnd, uint32_t seed = 1);

  // After each ACK that acknowledged something: its rate sample, the packets now in
  // flight, and the RTT it measured (ms; nullopt if none).
  void on_ack(const RateSample& rs, uint32_t inflight, Millis now, std::optional<uint32_t> rtt_ms);
  // The retransmission timer fired: the model stays, the window restarts from 4 packets.
  void on_rto();
  // The sender became idle and starts again: pace at the estimated rate at once.
  void on_restart_from_idle(Millis now);

  uint32_t cwnd() const { return cwnd_; }
  // Packets per millisecond the sender should not exceed.
  double pacing_rate() const { return pacing_rate_; }
  Mode mode() const { return mode_; }
  // Packets per millisecond: the policed rate while one is in use, else the windowed max.
  double bandwidth() const;
  double max_bandwidth() const;
  bool policed() const { return lt_use_bw_; }
  uint32_t min_rtt_ms() const { return min_rtt_ms_; }
  bool full_bandwidth_reached() const { return full_bw_reached_; }

 private:
  uint32_t bdp(double bw, double gain) const;
  void update_bandwidth(const RateSample& rs, Millis now);
  void check_full_bandwidth(const RateSample& rs);
  void check_drain(uint32_t inflight, Millis now);
  void update_cycle_phase(const RateSample& rs, uint32_t inflight, Millis now);
  void update_min_rtt(const RateSample& rs, uint32_t inflight, Millis now, std::optional<uint32_t> rtt_ms);
  void enter_probe_bw(Millis now);
  void set_pacing_rate(double gain);
  void set_cwnd(const RateSample& rs);
  void lt_sampling(const RateSample& rs, Millis now);
  void lt_interval_done(double bw, const RateSample& rs, Millis now);
  void lt_reset_interval(const RateSample& rs, Millis now);
  void lt_reset();

  uint32_t max_cwnd_;
  uint32_t rng_;
  Mode mode_ = Mode::startup;
  uint32_t cwnd_ = kInitialCwnd;
  double pacing_rate_ = 0;
  double pacing_gain_, cwnd_gain_;

  // Round trips: a round ends when a packet sent after its start is delivered.
  uint64_t round_count_ = 0, next_round_delivered_ = 0;
  bool round_start_ = false;
  Millis round_started_at_{-1};
  // Max filter: the best sample of each of the last kBwRounds rounds.
  static constexpr size_t kBwRounds = 10;
  std::array<double, kBwRounds> bw_by_round_{};
  std::array<uint64_t, kBwRounds> bw_round_{};

  uint32_t min_rtt_ms_ = 0xffffffff;
  Millis min_rtt_stamp_{0};
  bool full_bw_reached_ = false;
  double full_bw_ = 0;
  uint32_t full_bw_count_ = 0;

  size_t cycle_index_ = 0;
  Millis cycle_stamp_{0};

  std::optional<Millis> probe_rtt_done_;
  bool probe_rtt_round_done_ = false;
  uint32_t prior_cwnd_ = 0;
  bool idle_restart_ = false;

  // Long-term (policed) rate sampling.
  bool lt_is_sampling_ = false, lt_use_bw_ = false;
  double lt_bw_ = 0;
  uint32_t lt_rtt_count_ = 0;
  uint64_t lt_last_delivered_ = 0, lt_last_lost_ = 0;
  Millis lt_last_stamp_{0};
};

}  // namespace net::udx
