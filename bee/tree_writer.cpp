// The write path of the B-tree (spec §5), a faithful port of the oracle's model.js: the
// node objects, the shared child records and the order of every mutation are kept as the
// reference has them, because inside a batch they decide the bytes of the blocks.
#include "bee/internal/tree_writer.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "bee/internal/key_compare.hpp"
#include "bee/internal/writer_nodes.hpp"

namespace bee::internal {

using hypercore::errc;
using hypercore::fail;

using namespace writer;

namespace {

constexpr size_t kMaxKeys = 8;
constexpr size_t kMinKeys = 4;

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

int compare_bytes(ByteSpan a, ByteSpan b) { return compare_keys(a, b); }

bool same_value(const std::optional<Bytes>& a, const std::optional<ByteSpan>& b) {
  if (!a || !b) return !a && !b;
  return compare_bytes(*a, *b) == 0;
}

std::optional<Bytes> owned(std::optional<ByteSpan> v) {
  if (!v) return std::nullopt;
  return Bytes(v->begin(), v->end());
}

// The block being encoded, refilled for every block of a flush: its vectors keep their
// capacity, so encoding a block allocates nothing but its bytes.
class BlockScratch {
 public:
  const NodeBlock& fill(ByteSpan key, std::optional<ByteSpan> value, const Index& index) {
    block_.key.assign(key.begin(), key.end());
    if (value) {
      if (!block_.value) block_.value.emplace();
      block_.value->assign(value->begin(), value->end());
    } else {
      block_.value.reset();
    }
    std::vector<Level>& levels = block_.levels;
    while (levels.size() > index.size()) {
      spare_.push_back(std::move(levels.back()));
      levels.pop_back();
    }
    while (levels.size() < index.size()) {
      if (spare_.empty()) {
        levels.emplace_back();
      } else {
        levels.push_back(std::move(spare_.back()));
        spare_.pop_back();
      }
    }
    for (size_t j = 0; j < index.size(); ++j) {
      const TreeNode& node = *index[j]->node;
      Level& level = levels[j];
      level.keys.assign(node.keys.begin(), node.keys.end());
      level.children.resize(node.children.size() * 2);
      for (size_t c = 0; c < node.children.size(); ++c) {
        level.children[2 * c] = node.children[c]->seq;
        level.children[2 * c + 1] = node.children[c]->offset;
      }
    }
    return block_;
  }

 private:
  NodeBlock block_;
  std::vector<Level> spare_;  // levels beyond the current block's, kept for their capacity
};

CachedNode::KeyBytes written_key(ByteSpan key, std::optional<ByteSpan> value) {
  return {true, key, value.has_value(), true, value ? *value : ByteSpan()};
}

}  // namespace

struct TreeWriter::State {
  // The nodes and records of the open batch, or of the single write in progress; declared
  // first so it outlives everything that points into it.
  NodeArena arena;
  BlockScratch scratch;

  std::shared_ptr<BlockStore> store;
  BeeOptions options;

  bool batch = false;
  // A batch op failed half way (a read error): its nodes may be half mutated, so nothing
  // of the batch may be written any more.
  bool broken = false;
  std::vector<PendingBlock> pending;
  // Within a batch the stored root is loaded once and reused (model.js storedRoot), so a
  // no-op's marks on its path survive into the next op.
  NodePtr stored_root = nullptr;

  bool in_op = false;  // a put or del is running (its cas callback may be)
  // The op in progress: its key is referenced by `current_seq` before the block exists.
  std::optional<uint64_t> current_seq;
  ByteSpan current_key;

  uint64_t length() const { return store->length(); }
  uint64_t next_seq() const { return length() + pending.size(); }

  const PendingBlock* pending_at(uint64_t seq) const {
    uint64_t len = length();
    if (seq < len || seq - len >= pending.size()) return nullptr;
    return &pending[seq - len];
  }

  // compare(key, key bytes of block `seq`)
  Result<int> compare(ByteSpan key, uint64_t seq) {
    if (current_seq && seq == *current_seq) return compare_bytes(key, current_key);
    if (const PendingBlock* p = pending_at(seq)) return compare_bytes(key, p->key);
    HC_TRY(block, store->entry(seq));
    return compare_bytes(key, block->key());
  }

  // The bytes of key `seq`, valid while `holder`'s sources, the pending blocks and `hold`
  // are.
  Result<ByteSpan> key_bytes(uint64_t seq, const TreeNode& holder, EntryRef& hold) {
    if (current_seq && seq == *current_seq) return current_key;
    if (const PendingBlock* p = pending_at(seq)) return ByteSpan(p->key);
    if (auto held = held_bytes(holder, seq); held.known) return held.key;
    HC_TRY(block, store->entry(seq));
    hold = std::move(block);
    return hold->key();
  }

