// The state of one TreeWriter (tree_writer.hpp): the nodes of the open batch or op, and
// the write path on them, one job per file: lookups, batches and the public calls
// (tree_writer.cpp), put and split (tree_insert.cpp), del and rebalance
// (tree_delete.cpp), block layout and the batch flush (tree_flush.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <memory_resource>
#include <optional>
#include <utility>
#include <vector>

#include "bee/internal/key_compare.hpp"
#include "bee/internal/tree_writer.hpp"
#include "bee/internal/writer_nodes.hpp"

namespace bee::internal {

namespace writer {

inline constexpr size_t kMaxKeys = 8;
inline constexpr size_t kMinKeys = 4;

// Key and value bytes are in the arena's pool: a batch makes two of them per op.
struct PendingBlock {
  uint64_t seq;
  std::pmr::vector<uint8_t> key;
  std::optional<std::pmr::vector<uint8_t>> value;
  Index index;
};

// A root-to-leaf path, from the arena's pool.
using Stack = std::pmr::vector<NodePtr>;

struct Search {
  bool found;
  size_t i;  // match, or the insertion point (first key greater than the target)
};

inline bool same_value(const std::optional<Bytes>& a, const std::optional<ByteSpan>& b) {
  if (!a || !b) return !a && !b;
  return compare_keys(*a, *b) == 0;
}

inline std::optional<Bytes> owned(std::optional<ByteSpan> v) {
  if (!v) return std::nullopt;
  return Bytes(v->begin(), v->end());
}

// The block being encoded, refilled for every block of a flush: its vectors keep their
// capacity, so encoding a block allocates nothing but its bytes.
class BlockScratch {
 public:
  const NodeBlock& fill(ByteSpan key, std::optional<ByteSpan> value, const Index& index);

 private:
  NodeBlock block_;
  std::vector<Level> spare_;  // levels beyond the current block's, kept for their capacity
};

}  // namespace writer

class TreeWriter::State {
 public:
  State(std::shared_ptr<BlockStore> store, const BeeOptions& options);

  // TreeWriter's calls (tree_writer.cpp).
  Result<bool> put_op(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas, bool always_duplicate);
  Result<bool> del_op(ByteSpan key, const Cas& cas);
  Result<std::optional<Entry>> lookup(ByteSpan key);
  void begin_batch();
  bool in_batch() const { return batch_; }
  Result<void> flush_batch();
  void discard_batch() { end_batch(); }
  bool always_duplicate() const { return options_.always_duplicate; }

 private:
  using PendingBlock = writer::PendingBlock;
  using Stack = writer::Stack;
  using Search = writer::Search;
  using TreeNode = writer::TreeNode;
  using NodePtr = writer::NodePtr;
  using Index = writer::Index;
  using NodeArena = writer::NodeArena;
  using BlockScratch = writer::BlockScratch;

  // The nodes and records of the open batch, or of the single write in progress; declared
  // first so it outlives everything that points into it.
  NodeArena arena_;
  BlockScratch scratch_;

  std::shared_ptr<BlockStore> store_;
  BeeOptions options_;

  bool batch_ = false;
  // A batch op failed half way (a read error): its nodes may be half mutated, so nothing
  // of the batch may be written any more.
  bool broken_ = false;
  std::vector<PendingBlock> pending_;
  // Within a batch the stored root is loaded once and reused (model.js storedRoot), so a
  // no-op's marks on its path survive into the next op.
  NodePtr stored_root_ = nullptr;

  bool in_op_ = false;  // a put or del is running (its cas callback may be)
  // The op in progress: its key is referenced by `current_seq` before the block exists.
  std::optional<uint64_t> current_seq_;
  ByteSpan current_key_;

  uint64_t length() const { return store_->length(); }
  uint64_t next_seq() const { return length() + pending_.size(); }
  // A put's or del's seq; its key is referenced by that seq before the block exists.
  uint64_t start_op(ByteSpan key) {
    current_seq_ = next_seq();
    current_key_ = key;
    return *current_seq_;
  }

  // Lookups and batches (tree_writer.cpp).
  const PendingBlock* pending_at(uint64_t seq) const;
  Result<int> compare(ByteSpan key, uint64_t seq);
  Result<ByteSpan> key_bytes(uint64_t seq, const TreeNode& holder, EntryRef& hold);
  Result<Entry> entry_of(uint64_t seq);
  Result<int> compare_at(const TreeNode& node, size_t i, ByteSpan key);
  Result<Search> search(const TreeNode& node, ByteSpan key);
  Result<NodePtr> load_stored(uint64_t seq, uint64_t offset);
  Result<NodePtr> child(TreeNode& node, size_t i);
  Result<void> ensure_header();
  Result<NodePtr> root();
  void end_batch();
  void end_op();
  Result<std::optional<Entry>> get(ByteSpan key);
  template <class Op>
  Result<bool> guarded(Op op);
  // put and split (tree_insert.cpp).
  Result<bool> may_overwrite(uint64_t prev_seq, uint64_t seq, ByteSpan key, std::optional<ByteSpan> value,
                             const Cas& cas, bool always_duplicate);
  Result<bool> put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas, bool always_duplicate);
  std::pair<uint64_t, NodePtr> split(TreeNode& node);
  // del and rebalance (tree_delete.cpp).
  Result<bool> del(ByteSpan key, const Cas& cas);
  void remove_key(TreeNode& node, size_t i);
  Result<size_t> edge_leaf_size(NodePtr node, bool rightmost);
  Result<void> replace_with_neighbour(TreeNode& node, size_t i, Stack& stack);
  Result<NodePtr> rebalance(Stack& stack);
  // Block layout and the batch flush (tree_flush.cpp).
  static uint64_t visit_changed(TreeNode& node, uint64_t seq, Index& index);
  Result<void> write(NodePtr root_node, uint64_t seq, ByteSpan key, std::optional<ByteSpan> value);
  Result<void> flush();
};

}  // namespace bee::internal
