#include "net/udx/delivery_rate.hpp"

#include <algorithm>

namespace net::udx {

SendSnapshot DeliveryRate::on_send(Millis now, uint32_t inflight) {
  // tcp_rate_skb_sent: a flight that starts from nothing starts both clocks now, so the
  // idle time before it does not dilute the first sample.
  if (inflight == 0) {
    first_sent_time_ = now;
    delivered_time_ = now;
  }
  return SendSnapshot{delivered_, delivered_time_, first_sent_time_, app_limited_until_ != 0};
}

void DeliveryRate::on_delivered(const SendSnapshot& s, Millis sent_at) {
  delivered_++;
  newly_++;
  if (s.delivered_time.count() < 0) return;
  // tcp_rate_skb_delivered: the sample follows the most recently sent packet acked.
  if (!sample_.has_interval || s.delivered >= sample_.prior_delivered) {
    sample_.has_interval = true;
    sample_.prior_delivered = s.delivered;
    sample_.app_limited = s.app_limited;
    prior_time_ = s.delivered_time;
    send_elapsed_ = sent_at - s.first_sent_time;
    first_sent_time_ = sent_at;  // the next flight's sends are timed from here
  }
}

RateSample DeliveryRate::finish(Millis now, uint32_t acked_sacked, uint32_t losses) {
  if (app_limited_until_ != 0 && delivered_ > app_limited_until_) app_limited_until_ = 0;
  if (newly_ > 0) delivered_time_ = now;
  RateSample rs = sample_;
  rs.acked_sacked = acked_sacked;
  rs.losses = losses;
  lost_ += losses;
  rs.total_delivered = delivered_;
  rs.total_lost = lost_;
  if (rs.has_interval) {
    rs.delivered = delivered_ - rs.prior_delivered;
    // The longer of the two intervals: sends may have been compressed by a queue, or the
    // acks by aggregation; either way the shorter one overstates the rate.
    rs.interval = std::max(send_elapsed_, now - prior_time_);
  }
  sample_ = RateSample{};
  prior_time_ = Millis(-1);
  send_elapsed_ = Millis(0);
  newly_ = 0;
  return rs;
}

void DeliveryRate::mark_app_limited(uint32_t inflight) {
  app_limited_until_ = std::max<uint64_t>(delivered_ + inflight, 1);
}

}  // namespace net::udx
