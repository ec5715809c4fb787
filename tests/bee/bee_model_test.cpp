// Model-based property test: random puts, deletes, batches (flushed and discarded), cas,
// checkouts of older versions and reopening the store, against std::map models of every
// version. Keys are drawn from a small space so that splits, merges and borrows all happen.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "bee/bee.hpp"
#include "hypercore/fault_storage.hpp"

using namespace hypercore;

namespace {

using Model = std::map<Bytes, std::optional<Bytes>>;  // key -> value (absent = value-less put)

Bytes random_key(std::mt19937_64& rng) {
  // Short keys with shared prefixes, including 00 and ff bytes.
  Bytes k(1 + rng() % 4);
  for (auto& b : k) {
    uint64_t r = rng() % 10;
    b = r == 0 ? 0x00 : r == 1 ? 0xff : static_cast<uint8_t>('a' + rng() % 6);
  }
  return k;
}

std::optional<Bytes> random_value(std::mt19937_64& rng) {
  if (rng() % 10 == 0) return std::nullopt;
  Bytes v(rng() % 20);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

std::unique_ptr<bee::Bee> open_bee(std::shared_ptr<Storage> storage) {
  auto core = Core::open(storage);
  if (!core) return nullptr;
  auto bee = bee::Bee::open(std::shared_ptr<Core>(std::move(*core)));
  return bee ? std::move(*bee) : nullptr;
}

// Every key of the model, and a few absent ones, read back; then a full range both ways and
// a bounded range against the model.
void expect_matches(const bee::Snapshot& snap, const Model& model, std::mt19937_64& rng, const std::string& when) {
  for (const auto& [key, value] : model) {
    auto e = snap.get(key);
    ASSERT_TRUE(e) << when << ": " << e.error().to_string();
    ASSERT_TRUE(e->has_value()) << when << ": key missing";
    ASSERT_EQ((*e)->value, value) << when;
  }
  for (int i = 0; i < 5; i++) {
    Bytes k = random_key(rng);
    auto e = snap.get(k);
    ASSERT_TRUE(e);
    ASSERT_EQ(e->has_value(), model.contains(k)) << when;
  }
  for (bool reverse : {false, true}) {
    bee::Range r;
    r.reverse = reverse;
    auto it = snap.range(r);
    std::vector<Bytes> keys;
    while (true) {
      auto e = it.next();
      ASSERT_TRUE(e) << when << ": " << e.error().to_string();
      if (!*e) break;
      keys.push_back((*e)->key);
    }
    std::vector<Bytes> want;
    for (const auto& [k, v] : model) want.push_back(k);
    if (reverse) std::reverse(want.begin(), want.end());
    ASSERT_EQ(keys, want) << when << (reverse ? " (reverse)" : "");
  }
  Bytes lo = random_key(rng), hi = random_key(rng);
  if (hi < lo) std::swap(lo, hi);
  bee::Range r;
  r.gte = lo;
  r.lt = hi;
  r.limit = static_cast<int64_t>(rng() % 6);
  auto it = snap.range(r);
  std::vector<Bytes> keys;
  while (true) {
    auto e = it.next();
    ASSERT_TRUE(e);
    if (!*e) break;
    keys.push_back((*e)->key);
  }
  std::vector<Bytes> want;
  for (auto i = model.lower_bound(lo); i != model.end() && i->first < hi && want.size() < static_cast<size_t>(r.limit); ++i) {
    want.push_back(i->first);
  }
  ASSERT_EQ(keys, want) << when << " (bounded)";
}

class BeeModel : public ::testing::TestWithParam<uint64_t> {};

TEST_P(BeeModel, RandomOperationsMatchStdMap) {
  std::mt19937_64 rng(GetParam());
  auto storage = std::make_shared<FaultStorage>();
  {
    Seed seed{};
    seed[0] = static_cast<uint8_t>(GetParam());
    ASSERT_TRUE(Core::create(storage, KeyPair::from_seed(seed)));
  }
  auto db = open_bee(storage);
  ASSERT_TRUE(db);
  Model model;
  std::map<uint64_t, Model> versions;  // version -> model at that version (after each commit)

  for (int step = 0; step < 400; step++) {
    std::string when = "seed " + std::to_string(GetParam()) + " step " + std::to_string(step);
    int op = static_cast<int>(rng() % 100);
    if (op < 45) {
      Bytes k = random_key(rng);
      auto v = random_value(rng);
      std::optional<ByteSpan> vs;
      if (v) vs = ByteSpan(*v);
      auto wrote = db->put(k, vs);
      ASSERT_TRUE(wrote) << when << ": " << wrote.error().to_string();
      ASSERT_TRUE(*wrote);
      model[k] = v;
    } else if (op < 65) {
      Bytes k = random_key(rng);
      auto wrote = db->del(k);
      ASSERT_TRUE(wrote) << when;
      ASSERT_EQ(*wrote, model.erase(k) == 1) << when;
    } else if (op < 75) {
      // cas: write only if the stored value is what the model says was stored before.
      Bytes k = random_key(rng);
      bool expected_present = model.contains(k);
      bool agree = rng() % 2;
      auto v = random_value(rng);
      std::optional<ByteSpan> vs;
      if (v) vs = ByteSpan(*v);
      bool called = false;
      auto wrote = db->put(k, vs, [&](const bee::Entry& prev, const bee::Entry&) {
        called = true;
        EXPECT_EQ(prev.value, model[k]);
        return agree;
      });
      ASSERT_TRUE(wrote) << when;
      ASSERT_EQ(called, expected_present) << when;
      bool writes = !expected_present || agree;
      ASSERT_EQ(*wrote, writes) << when;
      if (writes) model[k] = v;
    } else if (op < 87) {
      bool flush = rng() % 4 != 0;
      Model next = model;
      {
        auto batch = db->batch();
        int n = 1 + static_cast<int>(rng() % 30);
        for (int i = 0; i < n; i++) {
          Bytes k = random_key(rng);
          if (rng() % 3 == 0) {
            ASSERT_TRUE(batch.del(k));
            next.erase(k);
          } else {
            auto v = random_value(rng);
            std::optional<ByteSpan> vs;
            if (v) vs = ByteSpan(*v);
            ASSERT_TRUE(batch.put(k, vs));
            next[k] = v;
          }
          auto seen = batch.get(k);  // the batch sees its own pending writes
          ASSERT_TRUE(seen);
          ASSERT_EQ(seen->has_value(), next.contains(k)) << when;
        }
        if (flush) {
          ASSERT_TRUE(batch.flush()) << when;
          model = next;
        } else {
          batch.discard();
        }
      }
    } else if (op < 95) {
      // An older version still reads as it was.
      if (!versions.empty()) {
        auto it = versions.begin();
        std::advance(it, static_cast<long>(rng() % versions.size()));
        auto snap = db->checkout(it->first);
        ASSERT_TRUE(snap) << when;
        expect_matches(*snap, it->second, rng, when + " at version " + std::to_string(it->first));
      }
    } else {
      db.reset();
      db = open_bee(storage);
      ASSERT_TRUE(db) << when << ": reopen failed";
    }
    versions[db->version()] = model;
    expect_matches(db->snapshot(), model, rng, when);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, BeeModel, ::testing::Range<uint64_t>(1, 9));

}  // namespace
