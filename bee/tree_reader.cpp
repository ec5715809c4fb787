#include "bee/internal/tree_reader.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace bee::internal {

using hypercore::errc;
using hypercore::fail;

TreeReader::TreeReader(std::shared_ptr<BlockStore> store, uint64_t version)
    : store_(std::move(store)), version_(version) {}

std::unexpected<Error> TreeReader::outside(uint64_t seq) const {
  return fail(errc::corrupt, "pointer to block " + std::to_string(seq) + " outside blocks 1.." +
                                 std::to_string(version_ - 1) + " of version " + std::to_string(version_));
}

Result<TreeNode> TreeReader::node(uint64_t seq, uint64_t offset) {
  if (seq == 0 || seq >= version_) return outside(seq);
  HC_TRY(n, store_->tree_node(seq, offset));
  return TreeNode{std::move(n), seq, offset};
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
  HC_TRY(e, block(seq));
  return make_entry(seq, *e);
}

}  // namespace bee::internal
