// Merkle proofs against the worked examples of ../shared/spec/hypercore.md §6 (checked
// against the reference), the §7 fork example, local seeks, and the rejection rules:
// every mutation of a valid proof, hostile sizes and lists, and random garbage.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hypercore/crypto.hpp"
#include "hypercore/flat_tree.hpp"
#include "hypercore/manifest.hpp"
#include "hypercore/proof.hpp"
#include "tests/support/memory_tree.hpp"

namespace {

using namespace hypercore;
using bee_test::MemoryTree;
using Indexes = std::vector<uint64_t>;

KeyPair seed_key_pair(uint8_t byte) {
  Seed seed;
  seed.fill(byte);
  return KeyPair::from_seed(seed);
}

Indexes indexes(const std::vector<Node>& nodes) {
  Indexes out;
  for (const Node& n : nodes) out.push_back(n.index);
  return out;
}

// The writer of §6: blocks "block0".."block9" (6 bytes) and "block10" (7 bytes), seed
// 0x01, compat mode, fork 0.
struct Writer {
  KeyPair key_pair = seed_key_pair(1);
  Identity identity = Identity::compat(key_pair.public_key);
  std::vector<Bytes> blocks;
  MemoryTree tree;
  TreeHead head;

  explicit Writer(std::vector<Bytes> b, uint64_t fork = 0) : blocks(std::move(b)), tree(blocks) {
    head = signed_head(blocks.size(), fork);
  }

  TreeHead signed_head(uint64_t length, uint64_t fork) const {
    TreeHead h = tree.head(length, fork);
    if (length > 0) h.signature = *identity.sign(key_pair, h.tree_hash(), length, fork);
    return h;
  }

