// An in-memory Merkle tree for tests: every node in a std::map, built by appending blocks
// the way a writer does (RootStack), with nodes that can be dropped or copied selectively
// to model what a sparse replica holds. Not thread-safe; test code only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/merkle.hpp"
#include "hypercore/proof.hpp"

namespace bee_test {

class MemoryTree : public hypercore::NodeReader {
 public:
  MemoryTree() = default;
  explicit MemoryTree(const std::vector<hypercore::Bytes>& blocks);

  // Appends a block: stores its leaf and every parent the append completes.
  void append(hypercore::ByteSpan block);
  uint64_t length() const { return stack_.length(); }

  // The unsigned head of the first `length` blocks, roots read from the stored nodes
  // (every root must be stored).
  hypercore::TreeHead head(uint64_t length, uint64_t fork = 0) const;
  hypercore::TreeHead head() const { return head(length()); }

  // A tree holding only the nodes of the first `length` blocks (what a replica that
  // downloaded exactly those blocks holds).
  MemoryTree prefix(uint64_t length) const;

  void put(const hypercore::Node& node) { nodes_[node.index] = node; }
  void erase(uint64_t index) { nodes_.erase(index); }
  bool has(uint64_t index) const { return nodes_.count(index) != 0; }
  std::optional<hypercore::Node> get(uint64_t index) const;
  const std::map<uint64_t, hypercore::Node>& nodes() const { return nodes_; }

  hypercore::Result<std::optional<hypercore::Node>> node(uint64_t index) const override;

 private:
  std::map<uint64_t, hypercore::Node> nodes_;
  hypercore::RootStack stack_;
};

}  // namespace bee_test
