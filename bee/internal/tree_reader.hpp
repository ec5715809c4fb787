// Reading the B-tree of one version (spec §2.3, §4): roots, child nodes and key blocks,
// every pointer checked against the version, so a hostile or corrupt block gives
// errc::corrupt instead of a read past the version, a crash or an endless walk. All block
// access goes through the shared BlockStore cache.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>

#include "bee/bee.hpp"
#include "bee/internal/block_store.hpp"

namespace bee::internal {

// Deeper than any tree the reference can write (8-key nodes: 64 levels hold far more
// than 2^64 keys); a deeper walk means a cycle in the child pointers.
inline constexpr size_t kMaxTreeDepth = 64;

// Unsigned lexicographic byte order, the order of every key (spec conventions).
std::strong_ordering compare_bytes(ByteSpan a, ByteSpan b);

// One tree node: level `offset` of block `seq`, which the node keeps alive.
struct TreeNode {
  std::shared_ptr<const NodeBlock> block;
  uint64_t seq = 0;
  uint64_t offset = 0;

  const Level& level() const { return block->levels[offset]; }
  size_t key_count() const { return level().keys.size(); }
  size_t child_count() const { return level().children.size() / 2; }
  bool leaf() const { return level().children.empty(); }
  uint64_t key_seq(size_t i) const { return level().keys[i]; }
  uint64_t child_seq(size_t i) const { return level().children[2 * i]; }
  uint64_t child_offset(size_t i) const { return level().children[2 * i + 1]; }
};

// The tree as of `version`: only blocks 1..version-1 are ever read.
class TreeReader {
 public:
  TreeReader(std::shared_ptr<BlockStore> store, uint64_t version);

  uint64_t version() const { return version_; }
  // Level 0 of block version-1; nullopt for the empty tree (version < 2).
  Result<std::optional<TreeNode>> root();
  // Child `i` of an internal node.
  Result<TreeNode> child(const TreeNode& parent, size_t i);
  // A block holding a key (or an entry) of this version.
  Result<std::shared_ptr<const NodeBlock>> block(uint64_t seq);
  // The key bytes of key `i` of a node.
  Result<std::shared_ptr<const NodeBlock>> key_block(const TreeNode& node, size_t i) {
    return block(node.key_seq(i));
  }
  Result<Entry> entry(uint64_t seq);

  // Child descents allowed for one walk: a well-formed tree has fewer nodes than keys
  // plus one, and fewer keys than blocks, so more descents mean shared or cyclic
  // subtrees in hostile blocks.
  uint64_t descent_budget() const { return 2 * version_ + 2 * kMaxTreeDepth; }

 private:
  Result<TreeNode> node(uint64_t seq, uint64_t offset);

  std::shared_ptr<BlockStore> store_;
  uint64_t version_;
};

// Spec §2.4: no value, and the block's own seq is in none of its levels.
bool is_deletion(const NodeBlock& block, uint64_t seq);

Entry make_entry(uint64_t seq, const NodeBlock& block);

}  // namespace bee::internal