  // make_proof with the block value filled in, as Core::proof does.
  Result<Proof> prove(const ProofRequest& request) const {
    HC_TRY(proof, make_proof(tree, head, request));
    if (proof.block) proof.block->value = blocks[proof.block->index];
    return proof;
  }
};

std::vector<Bytes> spec_blocks() {
  std::vector<Bytes> blocks;
  for (int i = 0; i < 11; i++) blocks.push_back(to_bytes("block" + std::to_string(i)));
  return blocks;
}

ProofRequest block_request(uint64_t index, uint64_t nodes) {
  ProofRequest r;
  r.block = ProofRequest::Block{index, nodes};
  return r;
}

ProofRequest upgrade_request(uint64_t start, uint64_t length) {
  ProofRequest r;
  r.upgrade = ProofRequest::Upgrade{start, length};
  return r;
}

// A requester holding the roots of `length` blocks of the writer's tree and nothing else.
MemoryTree roots_only(const MemoryTree& full, uint64_t length) {
  MemoryTree t;
  for (const Node& r : full.head(length).roots) t.put(r);
  return t;
}

// --- §6.1 / §6.2 -----------------------------------------------------------------------

TEST(ProofBlock, MissingNodesCountsUpToTheFirstHeldNode) {
  Writer w(spec_blocks());
  MemoryTree sparse = roots_only(w.tree, 11);
  EXPECT_EQ(*missing_nodes(sparse, 11, 10), 3u);   // 10, 9, 11 missing; 7 held
  EXPECT_EQ(*missing_nodes(w.tree, 11, 10), 0u);   // leaf held
  sparse.put(*w.tree.get(9));
  EXPECT_EQ(*missing_nodes(sparse, 11, 10), 1u);
  EXPECT_EQ(*missing_nodes(sparse, 11, 9), 0u);
  EXPECT_EQ(*missing_nodes(sparse, 5, 10), 0u);    // outside a tree of 5 blocks
  EXPECT_EQ(*missing_nodes(sparse, 11, 40), 0u);   // beyond the tree
  // Node 16's ancestors inside 11 blocks: 16, 17 (root, held) -> 1.
  MemoryTree r = roots_only(w.tree, 11);
  EXPECT_EQ(*missing_nodes(r, 11, 16), 1u);
}

TEST(ProofBlock, SpecTable62) {
  Writer w(spec_blocks());
  struct Row {
    ProofRequest request;
    Indexes nodes;
    std::function<MemoryTree()> requester;  // holds exactly the node the proof ends at
  };
  ProofRequest hash9;
  hash9.hash = ProofRequest::Hash{9, 2};
  std::vector<Row> rows = {
      {block_request(5, 0), {}, [&] { return w.tree; }},
      {block_request(5, 1), {8}, [&] {
         MemoryTree t = roots_only(w.tree, 11);
         t.put(*w.tree.get(9));
         return t;
       }},
      {block_request(5, 3), {8, 13, 3}, [&] { return roots_only(w.tree, 11); }},
      {hash9, {9, 13, 3}, [&] { return roots_only(w.tree, 11); }},
  };
  for (size_t i = 0; i < rows.size(); i++) {
    SCOPED_TRACE("row " + std::to_string(i));
    auto proof = w.prove(rows[i].request);
    ASSERT_TRUE(proof) << proof.error().to_string();
    EXPECT_FALSE(proof->upgrade);
    const auto& nodes = proof->block ? proof->block->nodes : proof->hash->nodes;
    EXPECT_EQ(indexes(nodes), rows[i].nodes);
    for (const Node& n : nodes) EXPECT_EQ(n, *w.tree.get(n.index));

    MemoryTree requester = rows[i].requester();
    auto verified = verify_proof(requester, w.tree.head(11), Identity::from_key(w.identity.key()), *proof);
    ASSERT_TRUE(verified) << verified.error().to_string();
    EXPECT_FALSE(verified->upgrade);
    if (proof->block) {
      ASSERT_TRUE(verified->block);
      EXPECT_EQ(verified->block->first, 5u);
      EXPECT_EQ(verified->block->second, w.blocks[5]);
    }
    // Every node proven is the writer's node.
    for (const Node& n : verified->nodes) EXPECT_EQ(n, *w.tree.get(n.index)) << n.index;
  }
}

TEST(ProofBlock, ProvenNodesIncludeComputedParents) {
  Writer w(spec_blocks());
  auto proof = w.prove(block_request(5, 3));
  ASSERT_TRUE(proof);
  auto verified = verify_proof(roots_only(w.tree, 11), w.tree.head(11), w.identity, *proof);
  ASSERT_TRUE(verified) << verified.error().to_string();
  Indexes got = indexes(verified->nodes);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (Indexes{3, 7, 8, 9, 10, 11, 13}));
}

TEST(ProofBlock, RequestsBeyondTheTreeFail) {
  Writer w(spec_blocks());
  EXPECT_EQ(w.prove(block_request(11, 0)).error().code, errc::invalid_argument);
  EXPECT_EQ(w.prove(block_request(5, 4)).error().code, errc::invalid_argument);  // crosses the head
  ProofRequest wrong_fork = block_request(1, 0);
  wrong_fork.fork = 1;
  EXPECT_EQ(w.prove(wrong_fork).error().code, errc::invalid_argument);
  EXPECT_EQ(w.prove(upgrade_request(3, 9)).error().code, errc::invalid_argument);
  EXPECT_EQ(w.prove(upgrade_request(3, 0)).error().code, errc::invalid_argument);
  // A sparse responder lacking a node it must send.
  MemoryTree sparse = w.tree;
  sparse.erase(13);
  EXPECT_EQ(make_proof(sparse, w.head, block_request(5, 3)).error().code, errc::block_not_available);
}

// --- §6.3 ------------------------------------------------------------------------------

struct UpgradeRow {
  uint64_t requester_length;
  std::optional<uint64_t> block;
  uint64_t start, length;
  Indexes upgrade, block_nodes, additional;
};

