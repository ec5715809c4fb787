// The sending half of a Stream: packetisation, (re)transmission, RACK-TLP loss detection,
// RTO and the congestion window. Follows libudx's src/udx.c function by function where the
// wire can tell (timer choices, give-up rule); the window is BBR's (bbr.hpp, as libudx) or,
// when asked, NewReno's (docs/protocol/udx.md).
#include <algorithm>

#include "net/udx/stream.hpp"

namespace net::udx {

namespace {
constexpr uint32_t kRtoMaxMs = 30000;
constexpr uint32_t kMaxRtoTimeouts = 6;
constexpr uint32_t kTlpMaxAckDelay = 2;
constexpr uint32_t kLossCwnd = 4;
}  // namespace

Stream::Stream(uint32_t local_id, StreamOptions options)
    : local_id_(local_id), options_(options), seq_(options.initial_seq), remote_acked_(options.initial_seq) {
  snd_wl1_ = 0;
  snd_wl2_ = seq_;
  rack_fack_ = seq_;
  reo_bump_seq_ = seq_;
  high_seq_ = seq_;
  send_rwnd_ = 4 * 1024 * 1024;  // until the peer says otherwise (libudx starts here too)
  last_advertised_rwnd_ = options_.recv_window;
  if (options_.congestion == CongestionControl::bbr) {
    bbr_.emplace(kMaxCwnd, local_id ^ 0x9e3779b9u);
    cwnd_ = bbr_->cwnd();
  }
}

void Stream::connect(uint32_t remote_id, const Address& remote, Millis now) {
  if (connected_ || state_ == State::closed) return;
  remote_id_ = remote_id;
  remote_ = remote;
  connected_ = true;
  accept_first_ = false;
  start_mtu(remote);
  if (ack_needed_) queue_control(0, now);  // acks deferred until we knew where to send
  if (options_.keepalive.count() > 0) start_timer(Timer::keepalive, now + options_.keepalive, now);
}

UdxResult<void> Stream::change_remote(uint32_t remote_id, const Address& remote, Millis now) {
  (void)now;
  if (state_ == State::closed) return udx_fail(UdxErrc::destroyed, "change_remote on a closed stream");
  if (!connected_) return udx_fail(UdxErrc::not_connected, "change_remote before connect");
  if (!(remote == remote_)) previous_remote_ = remote_;
  remote_id_ = remote_id;
  remote_ = remote;
  // libudx defers the change's completion until the packets sent before it are acked.
  remote_changed_ = true;
  heard_since_change_ = false;
  remote_changing_ = seq_ != remote_acked_;
  seq_on_remote_changed_ = seq_;
  stats_.remote_changes++;
  // A new path: its MTU is unknown (the socket binding caps it again by the new route).
  mtu_max_ = kMtuMax;
  start_mtu(remote);
  return {};
}

void Stream::accept_first_packet(uint32_t remote_id) {
  if (connected_) return;
  remote_id_ = remote_id;
  accept_first_ = true;
}

bool Stream::finished(Millis now) const { return state_ == State::closed && now >= linger_until_; }

Header Stream::header(uint8_t type) const { return Header{type, 0, remote_id_, receive_window(), seq_, ack_}; }

uint32_t Stream::receive_window() const {
  return undelivered_bytes_ < options_.recv_window ? static_cast<uint32_t>(options_.recv_window - undelivered_bytes_)
                                                   : 0;
}

uint32_t Stream::send_window_packets() const {
  uint32_t rwnd_packets = 0;
  if (send_rwnd_ > 0) rwnd_packets = std::max<uint32_t>(1, send_rwnd_ / static_cast<uint32_t>(max_payload_));
  return std::min(cwnd_, rwnd_packets);
}

// libudx ignores the receive window for retransmissions (the receiver may have shrunk it
// while they were in flight).
bool Stream::may_send(bool retransmit) const {
  return retransmit ? inflight_ < cwnd_ : inflight_ < send_window_packets();
}

Stream::OutPacket* Stream::find_out(uint32_t seq) {
  const int32_t i = seq_diff(seq, remote_acked_);
  if (i < 0 || static_cast<size_t>(i) >= out_.size()) return nullptr;
  return &out_[static_cast<size_t>(i)];
}

void Stream::queue_control(uint8_t type, Millis now) {
  (void)now;
  if (!connected_) {
    if (type == 0) ack_needed_ = true;
    return;
  }
  std::vector<SackBlock> sacks;
  if (type == 0) {
    sacks = sack_blocks();
    ack_needed_ = false;
    last_advertised_rwnd_ = receive_window();
  }
  outbox_.push_back({remote_, encode_packet(header(type), sacks, {})});
  stats_.packets_sent++;
}

UdxResult<size_t> Stream::write(hypercore::ByteSpan bytes, Millis now) {
  if (state_ == State::closed) return udx_fail(UdxErrc::destroyed, "write on a closed stream");
  if (!connected_) return udx_fail(UdxErrc::not_connected, "write before connect");
  if (end_queued_) return udx_fail(UdxErrc::write_after_end, "write after end");
  if (bytes.empty()) return unacked_bytes_;
  const bool was_idle = unacked_bytes_ == 0;
  write_queue_.emplace_back(bytes.begin(), bytes.end());
  write_queue_bytes_ += bytes.size();
  unacked_bytes_ += bytes.size();
  if (unacked_bytes_ > options_.send_high_water) high_water_hit_ = true;
  if (was_idle && send_rwnd_ == 0) {  // libudx: an idle stream facing a zero window probes at once
    queue_control(kTypeHeartbeat, now);
    start_timer(Timer::zwp, now + Millis(rto_), now);
  }
  return unacked_bytes_;
}

UdxResult<void> Stream::end(Millis now) {
  if (state_ == State::closed) return udx_fail(UdxErrc::destroyed, "end on a closed stream");
  if (!connected_) return udx_fail(UdxErrc::not_connected, "end before connect");
  if (end_queued_) return udx_fail(UdxErrc::write_after_end, "end twice");
  end_queued_ = true;
  if (unacked_bytes_ == 0 && send_rwnd_ == 0) {
    queue_control(kTypeHeartbeat, now);
    start_timer(Timer::zwp, now + Millis(rto_), now);
  }
  return {};
}

void Stream::destroy(Millis now) {
  if (state_ == State::closed) return;
  if (connected_ && !relayed_) {  // libudx: a relaying stream closes silently
    outbox_.push_back({remote_, encode_packet(header(kTypeDestroy), {}, {})});
    seq_++;
  }
  close(std::nullopt, now, false);
}

UdxResult<void> Stream::send_message(hypercore::ByteSpan bytes, Millis now) {
  (void)now;
  if (state_ == State::closed) return udx_fail(UdxErrc::destroyed, "message on a closed stream");
  if (!connected_) return udx_fail(UdxErrc::not_connected, "message before connect");
  if (bytes.size() > kMaxMessageSize) {
    return udx_fail(UdxErrc::message_too_large, std::to_string(bytes.size()) + " bytes");
  }
  outbox_.push_back({remote_, encode_packet(header(kTypeMessage), {}, bytes)});
  stats_.packets_sent++;
  return {};
}

void Stream::close(std::optional<UdxError> error, Millis now, bool linger) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  timer_ = Timer::none;
  write_queue_.clear();
  write_queue_bytes_ = 0;
  out_.clear();
  ooo_.clear();
  ooo_bytes_ = 0;
  inflight_ = lost_count_ = 0;
  // The peer re-sends its END after its RTO (ours is the best guess of it), then 2 x RTO.
  linger_until_ = linger ? now + std::max(options_.linger, Millis(4 * rto_)) : now;
  events_.push_back({StreamEvent::Kind::closed, {}, std::move(error)});
  unlink_relays(now);
}

