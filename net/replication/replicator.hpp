// The Hypercore 10 replication protocol for one core over one peer connection
// (../shared/spec/replication.md §4-§7, hypercore.md §6), sans-I/O as STYLE.md rule 3
// asks: no socket, no thread, no clock of its own. The owner (PeerSession, or a test)
// routes the Mux's events for this replicator's channel into on_mux_event(), passes the
// current time into every call that may start or expire a request, and moves the Mux's
// output to the wire. What happened comes out of take_events().
//
// The replicator
//   * opens the "hypercore/alpha" channel (id = discovery key, handshake = flags ‖
//     capability for our Noise role) once start() is given the handshake hash, and checks
//     the peer's capability against the peer's role (mismatch: invalid_capability, fatal);
//   * exchanges sync, announces what it holds (range on open and after appends, range or
//     bitfield in answer to want), and serves the peer's requests from Core::proof
//     (noData when it cannot: block not held, wrong fork, hash/seek it does not serve);
//   * downloads: an upgrade whenever the peer announces a longer signed length for the
//     same fork (live), blocks on demand (request_block), or the whole core (download
//     option), with at most `max_inflight` requests outstanding. Every reply is checked
//     with Core::verify_proof before Core::apply stores it: a bad proof or signature is
//     fatal (named error, nothing stored).
// A fatal error leaves the replicator dead (failed() true, peer_error event); the owner
// must then close the connection, as the Node reference destroys the stream.
// Not thread-safe: the owner drives it, the Core and the Mux from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hypercore/core.hpp"
#include "net/replication/hypercore_messages.hpp"
#include "net/mux/protomux.hpp"

namespace net {

namespace internal {
class RangeSet;
}

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// Named failures of a replication session, stable like hypercore::errc's names.
enum class ReplicationErrc {
  invalid_capability = 1,  // the peer's open does not prove knowledge of the core key
  invalid_proof,           // a data message whose Merkle proof does not match (fatal)
  invalid_signature,       // a data message whose upgrade signature does not verify (fatal)
  invalid_request,         // an impossible request (upgrade beyond our length) (fatal)
  invalid_message,         // undecodable channel message or protomux frame (fatal)
  stream_failed,           // the encrypted transport failed (PeerSession)
  channel_closed,          // the peer closed or rejected the channel
  block_not_available,     // request_block: the peer does not have the block
  request_timeout,         // a request got no answer within the timeout
  queue_full,              // request_block beyond max_pending
  storage_failed,          // Core::apply failed locally (the peer is not blamed)
};

}  // namespace net

template <>
struct std::is_error_code_enum<net::ReplicationErrc> : std::true_type {};

