// What verify_proof must refuse: every single mutation of valid proofs of each shape
// (node hash, size, index, order, omission, duplication, block bytes, fork, length, start,
// signature), proofs checked against the wrong key or local state, hostile sizes, indexes
// and list lengths, and random garbage (this file also runs under ASan and UBSan).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/hypercore/proof_fixture.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using namespace proof_fixture;

struct Case {
  std::string name;
  Proof proof;
  MemoryTree requester;
  TreeHead local;
};

// Valid proofs of every shape, with the state that accepts them.
std::vector<Case> valid_cases(const Writer& w) {
  std::vector<Case> cases;
  auto add = [&](std::string name, ProofRequest r, uint64_t len, bool sparse) {
    auto proof = w.prove(r);
    if (!proof) ADD_FAILURE() << name << ": " << proof.error().to_string();
    MemoryTree requester = sparse ? roots_only(w.tree, len) : w.tree.prefix(len);
    cases.push_back(Case{std::move(name), *proof, std::move(requester), w.signed_head(len, 0)});
  };
  add("block nodes=3", block_request(5, 3), 11, true);
  ProofRequest h = block_request(0, 0);
  h.block.reset();
  h.hash = ProofRequest::Hash{9, 2};
  add("hash", h, 11, true);
  add("upgrade 0-11", upgrade_request(0, 11), 0, false);
  add("upgrade 3-11", upgrade_request(3, 8), 3, false);
  add("upgrade 3-6 + additional", upgrade_request(3, 3), 3, false);
  ProofRequest b9 = upgrade_request(3, 8);
  b9.block = ProofRequest::Block{9, 0};
  add("block 9 + upgrade", b9, 3, false);
  ProofRequest b2 = upgrade_request(0, 11);
  b2.block = ProofRequest::Block{2, 0};
  add("block 2 + upgrade 0", b2, 0, false);
  ProofRequest s = upgrade_request(0, 11);
  s.seek = ProofRequest::Seek{23, 0};
  add("seek + upgrade", s, 0, false);
  ProofRequest bs = block_request(0, 3);
  bs.seek = ProofRequest::Seek{23, 0};
  add("block + seek", bs, 11, true);
  ProofRequest old_block = upgrade_request(6, 5);
  old_block.block = ProofRequest::Block{1, 2};
  add("old block + upgrade", old_block, 6, true);
  return cases;
}

bool accepts(const Case& c, const Proof& p, const Identity& id) {
  return verify_proof(c.requester, c.local, id, p).has_value();
}

// Every list of node references in a proof, for mutation.
std::vector<std::vector<Node>*> lists(Proof& p) {
  std::vector<std::vector<Node>*> out;
  if (p.block) out.push_back(&p.block->nodes);
  if (p.hash) out.push_back(&p.hash->nodes);
  if (p.seek) out.push_back(&p.seek->nodes);
  if (p.upgrade) {
    out.push_back(&p.upgrade->nodes);
    out.push_back(&p.upgrade->additional_nodes);
  }
  return out;
}

