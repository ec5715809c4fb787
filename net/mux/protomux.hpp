// Protomux 3.12.1 (../shared/spec/replication.md §3): many protocol channels over one
// ordered, message-framed stream. Two parts:
//   * the frame codec: `uint channel ‖ uint type ‖ payload`, the control messages of
//     channel 0 (open / reject / close) and batches (§3.4);
//   * Mux, a sans-I/O state machine: decrypted frames in (receive), plaintext frames out
//     (take_output) and channel events out (take_events). It owns no socket and no clock.
// Local ids are allocated lowest-free-first (dense, as a Node peer demands); opens pair by
// (protocol, id) in either order. Not thread-safe: one Mux per connection, one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"

namespace net {

using hypercore::Bytes;
using hypercore::ByteSpan;
using hypercore::Result;

// Control message types on channel 0 (§3.2).
inline constexpr uint64_t kControlBatch = 0;
inline constexpr uint64_t kControlOpen = 1;
inline constexpr uint64_t kControlReject = 2;
inline constexpr uint64_t kControlClose = 3;
// Node splits batches at this size; we accept any size.
inline constexpr size_t kMaxBatchBytes = 8 * 1024 * 1024;
// Batches inside batches are legal; deeper nesting than this is refused as hostile.
inline constexpr int kMaxBatchDepth = 8;

// ---- frame codec ----------------------------------------------------------------------

struct OpenMessage {
  uint64_t local_id = 0;  // the sender's id for the channel, >= 1
  std::string protocol;
  Bytes id;               // empty = no id (encoded as a zero-length buffer)
  Bytes handshake;        // protocol-defined, raw to the end of the frame
  friend bool operator==(const OpenMessage&, const OpenMessage&) = default;
};
struct RejectMessage {
  uint64_t remote_id = 0;  // the id the peer used in the refused open
  friend bool operator==(const RejectMessage&, const RejectMessage&) = default;
};
struct CloseMessage {
  uint64_t local_id = 0;  // the sender's own id
  friend bool operator==(const CloseMessage&, const CloseMessage&) = default;
};

// One decoded frame header: the channel (sender's local id, 0 = control), the type, and
// the rest of the frame as payload (a view into the input).
struct FrameView {
  uint64_t channel = 0;
  uint64_t type = 0;
  ByteSpan payload;
};

// A batch item: `type ‖ payload` for `channel`.
struct BatchItem {
  uint64_t channel = 0;
  uint64_t type = 0;
  Bytes payload;
  friend bool operator==(const BatchItem&, const BatchItem&) = default;
};
// One undecoded item of a received batch: `message` = `uint type ‖ payload`.
struct BatchItemView {
  uint64_t channel = 0;
  ByteSpan message;
};

Bytes encode_frame(uint64_t channel, uint64_t type, ByteSpan payload);
Bytes encode_open(const OpenMessage& m);
Bytes encode_reject(const RejectMessage& m);
Bytes encode_close(const CloseMessage& m);
// Protomux's batch layout: a `00 ‖ uint channel` separator only where the channel changes.
// `items` must not be empty.
Bytes encode_batch(const std::vector<BatchItem>& items);

// Decoders take untrusted bytes. errc::corrupt names what was truncated.
Result<FrameView> decode_frame(ByteSpan frame);
// Payloads of channel-0 messages (after `00 ‖ type`).
Result<OpenMessage> decode_open(ByteSpan payload);
Result<RejectMessage> decode_reject(ByteSpan payload);
Result<CloseMessage> decode_close(ByteSpan payload);
// Payload of a batch (after `00 00`): the items in order. An item length running past
// the end is clamped to the end, as protomux does; a zero length switches channel.
Result<std::vector<BatchItemView>> decode_batch(ByteSpan payload);

// ---- the multiplexer ------------------------------------------------------------------

struct ChannelOptions {
  // Message types the channel's protocol defines; frames with a higher type are dropped
  // silently, as protomux drops types beyond its table. Default: deliver every type.
  uint64_t message_types = std::numeric_limits<uint64_t>::max();
};

// What receive() (and accept/open) produced, in order.
struct MuxEvent {
  enum class Kind {
    opened,    // the channel is usable: both opens seen. `payload` = the peer's handshake
    message,   // a channel message: `type`, `payload`
    closed,    // the peer closed the channel (its local id is free again)
    rejected,  // the peer refused our open (its local id is free again)
    withdrawn, // the peer closed a remote open we had deferred: it can no longer be accepted
  };
  Kind kind = Kind::message;
  uint64_t channel = 0;    // our local id (for withdrawn: the peer's id)
  uint64_t type = 0;
  Bytes payload;
  std::string protocol;
  Bytes id;
};

// An open from the peer with no matching local open: what the handler is shown.
struct RemoteOpen {
  uint64_t remote_id = 0;
  std::string protocol;
  Bytes id;
  Bytes handshake;
};

// The handler's verdict. accept: open our side with `handshake` (and options) right
// away; reject: send `reject`; defer: leave it pending until accept()/reject() is called
// (frames for it are buffered meanwhile).
struct OpenDecision {
  enum class Kind { accept, reject, defer };
  Kind kind = Kind::reject;
  Bytes handshake;
  ChannelOptions options;

