// Delivery-rate estimation for a UDX sender (what BBR measures the path with), as Linux's
// tcp_rate.c does it and libudx's udx_rate.c follows: each packet remembers, when sent, how
// much had been delivered and when; when it is acknowledged, what was delivered since,
// over the longer of the send and ack intervals, is a lower bound of the path's rate.
// Packets, not bytes; milliseconds, the stream's clock. Sans-I/O: the Stream calls it.
#pragma once

#include <chrono>
#include <cstdint>

namespace net::udx {

// What a packet carries from its (last) transmission.
struct SendSnapshot {
  uint64_t delivered = 0;             // packets delivered when it was sent
  std::chrono::milliseconds delivered_time{-1};  // when that count was last raised (-1: none)
  std::chrono::milliseconds first_sent_time{0};  // send time of the packet that opened this flight
  bool app_limited = false;           // sent while the sender had nothing more to send
};

// One ACK's sample. valid() when it measured an interval of at least a millisecond.
struct RateSample {
  uint64_t delivered = 0;        // packets delivered over the interval
  std::chrono::milliseconds interval{0};
  uint64_t prior_delivered = 0;  // the acked packet's snapshot (the newest one sent)
  uint32_t acked_sacked = 0;     // packets newly delivered by this ACK
  uint32_t losses = 0;           // packets this ACK declared lost
  uint64_t total_delivered = 0;  // packets delivered since the stream began
  uint64_t total_lost = 0;       // packets declared lost since the stream began
  bool app_limited = false;
  bool has_interval = false;
  bool valid() const { return has_interval && interval.count() > 0; }
  // Packets per millisecond; 0 when not valid().
  double rate() const { return valid() ? static_cast<double>(delivered) / static_cast<double>(interval.count()) : 0; }
};

class DeliveryRate {
 public:
  using Millis = std::chrono::milliseconds;

  // A packet leaves (first transmission or retransmission); `inflight` counts packets in
  // flight before it.
  SendSnapshot on_send(Millis now, uint32_t inflight);
  // A packet is acknowledged or selectively acknowledged for the first time.
  void on_delivered(const SendSnapshot& snapshot, Millis sent_at);
  // After an ACK's packets went through on_delivered: the sample.
  RateSample finish(Millis now, uint32_t acked_sacked, uint32_t losses);
  // The sender ran out of data with room in its window: samples until what is in flight
  // now is delivered measure the application, not the path.
  void mark_app_limited(uint32_t inflight);

  uint64_t delivered() const { return delivered_; }

 private:
  uint64_t delivered_ = 0, lost_ = 0;
  Millis delivered_time_{0};
  Millis first_sent_time_{0};
  uint64_t app_limited_until_ = 0;  // 0: not app-limited
  // The sample being built by one ACK.
  RateSample sample_;
  Millis prior_time_{-1};
  Millis send_elapsed_{0};
  uint32_t newly_ = 0;
};

}  // namespace net::udx
