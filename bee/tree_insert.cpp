// The write path (tree_writer.cpp): put, and the split of a node over kMaxKeys (spec §5.3).
#include <algorithm>
#include <string>
#include <vector>

#include "bee/internal/tree_writer_state.hpp"

namespace bee::internal {

using hypercore::errc;
using hypercore::fail;

using namespace writer;

// cas first, then duplicate suppression (§5.5, §5.6).
Result<bool> TreeWriter::State::may_overwrite(uint64_t prev_seq, uint64_t seq, ByteSpan key, std::optional<ByteSpan> value,
                                              const Cas& cas, bool always_duplicate) {
  if (!cas && always_duplicate) return true;
  HC_TRY(prev, entry_of(prev_seq));
  if (cas && !cas(prev, Entry{seq, Bytes(key.begin(), key.end()), owned(value)})) return false;
  if (!always_duplicate && same_value(prev.value, value)) return false;
  return true;
}

Result<bool> TreeWriter::State::put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas, bool always_duplicate) {
  HC_CHECK(ensure_header());
  HC_TRY(loaded_root, root());
  NodePtr root_node = loaded_root;
  if (!root_node) {
    root_node = arena_.node();
    root_node->changed = true;
  }
  uint64_t seq = start_op(key);
  Stack stack(arena_.pool());
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
      PtrRef left_rec = arena_.ptr(0, 0, node);
      PtrRef right_rec = arena_.ptr(0, 0, right);
      root_node = arena_.node();
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
                            arena_.ptr(0, 0, right));
    parent->changed = true;
    adopt(*parent, *node);
    node = parent;
  }
  HC_CHECK(write(root_node, seq, key, value));
  return true;
}

// The node keeps the first 4 keys (5 children); the 5th key moves up; the rest go right.
std::pair<uint64_t, NodePtr> TreeWriter::State::split(TreeNode& node) {
  size_t half = node.keys.size() >> 1;
  NodePtr right = arena_.node();
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

}  // namespace bee::internal
