// The order bee's binary search probes a node's keys in. Which keys a lookup reads decides
// which blocks it touches, so every reader of that order shares this one rule: the reads
// (snapshot, range, diff, the extension's read trace), the writer, and remote read planning
// in net/, which requests ahead the blocks a local search will probe.
#pragma once

namespace bee {

// The next probe of a search over the keys [start, end): the middle, rounded down.
template <class Index>
constexpr Index search_midpoint(Index start, Index end) {
  return (start + end) / 2;
}

}  // namespace bee
