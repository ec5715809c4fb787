#include "multi/membership.hpp"

#include <algorithm>

namespace multi {

MembershipTable compute_membership(const Hash& root, Membership mode, const std::map<Hash, std::vector<MemberOp>>& ops,
                                   const std::set<Hash>& announced, size_t max_writers) {
  MembershipTable table;
  std::map<Hash, uint64_t> pending_cut;  // removals by writers already settled
  std::set<Hash> level{root};
  uint32_t depth = 0;
  while (!level.empty()) {
    std::set<Hash> next;
    // Settle this depth: its cutoffs come only from removals by shallower writers.
    for (const auto& key : level) {
      if (table.members.size() >= max_writers) {
        ++table.refused;
        continue;
      }
      MemberState state{depth};
      if (auto it = pending_cut.find(key); it != pending_cut.end() && depth > 0) state.cutoff = it->second;
      table.members.emplace(key, state);
    }
    for (const auto& key : level) {
      auto member = table.members.find(key);
      if (member == table.members.end()) continue;
      auto log = ops.find(key);
      if (log == ops.end()) continue;
      for (const auto& op : log->second) {
        if (op.seq >= member->second.cutoff) break;
        if (op.type == OpType::add_writer) {
          if (!table.members.contains(op.target)) next.insert(op.target);
        } else if (op.type == OpType::remove_writer && op.target != root && !table.members.contains(op.target)) {
          // Only deeper writers are still unsettled; a removal of a settled one does not count.
          auto [it, inserted] = pending_cut.emplace(op.target, op.from);
          if (!inserted) it->second = std::min(it->second, op.from);
        }
      }
    }
    if (depth == 0 && mode == Membership::open) {
      for (const auto& key : announced) {
        if (!table.members.contains(key)) next.insert(key);
      }
    }
    level = std::move(next);
    ++depth;
  }
  return table;
}

}  // namespace multi