  Result<Entry> entry_of(uint64_t seq) {
    if (const PendingBlock* p = pending_at(seq)) {
      Entry e{seq, Bytes(p->key.begin(), p->key.end()), std::nullopt};
      if (p->value) e.value.emplace(p->value->begin(), p->value->end());
      return e;
    }
    HC_TRY(block, store->entry(seq));
    Entry e{seq, Bytes(block->key().begin(), block->key().end()), std::nullopt};
    if (block->has_value()) e.value.emplace(block->value().begin(), block->value().end());
    return e;
  }

  // Stored seqs are below every pending and current seq, so a key still at its loaded
  // position has the source's bytes.
  Result<int> compare_at(const TreeNode& node, size_t i, ByteSpan key) {
    const CachedNode* src = node.source.get();
    if (src && i < src->key_count() && src->key_seq(i) == node.keys[i]) {
      if (auto k = src->key(i)) return compare_bytes(key, *k);
    }
    if (!pending_at(node.keys[i]) && !(current_seq && node.keys[i] == *current_seq)) {
      if (auto held = held_bytes(node, node.keys[i]); held.known) {
        return compare_bytes(key, held.key);
      }
    }
    return compare(key, node.keys[i]);
  }

  Result<Search> search(const TreeNode& node, ByteSpan key) {
    size_t lo = 0;
    size_t hi = node.keys.size();
    while (lo < hi) {
      size_t mid = (lo + hi) >> 1;
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
  Result<NodePtr> load_stored(uint64_t seq, uint64_t offset) {
    HC_TRY(level, store->tree_node(seq, offset));
    NodePtr node = arena.node();
    node->keys.assign(level->key_seqs().begin(), level->key_seqs().end());
    arena.child_records(*level, node->children);
    node->source = std::move(level);
    return node;
  }

  Result<NodePtr> child(TreeNode& node, size_t i) {
    Ptr& rec = *node.children[i];
    if (!rec.node) {
      HC_TRY(loaded, load_stored(rec.seq, rec.offset));
      rec.node = loaded;
    }
    return rec.node;
  }

  // §2.2: appended by the first put or del of an empty writable core, as its own append
  // even inside a batch.
  Result<void> ensure_header() {
    if (length() != 0 || !store->core().writable()) return {};
    Bytes header = encode_header(Header{"hyperbee", options.metadata});
    HC_CHECK(store->core().append(ByteSpan(header)));
    return {};
  }

  Result<NodePtr> root() {
    if (batch && !pending.empty()) return pending.back().index[0]->node;
    uint64_t version = length();
    if (version < 2) return NodePtr();
    if (batch) {
      if (!stored_root) {
        HC_TRY(loaded, load_stored(version - 1, 0));
        stored_root = loaded;
      }
      stored_root->changed = false;
      return stored_root;
    }
    return load_stored(version - 1, 0);
  }

  // cas first, then duplicate suppression (§5.5, §5.6).
  Result<bool> may_overwrite(uint64_t prev_seq, uint64_t seq, ByteSpan key, std::optional<ByteSpan> value,
                             const Cas& cas, bool always_duplicate) {
    if (!cas && always_duplicate) return true;
    HC_TRY(prev, entry_of(prev_seq));
    if (cas && !cas(prev, Entry{seq, Bytes(key.begin(), key.end()), owned(value)})) return false;
    if (!always_duplicate && same_value(prev.value, value)) return false;
    return true;
  }

  Result<bool> put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas, bool always_duplicate) {
    HC_CHECK(ensure_header());
    HC_TRY(loaded_root, root());
    NodePtr root_node = loaded_root;
    if (!root_node) {
      root_node = arena.node();
      root_node->changed = true;
    }
    uint64_t seq = next_seq();
    current_seq = seq;
    current_key = key;
    Stack stack(arena.pool());
    stack.reserve(16);
    NodePtr node = root_node;

    while (!node->leaf()) {
      stack.push_back(node);
      node->changed = true;  // even if this put turns out to be a no-op (a batch quirk)
      HC_TRY(r, search(*node, key));
      if (r.found) {
        HC_TRY(ok, may_overwrite(node->keys[r.i], seq, key, value, cas, always_duplicate));
        if (!ok) return false;
        node->keys[r.i] = seq;
        HC_CHECK(write(root_node, seq, key, value));
        return true;
      }
      HC_TRY(next, child(*node, r.i));
      node = next;
    }

    HC_TRY(r, search(*node, key));
    if (r.found) {
      HC_TRY(ok, may_overwrite(node->keys[r.i], seq, key, value, cas, always_duplicate));
      if (!ok) return false;
      node->keys[r.i] = seq;
      node->changed = true;
      HC_CHECK(write(root_node, seq, key, value));
      return true;
    }

    node->keys.insert(node->keys.begin() + static_cast<ptrdiff_t>(r.i), seq);
    node->changed = true;
    while (node->keys.size() > kMaxKeys) {
      auto [median, right] = split(*node);
      if (stack.empty()) {
        PtrRef left_rec = arena.ptr(0, 0, node);
        PtrRef right_rec = arena.ptr(0, 0, right);
        root_node = arena.node();
        root_node->keys.push_back(median);
        root_node->children.push_back(left_rec);
        root_node->children.push_back(right_rec);
        root_node->changed = true;
        adopt(*root_node, *node);
        break;
      }
      NodePtr parent = stack.back();
      stack.pop_back();
      EntryRef hold;
      HC_TRY(median_key, key_bytes(median, *node, hold));
      HC_TRY(at, search(*parent, median_key));
      parent->keys.insert(parent->keys.begin() + static_cast<ptrdiff_t>(at.i), median);
      parent->children.insert(parent->children.begin() + static_cast<ptrdiff_t>(at.i + 1),
                              arena.ptr(0, 0, right));
      parent->changed = true;
      adopt(*parent, *node);
      node = parent;
    }
    HC_CHECK(write(root_node, seq, key, value));
    return true;
  }

  // The node keeps the first 4 keys (5 children); the 5th key moves up; the rest go right.
  std::pair<uint64_t, NodePtr> split(TreeNode& node) {
    size_t half = node.keys.size() >> 1;
    NodePtr right = arena.node();
    right->keys.assign(node.keys.end() - static_cast<ptrdiff_t>(half), node.keys.end());
    node.keys.resize(node.keys.size() - half);
    uint64_t median = node.keys.back();
    node.keys.pop_back();
    if (!node.children.empty()) {
      right->children.assign(node.children.end() - static_cast<ptrdiff_t>(half + 1), node.children.end());
      node.children.resize(node.children.size() - (half + 1));
    }
    node.changed = true;
    right->changed = true;
    right->source = node.source;  // where the bytes of the keys it took are
    return {median, right};
  }

  Result<bool> del(ByteSpan key, const Cas& cas) {
    HC_CHECK(ensure_header());
    HC_TRY(root_node, root());
    if (!root_node) return false;
    uint64_t seq = next_seq();
    current_seq = seq;
    current_key = key;
    Stack stack(arena.pool());
    stack.reserve(16);
    NodePtr node = root_node;
    while (true) {
      stack.push_back(node);
      HC_TRY(r, search(*node, key));
      if (r.found) {
        if (cas) {
          HC_TRY(prev, entry_of(node->keys[r.i]));
          if (!cas(prev, Entry{seq, Bytes(key.begin(), key.end()), std::nullopt})) return false;
        }
        if (!node->leaf()) {
          HC_CHECK(replace_with_neighbour(*node, r.i, stack));
        } else {
          remove_key(*node, r.i);
        }
        for (const NodePtr& n : stack) n->changed = true;
        HC_TRY(new_root, rebalance(stack));
        HC_CHECK(write(new_root, seq, key, std::nullopt));
        return true;
      }
      if (node->leaf()) return false;
      HC_TRY(next, child(*node, r.i));
      node = next;
    }
  }

  void remove_key(TreeNode& node, size_t i) {
    node.keys.erase(node.keys.begin() + static_cast<ptrdiff_t>(i));
    if (!node.children.empty()) {
      node.children[i + 1]->seq = 0;  // freed: drops out of batch compaction
      node.children.erase(node.children.begin() + static_cast<ptrdiff_t>(i + 1));
    }
    node.changed = true;
  }

  Result<size_t> edge_leaf_size(NodePtr node, bool rightmost) {
    while (!node->leaf()) {
      HC_TRY(next, child(*node, rightmost ? node->children.size() - 1 : 0));
      node = next;
    }
    return node->keys.size();
  }

  // The deleted separator is replaced from the side whose edge leaf is larger (ties: left).
  Result<void> replace_with_neighbour(TreeNode& node, size_t i, Stack& stack) {
    HC_TRY(left, child(node, i));
    HC_TRY(right, child(node, i + 1));
    HC_TRY(ls, edge_leaf_size(left, true));
    HC_TRY(rs, edge_leaf_size(right, false));
    if (ls < rs) {
      stack.push_back(right);
      while (!right->leaf()) {
        right = right->children.front()->node;
        stack.push_back(right);
      }
      node.keys[i] = right->keys.front();
      adopt(node, *right);
      right->keys.erase(right->keys.begin());
    } else {
      stack.push_back(left);
      while (!left->leaf()) {
        left = left->children.back()->node;
        stack.push_back(left);
      }
      node.keys[i] = left->keys.back();
      adopt(node, *left);
      left->keys.pop_back();
    }
    return {};
  }

  Result<NodePtr> rebalance(Stack& stack) {
    NodePtr root_node = stack.front();
    while (stack.size() > 1) {
      NodePtr node = stack.back();
      stack.pop_back();
      TreeNode& parent = *stack.back();
      if (node->keys.size() >= kMinKeys) return root_node;

      size_t j = 0;
      while (j < parent.children.size() && parent.children[j]->node != node) ++j;
      if (j == parent.children.size()) return fail(errc::corrupt, "tree node missing from its parent");
      NodePtr left = nullptr;
      NodePtr right = nullptr;
      if (j > 0) {
        HC_TRY(l, child(parent, j - 1));
        left = l;
      }
      if (j + 1 < parent.children.size()) {
        HC_TRY(r, child(parent, j + 1));
        right = r;
      }

      if (left && left->keys.size() > kMinKeys) {  // rotate right
        left->changed = true;
        node->keys.insert(node->keys.begin(), parent.keys[j - 1]);
        if (!left->leaf()) {
          node->children.insert(node->children.begin(), left->children.back());
          left->children.pop_back();
        }
        parent.keys[j - 1] = left->keys.back();
        adopt(*node, parent);
        adopt(parent, *left);
        left->keys.pop_back();
        return root_node;
      }
      if (right && right->keys.size() > kMinKeys) {  // rotate left
        right->changed = true;
        node->keys.push_back(parent.keys[j]);
        if (!right->leaf()) {
          node->children.push_back(right->children.front());
          right->children.erase(right->children.begin());
        }
        parent.keys[j] = right->keys.front();
        adopt(*node, parent);
        adopt(parent, *right);
        right->keys.erase(right->keys.begin());
        return root_node;
      }

      // Merge, preferring the left sibling; the same child records move over.
      if (left) {
        --j;
        right = node;
      } else {
        left = node;
      }
      if (!right) return fail(errc::corrupt, "tree node has no sibling to merge with");
      left->changed = true;
      left->keys.push_back(parent.keys[j]);
      adopt(*left, parent);
      adopt(*left, *right);
      left->keys.insert(left->keys.end(), right->keys.begin(), right->keys.end());
      left->children.insert(left->children.end(), right->children.begin(), right->children.end());
      remove_key(parent, j);
    }
    // The old root's record for its only child is left untouched (a batch quirk).
    if (root_node->keys.empty() && !root_node->leaf()) return child(*root_node, 0);
    return root_node;
  }

  // Pre-order over the changed nodes: their records get (seq, offset) and join the index.
  static uint64_t visit_changed(TreeNode& node, uint64_t seq, Index& index) {
    uint64_t offset = index.size();
    index.push_back(nullptr);
    node.changed = false;
    for (const PtrRef& rec : node.children) {
      if (!rec->node || !rec->node->changed) continue;
      rec->seq = seq;
      rec->offset = visit_changed(*rec->node, seq, index);
      index[rec->offset] = rec;
    }
    return offset;
  }

  // §5.2: level 0 is the root, then the changed nodes in pre-order.
  Result<void> write(NodePtr root_node, uint64_t seq, ByteSpan key, std::optional<ByteSpan> value) {
    Index index(arena.pool());
    index.reserve(8);  // deeper than most trees: one allocation
    visit_changed(*root_node, seq, index);
    index[0] = arena.ptr(seq, 0, root_node);
    current_seq.reset();

    if (batch) {
      std::optional<std::pmr::vector<uint8_t>> v;
      if (value) v.emplace(value->begin(), value->end(), arena.pool());
      pending.push_back(PendingBlock{seq, std::pmr::vector<uint8_t>(key.begin(), key.end(), arena.pool()),
                                     std::move(v), std::move(index)});
      return {};
    }
    const NodeBlock& block = scratch.fill(key, value, index);
    Bytes bytes = encode_node(block);
    PreparedNodes prepared;
    CachedNode::KeyBytes own = written_key(key, value);
    prepare_nodes(*store, seq, block, index, seq, std::span(&own, 1), prepared);
    HC_CHECK(store->core().append(ByteSpan(bytes)));
    remember_nodes(*store, prepared);
    return {};
  }

  // §5.7: every block but the last loses its superseded root and the levels rewritten later
  // in the batch; the survivors are renumbered in place (their parents emit the new offsets).
  Result<void> flush() {
    if (pending.empty()) {
      end_batch();
      return {};
    }
    const uint64_t first = pending.front().seq;
    std::vector<CachedNode::KeyBytes> batch_keys;
    batch_keys.reserve(pending.size());
    for (const PendingBlock& p : pending) {
      batch_keys.push_back(written_key(p.key, p.value ? std::optional<ByteSpan>(*p.value) : std::nullopt));
    }
    std::vector<Bytes> blocks;
    blocks.reserve(pending.size());
    // The blocks' nodes go to the cache after the append: the next batch reads them first.
    PreparedNodes prepared;
    for (size_t i = 0; i < pending.size(); ++i) {
      PendingBlock& p = pending[i];
      Index& index = p.index;
      if (i + 1 < pending.size()) {
        index[0] = nullptr;
        size_t j = 0;
        while (j < index.size()) {
          const PtrRef& rec = index[j];
          if (rec && rec->seq == p.seq) {
            rec->offset = j++;
            continue;
          }
          if (j + 1 == index.size()) {
            index.pop_back();
          } else {
            index[j] = index.back();
            index.pop_back();
          }
        }
      }
      const NodeBlock& block = scratch.fill(p.key, p.value ? std::optional<ByteSpan>(*p.value) : std::nullopt, index);
      blocks.push_back(encode_node(block));
      prepare_nodes(*store, p.seq, block, index, first, batch_keys, prepared);
    }
    end_batch();
    std::vector<ByteSpan> spans(blocks.begin(), blocks.end());
    HC_CHECK(store->core().append(std::span<const ByteSpan>(spans)));
    remember_nodes(*store, prepared);
    return {};
  }

  void end_batch() {
    batch = false;
    broken = false;
    pending.clear();
    stored_root = nullptr;
    current_seq.reset();
    arena.release();  // no node outlives its batch: a large batch's memory goes back now
  }

  // Outside a batch the nodes of an op die with it.
  void end_op() {
    if (!batch && !in_op) arena.release();
  }

  Result<std::optional<Entry>> get(ByteSpan key) {
    current_seq.reset();
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
  Result<bool> guarded(Op op) {
    if (in_op) return fail(errc::invalid_argument, "a write from inside a compare-and-swap callback");
    if (batch && broken) return fail(errc::invalid_argument, "batch: an earlier operation failed; discard it");
    in_op = true;
    Result<bool> result = op();
    in_op = false;
    current_seq.reset();
    if (!result && batch) broken = true;
    end_op();
    return result;
  }
};

TreeWriter::TreeWriter(std::shared_ptr<BlockStore> store, const BeeOptions& options)
    : state_(std::make_unique<State>()) {
  state_->store = std::move(store);
  state_->options = options;
}

TreeWriter::~TreeWriter() = default;

Result<bool> TreeWriter::put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas) {
  return put(key, value, cas, state_->options.always_duplicate);
}

Result<bool> TreeWriter::put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas, bool always_duplicate) {
  return state_->guarded([&] { return state_->put(key, value, cas, always_duplicate); });
}

Result<bool> TreeWriter::del(ByteSpan key, const Cas& cas) {
  return state_->guarded([&] { return state_->del(key, cas); });
}

void TreeWriter::begin_batch() {
  state_->end_batch();
  state_->batch = true;
}

bool TreeWriter::in_batch() const { return state_->batch; }

Result<void> TreeWriter::flush_batch() {
  if (!state_->batch) return fail(errc::invalid_argument, "no batch is open");
  if (state_->broken) {
    state_->end_batch();
    return fail(errc::invalid_argument, "batch: an earlier operation failed; nothing was written");
  }
  // Compaction mutates the records, so a failed append cannot be retried: the batch ends
  // either way.
  return state_->flush();
}

void TreeWriter::discard_batch() { state_->end_batch(); }

Result<std::optional<Entry>> TreeWriter::get(ByteSpan key) {
  if (state_->batch && state_->broken) {
    return fail(errc::invalid_argument, "batch: an earlier operation failed; discard it");
  }
  auto result = state_->get(key);
  state_->end_op();
  return result;
}

}  // namespace bee::internal
