// Model-based property test: random append / truncate / get / reopen / power-loss sequences
// against a trivial in-memory model (a vector of blocks and a fork counter).
#include <gtest/gtest.h>

#include <random>

#include "hypercore/core.hpp"
#include "hypercore/fault_storage.hpp"
#include "tests/support/expect_errc.hpp"

using namespace hypercore;

namespace {

struct Model {
  std::vector<Bytes> blocks;
  uint64_t fork = 0;

  Hash tree_hash() const {
    RootStack roots;
    for (size_t i = 0; i < blocks.size(); i++) roots.push(leaf_node(i, blocks[i]), nullptr);
    return hypercore::tree_hash(roots.roots());
  }
};

Bytes random_block(std::mt19937_64& rng) {
  size_t size = rng() % 4 == 0 ? rng() % 3000 : rng() % 64;
  Bytes b(size);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

void expect_same(const Core& core, const Model& model, std::mt19937_64& rng, const std::string& when) {
  ASSERT_EQ(core.length(), model.blocks.size()) << when;
  ASSERT_EQ(core.fork(), model.fork) << when;
  ASSERT_EQ(core.tree_hash(), model.tree_hash()) << when;
  if (!model.blocks.empty()) {
    for (int k = 0; k < 8; k++) {
      uint64_t i = rng() % model.blocks.size();
      auto got = core.get(i);
      ASSERT_TRUE(got) << when << ": " << got.error().to_string();
      ASSERT_EQ(*got, model.blocks[i]) << when << ": block " << i;
    }
  }
}

class CoreModel : public ::testing::TestWithParam<uint64_t> {};

TEST_P(CoreModel, RandomOperationsMatchTheModel) {
  std::mt19937_64 rng(GetParam());
  auto storage = std::make_shared<FaultStorage>();
  Seed seed;
  seed.fill(static_cast<uint8_t>(GetParam()));
  CoreOptions options;
  options.durability = Durability::sync;
  options.checkpoint_bytes = 4096 + rng() % 20000;  // small, so checkpoints happen mid-run
  auto core = std::move(*Core::create(storage, KeyPair::from_seed(seed), options));
  Model model;

  for (int step = 0; step < 300; step++) {
    std::string when = "seed " + std::to_string(GetParam()) + " step " + std::to_string(step);
    int op = static_cast<int>(rng() % 100);
    if (op < 55) {
      std::vector<Bytes> batch(1 + rng() % (rng() % 5 == 0 ? 40 : 3));
      for (auto& b : batch) b = random_block(rng);
      std::vector<ByteSpan> spans(batch.begin(), batch.end());
      ASSERT_TRUE(core->append(spans)) << when;
      model.blocks.insert(model.blocks.end(), batch.begin(), batch.end());
    } else if (op < 63) {
      uint64_t to = model.blocks.empty() ? 0 : rng() % (model.blocks.size() + 1);
      ASSERT_TRUE(core->truncate(to)) << when;
      model.blocks.resize(to);
      model.fork++;
    } else if (op < 78) {
      if (!model.blocks.empty()) {
        uint64_t i = rng() % model.blocks.size();
        ASSERT_EQ(core->get(i).value(), model.blocks[i]) << when;
      }
      ASSERT_ERRC(core->get(model.blocks.size()), errc::out_of_range) << when;
    } else if (op < 86) {
      if (rng() % 2) {
        ASSERT_TRUE(core->close()) << when;
      }
      core.reset();
      auto reopened = Core::open(storage, options);
      ASSERT_TRUE(reopened) << when << ": " << reopened.error().to_string();
      core = std::move(*reopened);
    } else if (op < 94) {
      // Power loss: every append returned under Durability::sync, so all of it survives,
      // whatever part of the unsynced bytes (index, tree, bitfield) reached the disk.
      core.reset();
      storage->crash(rng() % 2 ? rng() : 0);
      auto reopened = Core::open(storage, options);
      ASSERT_TRUE(reopened) << when << ": " << reopened.error().to_string();
      core = std::move(*reopened);
    } else {
      auto v = core->verify();
      ASSERT_TRUE(v) << when << ": " << v.error().to_string();
    }
    expect_same(*core, model, rng, when);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, CoreModel, ::testing::Range<uint64_t>(1, 21));

// Every I/O operation of a short workload fails in turn: the call reports an error, the core
// then refuses writes, and reopening after a power cut recovers a state that the model had
// at some point (never a corrupt or invented one).
TEST(CoreFaults, EveryFailingOperationLeavesARecoverableStore) {
  for (uint64_t fail_at = 1; fail_at < 400; fail_at++) {
    auto storage = std::make_shared<FaultStorage>();
    CoreOptions options;
    options.durability = Durability::sync;
    options.checkpoint_bytes = 300;
    Seed seed{};
    auto created = Core::create(storage, KeyPair::from_seed(seed), options);
    ASSERT_TRUE(created);
    auto core = std::move(*created);
    storage->set_plan({.fail_at = fail_at, .torn_fraction = 0.5, .sticky = true});
    Model model;
    Hash acknowledged = model.tree_hash();
    std::optional<Hash> in_flight;  // the state of the call that failed, had it completed
    for (int i = 0; i < 30; i++) {
      Model next = model;
      bool ok;
      if (i == 12) {
        next.blocks.resize(5);
        ok = static_cast<bool>(core->truncate(5));
      } else {
        next.blocks.push_back(Bytes(1 + i * 7, static_cast<uint8_t>(i)));
        ok = static_cast<bool>(core->append(next.blocks.back()));
      }
      if (!ok) {
        in_flight = next.tree_hash();
        EXPECT_FALSE(core->append(as_bytes("refused")));  // a failed core takes no writes
        break;
      }
      model = next;
      acknowledged = model.tree_hash();
    }
    core.reset();
    storage->crash(fail_at);
    auto reopened = Core::open(storage, options);
    ASSERT_TRUE(reopened) << "fail_at " << fail_at << ": " << reopened.error().to_string();
    auto verified = (*reopened)->verify();
    ASSERT_TRUE(verified) << "fail_at " << fail_at << ": " << verified.error().to_string();
    Hash got = (*reopened)->tree_hash();
    ASSERT_TRUE(got == acknowledged || (in_flight && got == *in_flight))
        << "fail_at " << fail_at << ": recovered an unknown state of length " << (*reopened)->length();
    if (!in_flight) break;  // the workload finished before the fault: every point was covered
  }
}

}  // namespace
