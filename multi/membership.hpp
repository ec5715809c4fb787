// Who may write, decided by the data: the closure from the root writer over add_writer
// ops in the logs of members, cut by remove_writer ops. The result is a function of the
// ops held (each log's contiguous prefix), never of the order they arrived in.
//
// Layers: the root is depth 0; a writer first added by a member of depth d has depth d+1
// (the smallest such d). A remove_writer op counts only when its author is closer to the
// root than its target (strictly smaller depth), so two members cannot remove each other
// and every depth is settled before the next is looked at. The root cannot be removed. A
// removal is final for that writer key: ops at seq >= the smallest `from` of its valid
// removals are ignored, whoever adds it again.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "multi/op.hpp"

namespace multi {

// A membership op as found at `seq` of a writer's log.
struct MemberOp {
  uint64_t seq = 0;
  OpType type = OpType::add_writer;  // add_writer or remove_writer
  Hash target{};
  uint64_t from = 0;  // remove_writer
};

struct MemberState {
  uint32_t depth = 0;
  // Ops at seq >= cutoff are ignored (no removal: the maximum).
  uint64_t cutoff = std::numeric_limits<uint64_t>::max();
  friend bool operator==(const MemberState&, const MemberState&) = default;
};

struct MembershipTable {
  std::map<Hash, MemberState> members;
  // Writers an add_writer op named that were left out because max_writers was reached.
  uint64_t refused = 0;

  bool is_member(const Hash& key) const { return members.contains(key); }
  // How many ops of `key` count: 0 for non-members.
  uint64_t cutoff(const Hash& key) const {
    auto it = members.find(key);
    return it == members.end() ? 0 : it->second.cutoff;
  }
  friend bool operator==(const MembershipTable&, const MembershipTable&) = default;
};

// `ops`: every log's membership ops within its held contiguous prefix (only logs whose
// header names the group), in seq order. `announced`: in open mode, every writer a peer
// or this device named; they join at depth 1. `max_writers` bounds the table (a hostile
// member adding thousands of keys): writers are admitted depth by depth, and in key order
// within a depth, until it is full.
MembershipTable compute_membership(const Hash& root, Membership mode, const std::map<Hash, std::vector<MemberOp>>& ops,
                                   const std::set<Hash>& announced, size_t max_writers);

}  // namespace multi
