// Merkle hashing of Hypercore 10 (../shared/spec/hypercore.md §2): leaf, parent and tree
// hashes, and the state a tree is summarised by (its full roots).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"

namespace hypercore {

// A node of the Merkle tree. `size` is the total byte length of the blocks below it.
struct Node {
  uint64_t index = 0;
  uint64_t size = 0;
  Hash hash{};

  friend bool operator==(const Node&, const Node&) = default;
};

// BLAKE2b(0x00 ‖ u64le(len) ‖ block)
Hash leaf_hash(ByteSpan block);
Node leaf_node(uint64_t block_index, ByteSpan block);
// Parent of two siblings; `a` and `b` may be given in either order.
Node parent_node(const Node& a, const Node& b);
// BLAKE2b(0x02 ‖ for each root: hash ‖ u64le(index) ‖ u64le(size)), roots left to right.
Hash tree_hash(std::span<const Node> roots);
// Tree hash of the empty log, BLAKE2b(0x02). Never signed.
const Hash& empty_tree_hash();

// Read access to the nodes a tree holds, for proofs and for reading block offsets.
// `node` returns nullopt for a node that is not stored (sparse replicas), an error only
// when the storage behind it fails.
class NodeReader {
 public:
  virtual ~NodeReader() = default;
  virtual Result<std::optional<Node>> node(uint64_t index) const = 0;
};

// Incremental roots of an append-only tree: push leaves, get the new parents back.
// Used by append (writer) and by verification (rehash everything).
class RootStack {
 public:
  RootStack() = default;
  explicit RootStack(std::vector<Node> roots) : roots_(std::move(roots)) {}

  // Adds the leaf and merges siblings; every parent created is appended to `created`.
  void push(const Node& node, std::vector<Node>* created);
  const std::vector<Node>& roots() const { return roots_; }
  uint64_t length() const;       // blocks covered
  uint64_t byte_length() const;  // bytes covered

 private:
  std::vector<Node> roots_;
};

}  // namespace hypercore