void Stream::send_packet(OutPacket& pkt, bool retransmit, Millis now) {
  if (retransmit) {
    pkt.retransmitted = true;
    stats_.retransmits++;
    last_retransmit_at_ = now + Millis(1);  // ms clock: same-ms packets count as before
  }
  if (pkt.lost) {
    pkt.lost = false;
    lost_count_--;
  }
  if (!pkt.in_flight) {
    // Sending after the pipe emptied: BBR paces at its estimate at once (tcp_bbr's
    // CA_EVENT_TX_START), and the delivery clocks restart.
    if (inflight_ == 0 && bbr_ && rate_.delivered() > 0) bbr_->on_restart_from_idle(now);
    pkt.snapshot = rate_.on_send(now, inflight_);
    pkt.in_flight = true;
    inflight_++;
  }
  paced_send(now);
  pkt.time_sent = now;
  pkt.tx_order = ++tx_count_;
  // A retransmission keeps seq and payload but carries the current ack and window.
  Header h{pkt.type, 0, remote_id_, receive_window(), pkt.seq, ack_};
  outbox_.push_back({remote_, encode_packet(h, {}, pkt.payload, pkt.mtu_probe ? pkt.probe_padding : 0)});
  stats_.packets_sent++;
  if (ack_needed_) ack_needed_ = false;  // this packet carries the ack (no SACK: see below)
  last_advertised_rwnd_ = h.rwnd;
}