TEST(ProofReject, EveryMutationOfAValidProof) {
  Writer w(spec_blocks());
  Identity id = Identity::from_key(w.identity.key());
  for (const Case& c : valid_cases(w)) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(accepts(c, c.proof, id)) << verify_proof(c.requester, c.local, id, c.proof).error().to_string();
    int mutations = 0;
    auto expect_reject = [&](const std::string& what, const std::function<void(Proof&)>& mutate) {
      Proof p = c.proof;
      mutate(p);
      mutations++;
      EXPECT_FALSE(accepts(c, p, id)) << what;
    };
    Proof probe = c.proof;
    const size_t list_count = lists(probe).size();
    for (size_t l = 0; l < list_count; l++) {
      size_t n = lists(probe)[l]->size();
      for (size_t i = 0; i < n; i++) {
        std::string at = "list " + std::to_string(l) + " node " + std::to_string(i);
        expect_reject(at + " hash", [&](Proof& p) { (*lists(p)[l])[i].hash[i % 32] ^= 1; });
        expect_reject(at + " size+1", [&](Proof& p) { (*lists(p)[l])[i].size += 1; });
        expect_reject(at + " size max", [&](Proof& p) { (*lists(p)[l])[i].size = ~uint64_t{0}; });
        expect_reject(at + " index+2", [&](Proof& p) { (*lists(p)[l])[i].index += 2; });
        expect_reject(at + " index^1", [&](Proof& p) { (*lists(p)[l])[i].index ^= 1; });
        expect_reject(at + " dropped", [&](Proof& p) { lists(p)[l]->erase(lists(p)[l]->begin() + i); });
        expect_reject(at + " duplicated", [&](Proof& p) { lists(p)[l]->insert(lists(p)[l]->begin() + i, (*lists(p)[l])[i]); });
        const bool seek_target = probe.seek && lists(probe)[l] == &probe.seek->nodes && i == 0;
        if (i + 1 < n && !seek_target) {
          expect_reject(at + " swapped", [&](Proof& p) { std::swap((*lists(p)[l])[i], (*lists(p)[l])[i + 1]); });
        }
        if (i + 1 < n && seek_target) {
          // The seek target and its sibling fold to the same parent in either order: the
          // same nodes are proven (the reference accepts it too), so it is no mutation.
          Proof p = c.proof;
          std::swap(p.seek->nodes[0], p.seek->nodes[1]);
          auto a = verify_proof(c.requester, c.local, id, c.proof);
          auto b = verify_proof(c.requester, c.local, id, p);
          ASSERT_TRUE(a && b);
          Indexes ia = indexes(a->nodes), ib = indexes(b->nodes);
          std::sort(ia.begin(), ia.end());
          std::sort(ib.begin(), ib.end());
          EXPECT_EQ(ia, ib);
        }
      }
    }
    if (c.proof.block) {
      for (size_t i = 0; i < c.proof.block->value.size(); i++) {
        expect_reject("block byte", [&](Proof& p) { p.block->value[i] ^= 0x80; });
      }
      expect_reject("block extended", [&](Proof& p) { p.block->value.push_back(0); });
      expect_reject("block index", [&](Proof& p) { p.block->index += 1; });
    }
    if (c.proof.hash) expect_reject("hash index", [&](Proof& p) { p.hash->index += 2; });
    if (c.proof.upgrade) {
      expect_reject("fork+1", [&](Proof& p) { p.fork += 1; });
      expect_reject("length+1", [&](Proof& p) { p.upgrade->length += 1; });
      expect_reject("length-1", [&](Proof& p) { p.upgrade->length -= 1; });
      expect_reject("start+1", [&](Proof& p) { p.upgrade->start += 1; });
      if (c.proof.upgrade->start > 0) expect_reject("start-1", [&](Proof& p) { p.upgrade->start -= 1; });
      expect_reject("length huge", [&](Proof& p) { p.upgrade->length = ~uint64_t{0} - 1; });
      expect_reject("signature bit", [&](Proof& p) { p.upgrade->signature[10] ^= 1; });
      expect_reject("signature short", [&](Proof& p) { p.upgrade->signature.pop_back(); });
      expect_reject("signature empty", [&](Proof& p) { p.upgrade->signature.clear(); });
      expect_reject("extra upgrade node", [&](Proof& p) { p.upgrade->nodes.push_back(Node{40, 1, {}}); });
      expect_reject("extra additional node", [&](Proof& p) { p.upgrade->additional_nodes.push_back(Node{22, 6, {}}); });
    } else {
      expect_reject("fork+1", [&](Proof& p) { p.fork += 1; });
    }
    EXPECT_GT(mutations, 5);
  }
}

TEST(ProofReject, WrongKeyAndWrongLocalState) {
  Writer w(spec_blocks());
  auto proof = w.prove(upgrade_request(3, 8));
  ASSERT_TRUE(proof);
  MemoryTree requester = w.tree.prefix(3);
  TreeHead local = w.signed_head(3, 0);
  // Another key: the signature does not verify.
  Identity other = Identity::compat(seed_key_pair(2).public_key);
  EXPECT_ERRC(verify_proof(requester, local, other, *proof), errc::invalid_signature);
  // The upgrade starts at 3 but the requester has 4 blocks.
  EXPECT_ERRC(verify_proof(w.tree.prefix(4), w.signed_head(4, 0), w.identity, *proof), errc::invalid_proof);
  // A requester at a newer fork refuses fork-0 data.
  TreeHead newer = local;
  newer.fork = 1;
  EXPECT_ERRC(verify_proof(requester, newer, w.identity, *proof), errc::invalid_proof);
  // A block proof ending at a node the requester does not hold.
  auto block = w.prove(block_request(5, 1));
  ASSERT_TRUE(block);
  EXPECT_ERRC(verify_proof(roots_only(w.tree, 11), w.tree.head(11), w.identity, *block), errc::invalid_proof);
  // Non-compat core without a manifest and none in the proof: nothing to check against.
  Identity manifest_key = Identity::from_key(Manifest::default_signer(w.key_pair.public_key).hash());
  auto full = w.prove(upgrade_request(0, 11));
  EXPECT_ERRC(verify_proof(MemoryTree(), TreeHead{}, manifest_key, *full), errc::invalid_signature);
}