TEST(ProofUpgrade, SpecTable63) {
  Writer w(spec_blocks());
  std::vector<UpgradeRow> rows = {
      {0, std::nullopt, 0, 11, {7, 17, 20}, {}, {}},
      {3, std::nullopt, 3, 8, {6, 11, 17, 20}, {}, {}},
      {3, std::nullopt, 3, 3, {6, 9}, {}, {13, 17, 20}},
      {3, 9, 3, 8, {6, 11, 20}, {16}, {}},
      {3, 4, 3, 8, {6, 17, 20}, {10, 13}, {}},
      {0, 2, 0, 11, {17, 20}, {6, 1, 11}, {}},
      {5, 5, 5, 6, {13, 17, 20}, {}, {}},
  };
  for (size_t i = 0; i < rows.size(); i++) {
    const UpgradeRow& row = rows[i];
    SCOPED_TRACE("row " + std::to_string(i));
    ProofRequest request = upgrade_request(row.start, row.length);
    if (row.block) request.block = ProofRequest::Block{*row.block, 0};
    auto proof = w.prove(request);
    ASSERT_TRUE(proof) << proof.error().to_string();
    ASSERT_TRUE(proof->upgrade);
    EXPECT_EQ(indexes(proof->upgrade->nodes), row.upgrade);
    EXPECT_EQ(indexes(proof->upgrade->additional_nodes), row.additional);
    EXPECT_EQ(proof->upgrade->signature, w.head.signature);
    if (row.block) {
      ASSERT_TRUE(proof->block);
      EXPECT_EQ(indexes(proof->block->nodes), row.block_nodes);
    }

    MemoryTree requester = w.tree.prefix(row.requester_length);
    TreeHead local = w.signed_head(row.requester_length, 0);
    auto verified = verify_proof(requester, local, Identity::from_key(w.identity.key()), *proof);
    ASSERT_TRUE(verified) << verified.error().to_string();
    ASSERT_TRUE(verified->upgrade);
    EXPECT_EQ(*verified->upgrade, w.head);
    EXPECT_EQ(verified->upgrade->tree_hash(), w.head.tree_hash());
    EXPECT_EQ(verified->upgrade->byte_length(), 67u);
    // A reader that knew only the key learns the default signer manifest.
    ASSERT_TRUE(verified->manifest);
    EXPECT_EQ(*verified->manifest, Manifest::default_signer(w.key_pair.public_key));
    if (row.block) {
      ASSERT_TRUE(verified->block);
      EXPECT_EQ(verified->block->second, w.blocks[*row.block]);
    }
    for (const Node& n : verified->nodes) EXPECT_EQ(n, *w.tree.get(n.index)) << n.index;
  }
}

// --- §6.4 ------------------------------------------------------------------------------

TEST(ProofSeek, SpecExamples) {
  Writer w(spec_blocks());
  ProofRequest request = upgrade_request(0, 11);
  request.seek = ProofRequest::Seek{23, 0};
  auto proof = w.prove(request);
  ASSERT_TRUE(proof) << proof.error().to_string();
  ASSERT_TRUE(proof->seek);
  EXPECT_EQ(indexes(proof->seek->nodes), (Indexes{6, 4, 1, 11}));
  EXPECT_EQ(indexes(proof->upgrade->nodes), (Indexes{17, 20}));
  auto verified = verify_proof(MemoryTree(), TreeHead{}, w.identity, *proof);
  ASSERT_TRUE(verified) << verified.error().to_string();
  EXPECT_EQ(*verified->upgrade, w.head);
  Indexes got = indexes(verified->nodes);
  EXPECT_NE(std::find(got.begin(), got.end(), 7u), got.end());

  ProofRequest with_block = block_request(0, 3);
  with_block.seek = ProofRequest::Seek{23, 0};
  proof = w.prove(with_block);
  ASSERT_TRUE(proof) << proof.error().to_string();
  EXPECT_EQ(indexes(proof->block->nodes), (Indexes{2, 11}));
  ASSERT_TRUE(proof->seek);
  EXPECT_EQ(indexes(proof->seek->nodes), (Indexes{6, 4}));
  verified = verify_proof(roots_only(w.tree, 11), w.tree.head(11), w.identity, *proof);
  ASSERT_TRUE(verified) << verified.error().to_string();
  EXPECT_EQ(verified->block->second, w.blocks[0]);

  // A seek combined with a block in the upgraded range is refused, as by the reference.
  ProofRequest both = upgrade_request(0, 11);
  both.block = ProofRequest::Block{3, 0};
  both.seek = ProofRequest::Seek{23, 0};
  EXPECT_EQ(w.prove(both).error().code, errc::invalid_argument);
  // A seek outside the proven subtree is refused.
  ProofRequest outside = block_request(0, 1);
  outside.seek = ProofRequest::Seek{40, 0};
  EXPECT_EQ(w.prove(outside).error().code, errc::invalid_argument);
}

