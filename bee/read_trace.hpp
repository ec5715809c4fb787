// The blocks a Hyperbee 2 read touches, in the order the Node reference reads them (its
// `onseq` hook): what a peer answering the `hyperbee` replication extension (hyperbee.md
// §11, ExtensionMessage) tells the asker to download, so that a sparse reader fetches a
// whole lookup path in one round trip instead of one per tree level.
//
// The traces replay the reference's algorithms (hyperbee index.js `get`, iterators/range.js
// `open`/`next`) on the raw blocks of a core, without the bee's cache: the answer is about
// blocks, not entries. A block that is missing or does not decode ends the trace there
// (the reference's `wait: false`); what was traced up to it is still the answer. Each seq
// is reported once. Bounded: at most `max_blocks` seqs and a fixed number of steps, so a
// hostile asker or a damaged tree costs bounded work.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bee/messages.hpp"
#include "hypercore/core.hpp"

namespace bee {

// The reference's cap on one iterator answer (extension.js MAX_ACTIVE_BATCH).
inline constexpr size_t kMaxTracedBlocks = 2048 + 128;

// get(key) on the version `version` (the core length it was made at; 0 or 1: an empty bee).
std::vector<uint64_t> trace_get(hypercore::Core& core, uint64_t version, ByteSpan key,
                                size_t max_blocks = kMaxTracedBlocks);

// A range scan as the extension's iterator message describes it: bounds, limit (0 =
// unlimited), direction, and the asker's position (checkpoint triples; blocks on it are
// held by the asker and not reported).
std::vector<uint64_t> trace_range(hypercore::Core& core, const ExtensionMessage::Iterator& scan,
                                  size_t max_blocks = kMaxTracedBlocks);

}  // namespace bee
