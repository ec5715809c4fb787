// Flat-tree index arithmetic (../shared/spec/hypercore.md §1): every node of the Merkle
// tree has one integer index; block n is the leaf 2n, odd indexes are parents.
// All functions are pure and 64-bit safe.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace hypercore::flat_tree {

constexpr uint64_t depth(uint64_t i) { return static_cast<uint64_t>(std::countr_one(i)); }
constexpr uint64_t offset(uint64_t i) { return i >> (depth(i) + 1); }
constexpr uint64_t index(uint64_t depth, uint64_t offset) { return ((2 * offset + 1) << depth) - 1; }
constexpr uint64_t parent(uint64_t i) { return index(depth(i) + 1, offset(i) >> 1); }
constexpr uint64_t sibling(uint64_t i) { return index(depth(i), offset(i) ^ 1); }
constexpr bool is_left(uint64_t i) { return (offset(i) & 1) == 0; }
// Children of a parent node (odd i). Leaves have none: callers check depth(i) > 0.
constexpr uint64_t left_child(uint64_t i) { return index(depth(i) - 1, 2 * offset(i)); }
constexpr uint64_t right_child(uint64_t i) { return index(depth(i) - 1, 2 * offset(i) + 1); }
constexpr uint64_t left_span(uint64_t i) { return offset(i) << (depth(i) + 1); }
constexpr uint64_t right_span(uint64_t i) { return ((offset(i) + 1) << (depth(i) + 1)) - 2; }
constexpr uint64_t leaves(uint64_t i) { return uint64_t{1} << depth(i); }
// Number of nodes in the subtree rooted at i.
constexpr uint64_t count(uint64_t i) { return (uint64_t{2} << depth(i)) - 1; }

// Full roots of a log of `length` blocks, left to right (ascending index).
inline std::vector<uint64_t> full_roots(uint64_t length) {
  std::vector<uint64_t> roots;
  uint64_t start = 0;
  while (length > 0) {
    uint64_t k = std::bit_floor(length);
    roots.push_back(2 * start + k - 1);
    start += k;
    length -= k;
  }
  return roots;
}

}  // namespace hypercore::flat_tree
