#include "net/udx/bbr.hpp"

#include <algorithm>
#include <cmath>

namespace net::udx {

namespace {
constexpr double kHighGain = 2.885;  // 2 / ln 2: doubles the rate each round trip
constexpr double kDrainGain = 1 / kHighGain;
constexpr double kCwndGain = 2.0;
constexpr double kPacingMargin = 0.99;
constexpr std::array<double, 8> kCycleGains = {1.25, 0.75, 1, 1, 1, 1, 1, 1};
constexpr uint32_t kCycleRandom = 7;
constexpr double kFullBwThreshold = 1.25;
constexpr uint32_t kFullBwRounds = 3;
constexpr std::chrono::milliseconds kMinRttWindow{10000};
constexpr std::chrono::milliseconds kProbeRttTime{200};
constexpr uint32_t kQuantum = 3;  // packets a pacing burst may add (Linux: 3 TSO segments)
constexpr uint32_t kLtIntervalMinRounds = 4;
constexpr double kLtLossThreshold = 0.2;
constexpr double kLtBwRatio = 0.125;
constexpr double kLtBwDiff = 0.43;  // packets per ms (~500 KB/s, Linux's 4 Mbit/s)
constexpr uint32_t kLtBwMaxRounds = 48;
}  // namespace

Bbr::Bbr(uint32_t max_cwnd, uint32_t seed)
    : max_cwnd_(std::max(max_cwnd, kMinCwnd)), rng_(seed == 0 ? 1 : seed), pacing_gain_(kHighGain), cwnd_gain_(kHighGain) {
  // Until an RTT is known, as if it were a millisecond.
  pacing_rate_ = kHighGain * kInitialCwnd;
}

double Bbr::bandwidth() const { return lt_use_bw_ ? lt_bw_ : max_bandwidth(); }

double Bbr::max_bandwidth() const {
  double best = 0;
  for (size_t i = 0; i < kBwRounds; i++) {
    if (bw_round_[i] + kBwRounds > round_count_) best = std::max(best, bw_by_round_[i]);
  }
  return best;
}

uint32_t Bbr::bdp(double bw, double gain) const {
  if (min_rtt_ms_ == 0xffffffff || bw <= 0) return kInitialCwnd;
  const double rtt = std::max<uint32_t>(min_rtt_ms_, 1);
  // Clamped before the conversion: a peer's ACK timing must not overflow it.
  return static_cast<uint32_t>(std::min(std::ceil(bw * rtt * gain), 1e9));
}

void Bbr::update_bandwidth(const RateSample& rs, Millis now) {
  round_start_ = false;
  if (!rs.has_interval) return;
  // A round lasts at least a millisecond: on loopback a round trip is a fraction of one,
  // and rounds that short would age the 10-round filter out within a millisecond and end
  // STARTUP before any sample could be measured on this clock.
  if (rs.prior_delivered >= next_round_delivered_ && now > round_started_at_) {
    round_started_at_ = now;
    next_round_delivered_ = rs.prior_delivered + rs.delivered;
    round_count_++;
    round_start_ = true;
  }
  if (!rs.valid()) return;  // under a millisecond: no rate on this clock
  const double bw = rs.rate();
  // An app-limited sample only counts when it beats the estimate (it is a lower bound).
  if (rs.app_limited && bw < max_bandwidth()) return;
  const size_t slot = round_count_ % kBwRounds;
  if (bw_round_[slot] != round_count_) {
    bw_round_[slot] = round_count_;
    bw_by_round_[slot] = bw;
  } else {
    bw_by_round_[slot] = std::max(bw_by_round_[slot], bw);
  }
}

void Bbr::check_full_bandwidth(const RateSample& rs) {
  if (full_bw_reached_ || !round_start_ || rs.app_limited || !rs.valid()) return;
  const double bw = max_bandwidth();
  if (bw >= full_bw_ * kFullBwThreshold) {
    full_bw_ = bw;
    full_bw_count_ = 0;
    return;
  }
  full_bw_reached_ = ++full_bw_count_ >= kFullBwRounds;
}

void Bbr::enter_probe_bw(Millis now) {
  mode_ = Mode::probe_bw;
  rng_ = rng_ * 1103515245 + 12345;
  // Start anywhere but the 0.75 phase, as Linux does.
  cycle_index_ = (kCycleGains.size() - 1 - (rng_ >> 16) % kCycleRandom + 1) % kCycleGains.size();
  cycle_stamp_ = now;
}

void Bbr::check_drain(uint32_t inflight, Millis now) {
  if (mode_ == Mode::startup && full_bw_reached_) mode_ = Mode::drain;
  if (mode_ == Mode::drain && inflight <= bdp(bandwidth(), 1.0)) enter_probe_bw(now);
}

void Bbr::update_cycle_phase(const RateSample& rs, uint32_t inflight, Millis now) {
  if (mode_ != Mode::probe_bw) return;
  const double gain = kCycleGains[cycle_index_];
  const bool full_length = now - cycle_stamp_ > Millis(std::max<uint32_t>(min_rtt_ms_ == 0xffffffff ? 1 : min_rtt_ms_, 1));
  bool next = full_length;
  if (gain > 1) next = full_length && (rs.losses > 0 || inflight >= bdp(bandwidth(), gain));
  if (gain < 1) next = full_length || inflight <= bdp(bandwidth(), 1.0);
  if (next) {
    cycle_index_ = (cycle_index_ + 1) % kCycleGains.size();
    cycle_stamp_ = now;
  }
}

void Bbr::update_min_rtt(const RateSample& rs, uint32_t inflight, Millis now, std::optional<uint32_t> rtt_ms) {
  const bool expired = min_rtt_ms_ != 0xffffffff && now > min_rtt_stamp_ + kMinRttWindow;
  if (rtt_ms && (*rtt_ms < min_rtt_ms_ || expired)) {
    if (min_rtt_ms_ == 0xffffffff) pacing_rate_ = kHighGain * cwnd_ / std::max<uint32_t>(*rtt_ms, 1);
    min_rtt_ms_ = *rtt_ms;
    min_rtt_stamp_ = now;
  }
  if (expired && !idle_restart_ && mode_ != Mode::probe_rtt) {
    mode_ = Mode::probe_rtt;
    prior_cwnd_ = cwnd_;
    probe_rtt_done_.reset();
  }
  if (mode_ != Mode::probe_rtt) return;
  if (!probe_rtt_done_ && inflight <= kMinCwnd) {
    probe_rtt_done_ = now + kProbeRttTime;
    probe_rtt_round_done_ = false;
    next_round_delivered_ = rs.total_delivered;  // a round from now
  } else if (probe_rtt_done_) {
    if (round_start_) probe_rtt_round_done_ = true;
    if (probe_rtt_round_done_ && now >= *probe_rtt_done_) {
      min_rtt_stamp_ = now;
      cwnd_ = std::max(cwnd_, prior_cwnd_);
      if (full_bw_reached_) {
        enter_probe_bw(now);
      } else {
        mode_ = Mode::startup;
      }
    }
  }
}

void Bbr::set_pacing_rate(double gain) {
  const double rate = gain * bandwidth() * kPacingMargin;
  if (rate <= 0) return;
  // In STARTUP the rate only grows: an early low sample must not slow the search.
  if (full_bw_reached_ || rate > pacing_rate_) pacing_rate_ = rate;
}

void Bbr::set_cwnd(const RateSample& rs) {
  const uint32_t acked = rs.acked_sacked;
  if (acked > 0) {
    const uint32_t target = bdp(bandwidth(), cwnd_gain_) + kQuantum;
    if (full_bw_reached_) {
      cwnd_ = std::min(cwnd_ + acked, target);
    } else if (cwnd_ < target || rs.total_delivered < kInitialCwnd) {
      cwnd_ += acked;
    }
  }
  cwnd_ = std::clamp(cwnd_, kMinCwnd, max_cwnd_);
  if (mode_ == Mode::probe_rtt) cwnd_ = std::min(cwnd_, kMinCwnd);
}

void Bbr::lt_reset_interval(const RateSample& rs, Millis now) {
  lt_last_stamp_ = now;
  lt_last_delivered_ = rs.total_delivered;
  lt_last_lost_ = rs.total_lost;
  lt_rtt_count_ = 0;
}

void Bbr::lt_reset() {
  lt_bw_ = 0;
  lt_use_bw_ = false;
  lt_is_sampling_ = false;
  lt_rtt_count_ = 0;
}

void Bbr::lt_interval_done(double bw, const RateSample& rs, Millis now) {
  if (lt_bw_ > 0) {
    const double diff = std::abs(bw - lt_bw_);
    if (diff <= kLtBwRatio * lt_bw_ || diff <= kLtBwDiff) {
      // Two intervals alike: a policer (or an overflowing buffer) sets this rate.
      lt_bw_ = (bw + lt_bw_) / 2;
      lt_use_bw_ = true;
      lt_rtt_count_ = 0;
      return;
    }
  }
  lt_bw_ = bw;
  lt_reset_interval(rs, now);
}

void Bbr::lt_sampling(const RateSample& rs, Millis now) {
  if (lt_use_bw_) {
    if (mode_ == Mode::probe_bw && round_start_ && ++lt_rtt_count_ >= kLtBwMaxRounds) {
      lt_reset();
      lt_reset_interval(rs, now);
      enter_probe_bw(now);
    }
    return;
  }
  // The first loss starts an interval: before it the policer's bucket may still hold tokens.
  if (!lt_is_sampling_) {
    if (rs.losses == 0) return;
    lt_reset_interval(rs, now);
    lt_is_sampling_ = true;
  }
  if (rs.app_limited) {
    lt_reset();
    return;
  }
  if (round_start_) lt_rtt_count_++;
  if (lt_rtt_count_ < kLtIntervalMinRounds) return;
  if (lt_rtt_count_ > 4 * kLtIntervalMinRounds) {
    lt_reset();
    return;
  }
  if (rs.losses == 0) return;  // an interval ends at a loss
  const uint64_t lost = rs.total_lost - lt_last_lost_;
  const uint64_t delivered = rs.total_delivered - lt_last_delivered_;
  if (delivered == 0 || static_cast<double>(lost) < kLtLossThreshold * static_cast<double>(delivered)) return;
  const auto t = (now - lt_last_stamp_).count();
  if (t < 1) return;
  lt_interval_done(static_cast<double>(delivered) / static_cast<double>(t), rs, now);
}

void Bbr::on_ack(const RateSample& rs, uint32_t inflight, Millis now, std::optional<uint32_t> rtt_ms) {
  update_bandwidth(rs, now);
  lt_sampling(rs, now);
  update_cycle_phase(rs, inflight, now);
  check_full_bandwidth(rs);
  check_drain(inflight, now);
  update_min_rtt(rs, inflight, now, rtt_ms);
  if (rs.acked_sacked > 0) idle_restart_ = false;
  switch (mode_) {
    case Mode::startup: pacing_gain_ = kHighGain, cwnd_gain_ = kHighGain; break;
    case Mode::drain: pacing_gain_ = kDrainGain, cwnd_gain_ = kHighGain; break;
    case Mode::probe_bw: pacing_gain_ = lt_use_bw_ ? 1.0 : kCycleGains[cycle_index_], cwnd_gain_ = kCwndGain; break;
    case Mode::probe_rtt: pacing_gain_ = 1, cwnd_gain_ = 1; break;
  }
  set_pacing_rate(pacing_gain_);
  set_cwnd(rs);
}

void Bbr::on_rto() { cwnd_ = kMinCwnd; }

void Bbr::on_restart_from_idle(Millis now) {
  (void)now;
  idle_restart_ = true;
  if (mode_ == Mode::probe_bw) set_pacing_rate(1.0);
}

}  // namespace net::udx