TEST(ProofSeek, LocalSeekSpecExamples) {
  MemoryTree tree(std::vector<Bytes>{to_bytes("aa"), to_bytes("bbb"), to_bytes("c")});
  TreeHead head = tree.head();
  using Pos = std::pair<uint64_t, uint64_t>;
  std::vector<std::pair<uint64_t, Pos>> cases = {{0, {0, 0}}, {1, {0, 1}}, {2, {1, 0}}, {3, {1, 1}},
                                                 {4, {1, 2}}, {5, {2, 0}}, {6, {3, 0}}};
  for (auto [bytes, expected] : cases) {
    auto pos = seek_bytes(tree, head, bytes);
    ASSERT_TRUE(pos) << bytes << ": " << pos.error().to_string();
    EXPECT_EQ(*pos, expected) << bytes;
  }
  EXPECT_EQ(seek_bytes(tree, head, 7).error().code, errc::out_of_range);
  // Padding 1 per block: logical sizes 1, 2, 0.
  EXPECT_EQ(*seek_bytes(tree, head, 1, 1), (Pos{1, 0}));
  EXPECT_EQ(*seek_bytes(tree, head, 2, 1), (Pos{1, 1}));
  // A replica without the inner nodes cannot seek locally.
  MemoryTree sparse = roots_only(tree, 3);
  EXPECT_EQ(seek_bytes(sparse, head, 1).error().code, errc::block_not_available);
  EXPECT_EQ(*seek_bytes(sparse, head, 5), (Pos{2, 0}));

  EXPECT_EQ(*byte_offset(tree, head, 0), 0u);
  EXPECT_EQ(*byte_offset(tree, head, 2), 2u);
  EXPECT_EQ(*byte_offset(tree, head, 4), 5u);
  EXPECT_EQ(*byte_offset(tree, head, 6), 6u);
  EXPECT_EQ(*byte_offset(tree, head, 1), 0u);
  EXPECT_EQ(byte_offset(tree, head, 8).error().code, errc::out_of_range);
}

// --- §7: reorg to a larger fork ---------------------------------------------------------

