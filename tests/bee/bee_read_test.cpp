// The read path on hand-made blocks: the spec's worked example §9.1 with its known
// answers, and hostile trees (pointers past the version, missing levels, cycles, bad
// shapes) that must fail with errc::corrupt, never crash or loop.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "bee/bee.hpp"
#include "bee/messages.hpp"
#include "hypercore/core.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/storage.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using bee::Bytes;
using hypercore::errc;

Bytes b(const std::string& s) { return hypercore::to_bytes(s); }

using Opt = std::optional<int64_t>;
bee::HistoryRange hist(Opt gt, Opt gte, Opt lt, Opt lte, bool reverse = false, int64_t limit = -1) {
  bee::HistoryRange h;
  h.gt = gt;
  h.gte = gte;
  h.lt = lt;
  h.lte = lte;
  h.reverse = reverse;
  h.limit = limit;
  return h;
}
bee::Range reversed(bool reverse) {
  bee::Range r;
  r.reverse = reverse;
  return r;
}

std::unique_ptr<bee::Bee> open_blocks(const std::vector<Bytes>& blocks) {
  hypercore::Seed seed{};
  seed.fill(1);
  auto core = hypercore::Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::from_seed(seed));
  EXPECT_TRUE(core.has_value());
  std::vector<hypercore::ByteSpan> spans(blocks.begin(), blocks.end());
  if (!spans.empty()) {
    EXPECT_TRUE((*core)->append(spans).has_value());
  }
  auto db = bee::Bee::open(std::shared_ptr<hypercore::Core>(std::move(*core)));
  EXPECT_TRUE(db.has_value()) << db.error().to_string();
  return std::move(*db);
}

std::vector<Bytes> from_hex(const std::vector<std::string>& hex) {
  std::vector<Bytes> out;
  for (const auto& h : hex) out.push_back(hypercore::from_hex(h).value());
  return out;
}

template <class It>
auto drain(It it) {
  std::vector<typename decltype(it.next())::value_type::value_type> out;
  for (int guard = 0; guard < 100000; ++guard) {
    auto x = it.next();
    if (!x) return std::make_pair(out, std::optional<hypercore::Error>(x.error()));
    if (!*x) break;
    out.push_back(**x);
  }
  return std::make_pair(out, std::optional<hypercore::Error>());
}

std::string keys_of(const std::vector<bee::Entry>& entries) {
  std::string out;
  for (const auto& e : entries) out += std::string(e.key.begin(), e.key.end()) + "@" + std::to_string(e.seq) + " ";
  return out;
}

// Spec §9.1: put a..e, del c, put c2.
const std::vector<std::string> kSpec91 = {
    "0a086879706572626565",           "0a050a030a01011201611a0131",         "0a060a040a0201021201621a0132",
    "0a070a050a030102031201631a0133", "0a080a060a04010203041201641a0134",   "0a090a070a0501020304051201651a0135",
    "0a080a060a0401020405120163",     "0a090a070a050102070405120263321a0136"};

TEST(BeeRead, SpecExampleGetAndRange) {
  auto db = open_blocks(from_hex(kSpec91));
  auto snap = db->snapshot();
  EXPECT_EQ(snap.version(), 8u);
  auto c2 = snap.get(b("c2"));
  ASSERT_TRUE(c2 && *c2);
  EXPECT_EQ(**c2, (bee::Entry{7, b("c2"), b("6")}));
  EXPECT_FALSE(snap.get(b("c")).value().has_value());
  EXPECT_EQ(keys_of(drain(snap.range({})).first), "a@1 b@2 c2@7 d@4 e@5 ");
  bee::Range r;
  r.gt = b("b");
  r.gte = b("a");  // gt wins
  r.lte = b("d");
  r.reverse = true;
  EXPECT_EQ(keys_of(drain(snap.range(r)).first), "d@4 c2@7 ");
  r.lt = b("d");  // lt wins over lte
  EXPECT_EQ(keys_of(drain(snap.range(r)).first), "c2@7 ");
  r.limit = 0;
  EXPECT_TRUE(drain(snap.range(r)).first.empty());
  r.limit = -2;
  EXPECT_TRUE(drain(snap.range(r)).first.empty());
  bee::Range above_a;
  above_a.gt = b("a");
  auto first = snap.peek(above_a);
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->seq, 2u);

  auto v4 = db->checkout(4).value();
  EXPECT_EQ(v4.get(b("c")).value()->seq, 3u);
  EXPECT_EQ(keys_of(drain(v4.range({})).first), "a@1 b@2 c@3 ");
  EXPECT_TRUE(drain(db->checkout(0).value().range({})).first.empty());
  EXPECT_FALSE(db->checkout(9).has_value());
}