void Stream::fill_packets(Millis now) {
  if (state_ == State::closed || !connected_) return;
  // A pacing wait that has passed is over, whatever now stops sending (the window): left
  // set, next_timeout would keep asking for a pass every millisecond.
  if (pace_until_ && now >= *pace_until_) pace_until_.reset();
  if (lost_count_ > 0) {
    for (auto& pkt : out_) {
      if (lost_count_ == 0 || !may_send(true)) break;
      if (!pkt.lost || pkt.sacked) continue;
      if (!pacing_allows(now)) return;
      send_packet(pkt, true, now);
      arm_timers(now, false);
    }
  }
  while (may_send(false)) {
    const bool end_now = end_queued_ && !end_sent_;
    if (write_queue_bytes_ == 0 && !end_now) {
      // Room in the window and nothing to send: the next samples measure us, not the path.
      if (bbr_) rate_.mark_app_limited(inflight_);
      break;
    }
    if (!pacing_allows(now)) break;
    OutPacket pkt;
    pkt.seq = seq_;
    while (pkt.payload.size() < max_payload_ && !write_queue_.empty()) {
      auto& front = write_queue_.front();
      const size_t take = std::min(max_payload_ - pkt.payload.size(), front.size() - write_queue_front_used_);
      pkt.payload.insert(pkt.payload.end(), front.begin() + static_cast<ptrdiff_t>(write_queue_front_used_),
                         front.begin() + static_cast<ptrdiff_t>(write_queue_front_used_ + take));
      write_queue_front_used_ += take;
      write_queue_bytes_ -= take;
      if (write_queue_front_used_ == front.size()) {
        write_queue_.pop_front();
        write_queue_front_used_ = 0;
      }
    }
    if (!pkt.payload.empty()) pkt.type |= kTypeData;
    if (write_queue_bytes_ == 0 && end_queued_) {
      pkt.type |= kTypeEnd;
      end_sent_ = true;
    }
    if (mtu_probe_wanted_ && !sending_tlp_ && !remote_changing_) maybe_probe(pkt);
    out_.push_back(std::move(pkt));
    seq_++;
    send_packet(out_.back(), false, now);
    arm_timers(now, true);
  }
}

std::optional<Datagram> Stream::poll_transmit(Millis now) {
  if (outbox_.empty()) fill_packets(now);
  if (outbox_.empty() && ack_needed_ && connected_) queue_control(0, now);
  if (outbox_.empty()) return std::nullopt;
  Datagram d = std::move(outbox_.front());
  outbox_.pop_front();
  return d;
}