TEST(ProofFork, ReaderFollowsTruncationToForkOne) {
  // Writer: a,b,c,d, truncate(2) -> fork 1, append x. Reader: a,b,c at fork 0.
  Writer writer(std::vector<Bytes>{to_bytes("a"), to_bytes("b"), to_bytes("x")}, 1);
  EXPECT_EQ(to_hex(writer.head.tree_hash()), "a35f3ca53e74d1bae8d58facca4ce4b387c19197206f0faa19a24f4438161aea");
  EXPECT_EQ(to_hex(writer.head.signature),
            "5a02d32f6f08771f6b36bb97b86502010ce5841fa8ee1a1b789fc5dcf083f97d"
            "8c4821a492d056d604e8c0bf535033f2500cb83896963f9bca680b99cb275409");
  Writer reader(std::vector<Bytes>{to_bytes("a"), to_bytes("b"), to_bytes("c")}, 0);

  ProofRequest request = upgrade_request(0, 3);
  request.fork = 1;
  auto proof = writer.prove(request);
  ASSERT_TRUE(proof) << proof.error().to_string();
  EXPECT_EQ(proof->fork, 1u);
  auto verified = verify_proof(reader.tree, reader.head, reader.identity, *proof);
  ASSERT_TRUE(verified) << verified.error().to_string();
  EXPECT_EQ(verified->fork, 1u);
  EXPECT_EQ(*verified->upgrade, writer.head);
  // Root 4 differs from the reader's: that is where the reorg starts.
  EXPECT_NE(verified->upgrade->roots[1], reader.head.roots[1]);

  // A fork proof must start at 0, and an older fork is refused.
  ProofRequest same_fork = upgrade_request(0, 3);
  same_fork.fork = 1;
  auto stale = writer.prove(same_fork);
  ASSERT_TRUE(stale);
  TreeHead ahead = reader.head;
  ahead.fork = 2;
  EXPECT_EQ(verify_proof(reader.tree, ahead, reader.identity, *stale).error().code, errc::invalid_proof);
  // Same proof labelled with fork 0 for a fork-0 reader: a wrong start and a wrong signature.
  Proof relabelled = *stale;
  relabelled.fork = 0;
  EXPECT_FALSE(verify_proof(MemoryTree(), TreeHead{}, reader.identity, relabelled));
}

// --- Rejections ------------------------------------------------------------------------

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
  EXPECT_EQ(verify_proof(requester, local, other, *proof).error().code, errc::invalid_signature);
  // The upgrade starts at 3 but the requester has 4 blocks.
  EXPECT_EQ(verify_proof(w.tree.prefix(4), w.signed_head(4, 0), w.identity, *proof).error().code, errc::invalid_proof);
  // A requester at a newer fork refuses fork-0 data.
  TreeHead newer = local;
  newer.fork = 1;
  EXPECT_EQ(verify_proof(requester, newer, w.identity, *proof).error().code, errc::invalid_proof);
  // A block proof ending at a node the requester does not hold.
  auto block = w.prove(block_request(5, 1));
  ASSERT_TRUE(block);
  EXPECT_EQ(verify_proof(roots_only(w.tree, 11), w.tree.head(11), w.identity, *block).error().code,
            errc::invalid_proof);
  // Non-compat core without a manifest and none in the proof: nothing to check against.
  Identity manifest_key = Identity::from_key(Manifest::default_signer(w.key_pair.public_key).hash());
  auto full = w.prove(upgrade_request(0, 11));
  EXPECT_EQ(verify_proof(MemoryTree(), TreeHead{}, manifest_key, *full).error().code, errc::invalid_signature);
}

TEST(ProofReject, HostileInputNeverCrashes) {
  Writer w(spec_blocks());
  Identity id = w.identity;
  MemoryTree requester = w.tree.prefix(3);
  TreeHead local = w.signed_head(3, 0);

  Proof huge;
  huge.upgrade = Proof::Upgrade{3, 8, std::vector<Node>(100000, Node{6, 6, {}}), {}, w.head.signature};
  EXPECT_EQ(verify_proof(requester, local, id, huge).error().code, errc::invalid_proof);

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
  EXPECT_EQ(verify_proof(requester, local, id, overflow).error().code, errc::invalid_proof);

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
    if (verify_proof(requester, local, id, p)) accepted++;
  }
  // Only trivially valid ones (e.g. a bare fork-0 proof) can pass.
  SUCCEED() << accepted << " random proofs accepted";

  // Hostile requests on the responder side.
  ProofRequest r = block_request(~uint64_t{0}, ~uint64_t{0});
  EXPECT_FALSE(w.prove(r));
  r = block_request(3, ~uint64_t{0});
  EXPECT_EQ(w.prove(r).error().code, errc::invalid_argument);
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

