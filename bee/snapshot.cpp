// Reads on one version (spec §6): point lookups here, the walks in the iterators' files.
#include <algorithm>
#include <string>

#include "bee/bee.hpp"
#include "bee/internal/cursors.hpp"
#include "bee/internal/tree_reader.hpp"
#include "bee/search_order.hpp"

namespace bee {

using hypercore::errc;
using hypercore::fail;

Result<std::optional<Entry>> Snapshot::get(ByteSpan key) const {
  internal::TreeReader reader(store_, version_);
  HC_TRY(root, reader.root());
  if (!root) return std::optional<Entry>();
  internal::TreeNode node = std::move(*root);
  internal::EntryRef hold;
  for (size_t depth = 0; depth < internal::kMaxTreeDepth; ++depth) {
    // The reference's shortcut: the block that wrote this node answers for its own key,
    // where that is sound (internal::OwnKey): no key of the node need be read.
    if (internal::compare_bytes(node.data->own_key(), key) == 0) {
      if (node.data->own() == internal::OwnKey::deleted) return std::optional<Entry>();
      if (node.data->own() == internal::OwnKey::below) {
        HC_TRY(own, reader.block(node.seq));
        return std::optional<Entry>(internal::make_entry(node.seq, *own));
      }
    }
    size_t s = 0, e = node.key_count();
    while (s < e) {
      size_t mid = search_midpoint(s, e);
      HC_TRY(k, reader.key(node, mid, hold));
      auto c = internal::compare_bytes(key, k);
      if (c == 0) {
        if (auto inline_entry = node.data->entry(mid)) return inline_entry;
        HC_TRY(found, reader.key_block(node, mid));
        return std::optional<Entry>(internal::make_entry(node.key_seq(mid), *found));
      }
      if (c < 0) e = mid;
      else s = mid + 1;
    }
    if (node.leaf()) return std::optional<Entry>();
    HC_TRY(child, reader.child(node, s));
    node = std::move(child);
  }
  return fail(errc::corrupt, "tree deeper than " + std::to_string(internal::kMaxTreeDepth) +
                                 " levels (a cycle in child pointers?)");
}

Result<std::optional<Entry>> Snapshot::peek(const Range& range) const {
  // As the reference's peek(range) with the range's own limit, if any, over the default 1.
  Range first = range;
  if (first.limit == -1) first.limit = 1;
  return this->range(first).next();
}

RangeIterator Snapshot::range(const Range& range) const {
  return RangeIterator(std::make_unique<internal::RangeCursor>(store_, version_, range));
}

HistoryIterator Snapshot::history(const HistoryRange& range) const {
  return HistoryIterator(std::make_unique<internal::HistoryCursor>(store_, version_, range));
}

DiffIterator Snapshot::diff(uint64_t other_version, const Range& range) const {
  uint64_t right = std::max<uint64_t>(1, other_version);
  auto cursor = std::make_unique<internal::DiffCursor>(store_, version_, right, range);
  uint64_t newest = std::max<uint64_t>({1, store_->length(), version_});
  if (right > newest) {
    cursor->fail_with(Error{errc::out_of_range, "diff against version " + std::to_string(right) +
                                                    ", beyond the newest version " + std::to_string(newest)});
  }
  return DiffIterator(std::move(cursor));
}

Result<Entry> Snapshot::get_by_seq(uint64_t seq) const {
  if (seq >= version_) {
    return fail(errc::out_of_range, "block " + std::to_string(seq) + " is not in version " + std::to_string(version_));
  }
  HC_TRY(block, store_->entry(seq));
  return internal::make_entry(seq, *block);
}

}  // namespace bee
