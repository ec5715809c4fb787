// The `hyperbee` replication extension (../shared/spec/hyperbee.md §11) over a Replicator:
// a reader about to fetch a lookup's path asks its peer for it in one message, and the
// peer answers with the list of seqs to download (cache messages), so the path arrives in
// about one round trip instead of one per tree level. Never changes results: a peer that
// ignores the extension only costs the round trips it would have saved.
//
// Framing as Node's `registerExtension` default encoding (c.buffer): the extension
// message's payload is `uint length || protobuf`. The asking side lives in RemoteBee; this
// header has the codec and the answering side. Sans-I/O; not thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include "bee/messages.hpp"
#include "net/replication/replicator.hpp"

namespace net {

inline constexpr std::string_view kBeeExtensionName = "hyperbee";

// The extension message's payload for `message` (length-prefixed protobuf).
Bytes frame_bee_extension(const bee::ExtensionMessage& message);
// nullopt when the payload is not a well-formed message (the reference ignores those).
std::optional<bee::ExtensionMessage> parse_bee_extension(ByteSpan payload);

struct BeeExtensionResponderOptions {
  // Blocks traced per second for this peer (a token bucket holding two seconds' worth);
  // asks beyond it are dropped, which only costs the asker round trips. Bounds what a
  // flood of asks can make us read. Default 65536.
  size_t blocks_per_second = 65536;
};

// Answers one peer's asks about the bee stored in `core`: get and iterator asks at a
// version we hold are replayed with bee::trace_get / trace_range and answered with cache
// messages of at most 128 seqs (the reference's batches). Asks beyond our length, with an
// undecodable payload or over budget are dropped. One per peer connection.
class BeeExtensionResponder {
 public:
  explicit BeeExtensionResponder(hypercore::Core& core, BeeExtensionResponderOptions options = {});

  // An event of `replicator`: extension messages named "hyperbee" are answered through it;
  // every other event is ignored.
  void on_event(const ReplicatorEvent& event, Replicator& replicator, TimePoint now);

  uint64_t asks_answered() const { return asks_answered_; }
  uint64_t asks_dropped() const { return asks_dropped_; }
  uint64_t blocks_offered() const { return blocks_offered_; }

 private:
  bool take_budget(TimePoint now);

  hypercore::Core& core_;
  BeeExtensionResponderOptions options_;
  double tokens_ = 0;
  std::optional<TimePoint> refilled_;
  uint64_t asks_answered_ = 0;
  uint64_t asks_dropped_ = 0;
  uint64_t blocks_offered_ = 0;
};

}  // namespace net
