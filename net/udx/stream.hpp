// One UDX stream as a sans-I/O state machine (docs/protocol/udx.md): reliable, ordered,
// flow- and congestion-controlled bytes plus unreliable messages over datagrams that the
// caller moves. Datagrams and timer ticks go in (receive, on_timer); datagrams
// (poll_transmit) and events (poll_event) come out. Time is the caller's monotonic clock in
// milliseconds, passed to every call, so tests run it on a fake clock.
//
// Ownership: the stream copies what is written and owns it until acknowledged; received
// data is handed out as owned Bytes in events. Not thread-safe: one thread drives a stream
// (a Multiplexer, or the Asio binding, does it for many).
//
// Memory: at most `recv_window` bytes of received data wait for poll_event (plus two packets
// of slack), out-of-order packets at most `max_out_of_order`, and the
// write buffer is the caller's to bound (write() reports the queued byte count; wait for
// Drained past send_high_water).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "hypercore/bytes.hpp"
#include "net/udx/bbr.hpp"
#include "net/udx/delivery_rate.hpp"
#include "net/udx/packet.hpp"
#include "net/udx/udx_error.hpp"

namespace net::udx {

using Millis = std::chrono::milliseconds;

// How the sender sizes its window: BBR (libudx's: a model of the path's rate and RTT, with
// pacing; random loss does not shrink the window) or NewReno (halves the window per loss
// event; no pacing).
enum class CongestionControl { bbr, newreno };

struct StreamOptions {
  // Receive buffer (bytes) we advertise when empty. libudx: 4 MiB (UDX_DEFAULT_RWND_MAX).
  uint32_t recv_window = 4 * 1024 * 1024;
  // Out-of-order data we keep (bytes) while a gap waits for its retransmission. libudx's
  // window bounds only packets in flight, not acknowledged-out-of-order ones, so under loss a
  // udx-native sender runs well past ack + recv_window; libudx keeps all of it. Packets over
  // this are dropped (and resent by the peer). Memory per stream is recv_window plus this.
  uint32_t max_out_of_order = 8 * 1024 * 1024;
  // Send HEARTBEAT after this long idle (0 = off, the libudx default; Hyperswarm sets 5 s).
  Millis keepalive{0};
  // First sequence number we send (libudx: 0 unless set).
  uint32_t initial_seq = 0;
  // Drained fires when queued unacknowledged bytes fall below this (libudx: 256 KiB + window).
  size_t send_high_water = 256 * 1024;
  // libudx accepts packets for a connected stream from any source address; we drop those not
  // from the connected peer (or the previous one, after change_remote) unless this is set
  // (docs/protocol/udx.md, "Source addresses").
  bool accept_any_source = false;
  // After a clean close, keep answering retransmitted DATA/END with ACKs this long so the
  // peer's last END is acknowledged even if our final ACK was lost (libudx has no TIME_WAIT).
  Millis linger{5000};
  CongestionControl congestion = CongestionControl::bbr;
  // Path MTU probing as libudx (docs/protocol/udx.md, "MTU probing"): from the first ACK,
  // one data packet at a time is padded up to the next size (1200, 1232, … mtu_max); each
  // probe acknowledged raises the packet size, three lost end the search. The socket
  // binding also caps it by the OS's MTU for the route to the peer (limit_mtu), as libudx.
  bool mtu_probing = true;
  uint16_t mtu_max = kMtuMax;
};

struct StreamEvent {
  enum class Kind {
    data,        // bytes, in order
    message,     // an unreliable MESSAGE payload
    remote_end,  // the peer ended its side (END received, all data before it delivered)
    drained,     // queued bytes fell below send_high_water
    closed,      // final: error is empty for a clean close (both ends) or a local destroy
  };
  Kind kind;
  hypercore::Bytes bytes;
  std::optional<UdxError> error;
};

struct Datagram {
  Address to;
  hypercore::Bytes bytes;
};

struct StreamStats {
  uint64_t packets_sent = 0, packets_received = 0, retransmits = 0, rto_timeouts = 0, fast_recoveries = 0;
  uint64_t dropped_packets = 0;  // received and discarded: over the window, wrong source, malformed
  uint64_t spurious_losses = 0;  // packets declared lost whose first copy was acked after all
  uint64_t undone_recoveries = 0;  // recoveries whose window cut was undone (every loss spurious)
  uint64_t relayed_packets = 0;    // forwarded by a relaying stream (relay_to)
  uint64_t tail_loss_probes = 0;   // TLPs sent (new data or a retransmission of the last packet)
  uint64_t peak_out_of_order = 0;  // most out-of-order bytes held at once
  uint64_t mtu_probes_sent = 0, mtu_probes_lost = 0;
  uint64_t padded_packets_received = 0;  // the peer's MTU probes (those with padding)
  uint64_t remote_changes = 0;           // change_remote calls (a relayed path upgraded)
  uint32_t mtu = 0;                      // the path MTU packets are sized for now
  uint32_t cwnd = 0, srtt_ms = 0, rto_ms = 0;
  double pacing_rate = 0;  // packets per millisecond (BBR; 0 with NewReno)
  double bandwidth = 0;    // BBR's bottleneck estimate, packets per millisecond
};

class Stream {
 public:
  explicit Stream(uint32_t local_id, StreamOptions options = {});
  // Relaying streams point at each other (relay_to): a stream unlinks itself when it closes
  // or dies, so it must not move.
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  uint32_t local_id() const { return local_id_; }
  uint32_t remote_id() const { return remote_id_; }
  const Address& remote_address() const { return remote_; }
  // Connected: connect() was called or the first packet bound an accepting stream. UDX has
  // no handshake; "connected" is a local decision, as in libudx.
  bool connected() const { return connected_; }
  bool closed() const { return state_ == State::closed; }
  // Closed and done lingering: the owner may forget the stream.
  bool finished(Millis now) const;

