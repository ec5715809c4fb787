// The write path of the B-tree (spec §5), a faithful port of the oracle's model.js: the
// node objects, the shared child records and the order of every mutation are kept as the
// reference has them, because inside a batch they decide the bytes of the blocks.
#include "bee/internal/tree_writer.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "bee/internal/free_list_resource.hpp"
#include "bee/internal/key_compare.hpp"
#include "bee/internal/writer_nodes.hpp"

namespace bee::internal {

using hypercore::errc;
using hypercore::fail;

using namespace writer;

namespace {

constexpr size_t kMaxKeys = 8;
constexpr size_t kMinKeys = 4;

struct PendingBlock {
  uint64_t seq;
  Bytes key;
  std::optional<Bytes> value;
  Index index;
};

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

Level level_of(const TreeNode& node) {
  Level level;
  level.keys.assign(node.keys.begin(), node.keys.end());
  level.children.reserve(node.children.size() * 2);
  for (const PtrRef& c : node.children) {
    level.children.push_back(c->seq);
    level.children.push_back(c->offset);
  }
  return level;
}

NodeBlock block_of(Bytes key, std::optional<Bytes> value, const Index& index) {
  NodeBlock block;
  block.key = std::move(key);
  block.value = std::move(value);
  block.levels.reserve(index.size());
  for (const PtrRef& rec : index) block.levels.push_back(level_of(*rec->node));
  return block;
}

}  // namespace

struct TreeWriter::State {
  // Node and record allocations of the ops: many small objects made and dropped per op
  // or batch. Declared first so it outlives every node. Not thread-safe, as the writer.
  FreeListResource pool;
  template <class T, class... Args>
  std::shared_ptr<T> make(Args&&... args) {
    return std::allocate_shared<T>(std::pmr::polymorphic_allocator<T>(&pool), std::forward<Args>(args)...);
  }

  std::shared_ptr<BlockStore> store;
  BeeOptions options;

  bool batch = false;
  // A batch op failed half way (a read error): its nodes may be half mutated, so nothing
  // of the batch may be written any more.
  bool broken = false;
  std::vector<PendingBlock> pending;
  // Within a batch the stored root is loaded once and reused (model.js storedRoot), so a
  // no-op's marks on its path survive into the next op.
  NodePtr stored_root;

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

  Result<Bytes> key_bytes(uint64_t seq, const TreeNode& holder) {
    if (current_seq && seq == *current_seq) return Bytes(current_key.begin(), current_key.end());
    if (const PendingBlock* p = pending_at(seq)) return p->key;
    if (auto held = held_bytes(holder, seq); held.known) {
      return Bytes(held.key.begin(), held.key.end());
    }
    HC_TRY(block, store->entry(seq));
    return Bytes(block->key().begin(), block->key().end());
  }

  Result<Entry> entry_of(uint64_t seq) {
    if (const PendingBlock* p = pending_at(seq)) return Entry{seq, p->key, p->value};
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
    auto node = make<TreeNode>();
    size_t keys = level->key_count();
    node->keys.resize(keys);
    for (size_t i = 0; i < keys; ++i) node->keys[i] = level->key_seq(i);
    node->children.reserve(level->child_count());
    for (size_t i = 0; i < level->child_count(); ++i) {
      node->children.push_back(make<Ptr>(Ptr{level->child_seq(i), level->child_offset(i), nullptr}));
    }
    node->source = std::move(level);
    return node;
  }