TEST(BeeRead, SpecExampleHistoryDiffAndSeq) {
  auto db = open_blocks(from_hex(kSpec91));
  auto snap = db->snapshot();
  auto all = drain(snap.history({})).first;
  ASSERT_EQ(all.size(), 7u);
  EXPECT_EQ(all[5].type, bee::HistoryEntry::Type::del);
  EXPECT_EQ(all[5].entry, (bee::Entry{6, b("c"), std::nullopt}));
  auto last = drain(snap.history(hist({}, -1, {}, {}))).first;
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].entry.seq, 7u);
  auto rev = drain(snap.history(hist(2, {}, {}, -3, true))).first;  // seqs 5, 4, 3
  ASSERT_EQ(rev.size(), 3u);
  EXPECT_EQ(rev[0].entry.seq, 5u);
  EXPECT_EQ(rev[2].entry.seq, 3u);
  EXPECT_TRUE(drain(snap.history(hist({}, {}, 0, {}))).first.empty());
  EXPECT_TRUE(drain(snap.history(hist({}, {}, {}, {}, false, 0))).first.empty());
  EXPECT_EQ(drain(snap.history(hist({}, {}, {}, {}, false, -5))).first.size(), 7u);
  // A bound past the version is an error once reached, not a wait.
  auto past = drain(snap.history(hist({}, {}, 10, {})));
  EXPECT_EQ(past.first.size(), 7u);
  ASSERT_TRUE(past.second);
  EXPECT_EQ(past.second->code, errc::out_of_range);

  // Version 8 against version 7: only c2 is new.
  auto diff = drain(snap.diff(7, {})).first;
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_EQ(diff[0].left, (bee::Entry{7, b("c2"), b("6")}));
  EXPECT_FALSE(diff[0].right);
  auto diff5 = drain(snap.diff(5, {})).first;
  ASSERT_EQ(diff5.size(), 3u);  // in key order: c removed, c2 added, e added
  EXPECT_EQ(diff5[0].right, (bee::Entry{3, b("c"), b("3")}));
  EXPECT_FALSE(diff5[0].left);
  EXPECT_EQ(diff5[1].left, (bee::Entry{7, b("c2"), b("6")}));
  EXPECT_EQ(diff5[2].left, (bee::Entry{5, b("e"), b("5")}));
  EXPECT_TRUE(drain(snap.diff(8, {})).first.empty());
  auto beyond = drain(snap.diff(100, {}));
  ASSERT_TRUE(beyond.second);
  EXPECT_EQ(beyond.second->code, errc::out_of_range);

  EXPECT_EQ(snap.get_by_seq(6).value(), (bee::Entry{6, b("c"), std::nullopt}));
  EXPECT_ERRC(snap.get_by_seq(8), errc::out_of_range);
  EXPECT_ERRC(snap.get_by_seq(0), errc::corrupt);
  EXPECT_ERRC(db->checkout(3).value().get_by_seq(3), errc::out_of_range);
}

TEST(BeeRead, EmptyCore) {
  auto db = open_blocks({});
  auto snap = db->snapshot();
  EXPECT_EQ(snap.version(), 1u);
  EXPECT_FALSE(snap.get(b("a")).value().has_value());
  EXPECT_TRUE(drain(snap.range({})).first.empty());
  EXPECT_TRUE(drain(snap.history({})).first.empty());
  EXPECT_TRUE(drain(snap.diff(1, {})).first.empty());
}

// A header, a leaf holding "m" (block 1) and a block 2 written by hand.
std::unique_ptr<bee::Bee> hostile(std::vector<bee::Level> levels, const std::string& key = "x") {
  std::vector<Bytes> blocks = {hypercore::from_hex("0a086879706572626565").value(),
                               bee::encode_node({b("m"), b("1"), {bee::Level{{1}, {}}}}),
                               bee::encode_node({b(key), b("2"), std::move(levels)})};
  return open_blocks(blocks);
}

