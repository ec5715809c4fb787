// The receiving half of a Stream: ordering and the out-of-order buffer, SACK generation,
// ACK/SACK processing (RTT, RACK state, congestion window growth), END and DESTROY.
// Mirrors libudx's process_packet (src/udx.c) in order of steps.
#include <algorithm>

#include "net/udx/stream.hpp"

namespace net::udx {

namespace {
constexpr uint32_t kRtoMaxMs = 30000;
constexpr uint32_t kRttMaxMs = 30000;
constexpr size_t kMaxSacksProcessed = 64;  // libudx sends at most 50 per ACK
}  // namespace

bool Stream::admit(const Address& from, Millis now) {
  if (!connected_) {
    if (!accept_first_) {
      stats_.dropped_packets++;
      return false;
    }
    connect(remote_id_, from, now);
  }
  if (!takes_from(from)) {
    stats_.dropped_packets++;
    return false;
  }
  if (remote_changed_ && from == remote_) heard_since_change_ = true;
  return true;
}

bool Stream::takes_from(const Address& from) const {
  if (!connected_) return accept_first_;
  return from == remote_ || options_.accept_any_source || (previous_remote_ && from == *previous_remote_);
}

void Stream::receive(const PacketView& p, const Address& from, Millis now) {
  const uint8_t type = p.header.type;
  if (state_ == State::closed) {
    // Lingering after a clean close: re-acknowledge a retransmitted END or DATA.
    if (connected_ && now < linger_until_ && from == remote_ && (type & (kTypeData | kTypeEnd))) ack_needed_ = true;
    return;
  }
  if (!admit(from, now)) return;
  stats_.packets_received++;
  if (type & kTypeHeartbeat) {  // libudx answers with an ACK and reads nothing else
    queue_control(0, now);
    return;
  }
  const uint32_t seq = p.header.seq;
  if ((type & kTypeData) && !(type & kTypeSack) && p.header.data_offset > 0) stats_.padded_packets_received++;
  const bool duplicate = seq_diff(seq, ack_) < 0 || ooo_.contains(seq);
  if (seq_diff(seq, ack_) >= 0) {
    if ((type & (kTypeData | kTypeEnd)) && !remote_ended_ && !ooo_.contains(seq)) accept_data(seq, type, p.payload);
    if (type & kTypeEnd) {
      remote_ending_ = true;
      remote_end_seq_ = seq;
    }
    if (type & kTypeDestroy) {
      close(UdxError{UdxErrc::reset_by_peer, "stream " + std::to_string(local_id_) + " destroyed by peer"}, now,
            false);
      return;
    }
  }
  if (type & kTypeMessage) {
    events_.push_back({StreamEvent::Kind::message, hypercore::Bytes(p.payload.begin(), p.payload.end()), {}});
  }
  deliver_in_order();
  process_ack(p, now);
  if (state_ == State::closed) return;
  if (type & (kTypeData | kTypeEnd)) {
    // A packet we already had means our ACK was lost: send one more now, so a path that
    // drops every other datagram cannot eat every ACK of a one-packet exchange.
    if (duplicate) queue_control(0, now);
    ack_needed_ = true;
  }
  check_remote_end();
  if (remote_ended_ && ended_) close(std::nullopt, now, true);
}

void Stream::push_data(hypercore::Bytes bytes) {
  if (bytes.empty()) return;
  undelivered_bytes_ += bytes.size();
  events_.push_back({StreamEvent::Kind::data, std::move(bytes), {}});
}

// Bounded: what waits in events by recv_window (+ two packets of slack), out-of-order packets
// by max_out_of_order bytes and within as many packets' worth of sequence numbers. The
// head-of-line packet is judged by the first bound alone: refusing it because the
// out-of-order buffer is full would refuse the one packet that can empty that buffer.
void Stream::accept_data(uint32_t seq, uint8_t type, hypercore::ByteSpan payload) {
  if (seq == ack_ && (type & kTypeData)) {
    if (undelivered_bytes_ + payload.size() > options_.recv_window + 2 * max_payload_) {
      stats_.dropped_packets++;
      return;
    }
    ack_++;
    push_data(hypercore::Bytes(payload.begin(), payload.end()));
    return;
  }
  const size_t max_packets = std::max<size_t>(64, options_.max_out_of_order / kMaxPayloadV6);
  if (ooo_bytes_ + payload.size() > options_.max_out_of_order || static_cast<size_t>(seq_diff(seq, ack_)) >= max_packets) {
    stats_.dropped_packets++;
    return;
  }
  ooo_bytes_ += payload.size();
  stats_.peak_out_of_order = std::max<uint64_t>(stats_.peak_out_of_order, ooo_bytes_);
  ooo_.emplace(seq, InPacket{type, hypercore::Bytes(payload.begin(), payload.end())});
}

void Stream::deliver_in_order() {
  while (!remote_ended_ && !ooo_.empty() && ooo_.begin()->first == ack_) {
    auto node = ooo_.extract(ooo_.begin());
    ack_++;
    ooo_bytes_ -= node.mapped().payload.size();
    if (node.mapped().type & kTypeData) push_data(std::move(node.mapped().payload));
  }
}

void Stream::check_remote_end() {
  if (remote_ending_ && !remote_ended_ && seq_diff(remote_end_seq_, ack_) <= 0) {
    remote_ended_ = true;
    ooo_.clear();
    ooo_bytes_ = 0;
    events_.push_back({StreamEvent::Kind::remote_end, {}, {}});
  }
}

std::vector<SackBlock> Stream::sack_blocks() const {
  std::vector<SackBlock> out;
  for (const auto& [seq, pkt] : ooo_) {
    if (!out.empty() && out.back().end == seq) {
      out.back().end = seq + 1;
    } else {
      if (out.size() == kMaxSackBlocks) break;
      out.push_back({seq, seq + 1});
    }
  }
  return out;
}

void Stream::ack_packet(OutPacket& pkt, bool by_sack, Millis now) {
  mtu_on_acked(pkt);
  // Declared lost, yet acked before it was sent again, or sooner after its retransmission
  // than any round trip has ever taken: the first copy arrived.
  if (pkt.declared_lost &&
      (pkt.lost || (rtt_min_ != 0xffffffff && (now - pkt.time_sent).count() + 1 < static_cast<int64_t>(rtt_min_)))) {
    spurious_loss(now);
  }
  rate_.on_delivered(pkt.snapshot, pkt.time_sent);
  if (pkt.in_flight) {
    pkt.in_flight = false;
    inflight_--;
  } else if (pkt.lost) {
    pkt.lost = false;
    lost_count_--;
  }
  uint32_t rtt = static_cast<uint32_t>(std::clamp<int64_t>((now - pkt.time_sent).count(), 0, kRttMaxMs));
  if (srtt_ > 0 && rtt > srtt_ + 5 * rttvar_ && rtt > 5000) rtt = std::min(srtt_ + 5 * rttvar_, kRttMaxMs);
  if (!pkt.retransmitted) {
    rtt_min_ = std::min(rtt_min_, rtt);
    // Karn: a packet sent before our latest retransmission may have waited behind the hole
    // it repaired, so its "RTT" measures the repair, not the path.
    if (pkt.time_sent >= last_retransmit_at_) ack_rtt_sample_ = std::min(ack_rtt_sample_, rtt);
    tlp_permitted_ = true;
  }
  const uint32_t next = pkt.seq + 1;
  if (!pkt.retransmitted || rtt >= rtt_min_) {
    rack_rtt_ = rtt;
    if (pkt.tx_order > rack_tx_order_) {
      rack_time_sent_ = pkt.time_sent;
      rack_tx_order_ = pkt.tx_order;
    }
  }
  if (seq_diff(next, rack_fack_) > 0) {
    rack_fack_ = next;
  } else if (seq_diff(next, rack_fack_) < 0 && !pkt.retransmitted) {
    reordering_seen_ = true;
  }
  unacked_bytes_ -= pkt.payload.size();
  if (by_sack) {
    pkt.sacked = true;
    sacked_count_++;
    hypercore::Bytes().swap(pkt.payload);
  }
  if (high_water_hit_ && unacked_bytes_ < options_.send_high_water) {
    high_water_hit_ = false;
    events_.push_back({StreamEvent::Kind::drained, {}, {}});
  }
}

// RFC 6298 with libudx's constants, fed one sample per ACK: the newest packet it newly
// acknowledges (libudx samples every packet; a packet acked late because the ACKs that
// covered it were lost then inflates SRTT and the RTO towards 30 s).
void Stream::update_rtt(uint32_t rtt) {
  if (srtt_ == 0) {
    srtt_ = rtt;
    rttvar_ = rtt / 2;
  } else {
    const uint32_t delta = rtt < srtt_ ? srtt_ - rtt : rtt - srtt_;
    rttvar_ = (3 * rttvar_ + delta) / 4;
    srtt_ = (7 * srtt_ + rtt) / 8;
  }
  rto_ = std::min(std::max(srtt_ + 4 * rttvar_, 1000u), kRtoMaxMs);
}

void Stream::process_ack(const PacketView& p, Millis now) {
  ack_rtt_sample_ = 0xffffffff;
  const uint32_t ack = p.header.ack;
  const uint32_t prior = remote_acked_;
  const bool ack_advanced = seq_diff(ack, prior) > 0;
  const bool data_inflight = remote_acked_ != seq_;
  if (seq_diff(seq_, ack) < 0) return;  // acknowledges what we never sent
  if (seq_diff(ack, remote_acked_) >= 0) {
    const uint32_t seq = p.header.seq;
    if (!window_known_ || seq_diff(snd_wl1_, seq) < 0 || (snd_wl1_ == seq && seq_diff(snd_wl2_, ack) <= 0)) {
      if (p.header.rwnd > 0 && timer_ == Timer::zwp) timer_ = Timer::none;
      send_rwnd_ = p.header.rwnd;
      snd_wl1_ = seq;
      snd_wl2_ = ack;
      window_known_ = true;
    }
  }
  if (remote_changing_ && seq_diff(ack, seq_on_remote_changed_) >= 0) remote_changing_ = false;
  if (tlp_in_flight_ && seq_diff(ack, tlp_end_seq_) >= 0) {
    if (!tlp_is_retrans_ || seq_diff(ack, tlp_end_seq_) > 0) tlp_in_flight_ = false;
  }
  if (seq_diff(ack, high_seq_) > 0 && ca_ != Ca::open) {
    if (ca_ == Ca::recovery && !bbr_) cwnd_ = std::max(ssthresh_, 2u);
    ca_ = Ca::open;
  }
  uint32_t delivered = 0;
  while (seq_diff(ack, remote_acked_) > 0 && !out_.empty()) {
    OutPacket& pkt = out_.front();
    if (pkt.sacked) {
      sacked_count_--;
    } else {
      ack_packet(pkt, false, now);
      delivered++;
    }
    out_.pop_front();
    remote_acked_++;
  }
  remote_acked_ = seq_diff(ack, remote_acked_) > 0 ? ack : remote_acked_;
  if (ack_advanced && end_sent_ && !ended_ && out_.empty() && write_queue_bytes_ == 0) {
    if (ack_rtt_sample_ != 0xffffffff) update_rtt(ack_rtt_sample_);
    ended_ = true;  // the peer acknowledged our END
    after_all_acked(now);
    if (remote_ended_) {
      close(std::nullopt, now, true);
      return;
    }
    queue_control(0, now);
    return;
  }
  if (p.header.type & kTypeSack) {
    size_t n = 0;
    for (const auto& b : p.sacks) {
      if (++n > kMaxSacksProcessed) break;
      // libudx's udx_sack_is_valid: remote_acked <= start < end <= seq.
      if (seq_diff(b.end, seq_) > 0 || seq_diff(b.start, b.end) >= 0 || seq_diff(b.start, remote_acked_) < 0) {
        continue;
      }
      for (uint32_t s = b.start; s != b.end; s++) {
        OutPacket* pkt = find_out(s);
        if (pkt == nullptr || pkt->sacked) continue;
        ack_packet(*pkt, true, now);
        delivered++;
      }
    }
  }
  if (ack_rtt_sample_ != 0xffffffff) update_rtt(ack_rtt_sample_);
  if (state_ == State::closed) return;
  bool arm_rto_or_tlp = ack_advanced && data_inflight;
  if (delivered > 0) {
    if (!bbr_ && ca_ != Ca::recovery && cwnd_ < kMaxCwnd) {
      if (cwnd_ < ssthresh_) {
        cwnd_ = std::min(cwnd_ + delivered, kMaxCwnd);
      } else {
        cwnd_acc_ += delivered;
        while (cwnd_acc_ >= cwnd_) {
          cwnd_acc_ -= cwnd_;
          cwnd_++;
        }
      }
    }
    if (remote_acked_ == seq_) {
      arm_rto_or_tlp = false;
      after_all_acked(now);
    } else {
      next_rto_at_ = now + Millis(rto_);
    }
    const uint32_t timeout = rack_detect_loss(now);
    if (timeout > 0) {
      start_timer(Timer::rack_reo, now + Millis(timeout), now);
      arm_rto_or_tlp = false;
    }
    on_ack_model(delivered, now);
  }
  if (arm_rto_or_tlp && !schedule_tlp(now, true)) rearm_rto(now, true);
}

}  // namespace net::udx