  void connect(uint32_t remote_id, const Address& remote, Millis now);
  // Moves a connected stream to another peer stream id and address, as libudx's
  // udx_stream_change_remote (hyperdht upgrades a relayed connection to the path a holepunch
  // opened). Everything from now on, retransmissions included, goes to `remote_id` at
  // `remote`, and the path MTU search starts again. Packets from the previous address are
  // still read. The change is complete once everything sent before it is acknowledged; no
  // MTU probe goes out until then. Errors: not_connected, destroyed.
  UdxResult<void> change_remote(uint32_t remote_id, const Address& remote, Millis now);
  // The last change_remote is complete and a packet has come from the new address since:
  // the peer uses the new path too (hyperdht's confirmDirectUpgrade closes the relay then).
  bool path_confirmed() const { return remote_changed_ && !remote_changing_ && heard_since_change_; }
  // A packet from `from` is ours to read: from our peer's address (current or before the last
  // change_remote), any address while we wait for a first packet, or accept_any_source.
  bool takes_from(const Address& from) const;
  // Accept the first packet for our id from any address and connect to its source (the
  // HyperDHT server side). Packets before connect()/accept are otherwise dropped, as
  // udx-native's default firewall does.
  void accept_first_packet(uint32_t remote_id);

  // A decoded packet addressed to our id. Malformed datagrams never get here.
  void receive(const PacketView& packet, const Address& from, Millis now);

  // Queues bytes; returns the unacknowledged bytes now queued. Errors: not_connected,
  // write_after_end, destroyed (or the error that closed the stream).
  UdxResult<size_t> write(hypercore::ByteSpan bytes, Millis now);
  // Half-close: END goes after everything written. Errors as write().
  UdxResult<void> end(Millis now);
  // Sends one DESTROY (not retransmitted, as libudx) and closes at once.
  void destroy(Millis now);
  // An unreliable datagram on the stream (MESSAGE); at most kMaxMessageSize bytes.
  static constexpr size_t kMaxMessageSize = 65507 - kHeaderSize;
  UdxResult<void> send_message(hypercore::ByteSpan bytes, Millis now);

  // Relaying, as libudx's udx_stream_relay_to (the blind relay, docs/protocol/connect.md):
  // every packet for this stream is forwarded, not processed: its receiver id is rewritten
  // to `destination`'s remote id and it leaves from the destination (its poll_transmit, so
  // from the destination's socket) to the destination's remote address. Dropped while the
  // destination is not connected yet. A DESTROY is forwarded and then closes this stream
  // (reset_by_peer); when the destination closes, this stream closes too, without a DESTROY
  // of its own. Binding to the first packet (accept_first_packet) works as for any stream.
  // Errors: invalid_argument when this stream already relays, or either one is closed.
  UdxResult<void> relay_to(Stream& destination);
  bool relaying() const { return relayed_; }
  // A datagram for a relaying stream (Multiplexer::receive routes it here, undecoded).
  void relay(hypercore::ByteSpan datagram, const Address& from, Millis now);
  // Relayed packets waiting in one destination's queue beyond this are dropped (UDP-like:
  // the endpoints retransmit), so a flooding peer cannot grow the relay's memory.
  static constexpr size_t kMaxRelayBacklog = 2048;