  Result<NodePtr> child(TreeNode& node, size_t i) {
    Ptr& rec = *node.children[i];
    if (!rec.node) {
      HC_TRY(loaded, load_stored(rec.seq, rec.offset));
      rec.node = std::move(loaded);
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
        stored_root = std::move(loaded);
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
      root_node = make<TreeNode>();
      root_node->changed = true;
    }
    uint64_t seq = next_seq();
    current_seq = seq;
    current_key = key;
    std::vector<NodePtr> stack;
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
      node = std::move(next);
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
        auto left_rec = make<Ptr>(Ptr{0, 0, node});
        auto right_rec = make<Ptr>(Ptr{0, 0, right});
        root_node = make<TreeNode>();
        root_node->keys.push_back(median);
        root_node->children.push_back(std::move(left_rec));
        root_node->children.push_back(std::move(right_rec));
        root_node->changed = true;
        adopt(*root_node, *node);
        break;
      }
      NodePtr parent = stack.back();
      stack.pop_back();
      HC_TRY(median_key, key_bytes(median, *node));
      HC_TRY(at, search(*parent, median_key));
      parent->keys.insert(parent->keys.begin() + static_cast<ptrdiff_t>(at.i), median);
      parent->children.insert(parent->children.begin() + static_cast<ptrdiff_t>(at.i + 1),
                              make<Ptr>(Ptr{0, 0, right}));
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
    auto right = make<TreeNode>();
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
    std::vector<NodePtr> stack;
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
      node = std::move(next);
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
      node = std::move(next);
    }
    return node->keys.size();
  }

  // The deleted separator is replaced from the side whose edge leaf is larger (ties: left).
  Result<void> replace_with_neighbour(TreeNode& node, size_t i, std::vector<NodePtr>& stack) {
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

  Result<NodePtr> rebalance(std::vector<NodePtr>& stack) {
    NodePtr root_node = stack.front();
    while (stack.size() > 1) {
      NodePtr node = stack.back();
      stack.pop_back();
      TreeNode& parent = *stack.back();
      if (node->keys.size() >= kMinKeys) return root_node;

      size_t j = 0;
      while (j < parent.children.size() && parent.children[j]->node != node) ++j;
      if (j == parent.children.size()) return fail(errc::corrupt, "tree node missing from its parent");
      NodePtr left;
      NodePtr right;
      if (j > 0) {
        HC_TRY(l, child(parent, j - 1));
        left = std::move(l);
      }
      if (j + 1 < parent.children.size()) {
        HC_TRY(r, child(parent, j + 1));
        right = std::move(r);
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
  Result<void> write(const NodePtr& root_node, uint64_t seq, ByteSpan key, std::optional<ByteSpan> value) {
    Index index(&pool);
    visit_changed(*root_node, seq, index);
    index[0] = make<Ptr>(Ptr{seq, 0, root_node});
    current_seq.reset();

    if (batch) {
      pending.push_back(PendingBlock{seq, Bytes(key.begin(), key.end()), owned(value), std::move(index)});
      return {};
    }
    std::vector<NodeBlock> written{block_of(Bytes(key.begin(), key.end()), owned(value), index)};
    Bytes bytes = encode_node(written[0]);
    PreparedNodes prepared = prepare_nodes(*store, seq, written, {&index});
    HC_CHECK(store->core().append(ByteSpan(bytes)));
    remember_nodes(*store, prepared);
    return {};
  }

  // §5.7: every block but the last loses its superseded root and the levels rewritten later
  // in the batch; the survivors are renumbered in place (their parents emit the new offsets).
  Result<void> flush() {
    std::vector<Bytes> blocks;
    blocks.reserve(pending.size());
    // The blocks go to the cache after the append: the next batch reads them first.
    std::vector<NodeBlock> written;
    written.reserve(pending.size());
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
            index[j] = std::move(index.back());
            index.pop_back();
          }
        }
      }
      written.push_back(block_of(std::move(p.key), std::move(p.value), index));
      blocks.push_back(encode_node(written.back()));
    }
    PreparedNodes prepared;
    if (!pending.empty()) {
      std::vector<const Index*> indexes;
      indexes.reserve(pending.size());
      for (const PendingBlock& p : pending) indexes.push_back(&p.index);
      prepared = prepare_nodes(*store, pending.front().seq, written, indexes);
    }
    end_batch();
    if (blocks.empty()) return {};
    std::vector<ByteSpan> spans(blocks.begin(), blocks.end());
    HC_CHECK(store->core().append(std::span<const ByteSpan>(spans)));
    remember_nodes(*store, prepared);
    return {};
  }

  void end_batch() {
    batch = false;
    broken = false;
    pending.clear();
    stored_root.reset();
    current_seq.reset();
    pool.release();  // no node outlives its batch: a large batch's memory goes back now
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
      node = std::move(next);
    }
  }

  // Runs one op, keeping a batch from being written after a failure left it half mutated.
  template <class Op>
  Result<bool> guarded(Op op) {
    if (batch && broken) return fail(errc::invalid_argument, "batch: an earlier operation failed; discard it");
    Result<bool> result = op();
    current_seq.reset();
    if (!result && batch) broken = true;
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
  return state_->get(key);
}

}  // namespace bee::internal
