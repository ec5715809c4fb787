// The write path's tree: model.js's node objects and shared child records (tree_writer.cpp
// mutates them exactly as the reference does), and how the blocks written from them feed
// the BlockStore cache without reading anything back.
#pragma once

#include <memory>
#include <memory_resource>
#include <vector>

#include "bee/internal/block_store.hpp"
#include "bee/messages.hpp"

namespace bee::internal::writer {

struct TreeNode;

// A child pointer. One record can sit both in a parent's child list and in the index of the
// pending block that last wrote the child; batch compaction renumbers it in place, and the
// parent then emits the new offset. So records are shared, never copied.
struct Ptr {
  uint64_t seq = 0;
  uint64_t offset = 0;
  std::shared_ptr<TreeNode> node;  // null until loaded
};
using PtrRef = std::shared_ptr<Ptr>;
// A block's levels: index[j] = record of the node at level j. From the writer's pool.
using Index = std::pmr::vector<PtrRef>;

// Allocated from the writer's pool, vectors included (uses-allocator construction).
struct TreeNode {
  using allocator_type = std::pmr::polymorphic_allocator<>;
  TreeNode(std::allocator_arg_t, const allocator_type& alloc) : keys(alloc), children(alloc) {}

  std::pmr::vector<uint64_t> keys;  // key pointers (block seqs) in key order
  std::pmr::vector<PtrRef> children;
  bool changed = false;
  // The cached node this one was loaded from: its inline key bytes answer comparisons for
  // the keys still at their loaded positions, without a cache probe per key.
  NodeRef source;
  // Sources of other nodes whose keys moved into this one (a split's median, a rotation,
  // a merge): searched after `source`, so moved keys need no lookup either.
  std::vector<NodeRef> adopted;
  bool leaf() const { return children.empty(); }
};
using NodePtr = std::shared_ptr<TreeNode>;

// The bytes of key `seq` as held by the node's sources; not known if none holds them.
CachedNode::KeyBytes held_bytes(const TreeNode& node, uint64_t seq);

// `to` takes keys from `from`: it finds their bytes where `from` does.
void adopt(TreeNode& to, const TreeNode& from);

// The cache items of appended blocks: made while the writer's nodes (which hold the key
// bytes) are alive, cached once the append succeeded.
struct PreparedNodes {
  std::vector<NodeRef> nodes;
  std::vector<std::pair<uint64_t, uint32_t>> superseded;  // stored nodes the blocks replace
};

// Blocks first.. hold `written`, whose levels were encoded from the nodes of `indexes`:
// their key bytes come from the written blocks and the nodes' sources, with no lookups.
PreparedNodes prepare_nodes(BlockStore& store, uint64_t first, const std::vector<NodeBlock>& written,
                            const std::vector<const Index*>& indexes);

// After the append: the new nodes join the cache and the stored nodes they replace leave
// it (only older versions reach those).
void remember_nodes(BlockStore& store, const PreparedNodes& prepared);

}  // namespace bee::internal::writer