namespace net {

const char* errc_name(ReplicationErrc e);
const std::error_category& replication_category();
inline std::error_code make_error_code(ReplicationErrc e) { return {static_cast<int>(e), replication_category()}; }

using ReplicationError = hypercore::BasicError<ReplicationErrc>;

struct ReplicatorOptions {
  // Requests we keep outstanding to this peer. Default 32 (Node keeps up to 48 on TCP);
  // more hides latency, fewer bounds what a slow peer makes us track.
  size_t max_inflight = 32;
  // Blocks request_block() may queue before it fails with queue_full. Default 65536.
  size_t max_pending = 65536;
  // An outstanding request older than this is cancelled: its block fails with
  // request_timeout (whole-core downloads retry it). Default 30 s.
  std::chrono::milliseconds request_timeout{30000};
  // A block queued by request_block that the peer has not announced is asked for once
  // anyway (a peer lacking it answers noData: block_not_available at once); failing that
  // (our tree does not reach it yet), it fails with block_not_available after this long
  // (the peer answers `want` only when it has data). Default 10 s.
  std::chrono::milliseconds want_timeout{10000};
  // Download every block of the core (and of every later length). Default false: only
  // the signed length (upgrades) and blocks asked for with request_block.
  bool download_all = false;
  // Follow the peer's length as it grows (request an upgrade on each longer sync).
  // Default true; false stops after the first upgrade.
  bool live = true;
  // Serve the peer's requests. false: every request is answered with noData and our
  // sync says uploading = false. Default true; set_uploading() changes it live.
  bool upload = true;
  // Send requests (upgrades, blocks, whole-core). false: nothing is requested (blocks
  // queued by request_block wait, and fail after want_timeout as usual) and our sync says
  // downloading = false. Default true;
  // set_downloading() changes it live.
  bool download = true;
};

// What crossed this channel, for progress displays and per-peer accounting.
struct ReplicatorCounters {
  uint64_t blocks_down = 0;       // blocks verified and stored from the peer
  uint64_t block_bytes_down = 0;  // their payload bytes
  uint64_t blocks_up = 0;         // blocks served to the peer (data messages with a block)
  uint64_t block_bytes_up = 0;    // their payload bytes
  uint64_t requests_served = 0;   // data messages sent (blocks and upgrades)
  uint64_t requests_refused = 0;  // noData sent (not held, uploading off, wrong fork, ...)
  uint64_t upgrades = 0;          // times our length grew from the peer
  uint64_t extensions_in = 0;     // extension messages received
  uint64_t extensions_out = 0;    // extension messages sent
};

struct ReplicatorEvent {
  enum class Kind {
    opened,            // the channel is open and the peer's capability checked
    synced,            // a sync arrived: value = the peer's length
    upgraded,          // our signed length grew from the peer: value = the new length
    block_downloaded,  // value = block index, verified and stored
    block_failed,      // value = block index asked for with request_block; error says why
    remote_fork,       // the peer announced another fork: value = its fork; no download
    extension,         // an extension message: name and payload (the name resolved)
    peer_error,        // fatal: the connection must be closed; error says why
    closed,            // the channel ended (peer close/reject, or our close)
    connected,         // session only (SessionEvent::kSessionEvent): the Noise handshake is
                       // done, PeerSession::remote_public_key() names the peer
  };
  Kind kind = Kind::opened;
  uint64_t value = 0;
  std::optional<ReplicationError> error;
  std::string extension_name;  // extension: the message's name
  Bytes extension_payload;     // extension: its bytes as sent (for Node's registerExtension:
                               // the c.buffer encoding, uint length || message)
};

class Replicator {
 public:
  Replicator(hypercore::Core& core, Mux& mux, NoiseRole noise_role, ReplicatorOptions options = {});
  ~Replicator();
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // Opens the channel: call once the Noise handshake is done. Fails if the Mux refuses.
  Result<void> start(ByteSpan handshake_hash, TimePoint now);

  // True if `e` belongs to this replicator's channel.
  bool owns(const MuxEvent& e) const;
  // A Mux event for our channel (opened, message, closed, rejected).
  void on_mux_event(const MuxEvent& e, TimePoint now);
  // Expires requests and wants, announces blocks that became contiguous here since the
  // last announcement (downloaded from other peers), then schedules more downloads.
  void tick(TimePoint now);

  // Asks for one block; a block_downloaded or block_failed event follows (at once if the
  // block is already held). Errors: queue_full; channel_closed after the channel ended.
  std::expected<void, ReplicationError> request_block(uint64_t index, TimePoint now);
  // Starts (or stops) downloading every block.
  void set_download_all(bool on, TimePoint now);
  // Switches serving and downloading on or off (see ReplicatorOptions::upload/download);
  // the peer is told with a sync.
  void set_uploading(bool on, TimePoint now);
  void set_downloading(bool on, TimePoint now);
  // Sends an application extension message (hypercore `extension`, type 9) on this
  // channel. Dropped unless the channel is open. Names longer than 256 bytes or payloads
  // over 1 MiB are refused (invalid_message).
  std::expected<void, ReplicationError> send_extension(std::string_view name, ByteSpan payload);
  // Closes our side of the channel.
  void close();

  std::vector<ReplicatorEvent> take_events();

