// Range iteration (spec §6.2), a port of the reference's iterators/range.js: a stack of
// (node, position) from the root to the current leaf, seeded by one descent towards the
// start bound, then walked in key order until the end bound or the limit.
#include <string>

#include "bee/internal/cursors.hpp"
#include "bee/search_order.hpp"

namespace bee {

using hypercore::errc;
using hypercore::fail;

namespace internal {

RangeCursor::RangeCursor(std::shared_ptr<BlockStore> store, uint64_t version, const Range& range)
    : reader_(std::move(store), version),
      lower_(range.gt ? range.gt : range.gte),
      upper_(range.lt ? range.lt : range.lte),
      lower_inclusive_(!range.gt),
      upper_inclusive_(!range.lt),
      reverse_(range.reverse),
      limit_(range.limit) {}

Result<void> RangeCursor::push(TreeNode node, int64_t i) {
  if (stack_.size() >= kMaxTreeDepth) {
    return fail(errc::corrupt, "tree deeper than " + std::to_string(kMaxTreeDepth) + " levels at block " +
                                   std::to_string(node.seq) + " (a cycle in child pointers?)");
  }
  stack_.push_back(Frame{std::move(node), i});
  return {};
}

Result<void> RangeCursor::open() {
  HC_TRY(root, reader_.root());
  if (!root) return {};
  const std::optional<Bytes>& start = reverse_ ? upper_ : lower_;
  bool inclusive = reverse_ ? upper_inclusive_ : lower_inclusive_;
  TreeNode node = std::move(*root);
  EntryRef hold;
  if (!start) return push(node, reverse_ ? int64_t(node.key_count()) * 2 : 0);

  for (size_t depth = 0;; ++depth) {
    if (depth >= kMaxTreeDepth) {
      return fail(errc::corrupt, "tree deeper than " + std::to_string(kMaxTreeDepth) + " levels (a cycle?)");
    }
    int64_t keys = int64_t(node.key_count());
    int64_t s = 0, e = keys;
    while (s < e) {
      int64_t mid = search_midpoint(s, e);
      HC_TRY(k, reader_.key(node, size_t(mid), hold));
      auto c = compare_bytes(*start, k);
      if (c == 0) {
        return push(std::move(node), inclusive ? mid * 2 + 1 : mid * 2 + (reverse_ ? 0 : 2));
      }
      if (c < 0) e = mid;
      else s = mid + 1;
    }
    // The first key above the start (forward) or the last below it (reverse); its
    // child on the way down is descended next.
    int64_t i = 2 * s + (reverse_ ? -1 : 1);
    if (i >= 0 && i <= keys * 2) HC_CHECK(push(node, i));
    if (node.leaf()) return {};
    if (++descents_ > reader_.descent_budget()) return fail(errc::corrupt, "tree has more nodes than its version has blocks");
    HC_TRY(child, reader_.child(node, size_t(s)));
    node = std::move(child);
  }
}

Result<std::optional<Entry>> RangeCursor::step() {
  if (!opened_) {
    opened_ = true;
    HC_CHECK(open());
  }
  const std::optional<Bytes>& end = reverse_ ? lower_ : upper_;
  bool inclusive = reverse_ ? lower_inclusive_ : upper_inclusive_;

  while (!stack_.empty() && (limit_ == -1 || limit_ > 0)) {
    Frame& top = stack_.back();
    bool is_key = (top.i & 1) != 0;
    int64_t keys = int64_t(top.node.key_count());
    int64_t n;
    if (reverse_) {
      n = top.i < 0 ? keys : top.i-- >> 1;
    } else {
      n = top.i++ >> 1;
    }
    if (!is_key) {
      if (top.node.leaf()) continue;
      if (++descents_ > reader_.descent_budget()) return fail(errc::corrupt, "tree has more nodes than its version has blocks");
      HC_TRY(child, reader_.child(top.node, size_t(n)));
      int64_t i = reverse_ ? int64_t(child.key_count()) * 2 : 0;
      HC_CHECK(push(std::move(child), i));
      continue;
    }
    if (n >= keys) {
      stack_.pop_back();
      continue;
    }
    uint64_t seq = top.node.key_seq(size_t(n));
    std::optional<Entry> entry = top.node.data->entry(size_t(n));
    if (!entry) {
      HC_TRY(block, reader_.block(seq));
      entry = make_entry(seq, *block);
    }
    if (end) {
      auto c = compare_bytes(entry->key, *end);
      if (c == 0 ? !inclusive : reverse_ ? c < 0 : c > 0) {
        limit_ = 0;
        break;
      }
    }
    if (limit_ > 0) --limit_;
    return entry;
  }
  return std::optional<Entry>();
}

Result<std::optional<Entry>> RangeCursor::next() {
  if (error_) return std::unexpected(*error_);
  if (ended_) return std::optional<Entry>();
  auto r = step();
  if (!r) {
    error_ = r.error();
    stack_.clear();
  } else if (!*r) {
    ended_ = true;
    stack_.clear();
  }
  return r;
}

}  // namespace internal

RangeIterator::RangeIterator(std::unique_ptr<internal::RangeCursor> cursor) : cursor_(std::move(cursor)) {}
RangeIterator::RangeIterator(RangeIterator&&) noexcept = default;
RangeIterator& RangeIterator::operator=(RangeIterator&&) noexcept = default;
RangeIterator::~RangeIterator() = default;

Result<std::optional<Entry>> RangeIterator::next() {
  if (!cursor_) return fail(errc::invalid_argument, "range iterator was moved from");
  return cursor_->next();
}

}  // namespace bee
