// BBR's side of a Stream: feeding the model (delivery-rate samples per ACK) and pacing
// what leaves at its rate. The clock is in milliseconds, so pacing is a token bucket that
// each millisecond refills by the pacing rate: a burst per millisecond, at most two
// milliseconds' worth (or 10 packets) at once.
#include <algorithm>
#include <cmath>
#include <utility>

#include "net/udx/stream.hpp"

namespace net::udx {

namespace {
constexpr double kMinBurst = 10;
constexpr double kBurstMillis = 2;
}  // namespace

bool Stream::pacing_allows(Millis now) {
  // A path whose round trip is under a millisecond (loopback, a LAN) is not paced: on this
  // clock the bucket would release a millisecond's burst anyway, and measured on loopback
  // pacing halved the throughput of both ends of one machine.
  if (!bbr_ || sending_tlp_ || bbr_->min_rtt_ms() == 0) return true;
  const double rate = bbr_->pacing_rate();
  const double burst = std::max(kMinBurst, rate * kBurstMillis);
  if (pace_last_.count() < 0) {
    pace_tokens_ = burst;
  } else if (now > pace_last_) {
    pace_tokens_ = std::min(burst, pace_tokens_ + rate * static_cast<double>((now - pace_last_).count()));
  }
  pace_last_ = now;
  if (pace_tokens_ >= 1) {
    pace_until_.reset();
    return true;
  }
  const double wait = rate > 0 ? std::clamp(std::ceil((1 - pace_tokens_) / rate), 1.0, 1000.0) : 1.0;
  pace_until_ = now + Millis(static_cast<int64_t>(wait));
  return false;
}

void Stream::paced_send(Millis now) {
  (void)now;
  if (bbr_ && !sending_tlp_) pace_tokens_ -= 1;
}

void Stream::on_ack_model(uint32_t delivered, Millis now) {
  const uint32_t losses = std::exchange(ack_losses_, 0);
  if (!bbr_) return;
  const RateSample rs = rate_.finish(now, delivered, losses);
  std::optional<uint32_t> rtt;
  if (ack_rtt_sample_ != 0xffffffff) rtt = ack_rtt_sample_;
  bbr_->on_ack(rs, inflight_, now, rtt);
  cwnd_ = bbr_->cwnd();
}

}  // namespace net::udx
