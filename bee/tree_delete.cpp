// The write path (tree_writer.cpp): del, and the rebalance of a node under kMinKeys
// (rotations and merges, spec §5.4).
#include <algorithm>
#include <string>
#include <vector>

#include "bee/internal/tree_writer_state.hpp"

namespace bee::internal {

using hypercore::errc;
using hypercore::fail;

using namespace writer;

Result<bool> TreeWriter::State::del(ByteSpan key, const Cas& cas) {
  HC_CHECK(ensure_header());
  HC_TRY(root_node, root());
  if (!root_node) return false;
  uint64_t seq = start_op(key);
  Stack stack(arena_.pool());
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

void TreeWriter::State::remove_key(TreeNode& node, size_t i) {
  node.keys.erase(node.keys.begin() + static_cast<ptrdiff_t>(i));
  if (!node.children.empty()) {
    node.children[i + 1]->seq = 0;  // freed: drops out of batch compaction
    node.children.erase(node.children.begin() + static_cast<ptrdiff_t>(i + 1));
  }
  node.changed = true;
}

Result<size_t> TreeWriter::State::edge_leaf_size(NodePtr node, bool rightmost) {
  while (!node->leaf()) {
    HC_TRY(next, child(*node, rightmost ? node->children.size() - 1 : 0));
    node = next;
  }
  return node->keys.size();
}

// The deleted separator is replaced from the side whose edge leaf is larger (ties: left).
Result<void> TreeWriter::State::replace_with_neighbour(TreeNode& node, size_t i, Stack& stack) {
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

Result<NodePtr> TreeWriter::State::rebalance(Stack& stack) {
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

}  // namespace bee::internal