void expect_corrupt(const bee::Bee& db, const char* what) {
  SCOPED_TRACE(what);
  auto snap = db.snapshot();
  auto get = snap.get(b("a"));
  ASSERT_ERRC(get, errc::corrupt);
  for (bool reverse : {false, true}) {
    auto it = snap.range(reversed(reverse));
    auto [items, error] = drain(std::move(it));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, errc::corrupt) << error->to_string();
  }
  auto diff = drain(snap.diff(2, {}));
  ASSERT_TRUE(diff.second);
  EXPECT_EQ(diff.second->code, errc::corrupt) << diff.second->to_string();
}

TEST(BeeRead, HostileChildPastVersion) {
  expect_corrupt(*hostile({bee::Level{{1}, {5, 0, 1, 0}}}), "child seq 5 in version 3");
  expect_corrupt(*hostile({bee::Level{{1}, {2, 0, 1, 0}}, bee::Level{{3}, {}}}), "key seq 3 in version 3");
  expect_corrupt(*hostile({bee::Level{{1}, {0, 0, 1, 0}}}), "child in the header block");
}

TEST(BeeRead, HostileMissingLevelAndShape) {
  expect_corrupt(*hostile({bee::Level{{1}, {1, 3, 1, 0}}}), "level 3 of a one-level block");
  expect_corrupt(*hostile({bee::Level{{1}, {1, 0}}}), "one child for one key");
  expect_corrupt(*hostile({bee::Level{{1, 1}, {1, 0, 1, 0, 1}}}), "odd child numbers");
}

TEST(BeeRead, HostileCycleEnds) {
  // The root is its own left child: an endless descent for a naive reader.
  expect_corrupt(*hostile({bee::Level{{1}, {2, 0, 2, 0}}}), "self loop");
  // Two levels pointing at each other.
  expect_corrupt(*hostile({bee::Level{{1}, {2, 1, 2, 1}}, bee::Level{{1}, {2, 0, 2, 0}}}), "two-node loop");
  // A cycle through the last child only, where the parent leaves the stack first.
  auto db = hostile({bee::Level{{}, {2, 0}}});
  auto snap = db->snapshot();
  EXPECT_ERRC(snap.get(b("zz")), errc::corrupt);
  auto range = drain(snap.range({}));
  ASSERT_TRUE(range.second);
  EXPECT_EQ(range.second->code, errc::corrupt);
  // The diff walker skips a root without keys (as the reference does); a key-less node
  // that is its own only child further down must still end.
  auto deeper = hostile({bee::Level{{1}, {2, 1, 2, 1}}, bee::Level{{}, {2, 1}}});
  auto diff = drain(deeper->snapshot().diff(2, {}));
  ASSERT_TRUE(diff.second);
  EXPECT_EQ(diff.second->code, errc::corrupt);
}

TEST(BeeRead, HostileWideSharedSubtreesStop) {
  // Every child pointer of every level points at the next level: a tiny DAG that unfolds
  // into 9^30 leaves. The walk must stop with an error, not run for ever.
  std::vector<bee::Level> levels;
  for (uint64_t i = 0; i < 30; ++i) {
    std::vector<uint64_t> children;
    for (int c = 0; c < 9; ++c) children.insert(children.end(), {2, i + 1});
    levels.push_back(bee::Level{{1, 1, 1, 1, 1, 1, 1, 1}, children});
  }
  levels.push_back(bee::Level{{1}, {}});
  auto db = hostile(levels);
  auto snap = db->snapshot();
  auto range = drain(snap.range({}));
  ASSERT_TRUE(range.second);
  EXPECT_EQ(range.second->code, errc::corrupt);
  auto diff = drain(snap.diff(1, {}));
  ASSERT_TRUE(diff.second);
  EXPECT_EQ(diff.second->code, errc::corrupt);
}

TEST(BeeRead, ErrorsAreSticky) {
  auto db = hostile({bee::Level{{1}, {5, 0, 1, 0}}});
  auto it = db->snapshot().range({});
  EXPECT_FALSE(it.next().has_value());
  EXPECT_FALSE(it.next().has_value());
  auto moved = std::move(it);
  EXPECT_FALSE(moved.next().has_value());
}

}  // namespace