TEST(ProofManifest, NonCompatCoreSendsItsManifestWhenAsked) {
  KeyPair kp = seed_key_pair(1);
  Manifest manifest = Manifest::default_signer(kp.public_key);
  Identity writer = Identity::from_manifest(manifest);
  ASSERT_FALSE(writer.compat());
  MemoryTree tree(spec_blocks());
  TreeHead head = tree.head(11);
  head.signature = *writer.sign(kp, head.tree_hash(), 11, 0);

  ProofRequest r = upgrade_request(0, 11);
  r.manifest = true;
  auto proof = make_proof(tree, head, r, writer);
  ASSERT_TRUE(proof) << proof.error().to_string();
  ASSERT_TRUE(proof->manifest);
  EXPECT_EQ(*proof->manifest, manifest);

  // A reader knowing only the key learns the manifest from the proof.
  Identity reader = Identity::from_key(writer.key());
  auto verified = verify_proof(MemoryTree(), TreeHead{}, reader, *proof);
  ASSERT_TRUE(verified) << verified.error().to_string();
  ASSERT_TRUE(verified->manifest);
  EXPECT_EQ(*verified->manifest, manifest);
  // A manifest for another key is refused.
  Proof forged = *proof;
  forged.manifest = Manifest::default_signer(seed_key_pair(2).public_key);
  EXPECT_EQ(verify_proof(MemoryTree(), TreeHead{}, reader, forged).error().code, errc::invalid_signature);

  // A compat writer does not attach its manifest.
  auto compat = make_proof(tree, head, r, Identity::compat(kp.public_key));
  ASSERT_TRUE(compat);
  EXPECT_FALSE(compat->manifest);
}

TEST(ProofManifest, PrologueUpgradesStartAtZeroAndMatchItsHash) {
  KeyPair kp = seed_key_pair(1);
  MemoryTree tree(spec_blocks());
  Manifest manifest = Manifest::default_signer(kp.public_key);
  manifest.prologue = Prologue{tree.head(3).tree_hash(), 3};
  Identity writer = Identity::from_manifest(manifest);
  TreeHead head = tree.head(11);
  head.signature = *writer.sign(kp, head.tree_hash(), 11, 0);

  // A request starting inside the prologue is answered from 0 up to the prologue length.
  auto proof = make_proof(tree, head, upgrade_request(0, 2), writer);
  ASSERT_TRUE(proof) << proof.error().to_string();
  EXPECT_EQ(proof->upgrade->start, 0u);
  EXPECT_EQ(proof->upgrade->length, 3u);
  EXPECT_EQ(indexes(proof->upgrade->nodes), (Indexes{1, 4}));
  EXPECT_EQ(indexes(proof->upgrade->additional_nodes), (Indexes{6, 11, 17, 20}));
  auto verified = verify_proof(MemoryTree(), TreeHead{}, writer, *proof);
  ASSERT_TRUE(verified) << verified.error().to_string();
  EXPECT_EQ(*verified->upgrade, head);

  // A reader whose prologue names another tree hash refuses it.
  Manifest other = manifest;
  other.prologue->hash[0] ^= 1;
  EXPECT_EQ(verify_proof(MemoryTree(), TreeHead{}, Identity::from_manifest(other), *proof).error().code,
            errc::invalid_proof);

  // An upgrade starting inside the prologue must start at 0.
  auto partial = make_proof(tree, head, upgrade_request(1, 10));
  ASSERT_TRUE(partial);
  EXPECT_EQ(verify_proof(tree.prefix(1), tree.head(1), writer, *partial).error().code, errc::invalid_proof);

  // At exactly the prologue length no signature is needed.
  MemoryTree short_tree = tree.prefix(3);
  TreeHead short_head = tree.head(3);
  auto unsigned_proof = make_proof(short_tree, short_head, upgrade_request(0, 3), writer);
  ASSERT_TRUE(unsigned_proof) << unsigned_proof.error().to_string();
  EXPECT_TRUE(unsigned_proof->upgrade->signature.empty());
  verified = verify_proof(MemoryTree(), TreeHead{}, writer, *unsigned_proof);
  ASSERT_TRUE(verified) << verified.error().to_string();
  EXPECT_EQ(verified->upgrade->length, 3u);
}

}  // namespace