  std::optional<Datagram> poll_transmit(Millis now);
  std::optional<Millis> next_timeout() const;
  void on_timer(Millis now);
  std::optional<StreamEvent> poll_event();
  bool has_events() const { return !events_.empty(); }

  // The OS's MTU for the route to the peer (libudx's udx__get_link_mtu): probing stops
  // there, and does not start if it is at most the base. The socket binding calls it.
  void limit_mtu(size_t path_mtu);
  // The window we would advertise now.
  uint32_t receive_window() const;
  size_t queued_bytes() const { return unacked_bytes_; }
  StreamStats stats() const;

 private:
  enum class State { open, closed };
  enum class Timer { none, rto, rack_reo, tlp, zwp, keepalive };
  struct OutPacket {
    uint32_t seq = 0;
    uint8_t type = 0;
    hypercore::Bytes payload;
    Millis time_sent{0};
    uint32_t rto_timeouts = 0;
    bool in_flight = false;   // sent and neither acked, sacked nor declared lost
    bool lost = false;        // waiting for retransmission
    bool sacked = false;
    bool retransmitted = false;
    bool declared_lost = false;  // by RACK or an RTO, at least once
    SendSnapshot snapshot;       // delivery state at its last transmission (BBR's samples)
    uint64_t tx_order = 0;       // its last transmission's place among all of ours
    bool mtu_probe = false;      // padded to probe_size bytes of IP datagram
    uint8_t probe_padding = 0;
  };
  struct InPacket {
    uint8_t type = 0;
    hypercore::Bytes payload;
  };

  // A packet from `from` is ours to read (or relay): binds a stream waiting for its first
  // packet, refuses other sources unless accept_any_source; counts what it refuses.
  bool admit(const Address& from, Millis now);

  // stream_recv.cpp
  void process_ack(const PacketView& p, Millis now);
  void ack_packet(OutPacket& pkt, bool by_sack, Millis now);
  void update_rtt(uint32_t rtt);
  void accept_data(uint32_t seq, uint8_t type, hypercore::ByteSpan payload);
  void push_data(hypercore::Bytes bytes);
  void deliver_in_order();
  void check_remote_end();
  std::vector<SackBlock> sack_blocks() const;
  // stream_send.cpp
  void fill_packets(Millis now);
  void send_packet(OutPacket& pkt, bool retransmit, Millis now);
  bool may_send(bool retransmit) const;
  void queue_control(uint8_t type, Millis now);
  Header header(uint8_t type) const;
  uint32_t rack_detect_loss(Millis now);
  void enter_recovery();
  void spurious_loss(Millis now);
  void on_rto(Millis now);
  void on_tlp(Millis now);
  void arm_timers(Millis now, bool arm_tlp);
  void rearm_rto(Millis now, bool from_now);
  bool schedule_tlp(Millis now, bool advancing_rto);
  void start_timer(Timer t, Millis at, Millis now);
  void after_all_acked(Millis now);
  void close(std::optional<UdxError> error, Millis now, bool linger);
  void unlink_relays(Millis now);
  uint32_t reo_window() const;
  // stream_pacing.cpp: BBR's pacing as a token bucket on the millisecond clock.
  bool pacing_allows(Millis now);
  void paced_send(Millis now);
  void on_ack_model(uint32_t delivered, Millis now);
  uint32_t send_window_packets() const;
  // stream_mtu.cpp: path MTU probing (libudx's PLPMTUD, RFC 8899 terms).
  void start_mtu(const Address& remote);
  void maybe_probe(OutPacket& pkt);
  void mtu_on_acked(const OutPacket& pkt);
  bool mtu_on_lost(OutPacket& pkt);  // true if it was a probe (its loss says nothing of the path's congestion)
  static constexpr uint32_t kMaxCwnd = 4096;  // packets: the 4 MiB receive window's worth
  OutPacket* find_out(uint32_t seq);

  uint32_t local_id_;
  StreamOptions options_;
  size_t max_payload_ = kMaxPayloadV4;  // mtu_ less the IP, UDP and UDX headers
  enum class MtuState { base, search, complete };
  MtuState mtu_state_ = MtuState::base;
  size_t mtu_ = kMtuBase, mtu_max_ = kMtuMax, mtu_probe_size_ = kMtuBase;
  uint32_t mtu_probe_count_ = 0;
  bool mtu_probe_wanted_ = false;
  uint32_t remote_id_ = 0;
  Address remote_;
  // change_remote: the address before it, and whether what we sent before it is all acked.
  std::optional<Address> previous_remote_;
  bool remote_changed_ = false, remote_changing_ = false, heard_since_change_ = false;
  uint32_t seq_on_remote_changed_ = 0;
  bool connected_ = false;
  bool accept_first_ = false;
  State state_ = State::open;
  Millis linger_until_{0};

