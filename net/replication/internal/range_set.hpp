// A set of block indices kept as disjoint half-open intervals: what a peer announced it
// holds (range / bitfield messages). Memory is proportional to the number of gaps, never
// to the indices a hostile peer names, so `range {0, 2^50}` costs one entry.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>

namespace net::internal {

class RangeSet {
 public:
  // Adds [start, end).
  void add(uint64_t start, uint64_t end) {
    if (start >= end) return;
    auto it = ranges_.upper_bound(start);
    if (it != ranges_.begin()) {
      auto prev = std::prev(it);
      if (prev->second >= start) {
        start = prev->first;
        if (prev->second > end) end = prev->second;
        it = ranges_.erase(prev);
      }
    }
    while (it != ranges_.end() && it->first <= end) {
      if (it->second > end) end = it->second;
      it = ranges_.erase(it);
    }
    ranges_[start] = end;
  }

  // Removes [start, end).
  void remove(uint64_t start, uint64_t end) {
    if (start >= end) return;
    auto it = ranges_.upper_bound(start);
    if (it != ranges_.begin()) --it;
    while (it != ranges_.end() && it->first < end) {
      uint64_t s = it->first, e = it->second;
      if (e <= start) {
        ++it;
        continue;
      }
      it = ranges_.erase(it);
      if (s < start) ranges_[s] = start;
      if (e > end) {
        ranges_[end] = e;
        break;
      }
    }
  }

  bool contains(uint64_t index) const {
    auto it = ranges_.upper_bound(index);
    if (it == ranges_.begin()) return false;
    return std::prev(it)->second > index;
  }

  // The first index >= from that is in the set, or `none` if there is none.
  uint64_t next(uint64_t from, uint64_t none) const {
    auto it = ranges_.upper_bound(from);
    if (it != ranges_.begin()) {
      auto prev = std::prev(it);
      if (prev->second > from) return from;
    }
    return it == ranges_.end() ? none : it->first;
  }

  bool empty() const { return ranges_.empty(); }
  size_t intervals() const { return ranges_.size(); }

 private:
  std::map<uint64_t, uint64_t> ranges_;  // start -> end
};

}  // namespace net::internal
