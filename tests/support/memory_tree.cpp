#include "tests/support/memory_tree.hpp"

#include <cstdlib>

#include "hypercore/flat_tree.hpp"

namespace bee_test {

using hypercore::Node;

MemoryTree::MemoryTree(const std::vector<hypercore::Bytes>& blocks) {
  for (const auto& b : blocks) append(b);
}

void MemoryTree::append(hypercore::ByteSpan block) {
  Node leaf = hypercore::leaf_node(stack_.length(), block);
  put(leaf);
  std::vector<Node> created;
  stack_.push(leaf, &created);
  for (const Node& n : created) put(n);
}

hypercore::TreeHead MemoryTree::head(uint64_t length, uint64_t fork) const {
  hypercore::TreeHead h;
  h.length = length;
  h.fork = fork;
  for (uint64_t r : hypercore::flat_tree::full_roots(length)) {
    auto n = get(r);
    if (!n) std::abort();  // a test built an inconsistent tree
    h.roots.push_back(*n);
  }
  return h;
}

MemoryTree MemoryTree::prefix(uint64_t length) const {
  MemoryTree out;
  for (const auto& [index, n] : nodes_) {
    if (hypercore::flat_tree::right_span(index) < 2 * length) out.put(n);
  }
  out.stack_ = hypercore::RootStack(head(length).roots);
  return out;
}

std::optional<Node> MemoryTree::get(uint64_t index) const {
  auto it = nodes_.find(index);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

hypercore::Result<std::optional<Node>> MemoryTree::node(uint64_t index) const { return get(index); }

}  // namespace bee_test