std::optional<StreamEvent> Stream::poll_event() {
  if (events_.empty()) return std::nullopt;
  StreamEvent e = std::move(events_.front());
  events_.pop_front();
  if (e.kind == StreamEvent::Kind::data) {
    undelivered_bytes_ -= e.bytes.size();
    // The window reopened from (almost) nothing: tell the sender now rather than wait for
    // its zero-window probe (an extra ACK is harmless to libudx).
    if (last_advertised_rwnd_ < max_payload_ && receive_window() >= options_.recv_window / 2 && connected_ &&
        state_ != State::closed) {
      ack_needed_ = true;
    }
  }
  return e;
}

void Stream::start_timer(Timer t, Millis at, Millis now) {
  if (t == Timer::rto) next_rto_at_ = at;
  timer_ = t;
  timer_at_ = std::max(at, now);
}

std::optional<Millis> Stream::next_timeout() const {
  if (!outbox_.empty() || (ack_needed_ && connected_)) return Millis(0);  // transmit now
  if (state_ == State::closed) return std::nullopt;
  std::optional<Millis> at;
  if (timer_ != Timer::none) at = timer_at_;
  // Waiting for the pacing bucket with something to send.
  if (pace_until_ && (lost_count_ > 0 || write_queue_bytes_ > 0 || (end_queued_ && !end_sent_))) {
    at = at ? std::min(*at, *pace_until_) : *pace_until_;
  }
  return at;
}

void Stream::arm_timers(Millis now, bool arm_tlp) {
  if (timer_ == Timer::none || timer_ == Timer::zwp || timer_ == Timer::keepalive) {
    start_timer(Timer::rto, now + Millis(rto_), now);
  }
  if (arm_tlp && ca_ == Ca::open && sacked_count_ == 0) schedule_tlp(now, false);
}

void Stream::rearm_rto(Millis now, bool from_now) {
  if (seq_ == remote_acked_) {
    timer_ = Timer::none;
    return;
  }
  Millis at = now + Millis(rto_);
  if (!from_now) at = std::max(next_rto_at_, now + Millis(1));
  start_timer(Timer::rto, at, now);
}

bool Stream::schedule_tlp(Millis now, bool advancing_rto) {
  if (seq_ == remote_acked_ || ca_ != Ca::open || sacked_count_ > 0) return false;
  uint32_t timeout = 1000;
  if (srtt_ > 0) {
    timeout = srtt_ * 2;
    if (inflight_ + lost_count_ == 1) timeout += kTlpMaxAckDelay;
  }
  Millis rto_left = Millis(rto_);
  if (!advancing_rto) rto_left = std::max(next_rto_at_ - now, Millis(1));
  timeout = std::min<uint32_t>(timeout, static_cast<uint32_t>(rto_left.count()));
  const Millis keep_rto = next_rto_at_;
  start_timer(Timer::tlp, now + Millis(timeout), now);
  next_rto_at_ = advancing_rto ? now + Millis(rto_) : keep_rto;
  return true;
}

void Stream::on_timer(Millis now) {
  if (state_ == State::closed || timer_ == Timer::none || now < timer_at_) return;
  const Timer t = timer_;
  timer_ = Timer::none;
  switch (t) {
    case Timer::none: break;
    case Timer::rto: on_rto(now); break;
    case Timer::tlp: on_tlp(now); break;
    case Timer::rack_reo: {
      rack_detect_loss(now);
      if (timer_ != Timer::rto) rearm_rto(now, timer_ == Timer::none);
      break;
    }
    case Timer::zwp:
      if (send_rwnd_ == 0 && (write_queue_bytes_ > 0 || (end_queued_ && !end_sent_))) {
        queue_control(kTypeHeartbeat, now);
        start_timer(Timer::zwp, now + Millis(rto_ * 2), now);
      }
      break;
    case Timer::keepalive:
      queue_control(kTypeHeartbeat, now);
      start_timer(Timer::keepalive, now + options_.keepalive, now);
      break;
  }
}

