// The write path's tree: model.js's node objects and shared child records (tree_writer.cpp
// mutates them exactly as the reference does), and how the blocks written from them feed
// the BlockStore cache without reading anything back.
//
// Nodes and records live in a NodeArena owned by the writer, from the first op of a batch
// (or of a single write) to its end: they are reached through plain pointers, with no
// reference counts to maintain on every step of a descent, and are all dropped at once.
#pragma once

#include <algorithm>
#include <memory>
#include <memory_resource>
#include <span>
#include <vector>

#include "bee/internal/block_store.hpp"
#include "bee/internal/free_list_resource.hpp"
#include "bee/messages.hpp"

namespace bee::internal::writer {

struct TreeNode;

// A child pointer. One record can sit both in a parent's child list and in the index of the
// pending block that last wrote the child; batch compaction renumbers it in place, and the
// parent then emits the new offset. So records are shared, never copied.
struct Ptr {
  uint64_t seq = 0;
  uint64_t offset = 0;
  TreeNode* node = nullptr;  // null until loaded
};
using PtrRef = Ptr*;
// A block's levels: index[j] = record of the node at level j. From the arena's pool.
using Index = std::pmr::vector<PtrRef>;

// Allocated from the arena's pool, vectors included.
struct TreeNode {
  explicit TreeNode(std::pmr::memory_resource* pool) : keys(pool), children(pool), adopted(pool) {}

  std::pmr::vector<uint64_t> keys;  // key pointers (block seqs) in key order
  std::pmr::vector<PtrRef> children;
  bool changed = false;
  // The cached node this one was loaded from: its inline key bytes answer comparisons for
  // the keys still at their loaded positions, without a cache probe per key.
  NodeRef source;
  // Sources of other nodes whose keys moved into this one (a split's median, a rotation,
  // a merge): searched after `source`, so moved keys need no lookup either.
  std::pmr::vector<NodeRef> adopted;
  bool leaf() const { return children.empty(); }
};
using NodePtr = TreeNode*;

// Owns the nodes and records of one batch (or one single write). Not thread-safe, as the
// writer. release() ends every node's life: no pointer to one may be used after it.
class NodeArena {
 public:
  NodeArena() = default;
  NodeArena(const NodeArena&) = delete;
  NodeArena& operator=(const NodeArena&) = delete;
  ~NodeArena() { release(); }

  std::pmr::memory_resource* pool() { return &pool_; }
  TreeNode* node() {
    auto* n = new (pool_.allocate(sizeof(TreeNode), alignof(TreeNode))) TreeNode(&pool_);
    nodes_.push_back(n);
    return n;
  }
  // Records hold no resources: they are never destroyed one by one.
  Ptr* ptr(uint64_t seq, uint64_t offset, TreeNode* node) {
    return new (pool_.allocate(sizeof(Ptr), alignof(Ptr))) Ptr{seq, offset, node};
  }
  // The records of a stored node's children, carved a group at a time: one allocation per
  // group instead of one per child, in groups small enough for the pool's free lists.
  void child_records(const CachedNode& stored, std::pmr::vector<PtrRef>& out) {
    constexpr size_t kGroup = 16;
    size_t n = stored.child_count();
    out.resize(n);
    for (size_t i = 0; i < n; i += kGroup) {
      size_t m = std::min(kGroup, n - i);
      auto* recs = static_cast<Ptr*>(pool_.allocate(m * sizeof(Ptr), alignof(Ptr)));
      for (size_t k = 0; k < m; ++k) {
        out[i + k] = new (recs + k) Ptr{stored.child_seq(i + k), stored.child_offset(i + k), nullptr};
      }
    }
  }
  // Drops every node (and the cache items they hold) and returns the memory.
  void release() {
    for (TreeNode* n : nodes_) n->~TreeNode();
    nodes_.clear();
    pool_.release();
  }

 private:
  FreeListResource pool_;
  std::vector<TreeNode*> nodes_;  // to destroy: their sources hold cache items
};

// The bytes of key `seq` as held by the node's sources; not known if none holds them.
CachedNode::KeyBytes held_bytes(const TreeNode& node, uint64_t seq);

// `to` takes keys from `from`: it finds their bytes where `from` does.
void adopt(TreeNode& to, const TreeNode& from);

// The cache items of appended blocks: made while the writer's nodes (which hold the key
// bytes) are alive, cached once the append succeeded.
struct PreparedNodes {
  std::vector<NodeRef> nodes;
  std::vector<std::pair<uint64_t, uint32_t>> superseded;  // stored nodes the blocks replace
  std::vector<CachedNode::KeyBytes> scratch;  // one block's keys at a time, reused
};

// Block `seq` holds `block`, whose levels were encoded from the nodes of `index`; blocks
// first.. are written together, and batch_keys[k - first] is what is known of the key and
// value of block k. The key bytes come from those and from the nodes' sources, with no
// lookups (but for keys moved beyond what a node's sources hold).
void prepare_nodes(BlockStore& store, uint64_t seq, const NodeBlock& block, const Index& index, uint64_t first,
                   std::span<const CachedNode::KeyBytes> batch_keys, PreparedNodes& out);

// After the append: the new nodes join the cache and the stored nodes they replace leave
// it (only older versions reach those).
void remember_nodes(BlockStore& store, const PreparedNodes& prepared);

}  // namespace bee::internal::writer
