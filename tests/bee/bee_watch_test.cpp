// Watching a bee: every write (and a batch flush, once) is reported with its versions; a
// range watch fires only for changes inside its range.
#include <gtest/gtest.h>

#include "bee/bee.hpp"

using namespace hypercore;

namespace {

std::unique_ptr<bee::Bee> memory_bee() {
  auto core = Core::create(make_memory_storage(), KeyPair::random());
  return std::move(*bee::Bee::open(std::shared_ptr<Core>(std::move(*core))));
}

TEST(BeeWatch, ReportsEveryVersionChange) {
  auto db = memory_bee();
  std::vector<std::pair<uint64_t, uint64_t>> seen;
  auto handle = db->watch([&](uint64_t v, uint64_t prev) { seen.emplace_back(v, prev); });
  ASSERT_TRUE(db->put(as_bytes("a"), as_bytes("1")));  // header, then the node: two appends
  ASSERT_TRUE(db->del(as_bytes("missing")));           // a no-op writes nothing
  {
    auto batch = db->batch();
    ASSERT_TRUE(batch.put(as_bytes("b"), as_bytes("2")));
    ASSERT_TRUE(batch.put(as_bytes("c"), as_bytes("3")));
    ASSERT_TRUE(batch.flush());
  }
  std::vector<std::pair<uint64_t, uint64_t>> want = {{1, 1}, {2, 1}, {4, 2}};
  EXPECT_EQ(seen, want);
  handle.reset();
  ASSERT_TRUE(db->put(as_bytes("d"), as_bytes("4")));
  EXPECT_EQ(seen.size(), 3u) << "a dropped handle stops the calls";
}

TEST(BeeWatch, RangeWatchFiresOnlyForItsRange) {
  auto db = memory_bee();
  ASSERT_TRUE(db->put(as_bytes("x0"), as_bytes("first")));
  bee::Range range;
  range.gte = to_bytes("m");
  range.lt = to_bytes("n");
  std::vector<std::pair<uint64_t, uint64_t>> fired;
  auto handle = db->watch(range, [&](const bee::Snapshot& current, const bee::Snapshot& previous) {
    fired.emplace_back(current.version(), previous.version());
  });
  ASSERT_TRUE(db->put(as_bytes("a"), as_bytes("outside")));
  ASSERT_TRUE(db->put(as_bytes("m1"), as_bytes("inside")));
  ASSERT_TRUE(db->put(as_bytes("z"), as_bytes("outside")));
  ASSERT_TRUE(db->del(as_bytes("m1")));
  std::vector<std::pair<uint64_t, uint64_t>> want = {{4, 3}, {6, 5}};
  EXPECT_EQ(fired, want);
}

TEST(BeeWatch, TruncationIsReported) {
  auto core = std::shared_ptr<Core>(std::move(*Core::create(make_memory_storage(), KeyPair::random())));
  auto db = std::move(*bee::Bee::open(core));
  ASSERT_TRUE(db->put(as_bytes("a"), as_bytes("1")));
  ASSERT_TRUE(db->put(as_bytes("b"), as_bytes("2")));
  bee::Range everything;
  int calls = 0;
  auto handle = db->watch(everything, [&](const bee::Snapshot& current, const bee::Snapshot& previous) {
    calls++;
    EXPECT_EQ(current.version(), 2u);
    EXPECT_EQ(previous.version(), 3u);
  });
  ASSERT_TRUE(core->truncate(2));
  EXPECT_EQ(calls, 1);
}

}  // namespace
