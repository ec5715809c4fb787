#include "bee/internal/tree_reader.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace bee::internal {

using hypercore::errc;
using hypercore::fail;

std::strong_ordering compare_bytes(ByteSpan a, ByteSpan b) {
  size_t n = std::min(a.size(), b.size());
  int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  return a.size() <=> b.size();
}

TreeReader::TreeReader(std::shared_ptr<BlockStore> store, uint64_t version)
    : store_(std::move(store)), version_(version) {}

Result<std::shared_ptr<const NodeBlock>> TreeReader::block(uint64_t seq) {
  if (seq == 0 || seq >= version_) {
    return fail(errc::corrupt, "pointer to block " + std::to_string(seq) + " outside blocks 1.." +
                                   std::to_string(version_ - 1) + " of version " + std::to_string(version_));
  }
  return store_->node(seq);
}

Result<TreeNode> TreeReader::node(uint64_t seq, uint64_t offset) {
  HC_TRY(b, block(seq));
  if (offset >= b->levels.size()) {
    return fail(errc::corrupt, "block " + std::to_string(seq) + " has no tree node at level " +
                                   std::to_string(offset) + " (it has " + std::to_string(b->levels.size()) + ")");
  }
  const Level& level = b->levels[offset];
  // An internal node has one child more than keys, as (seq, offset) pairs.
  if (!level.children.empty() && level.children.size() != 2 * (level.keys.size() + 1)) {
    return fail(errc::corrupt, "block " + std::to_string(seq) + " level " + std::to_string(offset) + ": " +
                                   std::to_string(level.keys.size()) + " keys but " +
                                   std::to_string(level.children.size()) + " child pointer numbers");
  }
  return TreeNode{std::move(b), seq, offset};
}

Result<std::optional<TreeNode>> TreeReader::root() {
  if (version_ < 2) return std::optional<TreeNode>();
  HC_TRY(n, node(version_ - 1, 0));
  return std::optional<TreeNode>(std::move(n));
}

Result<TreeNode> TreeReader::child(const TreeNode& parent, size_t i) {
  if (i >= parent.child_count()) {
    return fail(errc::corrupt, "block " + std::to_string(parent.seq) + " level " + std::to_string(parent.offset) +
                                   " has no child " + std::to_string(i));
  }
  return node(parent.child_seq(i), parent.child_offset(i));
}

Result<Entry> TreeReader::entry(uint64_t seq) {
  HC_TRY(b, block(seq));
  return make_entry(seq, *b);
}

bool is_deletion(const NodeBlock& block, uint64_t seq) {
  if (block.value) return false;
  for (const Level& l : block.levels) {
    if (std::find(l.keys.begin(), l.keys.end(), seq) != l.keys.end()) return false;
  }
  return true;
}

Entry make_entry(uint64_t seq, const NodeBlock& block) { return Entry{seq, block.key, block.value}; }

}  // namespace bee::internal
