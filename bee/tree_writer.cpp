// The write path of the B-tree (spec §5), a faithful port of the oracle's model.js: the
// node objects, the shared child records and the order of every mutation are kept as the
// reference has them, because inside a batch they decide the bytes of the blocks.
#include "bee/internal/tree_writer.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace bee::internal {

using hypercore::errc;
using hypercore::fail;

namespace {

constexpr size_t kMaxKeys = 8;
constexpr size_t kMinKeys = 4;

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

struct TreeNode {
  std::vector<uint64_t> keys;  // key pointers (block seqs) in key order
  std::vector<PtrRef> children;
  bool changed = false;
  bool leaf() const { return children.empty(); }
};
using NodeRef = std::shared_ptr<TreeNode>;

struct PendingBlock {
  uint64_t seq;
  Bytes key;
  std::optional<Bytes> value;
  std::vector<PtrRef> index;  // index[j] = record of the node at level j
};

struct Search {
  bool found;
  size_t i;  // match, or the insertion point (first key greater than the target)
};

int compare_bytes(ByteSpan a, ByteSpan b) {
  size_t n = std::min(a.size(), b.size());
  if (n > 0) {
    int c = std::memcmp(a.data(), b.data(), n);
    if (c != 0) return c;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

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
  level.keys = node.keys;
  level.children.reserve(node.children.size() * 2);
  for (const PtrRef& c : node.children) {
    level.children.push_back(c->seq);
    level.children.push_back(c->offset);
  }
  return level;
}

Bytes encode_block(const Bytes& key, const std::optional<Bytes>& value, const std::vector<PtrRef>& index) {
  NodeBlock block;
  block.key = key;
  block.value = value;
  block.levels.reserve(index.size());
  for (const PtrRef& rec : index) block.levels.push_back(level_of(*rec->node));
  return encode_node(block);
}

}  // namespace

struct TreeWriter::State {
  std::shared_ptr<BlockStore> store;
  BeeOptions options;

  bool batch = false;
  // A batch op failed half way (a read error): its nodes may be half mutated, so nothing
  // of the batch may be written any more.
  bool broken = false;
  std::vector<PendingBlock> pending;
  // Within a batch the stored root is loaded once and reused (model.js storedRoot), so a
  // no-op's marks on its path survive into the next op.
  NodeRef stored_root;

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
    HC_TRY(block, store->node(seq));
    return compare_bytes(key, block->key);
  }

  Result<Bytes> key_bytes(uint64_t seq) {
    if (current_seq && seq == *current_seq) return Bytes(current_key.begin(), current_key.end());
    if (const PendingBlock* p = pending_at(seq)) return p->key;
    HC_TRY(block, store->node(seq));
    return block->key;
  }

  Result<Entry> entry_of(uint64_t seq) {
    if (const PendingBlock* p = pending_at(seq)) return Entry{seq, p->key, p->value};
    HC_TRY(block, store->node(seq));
    return Entry{seq, block->key, block->value};
  }

  Result<Search> search(const TreeNode& node, ByteSpan key) {
    size_t lo = 0;
    size_t hi = node.keys.size();
    while (lo < hi) {
      size_t mid = (lo + hi) >> 1;
      HC_TRY(c, compare(key, node.keys[mid]));
      if (c == 0) return Search{true, mid};
      if (c < 0) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return Search{false, lo};
  }

  Result<NodeRef> load_stored(uint64_t seq, uint64_t offset) {
    HC_TRY(block, store->node(seq));
    if (offset >= block->levels.size()) {
      return fail(errc::corrupt, "block " + std::to_string(seq) + " has no tree node at offset " +
                                     std::to_string(offset));
    }
    const Level& level = block->levels[offset];
    if (level.children.size() % 2 != 0 ||
        (!level.children.empty() && level.children.size() != 2 * (level.keys.size() + 1))) {
      return fail(errc::corrupt, "block " + std::to_string(seq) + " level " + std::to_string(offset) +
                                     ": child count does not match its keys");
    }
    auto node = std::make_shared<TreeNode>();
    node->keys = level.keys;
    for (size_t i = 0; i < level.children.size(); i += 2) {
      node->children.push_back(std::make_shared<Ptr>(Ptr{level.children[i], level.children[i + 1], nullptr}));
    }
    return node;
  }

  Result<NodeRef> child(TreeNode& node, size_t i) {
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

  Result<NodeRef> root() {
    if (batch && !pending.empty()) return pending.back().index[0]->node;
    uint64_t version = length();
    if (version < 2) return NodeRef();
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
    NodeRef root_node = loaded_root ? loaded_root : std::make_shared<TreeNode>(TreeNode{{}, {}, true});
    uint64_t seq = next_seq();
    current_seq = seq;
    current_key = key;
    std::vector<NodeRef> stack;
    NodeRef node = root_node;

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
        auto left_rec = std::make_shared<Ptr>(Ptr{0, 0, node});
        auto right_rec = std::make_shared<Ptr>(Ptr{0, 0, right});
        root_node = std::make_shared<TreeNode>(TreeNode{{median}, {left_rec, right_rec}, true});
        break;
      }
      NodeRef parent = stack.back();
      stack.pop_back();
      HC_TRY(median_key, key_bytes(median));
      HC_TRY(at, search(*parent, median_key));
      parent->keys.insert(parent->keys.begin() + static_cast<ptrdiff_t>(at.i), median);
      parent->children.insert(parent->children.begin() + static_cast<ptrdiff_t>(at.i + 1),
                              std::make_shared<Ptr>(Ptr{0, 0, right}));
      parent->changed = true;
      node = parent;
    }
    HC_CHECK(write(root_node, seq, key, value));
    return true;
  }