  bool is_open() const { return state_ == State::open; }
  bool failed() const { return state_ == State::failed; }
  const std::optional<ReplicationError>& error() const { return error_; }
  uint64_t channel() const { return channel_; }
  // The peer's last sync, once one arrived.
  std::optional<Sync> remote_sync() const { return remote_sync_; }
  size_t inflight() const { return inflight_.size(); }
  // Blocks queued by request_block that are not yet stored or failed.
  size_t pending() const { return pending_blocks_.size(); }
  const ReplicatorCounters& counters() const { return counters_; }
  bool uploading() const { return options_.upload; }
  bool downloading() const { return options_.download; }
  hypercore::Core& core() { return core_; }

 private:
  enum class State { idle, opening, open, closed, failed };
  struct Inflight {
    hypercore::ProofRequest request;
    TimePoint deadline;
  };

  // replicator.cpp: channel, sync, dispatch, events.
  void on_opened(const MuxEvent& e, TimePoint now);
  void on_message(uint64_t type, ByteSpan payload, TimePoint now);
  void on_sync(const Sync& m, TimePoint now);
  void on_core_event(const hypercore::CoreEvent& e);
  void send(const Message& m);
  void send_sync();
  void fatal(ReplicationErrc code, std::string message);
  void end_channel(ReplicationErrc code, std::string message);
  void emit(ReplicatorEvent::Kind kind, uint64_t value, std::optional<ReplicationError> error = std::nullopt);

  // replicator_upload.cpp: serving.
  void on_request(const Request& m);
  void on_want(const Want& m);
  void on_extension(Extension& m);
  void announce_contiguous();

  // replicator_download.cpp: requests and replies.
  void on_range(const Range& m, TimePoint now);
  void on_bitfield(const Bitfield& m, TimePoint now);
  void on_data(Data& m, TimePoint now);
  void on_no_data(const NoData& m, TimePoint now);
  void pump(TimePoint now);
  bool try_upgrade(TimePoint now);
  // probe: ask although the peer has not announced the block (request_block only).
  bool try_block(uint64_t index, TimePoint now, bool probe = false);
  void send_want(uint64_t index);
  void fail_block(uint64_t index, ReplicationErrc code, std::string message);
  void fail_all_pending(ReplicationErrc code, const std::string& message);
  bool block_inflight(uint64_t index) const;

  hypercore::Core& core_;
  Mux& mux_;
  NoiseRole role_;
  ReplicatorOptions options_;
  State state_ = State::idle;
  std::optional<ReplicationError> error_;
  uint64_t channel_ = 0;
  Bytes handshake_hash_;
  std::shared_ptr<void> watch_;

  std::optional<Sync> remote_sync_;
  uint64_t announced_contiguous_ = 0;    // end of the prefix our last range announced
  bool fork_reported_ = false;

  // What the peer announced it holds (internal/range_set.hpp, not an installed header).
  std::unique_ptr<internal::RangeSet> remote_has_;
  std::set<uint64_t> wanted_segments_;            // want messages sent, by segment start
  std::map<uint64_t, TimePoint> pending_blocks_;  // request_block indices -> want deadline
  std::set<uint64_t> probed_blocks_;              // pending blocks asked for before announced
  uint64_t download_cursor_ = 0;                  // download_all: next index to consider
  uint64_t next_request_id_ = 1;
  std::map<uint64_t, Inflight> inflight_;
  std::set<uint64_t> inflight_blocks_;
  bool upgrade_inflight_ = false;
  uint64_t upgrade_refused_at_ = UINT64_MAX;  // the peer length it answered noData for
  std::optional<std::pair<uint64_t, uint64_t>> replied_to_;  // (fork, length) of the last sync we answered
  uint64_t upgrades_done_ = 0;
  std::string extension_in_name_;   // the last named extension received (empty-name reuse)
  std::string extension_out_name_;  // the last named extension sent
  ReplicatorCounters counters_;

  std::vector<ReplicatorEvent> events_;
};

}  // namespace net
