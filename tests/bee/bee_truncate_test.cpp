// Regression: a bee whose core is truncated under it must forget what its cache holds of
// the dropped blocks. Their seqs are written again with other contents, and a cached node
// or entry of the old block at the same seq would otherwise answer reads and feed the
// writer's next tree.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "bee/bee.hpp"
#include "hypercore/core.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/storage.hpp"

namespace {

using bee::Bee;
using bee::Bytes;
using hypercore::Core;

Bytes b(std::string_view s) { return hypercore::to_bytes(s); }

std::shared_ptr<Core> new_core() {
  hypercore::Seed seed;
  seed.fill(0x05);
  auto c = Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::from_seed(seed));
  EXPECT_TRUE(c.has_value()) << c.error().to_string();
  return std::shared_ptr<Core>(std::move(*c));
}

std::unique_ptr<Bee> open(std::shared_ptr<Core> core) {
  auto d = Bee::open(std::move(core));
  EXPECT_TRUE(d.has_value()) << d.error().to_string();
  return std::move(*d);
}

void put(Bee& db, std::string_view key, std::string_view value) {
  auto r = db.put(hypercore::as_bytes(key), hypercore::as_bytes(value));
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
}

std::optional<std::string> get(Bee& db, std::string_view key) {
  auto e = db.get(hypercore::as_bytes(key));
  EXPECT_TRUE(e.has_value()) << e.error().to_string();
  if (!e || !*e || !(*e)->value) return std::nullopt;
  return std::string((*e)->value->begin(), (*e)->value->end());
}

std::vector<std::string> keys(Bee& db) {
  std::vector<std::string> out;
  auto it = db.snapshot().range({});
  while (true) {
    auto e = it.next();
    EXPECT_TRUE(e.has_value()) << e.error().to_string();
    if (!e || !*e) break;
    out.emplace_back((*e)->key.begin(), (*e)->key.end());
  }
  return out;
}

// Blocks 0..3: the header, then a, b, c; everything read once so the cache holds it.
void write_abc(Bee& db) {
  put(db, "a", "1");
  put(db, "b", "2");
  put(db, "c", "3");
  EXPECT_EQ(get(db, "a"), "1");
  EXPECT_EQ(get(db, "b"), "2");
  EXPECT_EQ(get(db, "c"), "3");
  EXPECT_EQ(keys(db), (std::vector<std::string>{"a", "b", "c"}));
}

void expect_new_history(Bee& db) {
  EXPECT_EQ(db.version(), 4u);
  EXPECT_EQ(get(db, "a"), "1");
  EXPECT_EQ(get(db, "b"), std::nullopt);
  EXPECT_EQ(get(db, "c"), std::nullopt);
  EXPECT_EQ(get(db, "x"), "9");
  EXPECT_EQ(get(db, "y"), "8");
  EXPECT_EQ(keys(db), (std::vector<std::string>{"a", "x", "y"}));
  auto e = db.snapshot().get_by_seq(2);
  ASSERT_TRUE(e.has_value()) << e.error().to_string();
  EXPECT_EQ(e->key, b("x"));
}

TEST(BeeTruncate, WritesAfterATruncationSeeTheNewBlocks) {
  auto core = new_core();
  auto db = open(core);
  write_abc(*db);
  ASSERT_TRUE(core->truncate(2).has_value());  // keeps the header and a
  put(*db, "x", "9");                           // seq 2 again
  put(*db, "y", "8");                           // seq 3 again
  expect_new_history(*db);
}

TEST(BeeTruncate, BlocksAppendedAfterATruncationAreRead) {
  // The other history, written by a second bee: a, then x and y.
  auto other_core = new_core();
  auto other = open(other_core);
  put(*other, "a", "1");
  put(*other, "x", "9");
  put(*other, "y", "8");

  auto core = new_core();
  auto db = open(core);
  write_abc(*db);
  ASSERT_TRUE(core->truncate(2).has_value());
  for (uint64_t seq = 2; seq < other_core->length(); ++seq) {
    auto block = other_core->get(seq);
    ASSERT_TRUE(block.has_value()) << block.error().to_string();
    ASSERT_TRUE(core->append(hypercore::ByteSpan(*block)).has_value());
  }
  expect_new_history(*db);
}

// The store's listener runs after listeners registered before the bee was opened; one of
// those may destroy the bee, and the store's listener must then do nothing (ASan catches
// the use after free otherwise).
TEST(BeeTruncate, ABeeDestroyedByAnEarlierListenerIsLeftAlone) {
  auto core = new_core();
  std::unique_ptr<Bee> db;
  auto watch = core->watch([&](const hypercore::CoreEvent& e) {
    if (e.kind == hypercore::CoreEvent::Kind::truncate) db.reset();
  });
  db = open(core);
  write_abc(*db);
  ASSERT_TRUE(core->truncate(2).has_value());
  EXPECT_EQ(db, nullptr);
}

}  // namespace