  // The node keeps the first 4 keys (5 children); the 5th key moves up; the rest go right.
  std::pair<uint64_t, NodeRef> split(TreeNode& node) {
    size_t half = node.keys.size() >> 1;
    auto right = std::make_shared<TreeNode>();
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
    return {median, right};
  }

  Result<bool> del(ByteSpan key, const Cas& cas) {
    HC_CHECK(ensure_header());
    HC_TRY(root_node, root());
    if (!root_node) return false;
    uint64_t seq = next_seq();
    current_seq = seq;
    current_key = key;
    std::vector<NodeRef> stack;
    NodeRef node = root_node;
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
        for (const NodeRef& n : stack) n->changed = true;
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

  Result<size_t> edge_leaf_size(NodeRef node, bool rightmost) {
    while (!node->leaf()) {
      HC_TRY(next, child(*node, rightmost ? node->children.size() - 1 : 0));
      node = std::move(next);
    }
    return node->keys.size();
  }

  // The deleted separator is replaced from the side whose edge leaf is larger (ties: left).
  Result<void> replace_with_neighbour(TreeNode& node, size_t i, std::vector<NodeRef>& stack) {
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
      right->keys.erase(right->keys.begin());
    } else {
      stack.push_back(left);
      while (!left->leaf()) {
        left = left->children.back()->node;
        stack.push_back(left);
      }
      node.keys[i] = left->keys.back();
      left->keys.pop_back();
    }
    return {};
  }

  Result<NodeRef> rebalance(std::vector<NodeRef>& stack) {
    NodeRef root_node = stack.front();
    while (stack.size() > 1) {
      NodeRef node = stack.back();
      stack.pop_back();
      TreeNode& parent = *stack.back();
      if (node->keys.size() >= kMinKeys) return root_node;

      size_t j = 0;
      while (j < parent.children.size() && parent.children[j]->node != node) ++j;
      if (j == parent.children.size()) return fail(errc::corrupt, "tree node missing from its parent");
      NodeRef left;
      NodeRef right;
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
      left->keys.insert(left->keys.end(), right->keys.begin(), right->keys.end());
      left->children.insert(left->children.end(), right->children.begin(), right->children.end());
      remove_key(parent, j);
    }
    // The old root's record for its only child is left untouched (a batch quirk).
    if (root_node->keys.empty() && !root_node->leaf()) return child(*root_node, 0);
    return root_node;
  }

  // §5.2: level 0 is the root, then the changed nodes in pre-order.
  Result<void> write(const NodeRef& root_node, uint64_t seq, ByteSpan key, std::optional<ByteSpan> value) {
    std::vector<PtrRef> index;
    std::function<uint64_t(TreeNode&)> visit = [&](TreeNode& node) -> uint64_t {
      uint64_t offset = index.size();
      index.push_back(nullptr);
      node.changed = false;
      for (const PtrRef& rec : node.children) {
        if (!rec->node || !rec->node->changed) continue;
        rec->seq = seq;
        rec->offset = visit(*rec->node);
        index[rec->offset] = rec;
      }
      return offset;
    };
    visit(*root_node);
    index[0] = std::make_shared<Ptr>(Ptr{seq, 0, root_node});
    current_seq.reset();

    if (batch) {
      pending.push_back(PendingBlock{seq, Bytes(key.begin(), key.end()), owned(value), std::move(index)});
      return {};
    }
    Bytes block = encode_block(Bytes(key.begin(), key.end()), owned(value), index);
    HC_CHECK(store->core().append(ByteSpan(block)));
    return {};
  }

  // §5.7: every block but the last loses its superseded root and the levels rewritten later
  // in the batch; the survivors are renumbered in place (their parents emit the new offsets).
  Result<void> flush() {
    std::vector<Bytes> blocks;
    blocks.reserve(pending.size());
    for (size_t i = 0; i < pending.size(); ++i) {
      PendingBlock& p = pending[i];
      std::vector<PtrRef>& index = p.index;
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
      blocks.push_back(encode_block(p.key, p.value, index));
    }
    end_batch();
    if (blocks.empty()) return {};
    std::vector<ByteSpan> spans(blocks.begin(), blocks.end());
    HC_CHECK(store->core().append(std::span<const ByteSpan>(spans)));
    return {};
  }

  void end_batch() {
    batch = false;
    broken = false;
    pending.clear();
    stored_root.reset();
    current_seq.reset();
  }

  Result<std::optional<Entry>> get(ByteSpan key) {
    current_seq.reset();
    HC_TRY(root_node, root());
    if (!root_node) return std::optional<Entry>();
    NodeRef node = root_node;
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
