// Reading the B-tree of one version (spec §2.3, §4): roots, child nodes and key blocks,
// every pointer checked against the version, so a hostile or corrupt block gives
// errc::corrupt instead of a read past the version, a crash or an endless walk. All block
// access goes through the shared BlockStore cache.
#pragma once

#include <algorithm>
#include <compare>
#include <cstring>
#include <cstdint>
#include <memory>
#include <optional>

#include "bee/bee.hpp"
#include "bee/internal/block_store.hpp"
#include "bee/internal/key_compare.hpp"

namespace bee::internal {

// Deeper than any tree the reference can write (8-key nodes: 64 levels hold far more
// than 2^64 keys); a deeper walk means a cycle in the child pointers.
inline constexpr size_t kMaxTreeDepth = 64;

// Unsigned lexicographic byte order, the order of every key (spec conventions).
inline std::strong_ordering compare_bytes(ByteSpan a, ByteSpan b) { return compare_keys(a, b) <=> 0; }

// One tree node: level `offset` of block `seq`, kept alive (and its key bytes with it)
// while the node is held, whatever the cache evicts.
struct TreeNode {
  NodeRef data;
  uint64_t seq = 0;
  uint64_t offset = 0;

  size_t key_count() const { return data->key_count(); }
  size_t child_count() const { return data->child_count(); }
  bool leaf() const { return data->leaf(); }
  uint64_t key_seq(size_t i) const { return data->key_seq(i); }
  uint64_t child_seq(size_t i) const { return data->child_seq(i); }
  uint64_t child_offset(size_t i) const { return data->child_offset(i); }
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
  // The entry of a block holding a key (or an entry) of this version.
  Result<EntryRef> block(uint64_t seq) {
    if (seq == 0 || seq >= version_) return outside(seq);
    return store_->entry(seq);
  }
  // The entry of key `i` of a node.
  Result<EntryRef> key_block(const TreeNode& node, size_t i) { return block(node.key_seq(i)); }
  // The bytes of key `i` of a node: inline in the node, else from its block (held by
  // `hold`), checked against the version.
  Result<ByteSpan> key(const TreeNode& node, size_t i, EntryRef& hold) {
    if (auto k = node.data->key(i)) return *k;
    HC_TRY(e, key_block(node, i));
    hold = std::move(e);
    return hold->key();
  }
  Result<Entry> entry(uint64_t seq);

  // Child descents allowed for one walk: a well-formed tree has fewer nodes than keys
  // plus one, and fewer keys than blocks, so more descents mean shared or cyclic
  // subtrees in hostile blocks.
  uint64_t descent_budget() const { return 2 * version_ + 2 * kMaxTreeDepth; }

 private:
  Result<TreeNode> node(uint64_t seq, uint64_t offset);
  std::unexpected<Error> outside(uint64_t seq) const;

  std::shared_ptr<BlockStore> store_;
  uint64_t version_;
};

inline Entry make_entry(uint64_t seq, const CachedEntry& e) {
  Entry out{seq, Bytes(e.key().begin(), e.key().end()), std::nullopt};
  if (e.has_value()) out.value.emplace(e.value().begin(), e.value().end());
  return out;
}

}  // namespace bee::internal