void Stream::on_rto(Millis now) {
  if (seq_ == remote_acked_) return;
  high_seq_ = seq_;
  stats_.rto_timeouts++;
  if (ca_ != Ca::loss) ssthresh_ = std::max<uint32_t>(inflight_ / 2, 2);
  ca_ = Ca::loss;
  undo_possible_ = false;  // no undo of a timeout (no F-RTO)
  // Not RFC 5681's one segment: BBR (libudx) keeps at least 4 packets after an RTO, and a
  // single packet per round stalls on links that drop every other datagram.
  if (bbr_) {
    bbr_->on_rto();
    cwnd_ = bbr_->cwnd();
  } else {
    cwnd_ = std::min<uint32_t>(cwnd_, kLossCwnd);
  }
  cwnd_acc_ = 0;
  tlp_in_flight_ = tlp_is_retrans_ = false;
  // libudx re-arms at twice the current RTO without growing rto itself.
  start_timer(Timer::rto, now + Millis(std::min(rto_ * 2, kRtoMaxMs * 2)), now);
  const uint32_t reo = reo_window();
  for (auto& pkt : out_) {
    if (pkt.sacked || pkt.lost || !pkt.in_flight) continue;
    const auto remaining = pkt.time_sent + Millis(rack_rtt_ + reo) - now;
    if (pkt.seq == remote_acked_ || remaining.count() < 0) {
      if (pkt.rto_timeouts >= kMaxRtoTimeouts) {
        close(UdxError{UdxErrc::timeout, "packet " + std::to_string(pkt.seq) + " unacknowledged after " +
                                             std::to_string(kMaxRtoTimeouts) + " timeouts"},
              now, false);
        return;
      }
      pkt.rto_timeouts++;
      mtu_on_lost(pkt);
      pkt.lost = true;
      pkt.declared_lost = true;
      pkt.in_flight = false;
      inflight_--;
      lost_count_++;
    }
  }
}

void Stream::on_tlp(Millis now) {
  if (remote_acked_ == seq_) return;
  if (tlp_in_flight_ || !tlp_permitted_) {
    rearm_rto(now, false);
    return;
  }
  // New data first (the window may be ignored for this one packet), else the last packet.
  const uint32_t before = seq_;
  const uint32_t saved_cwnd = cwnd_;
  const uint32_t saved_rwnd = send_rwnd_;
  cwnd_ = inflight_ + 1;
  send_rwnd_ = std::max<uint32_t>(send_rwnd_, static_cast<uint32_t>(max_payload_) * cwnd_);
  sending_tlp_ = true;  // a probe is one packet, not a burst to pace
  if (lost_count_ == 0 && (write_queue_bytes_ > 0 || (end_queued_ && !end_sent_))) fill_packets(now);
  sending_tlp_ = false;
  cwnd_ = saved_cwnd;
  send_rwnd_ = saved_rwnd;
  if (seq_ != before) {
    tlp_is_retrans_ = false;
    tlp_end_seq_ = before;
  } else {
    OutPacket* last = find_out(seq_ - 1);
    if (last == nullptr || last->lost || last->sacked) {
      rearm_rto(now, false);
      return;
    }
    sending_tlp_ = true;
    send_packet(*last, true, now);
    sending_tlp_ = false;
    tlp_is_retrans_ = true;
    tlp_end_seq_ = last->seq;
  }
  stats_.tail_loss_probes++;
  tlp_in_flight_ = true;
  tlp_permitted_ = false;
  rearm_rto(now, true);
}

uint32_t Stream::reo_window() const {
  if (!reordering_seen_) {
    if (ca_ != Ca::open) return 0;
    if (sacked_count_ >= 3) return 0;
  }
  const uint32_t r = rtt_min_ == 0xffffffff ? 0 : reo_wnd_mult_ * rtt_min_ / 4;
  return std::min(r, srtt_);
}

