// A replica opened from the key alone is filled from proofs a writer produces: upgrades
// first, then single blocks in any order (a sparse replica is a normal state), each
// verified before it is stored. Everything survives a reopen.
#include <gtest/gtest.h>

#include <random>

#include "hypercore/core.hpp"
#include "hypercore/fault_storage.hpp"
#include "tests/support/expect_errc.hpp"

using namespace hypercore;

namespace {

Bytes content(uint64_t i) { return Bytes(5 + i % 40, static_cast<uint8_t>(i)); }

std::unique_ptr<Core> writer_with(uint64_t n) {
  Seed seed;
  seed.fill(0x11);
  auto w = std::move(*Core::create(make_memory_storage(), KeyPair::from_seed(seed)));
  for (uint64_t i = 0; i < n; i++) EXPECT_TRUE(w->append(content(i)));
  return w;
}

// Moves what `request` asks for from the writer to the replica, through a verified proof.
Result<void> transfer(Core& writer, Core& replica, const ProofRequest& request) {
  HC_TRY(proof, writer.proof(request));
  HC_TRY(verified, replica.verify_proof(proof));
  return replica.apply(verified);
}

ProofRequest upgrade_request(const Core& replica, uint64_t to) {
  ProofRequest r;
  r.fork = replica.fork();
  r.upgrade = ProofRequest::Upgrade{replica.length(), to - replica.length()};
  return r;
}

ProofRequest block_request(const Core& replica, uint64_t index) {
  ProofRequest r;
  r.fork = replica.fork();
  r.block = ProofRequest::Block{index, missing_nodes(replica.nodes(), replica.length(), 2 * index).value()};
  return r;
}

TEST(CoreReplica, UpgradeThenSparseBlocksThenFull) {
  auto writer = writer_with(50);
  auto storage = std::make_shared<FaultStorage>();
  auto replica = std::move(*Core::open_replica(storage, writer->key()));

  ASSERT_TRUE(transfer(*writer, *replica, upgrade_request(*replica, 50)));
  EXPECT_EQ(replica->length(), 50u);
  EXPECT_EQ(replica->tree_hash(), writer->tree_hash());
  EXPECT_EQ(replica->signature(), writer->signature());
  EXPECT_EQ(replica->byte_length(), writer->byte_length());
  EXPECT_FALSE(replica->has(7));
  EXPECT_ERRC(replica->get(7), errc::block_not_available);

  for (uint64_t i : {7u, 49u, 0u, 31u}) {
    auto moved = transfer(*writer, *replica, block_request(*replica, i));
    ASSERT_TRUE(moved) << "block " << i << ": " << moved.error().to_string();
    EXPECT_EQ(replica->get(i).value(), content(i));
  }
  EXPECT_TRUE(replica->has(31));
  EXPECT_FALSE(replica->has(30));
  EXPECT_EQ(replica->contiguous_length(), 1u);
  auto sparse_ok = replica->verify();
  EXPECT_TRUE(sparse_ok) << sparse_ok.error().to_string();

  // Reopen: the sparse state is stored.
  replica.reset();
  replica = std::move(*Core::open_replica(storage, writer->key()));
  EXPECT_EQ(replica->length(), 50u);
  EXPECT_EQ(replica->get(49).value(), content(49));
  EXPECT_FALSE(replica->has(30));

  std::vector<uint64_t> order(50);
  for (uint64_t i = 0; i < 50; i++) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(3));
  for (uint64_t i : order) {
    if (replica->has(i)) continue;
    auto moved = transfer(*writer, *replica, block_request(*replica, i));
    ASSERT_TRUE(moved) << "block " << i << ": " << moved.error().to_string();
  }
  EXPECT_EQ(replica->contiguous_length(), 50u);
  auto full_ok = replica->verify();
  EXPECT_TRUE(full_ok) << full_ok.error().to_string();
  for (uint64_t i = 0; i < 50; i++) EXPECT_EQ(replica->get(i).value(), content(i));

  // Power loss after everything was applied under the default durability keeps a consistent
  // prefix of what was applied (the replica refetches the rest).
  replica.reset();
  storage->crash(9);
  auto reopened = Core::open_replica(storage, writer->key());
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  for (uint64_t i = 0; i < (*reopened)->length(); i++) {
    if ((*reopened)->has(i)) {
      EXPECT_EQ((*reopened)->get(i).value(), content(i));
    }
  }
}

TEST(CoreReplica, FollowsTheWriterAsItGrows) {
  auto writer = writer_with(20);
  auto replica = std::move(*Core::open_replica(make_memory_storage(), writer->key()));
  ASSERT_TRUE(transfer(*writer, *replica, upgrade_request(*replica, 20)));
  for (uint64_t i = 20; i < 75; i++) ASSERT_TRUE(writer->append(content(i)));
  // Block 60 together with the upgrade 20 -> 75.
  ProofRequest r = upgrade_request(*replica, 75);
  r.block = ProofRequest::Block{60, 0};
  auto moved = transfer(*writer, *replica, r);
  ASSERT_TRUE(moved) << moved.error().to_string();
  EXPECT_EQ(replica->length(), 75u);
  EXPECT_EQ(replica->tree_hash(), writer->tree_hash());
  EXPECT_EQ(replica->get(60).value(), content(60));
}

TEST(CoreReplica, TamperedProofsAreRejectedAndNothingIsStored) {
  auto writer = writer_with(30);
  auto replica = std::move(*Core::open_replica(make_memory_storage(), writer->key()));
  ASSERT_TRUE(transfer(*writer, *replica, upgrade_request(*replica, 30)));

  auto proof = *writer->proof(block_request(*replica, 12));
  proof.block->value[0] ^= 1;
  EXPECT_ERRC(replica->verify_proof(proof), errc::invalid_proof);

  proof = *writer->proof(block_request(*replica, 12));
  ASSERT_FALSE(proof.block->nodes.empty());
  proof.block->nodes.back().hash[3] ^= 0x80;
  EXPECT_ERRC(replica->verify_proof(proof), errc::invalid_proof);
  EXPECT_FALSE(replica->has(12));

  // An upgrade signed by someone else.
  Seed other;
  other.fill(0x22);
  auto forger = std::move(*Core::create(make_memory_storage(), KeyPair::from_seed(other)));
  for (uint64_t i = 0; i < 31; i++) ASSERT_TRUE(forger->append(content(i)));
  auto forged = *forger->proof(upgrade_request(*replica, 31));
  auto checked = replica->verify_proof(forged);
  ASSERT_FALSE(checked);
  EXPECT_TRUE(checked.error().code == errc::invalid_signature || checked.error().code == errc::invalid_proof);
  EXPECT_EQ(replica->length(), 30u);
}

}  // namespace