TEST(ProofReject, HostileInputNeverCrashes) {
  Writer w(spec_blocks());
  Identity id = w.identity;
  MemoryTree requester = w.tree.prefix(3);
  TreeHead local = w.signed_head(3, 0);

  Proof huge;
  huge.upgrade = Proof::Upgrade{3, 8, std::vector<Node>(100000, Node{6, 6, {}}), {}, w.head.signature};
  EXPECT_ERRC(verify_proof(requester, local, id, huge), errc::invalid_proof);

  Proof big_index;
  big_index.block = Proof::Block{~uint64_t{0} / 2, to_bytes("x"), {}};
  EXPECT_FALSE(verify_proof(requester, local, id, big_index));
  big_index.block = Proof::Block{1, to_bytes("x"), {Node{~uint64_t{0} - 1, 1, {}}}};
  EXPECT_FALSE(verify_proof(requester, local, id, big_index));

  Proof big_hash;
  big_hash.hash = Proof::Hash{~uint64_t{0}, {Node{~uint64_t{0}, 1, {}}}};
  EXPECT_FALSE(verify_proof(requester, local, id, big_hash));

  // Sizes that overflow when summed.
  auto valid = w.prove(upgrade_request(3, 8));
  ASSERT_TRUE(valid);
  Proof overflow = *valid;
  for (Node& n : overflow.upgrade->nodes) n.size = std::numeric_limits<uint64_t>::max() / 2 + 1;
  EXPECT_ERRC(verify_proof(requester, local, id, overflow), errc::invalid_proof);

  // Random proofs over small indexes: never crash, (almost) never accepted.
  std::mt19937_64 rng(42);
  auto random_nodes = [&](size_t max) {
    std::vector<Node> nodes(rng() % (max + 1));
    for (Node& n : nodes) {
      n.index = rng() % 48;
      n.size = rng() % 3 == 0 ? rng() : rng() % 100;
      for (auto& byte : n.hash) byte = static_cast<uint8_t>(rng());
    }
    return nodes;
  };
  int accepted = 0;
  for (int i = 0; i < 3000; i++) {
    Proof p;
    p.fork = rng() % 4 == 0 ? 1 : 0;
    if (rng() % 2) p.block = Proof::Block{rng() % 16, to_bytes("block" + std::to_string(rng() % 12)), random_nodes(6)};
    if (rng() % 4 == 0) p.hash = Proof::Hash{rng() % 40, random_nodes(6)};
    if (rng() % 3 == 0) p.seek = Proof::Seek{rng() % 80, random_nodes(6)};
    if (rng() % 2) {
      p.upgrade = Proof::Upgrade{rng() % 2 ? 3 : rng() % 12, rng() % 12, random_nodes(8), random_nodes(4),
                                 rng() % 2 ? w.head.signature : Bytes(64, 1)};
    }
    auto v = verify_proof(requester, local, id, p);
    if (!v) continue;
    // Only proofs that happen to be genuine (a bare fork-0 proof, a held block with no
    // nodes) can pass, and then everything they prove is the writer's.
    accepted++;
    EXPECT_FALSE(v->upgrade);
    for (const Node& n : v->nodes) EXPECT_EQ(n, *w.tree.get(n.index));
  }
  EXPECT_LT(accepted, 300);

  // Hostile requests on the responder side.
  ProofRequest r = block_request(~uint64_t{0}, ~uint64_t{0});
  EXPECT_FALSE(w.prove(r));
  r = block_request(3, ~uint64_t{0});
  EXPECT_ERRC(w.prove(r), errc::invalid_argument);
  r = upgrade_request(~uint64_t{0}, 2);
  EXPECT_FALSE(w.prove(r));
  r = upgrade_request(2, ~uint64_t{0} - 1);
  EXPECT_FALSE(w.prove(r));
  ProofRequest hash_req;
  hash_req.hash = ProofRequest::Hash{~uint64_t{0} - 2, 5};
  EXPECT_FALSE(w.prove(hash_req));
  ProofRequest seek_req = block_request(2, 2);
  seek_req.seek = ProofRequest::Seek{~uint64_t{0}, ~uint64_t{0}};
  EXPECT_FALSE(w.prove(seek_req));
  seek_req.seek = ProofRequest::Seek{20, ~uint64_t{0}};
  (void)w.prove(seek_req);  // any answer, no crash
  // The reference would loop forever on a hash that straddles the old length with a seek.
  ProofRequest straddle = upgrade_request(3, 8);
  straddle.hash = ProofRequest::Hash{3, 0};
  straddle.seek = ProofRequest::Seek{23, 0};
  (void)w.prove(straddle);
}

TEST(ProofReject, EmptyTreeAnswersNothing) {
  MemoryTree empty;
  ProofRequest r = upgrade_request(0, 1);
  r.block = ProofRequest::Block{0, 0};
  auto proof = make_proof(empty, TreeHead{}, r);
  ASSERT_TRUE(proof) << proof.error().to_string();
  EXPECT_FALSE(proof->block);
  EXPECT_FALSE(proof->upgrade);
}

}  // namespace