  static OpenDecision accept(Bytes handshake, ChannelOptions options = {}) {
    return {Kind::accept, std::move(handshake), options};
  }
  static OpenDecision reject() { return {}; }
  static OpenDecision defer() { return {Kind::defer, {}, {}}; }
};

class Mux {
 public:
  using OpenHandler = std::function<OpenDecision(const RemoteOpen&)>;

  // Bytes of frames buffered for deferred remote opens before receive() fails. Node
  // pauses the stream past 32 KiB instead; a sans-I/O core has no stream to pause.
  static constexpr size_t kDefaultMaxBuffered = 4 * 1024 * 1024;

  Mux() = default;

  // Called for each remote open with no local open of the same (protocol, id). Without a
  // handler every such open is rejected.
  void on_remote_open(OpenHandler handler) { handler_ = std::move(handler); }
  void set_max_buffered(size_t bytes) { max_buffered_ = bytes; }

  // Opens our side of (protocol, id): allocates the lowest free local id and queues the
  // open frame. If the peer's open is already pending, this accepts it (channel opened).
  // errc::already_exists if (protocol, id) is open or being opened by us.
  Result<uint64_t> open(const std::string& protocol, ByteSpan id, ByteSpan handshake, ChannelOptions options = {});
  // Answers a deferred remote open. errc::not_found if it is not pending.
  Result<uint64_t> accept(uint64_t remote_id, ByteSpan handshake, ChannelOptions options = {});
  Result<void> reject(uint64_t remote_id);
  // Queues `local_id ‖ type ‖ payload`. Allowed once our open was sent.
  Result<void> send(uint64_t local_id, uint64_t type, ByteSpan payload);
  // Closes our side: queues `00 03 local_id`. If the peer has not answered our open yet,
  // the id stays reserved until its open or reject arrives (it may still be in flight).
  Result<void> close(uint64_t local_id);

  // One decrypted frame from the peer. An error means the peer broke the protocol
  // ("Invalid open message", bad varints, ...): the connection must be torn down, and
  // every later call fails with errc::closed.
  Result<void> receive(ByteSpan frame);

  std::vector<Bytes> take_output();
  std::vector<MuxEvent> take_events();

  bool is_open(uint64_t local_id) const;
  bool destroyed() const { return destroyed_; }
  // Number of local ids allocated (open, opening, or reserved).
  size_t channels_in_use() const;

 private:
  enum class LocalState { free, opening, open, reserved };
  struct Local {
    LocalState state = LocalState::free;
    std::string protocol;
    Bytes id;
    uint64_t remote_id = 0;
    uint64_t sequence = 0;  // order of our opens, to pair per (protocol, id) first-in first-out
    ChannelOptions options;
  };
  enum class RemoteState { free, pending, paired };
  struct Pending {
    uint64_t type;
    Bytes payload;
  };
  struct Remote {
    RemoteState state = RemoteState::free;
    uint64_t local_id = 0;  // when paired
    RemoteOpen open;        // when pending
    std::vector<Pending> buffered;
    size_t buffered_bytes = 0;
  };

  Result<void> dispatch(uint64_t channel, ByteSpan message, int depth);
  Result<void> control(uint64_t type, ByteSpan payload, int depth);
  Result<void> on_open(const OpenMessage& m);
  Result<void> on_reject(uint64_t local_id);
  void on_close(uint64_t remote_id);
  Result<void> on_channel_message(uint64_t remote_id, uint64_t type, ByteSpan payload);
  uint64_t allocate(const std::string& protocol, ByteSpan id, ChannelOptions options);
  void free_local(uint64_t local_id);
  // Pairs pending remote `remote_id` with a new local channel and sends our open.
  uint64_t pair_pending(uint64_t remote_id, ByteSpan handshake, ChannelOptions options);
  void drop_pending(uint64_t remote_id);
  void deliver(uint64_t local_id, uint64_t type, ByteSpan payload);
  Result<void> teardown(std::string why);
  Local* local(uint64_t local_id);
  Remote* remote(uint64_t remote_id);

  OpenHandler handler_;
  size_t max_buffered_ = kDefaultMaxBuffered;
  size_t buffered_ = 0;
  uint64_t sequence_ = 0;
  bool destroyed_ = false;
  std::vector<Local> local_;    // index = local id - 1
  std::vector<Remote> remote_;  // index = remote id - 1
  std::vector<Bytes> output_;
  std::vector<MuxEvent> events_;
};

}  // namespace net
