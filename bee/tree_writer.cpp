// The write path of the B-tree (spec §5), a faithful port of the oracle's model.js: the
// node objects, the shared child records and the order of every mutation are kept as the
// reference has them, because inside a batch they decide the bytes of the blocks.
//
// This file: lookups on the writer's nodes, batches and TreeWriter's calls.
#include <algorithm>
#include <string>
#include <vector>

#include "bee/internal/tree_writer_state.hpp"
#include "bee/search_order.hpp"

namespace bee::internal {

using hypercore::errc;
using hypercore::fail;

using namespace writer;

const PendingBlock* TreeWriter::State::pending_at(uint64_t seq) const {
  uint64_t len = length();
  if (seq < len || seq - len >= pending_.size()) return nullptr;
  return &pending_[seq - len];
}

// compare(key, key bytes of block `seq`)
Result<int> TreeWriter::State::compare(ByteSpan key, uint64_t seq) {
  if (current_seq_ && seq == *current_seq_) return compare_keys(key, current_key_);
  if (const PendingBlock* p = pending_at(seq)) return compare_keys(key, p->key);
  HC_TRY(block, store_->entry(seq));
  return compare_keys(key, block->key());
}

// The bytes of key `seq`, valid while `holder`'s sources, the pending blocks and `hold`
// are.
Result<ByteSpan> TreeWriter::State::key_bytes(uint64_t seq, const TreeNode& holder, EntryRef& hold) {
  if (current_seq_ && seq == *current_seq_) return current_key_;
  if (const PendingBlock* p = pending_at(seq)) return ByteSpan(p->key);
  if (auto held = held_bytes(holder, seq); held.known) return held.key;
  HC_TRY(block, store_->entry(seq));
  hold = std::move(block);
  return hold->key();
}

Result<Entry> TreeWriter::State::entry_of(uint64_t seq) {
  if (const PendingBlock* p = pending_at(seq)) {
    Entry e{seq, Bytes(p->key.begin(), p->key.end()), std::nullopt};
    if (p->value) e.value.emplace(p->value->begin(), p->value->end());
    return e;
  }
  HC_TRY(block, store_->entry(seq));
  Entry e{seq, Bytes(block->key().begin(), block->key().end()), std::nullopt};
  if (block->has_value()) e.value.emplace(block->value().begin(), block->value().end());
  return e;
}

// Stored seqs are below every pending and current seq, so a key still at its loaded
// position has the source's bytes.
Result<int> TreeWriter::State::compare_at(const TreeNode& node, size_t i, ByteSpan key) {
  const CachedNode* src = node.source.get();
  if (src && i < src->key_count() && src->key_seq(i) == node.keys[i]) {
    if (auto k = src->key(i)) return compare_keys(key, *k);
  }
  if (!pending_at(node.keys[i]) && !(current_seq_ && node.keys[i] == *current_seq_)) {
    if (auto held = held_bytes(node, node.keys[i]); held.known) {
      return compare_keys(key, held.key);
    }
  }
  return compare(key, node.keys[i]);
}

Result<Search> TreeWriter::State::search(const TreeNode& node, ByteSpan key) {
  size_t lo = 0;
  size_t hi = node.keys.size();
  while (lo < hi) {
    size_t mid = search_midpoint(lo, hi);
    HC_TRY(c, compare_at(node, mid, key));
    if (c == 0) return Search{true, mid};
    if (c < 0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return Search{false, lo};
}

// The store checks that the level exists and has one child more than keys (or none).
Result<NodePtr> TreeWriter::State::load_stored(uint64_t seq, uint64_t offset) {
  HC_TRY(level, store_->tree_node(seq, offset));
  NodePtr node = arena_.node();
  node->keys.assign(level->key_seqs().begin(), level->key_seqs().end());
  arena_.child_records(*level, node->children);
  node->source = std::move(level);
  return node;
}

Result<NodePtr> TreeWriter::State::child(TreeNode& node, size_t i) {
  Ptr& rec = *node.children[i];
  if (!rec.node) {
    HC_TRY(loaded, load_stored(rec.seq, rec.offset));
    rec.node = loaded;
  }
  return rec.node;
}

// §2.2: appended by the first put or del of an empty writable core, as its own append
// even inside a batch.
Result<void> TreeWriter::State::ensure_header() {
  if (length() != 0 || !store_->core().writable()) return {};
  Bytes header = encode_header(Header{"hyperbee", options_.metadata});
  HC_CHECK(store_->core().append(ByteSpan(header)));
  return {};
}

Result<NodePtr> TreeWriter::State::root() {
  if (batch_ && !pending_.empty()) return pending_.back().index[0]->node;
  uint64_t version = length();
  if (version < 2) return NodePtr();
  if (batch_) {
    if (!stored_root_) {
      HC_TRY(loaded, load_stored(version - 1, 0));
      stored_root_ = loaded;
    }
    stored_root_->changed = false;
    return stored_root_;
  }
  return load_stored(version - 1, 0);
}

void TreeWriter::State::end_batch() {
  batch_ = false;
  broken_ = false;
  pending_.clear();
  stored_root_ = nullptr;
  current_seq_.reset();
  arena_.release();  // no node outlives its batch: a large batch's memory goes back now
}

// Outside a batch the nodes of an op die with it.
void TreeWriter::State::end_op() {
  if (!batch_ && !in_op_) arena_.release();
}

Result<std::optional<Entry>> TreeWriter::State::get(ByteSpan key) {
  current_seq_.reset();
  HC_TRY(root_node, root());
  if (!root_node) return std::optional<Entry>();
  NodePtr node = root_node;
  while (true) {
    HC_TRY(r, search(*node, key));
    if (r.found) {
      HC_TRY(entry, entry_of(node->keys[r.i]));
      return std::optional<Entry>(std::move(entry));
    }
    if (node->leaf()) return std::optional<Entry>();
    HC_TRY(next, child(*node, r.i));
    node = next;
  }
}

// Runs one op, keeping a batch from being written after a failure left it half mutated.
// A write from inside a cas callback would mutate (and, outside a batch, free) the nodes
// of the op that called it: it is refused.
template <class Op>
Result<bool> TreeWriter::State::guarded(Op op) {
  if (in_op_) return fail(errc::invalid_argument, "a write from inside a compare-and-swap callback");
  if (batch_ && broken_) return fail(errc::invalid_argument, "batch: an earlier operation failed; discard it");
  in_op_ = true;
  Result<bool> result = op();
  in_op_ = false;
  current_seq_.reset();
  if (!result && batch_) broken_ = true;
  end_op();
  return result;
}

TreeWriter::State::State(std::shared_ptr<BlockStore> block_store, const BeeOptions& bee_options)
    : store_(std::move(block_store)), options_(bee_options) {}

Result<bool> TreeWriter::State::put_op(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas,
                                       bool always_duplicate) {
  return guarded([&] { return put(key, value, cas, always_duplicate); });
}

Result<bool> TreeWriter::State::del_op(ByteSpan key, const Cas& cas) {
  return guarded([&] { return del(key, cas); });
}

void TreeWriter::State::begin_batch() {
  end_batch();
  batch_ = true;
}

Result<void> TreeWriter::State::flush_batch() {
  if (!batch_) return fail(errc::invalid_argument, "no batch is open");
  if (broken_) {
    end_batch();
    return fail(errc::invalid_argument, "batch: an earlier operation failed; nothing was written");
  }
  // Compaction mutates the records, so a failed append cannot be retried: the batch ends
  // either way.
  return flush();
}

Result<std::optional<Entry>> TreeWriter::State::lookup(ByteSpan key) {
  if (batch_ && broken_) return fail(errc::invalid_argument, "batch: an earlier operation failed; discard it");
  auto result = get(key);
  end_op();
  return result;
}

// ---------------------------------------------------------------------------------------
// TreeWriter

TreeWriter::TreeWriter(std::shared_ptr<BlockStore> store_, const BeeOptions& options_)
    : state_(std::make_unique<State>(std::move(store_), options_)) {}

TreeWriter::~TreeWriter() = default;

Result<bool> TreeWriter::put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas) {
  return state_->put_op(key, value, cas, state_->always_duplicate());
}

Result<bool> TreeWriter::put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas, bool always_duplicate) {
  return state_->put_op(key, value, cas, always_duplicate);
}

Result<bool> TreeWriter::del(ByteSpan key, const Cas& cas) { return state_->del_op(key, cas); }
void TreeWriter::begin_batch() { state_->begin_batch(); }
bool TreeWriter::in_batch() const { return state_->in_batch(); }
Result<void> TreeWriter::flush_batch() { return state_->flush_batch(); }
void TreeWriter::discard_batch() { state_->discard_batch(); }
Result<std::optional<Entry>> TreeWriter::get(ByteSpan key) { return state_->lookup(key); }

}  // namespace bee::internal