  // Sender. Sequence space [remote_acked_, seq_) lives in out_ (front = remote_acked_).
  std::deque<hypercore::Bytes> write_queue_;  // unpacketised bytes
  size_t write_queue_front_used_ = 0;
  size_t write_queue_bytes_ = 0;
  size_t unacked_bytes_ = 0;
  bool end_queued_ = false, end_sent_ = false, ended_ = false;  // ended_: our END acked
  bool high_water_hit_ = false;
  uint32_t seq_ = 0, remote_acked_ = 0;
  std::deque<OutPacket> out_;
  uint32_t inflight_ = 0;   // packets in flight
  uint32_t lost_count_ = 0; // packets waiting for retransmission
  uint32_t send_rwnd_ = 4 * 1024 * 1024, snd_wl1_ = 0, snd_wl2_ = 0;
  bool window_known_ = false;
  // Congestion control (NewReno-style window over libudx's RACK states).
  enum class Ca { open, recovery, loss };
  Ca ca_ = Ca::open;
  uint32_t cwnd_ = 10, ssthresh_ = 0xffff, cwnd_acc_ = 0, high_seq_ = 0;
  // Undoing a recovery that reordering caused (every packet it declared lost was acked
  // from its first copy), and RFC 8985's adaptive reorder window (reo_wnd_mult, kept for
  // 16 recoveries), fed by those spurious losses for want of DSACK in UDX.
  uint32_t prior_cwnd_ = 0, prior_ssthresh_ = 0, recovery_losses_ = 0;
  bool undo_possible_ = false;
  uint32_t reo_wnd_mult_ = 1, reo_wnd_persist_ = 0, reo_bump_seq_ = 0;
  // BBR (unset with NewReno): the path model, its samples and the pacing bucket.
  std::optional<Bbr> bbr_;
  DeliveryRate rate_;
  double pace_tokens_ = 0;
  Millis pace_last_{-1};
  std::optional<Millis> pace_until_;  // sending waits for the bucket until then
  bool sending_tlp_ = false;          // a tail loss probe goes out unpaced and is never an MTU probe
  uint32_t ack_losses_ = 0;           // declared lost while processing one ACK
  // RTT (RFC 6298 as libudx) and RACK-TLP (RFC 8985).
  uint32_t srtt_ = 0, rttvar_ = 0, rto_ = 1000, rtt_min_ = 0xffffffff, ack_rtt_sample_ = 0xffffffff;
  uint32_t rack_rtt_ = 0, rack_fack_ = 0, sacked_count_ = 0;
  // RACK orders transmissions by time and then by this count (RFC 8985 breaks ties by
  // sequence number, which on a millisecond clock calls a retransmission "sent before" the
  // new packets that left earlier in the same millisecond, and so lost at once).
  uint64_t tx_count_ = 0, rack_tx_order_ = 0;
  Millis rack_time_sent_{0};
  bool reordering_seen_ = false, tlp_in_flight_ = false, tlp_permitted_ = false, tlp_is_retrans_ = false;
  uint32_t tlp_end_seq_ = 0;
  Timer timer_ = Timer::none;
  Millis timer_at_{0}, next_rto_at_{0}, last_retransmit_at_{0};

  // Receiver. ack_ = next expected seq.
  uint32_t ack_ = 0;
  std::map<uint32_t, InPacket> ooo_;  // keyed by seq, all after ack_
  size_t ooo_bytes_ = 0;
  size_t undelivered_bytes_ = 0;      // data events not yet polled
  bool remote_ending_ = false, remote_ended_ = false;
  uint32_t remote_end_seq_ = 0;
  bool ack_needed_ = false;
  uint32_t last_advertised_rwnd_ = 0;

  // Relaying: relay_to_ receives what we forward; relayed_by_ forward into our outbox.
  bool relayed_ = false;
  Stream* relay_to_ = nullptr;
  std::vector<Stream*> relayed_by_;

  std::deque<Datagram> outbox_;  // control packets (ACK, DESTROY, HEARTBEAT, MESSAGE), relayed packets
  std::deque<StreamEvent> events_;
  StreamStats stats_;
};

}  // namespace net::udx