void Stream::enter_recovery() {
  stats_.fast_recoveries++;
  prior_cwnd_ = cwnd_;
  prior_ssthresh_ = ssthresh_;
  undo_possible_ = true;
  recovery_losses_ = 0;
  if (reo_wnd_persist_ > 0 && --reo_wnd_persist_ == 0) reo_wnd_mult_ = 1;
  ssthresh_ = std::max<uint32_t>(cwnd_ / 2, 2);
  if (!bbr_) cwnd_ = ssthresh_;  // BBR's window follows its model, not each loss
  cwnd_acc_ = 0;
  ca_ = Ca::recovery;
  high_seq_ = seq_;
  tlp_in_flight_ = tlp_is_retrans_ = false;
}

// RFC 8985 6.2: a packet sent before the most recently delivered one and older than
// rack_rtt + reo_wnd is lost. Returns the time until the next one would be (0 = none).
uint32_t Stream::rack_detect_loss(Millis now) {
  uint32_t timeout = 0;
  const uint32_t reo = reo_window();
  uint32_t lost_now = 0, probes_lost = 0;
  for (auto& pkt : out_) {
    if (!pkt.in_flight || pkt.sacked) continue;
    const bool sent_before = pkt.tx_order < rack_tx_order_;
    if (!sent_before) continue;
    const int64_t remaining = (pkt.time_sent + Millis(rack_rtt_ + reo) - now).count();
    if (remaining <= 0) {
      if (mtu_on_lost(pkt)) probes_lost++;
      pkt.lost = true;
      pkt.declared_lost = true;
      pkt.in_flight = false;
      inflight_--;
      lost_count_++;
      lost_now++;
    } else {
      timeout = std::max<uint32_t>(timeout, static_cast<uint32_t>(remaining));
    }
  }
  ack_losses_ += lost_now;
  // A lost MTU probe alone is the path's size limit, not congestion (libudx).
  if (lost_now > probes_lost && ca_ == Ca::open) enter_recovery();
  if (ca_ == Ca::recovery) recovery_losses_ += lost_now;
  return timeout;
}

// A packet we declared lost was acked from its first copy: reordering, not loss (what a
// DSACK tells TCP). Widen the reorder window (RFC 8985 6.2 step 4, once per round trip)
// and, once every loss of the current recovery proved spurious, undo its window cut as
// TCP's undo does. Without this a path that reorders by more than rtt_min / 4 halves the
// window every round trip and the stream crawls at 2 packets per RTT.
void Stream::spurious_loss(Millis now) {
  (void)now;
  stats_.spurious_losses++;
  reordering_seen_ = true;
  if (seq_diff(remote_acked_, reo_bump_seq_) >= 0) {
    reo_wnd_mult_ = std::min<uint32_t>(reo_wnd_mult_ + 1, 64);
    reo_wnd_persist_ = 16;
    reo_bump_seq_ = seq_;
  }
  if (!undo_possible_ || ca_ != Ca::recovery) return;
  if (recovery_losses_ > 0) recovery_losses_--;
  if (recovery_losses_ == 0) {
    stats_.undone_recoveries++;
    if (!bbr_) cwnd_ = std::max(cwnd_, prior_cwnd_);
    ssthresh_ = std::max(ssthresh_, prior_ssthresh_);
    ca_ = Ca::open;
    undo_possible_ = false;
  }
}

void Stream::after_all_acked(Millis now) {
  const bool end_pending = end_queued_ && !end_sent_;
  if (send_rwnd_ == 0 && (write_queue_bytes_ > 0 || end_pending)) {
    start_timer(Timer::zwp, now + Millis(rto_), now);
  } else if (options_.keepalive.count() > 0) {
    start_timer(Timer::keepalive, now + options_.keepalive, now);
  } else {
    timer_ = Timer::none;
  }
}

StreamStats Stream::stats() const {
  StreamStats s = stats_;
  s.cwnd = cwnd_;
  s.srtt_ms = srtt_;
  s.rto_ms = rto_;
  s.mtu = static_cast<uint32_t>(mtu_);
  if (bbr_) {
    s.pacing_rate = bbr_->pacing_rate();
    s.bandwidth = bbr_->bandwidth();
  }
  return s;
}

}  // namespace net::udx
