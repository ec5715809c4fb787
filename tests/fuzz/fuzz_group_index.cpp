// A hostile member: the fuzzer's bytes become the blocks of an invited writer's log
// (garbage, any op, add/remove floods, far-future stamps, links anywhere), which the root
// indexes in small steps. Nothing may crash, the membership stays bounded, and the view
// must equal the one a fresh device builds from the same logs in one go.
#include <cstdlib>

#include "fuzz_input.hpp"
#include "hypercore/core.hpp"
#include "hypercore/proof.hpp"
#include "multi/group.hpp"

namespace {

std::vector<multi::KeyValues> all(const multi::Group& g) {
  std::vector<multi::KeyValues> out;
  auto it = g.range();
  if (!it) std::abort();
  for (;;) {
    auto kv = it->next();
    if (!kv) std::abort();  // a view this device wrote must always read back
    if (!*kv) break;
    out.push_back(std::move(**kv));
  }
  return out;
}

// Verified proofs from `from` into `to`: the signed length, then blocks [first, last).
void copy(const hypercore::Core& from, hypercore::Core& to, uint64_t first, uint64_t last) {
  if (from.length() > to.length()) {
    hypercore::ProofRequest r;
    r.upgrade = hypercore::ProofRequest::Upgrade{to.length(), from.length() - to.length()};
    auto proof = from.proof(r);
    if (!proof) std::abort();
    auto verified = to.verify_proof(*proof);
    if (!verified || !to.apply(*verified)) std::abort();
  }
  for (uint64_t i = first; i < last && i < to.length(); ++i) {
    if (to.has(i)) continue;
    auto nodes = hypercore::missing_nodes(to.nodes(), to.length(), 2 * i);
    if (!nodes) std::abort();
    hypercore::ProofRequest b;
    b.block = hypercore::ProofRequest::Block{i, *nodes};
    auto proof = from.proof(b);
    if (!proof) std::abort();
    auto verified = to.verify_proof(*proof);
    if (!verified || !to.apply(*verified)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in{data, size};
  multi::GroupOptions o;
  o.conflict = in.byte() % 2 ? multi::Conflict::multi_value : multi::Conflict::lww;
  o.max_writers = 8;
  o.max_batch = 1 + in.byte() % 16;
  uint64_t wall = 1'700'000'000'000;
  o.physical_clock = [&] { return wall; };
  auto root = multi::Group::create(hypercore::make_memory_storage(), o);
  auto member = multi::Group::join(hypercore::make_memory_storage(), (*root)->key(), o);
  if (!root || !member) std::abort();
  if (!(*root)->add_writer((*member)->local_writer())) std::abort();
  (void)(*root)->put(hypercore::as_bytes("k"), hypercore::as_bytes("root"));
  auto core = (*member)->writer_core((*member)->local_writer());
  if (!core) std::abort();
  // Blocks: a length byte, then that many bytes (a valid-looking op prefix half the time).
  for (int i = 0; i < 64 && in.n > 0; ++i) {
    size_t n = in.byte() % 48;
    hypercore::Bytes block;
    if (in.byte() % 2) block = {1, static_cast<uint8_t>(in.byte() % 5)};
    auto rest = in.take(n);
    block.insert(block.end(), rest.begin(), rest.end());
    (void)(*core)->append(block);
  }
  // The root takes the member's log in, indexing a few ops at a time.
  auto root_copy = (*root)->writer_core((*member)->local_writer());
  if (!root_copy) std::abort();
  for (uint64_t i = 0; i < (*core)->length(); ++i) {
    copy(**core, **root_copy, i, i + 1);
    if (!(*root)->catch_up(1 + i % 3)) std::abort();
  }
  if (!(*root)->catch_up()) std::abort();
  if ((*root)->membership().members.size() > o.max_writers) std::abort();
  // A second device given the same logs at once folds to the same view (two passes: the
  // member's log is accepted once the root's, which invites it, is indexed).
  auto fresh = multi::Group::join(hypercore::make_memory_storage(), (*root)->key(), o);
  if (!fresh) std::abort();
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& c : (*root)->cores()) {
      auto target = (*fresh)->writer_core(c->key());
      if (!target || *target == c) continue;
      copy(*c, **target, 0, c->length());
    }
    if (!(*fresh)->catch_up()) std::abort();
  }
  if (all(**root) != all(**fresh)) std::abort();
  return 0;
}
