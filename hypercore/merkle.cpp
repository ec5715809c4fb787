#include "hypercore/merkle.hpp"

#include <sodium.h>

#include "hypercore/crypto.hpp"
#include "hypercore/flat_tree.hpp"
#include "hypercore/internal/endian.hpp"

namespace hypercore {

Hash leaf_hash(ByteSpan block) {
  uint8_t prefix[9] = {0};
  internal::store_u64le(prefix + 1, block.size());
  return blake2b({ByteSpan(prefix, 9), block});
}

Node leaf_node(uint64_t block_index, ByteSpan block) {
  return Node{2 * block_index, block.size(), leaf_hash(block)};
}

Node parent_node(const Node& a, const Node& b) {
  const Node& left = a.index < b.index ? a : b;
  const Node& right = a.index < b.index ? b : a;
  uint8_t prefix[9] = {1};
  uint64_t size = left.size + right.size;
  internal::store_u64le(prefix + 1, size);
  return Node{flat_tree::parent(left.index), size, blake2b({ByteSpan(prefix, 9), left.hash, right.hash})};
}

Hash tree_hash(std::span<const Node> roots) {
  crypto_init();
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 32);
  const uint8_t type = 2;
  crypto_generichash_update(&state, &type, 1);
  for (const Node& r : roots) {
    uint8_t tail[16];
    internal::store_u64le(tail, r.index);
    internal::store_u64le(tail + 8, r.size);
    crypto_generichash_update(&state, r.hash.data(), r.hash.size());
    crypto_generichash_update(&state, tail, sizeof tail);
  }
  Hash out{};
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

const Hash& empty_tree_hash() {
  static const Hash h = tree_hash({});
  return h;
}

void RootStack::push(const Node& node, std::vector<Node>* created) {
  roots_.push_back(node);
  while (roots_.size() > 1) {
    const Node& b = roots_[roots_.size() - 1];
    const Node& a = roots_[roots_.size() - 2];
    if (flat_tree::sibling(b.index) != a.index) break;
    Node p = parent_node(a, b);
    roots_.pop_back();
    roots_.back() = p;
    if (created) created->push_back(p);
  }
}

uint64_t RootStack::length() const {
  uint64_t n = 0;
  for (const Node& r : roots_) n += flat_tree::leaves(r.index);
  return n;
}

uint64_t RootStack::byte_length() const {
  uint64_t n = 0;
  for (const Node& r : roots_) n += r.size;
  return n;
}

}  // namespace hypercore
