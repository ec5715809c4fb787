// Merkle proofs against the worked examples of ../shared/spec/hypercore.md §6 (checked
// against the reference): the §6.2 block/hash table, the §6.3 upgrade table, the §6.4
// seek examples and local seeks, the §7 fork example, and manifests/prologues in proofs.
// Rejections are in proof_reject_test.cpp, the reference itself in proof_interop_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "tests/hypercore/proof_fixture.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using namespace proof_fixture;

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
  EXPECT_ERRC(w.prove(block_request(11, 0)), errc::invalid_argument);
  EXPECT_ERRC(w.prove(block_request(5, 4)), errc::invalid_argument);  // crosses the head
  ProofRequest wrong_fork = block_request(1, 0);
  wrong_fork.fork = 1;
  EXPECT_ERRC(w.prove(wrong_fork), errc::invalid_argument);
  EXPECT_ERRC(w.prove(upgrade_request(3, 9)), errc::invalid_argument);
  EXPECT_ERRC(w.prove(upgrade_request(3, 0)), errc::invalid_argument);
  // A sparse responder lacking a node it must send.
  MemoryTree sparse = w.tree;
  sparse.erase(13);
  EXPECT_ERRC(make_proof(sparse, w.head, block_request(5, 3)), errc::block_not_available);
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
  EXPECT_ERRC(w.prove(both), errc::invalid_argument);
  // A seek outside the proven subtree is refused.
  ProofRequest outside = block_request(0, 1);
  outside.seek = ProofRequest::Seek{40, 0};
  EXPECT_ERRC(w.prove(outside), errc::invalid_argument);
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
  EXPECT_ERRC(seek_bytes(tree, head, 7), errc::out_of_range);
  // Padding 1 per block: logical sizes 1, 2, 0.
  EXPECT_EQ(*seek_bytes(tree, head, 1, 1), (Pos{1, 0}));
  EXPECT_EQ(*seek_bytes(tree, head, 2, 1), (Pos{1, 1}));
  // A replica without the inner nodes cannot seek locally.
  MemoryTree sparse = roots_only(tree, 3);
  EXPECT_ERRC(seek_bytes(sparse, head, 1), errc::block_not_available);
  EXPECT_EQ(*seek_bytes(sparse, head, 5), (Pos{2, 0}));

  // An empty block at a boundary: the reference lands on it (checked with hypercore
  // 10.38.2: seek(2) of a, b, "", c is [2, 0]).
  MemoryTree with_empty(std::vector<Bytes>{to_bytes("a"), to_bytes("b"), Bytes{}, to_bytes("c")});
  EXPECT_EQ(*seek_bytes(with_empty, with_empty.head(), 1), (Pos{1, 0}));
  EXPECT_EQ(*seek_bytes(with_empty, with_empty.head(), 2), (Pos{2, 0}));
  EXPECT_EQ(*seek_bytes(with_empty, with_empty.head(), 3), (Pos{4, 0}));

  EXPECT_EQ(*byte_offset(tree, head, 0), 0u);
  EXPECT_EQ(*byte_offset(tree, head, 2), 2u);
  EXPECT_EQ(*byte_offset(tree, head, 4), 5u);
  EXPECT_EQ(*byte_offset(tree, head, 6), 6u);
  EXPECT_EQ(*byte_offset(tree, head, 1), 0u);
  EXPECT_ERRC(byte_offset(tree, head, 8), errc::out_of_range);
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
  EXPECT_ERRC(verify_proof(reader.tree, ahead, reader.identity, *stale), errc::invalid_proof);
  // Same proof labelled with fork 0 for a fork-0 reader: a wrong start and a wrong signature.
  Proof relabelled = *stale;
  relabelled.fork = 0;
  EXPECT_FALSE(verify_proof(MemoryTree(), TreeHead{}, reader.identity, relabelled));
}


// --- Manifests ------------------------------------------------------------------------

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
  EXPECT_ERRC(verify_proof(MemoryTree(), TreeHead{}, reader, forged), errc::invalid_signature);

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
  EXPECT_ERRC(verify_proof(MemoryTree(), TreeHead{}, Identity::from_manifest(other), *proof), errc::invalid_proof);

  // An upgrade starting inside the prologue must start at 0.
  auto partial = make_proof(tree, head, upgrade_request(1, 10));
  ASSERT_TRUE(partial);
  EXPECT_ERRC(verify_proof(tree.prefix(1), tree.head(1), writer, *partial), errc::invalid_proof);

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
