// In-process replication between groups for tests: the blocks of one group's writer
// cores are moved to another's through verified proofs (what net/ does over a wire), all
// of them or a random part, so tests can make any arrival order, gap and partition.
#pragma once

#include <algorithm>
#include <random>
#include <vector>

#include "hypercore/core.hpp"
#include "hypercore/proof.hpp"
#include "multi/group.hpp"

namespace multi_test {

using hypercore::Core;
using hypercore::ProofRequest;
using hypercore::Result;

// Brings `to` up to `from`'s signed length, then copies the blocks `wanted` picks. A
// sparse `from` serves what it can prove, as a peer does: a proof it lacks the nodes for
// is skipped, not an error; a proof `to` refuses is one.
template <class Pick>
Result<void> copy_core(const Core& from, Core& to, Pick wanted) {
  auto can_serve = [](const auto& proof) { return proof || proof.error().code == hypercore::errc::block_not_available; };
  if (from.length() > to.length()) {
    ProofRequest r;
    r.fork = to.fork();
    r.upgrade = ProofRequest::Upgrade{to.length(), from.length() - to.length()};
    auto proof = from.proof(r);
    if (!can_serve(proof)) return std::unexpected(proof.error());
    if (!proof) return {};
    HC_TRY(verified, to.verify_proof(*proof));
    HC_CHECK(to.apply(verified));
  }
  if (from.length() != to.length()) return {};  // `to` knows a longer log than `from` can prove against
  for (uint64_t i = 0; i < to.length(); ++i) {
    if (to.has(i) || !from.has(i) || !wanted(i)) continue;
    ProofRequest r;
    r.fork = to.fork();
    HC_TRY(nodes, hypercore::missing_nodes(to.nodes(), to.length(), 2 * i));
    r.block = ProofRequest::Block{i, nodes};
    auto proof = from.proof(r);
    if (!can_serve(proof)) return std::unexpected(proof.error());
    if (!proof) continue;
    HC_TRY(verified, to.verify_proof(*proof));
    HC_CHECK(to.apply(verified));
  }
  return {};
}

// One pass from `a` to `b`: every core of `a` that `b` accepts (a member, or anyone in
// open mode) gets `fraction` of the blocks it lacks (1.0: all). Then b indexes.
inline Result<void> sync_into(multi::Group& a, multi::Group& b, std::mt19937_64* rng = nullptr, double fraction = 1.0) {
  for (const auto& core : a.cores()) {
    auto target = b.writer_core(core->key());
    if (!target) continue;  // not a member as far as b knows yet
    if (*target == core) continue;
    HC_CHECK(copy_core(*core, **target, [&](uint64_t) {
      if (!rng || fraction >= 1.0) return true;
      return std::uniform_real_distribution<double>(0, 1)(*rng) < fraction;
    }));
  }
  HC_TRY(done, b.catch_up());
  (void)done;
  return {};
}

// Both ways until neither learns anything (new members show up one hop at a time).
inline Result<void> sync_full(multi::Group& a, multi::Group& b) {
  for (int round = 0; round < 16; ++round) {
    auto before = [](multi::Group& g) {
      uint64_t n = 0;
      for (const auto& c : g.cores()) n += c->contiguous_length() + 1;
      return n;
    };
    uint64_t na = before(a), nb = before(b);
    HC_CHECK(sync_into(a, b));
    HC_CHECK(sync_into(b, a));
    if (before(a) == na && before(b) == nb) return {};
  }
  return {};
}

}  // namespace multi_test
