// What the held blocks tell about the order of one B-tree node's keys before those keys
// arrive (used to plan remote reads: remote_query_plan.cpp).
//
// A node written by block B lists its keys as seqs and its children as (seq, offset)
// pairs. Each held block K that a child pointer names (and the node's own block) wrote
// the path to its own key, so that key lies in the subtrees of the children pointing into
// K: keys left of those children are < key(K), keys right of them are > key(K). These
// "pivots" decide some comparisons with a key whose bytes are not here yet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>

#include "bee/messages.hpp"
#include "hypercore/bytes.hpp"

namespace net::internal {

// Byte order of keys, as bee compares them (memcmp, then length).
int compare_keys(hypercore::ByteSpan a, hypercore::ByteSpan b);

class NodeOrder {
 public:
  // held_key(seq): the key bytes of block `seq` if it is held here, else nullopt.
  using HeldKey = std::function<std::optional<hypercore::Bytes>(uint64_t seq)>;

  NodeOrder(const bee::Level& level, const HeldKey& held_key);

  // How `target` compares with key j of the node as far as the pivots tell: -1 target <
  // key j, +1 target > key j, 0 unknown.
  int order_of(hypercore::ByteSpan target, size_t j) const;
  // Where key j lies against a range's bounds as far as the pivots tell: -1 known below
  // `lower` (key j < K <= lower), +1 known above `upper` (key j > K >= upper), 0 unknown.
  int range_side(size_t j, const std::optional<hypercore::Bytes>& lower,
                 const std::optional<hypercore::Bytes>& upper) const;

 private:
  struct Pivot {
    size_t lo = SIZE_MAX, hi = 0;  // the children pointing into the pivot's block
    hypercore::Bytes key;
  };
  std::map<uint64_t, Pivot> pivots_;
};

}  // namespace net::internal
