// The write path against the worked examples of the spec (../shared/spec/hyperbee.md §9),
// byte for byte, plus the rules around them: cas, duplicate suppression, batches (pending
// reads, discard, the one-open-batch rule) and continuing after a reopen.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bee/bee.hpp"
#include "hypercore/core.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/storage.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using bee::Bee;
using bee::Bytes;
using bee::ByteSpan;
using bee::Entry;
using hypercore::Core;

Bytes b(std::string_view s) { return hypercore::to_bytes(s); }
std::optional<ByteSpan> v(const std::string& s) { return hypercore::as_bytes(s); }

hypercore::KeyPair seed_key_pair() {
  hypercore::Seed seed;
  seed.fill(0x01);
  return hypercore::KeyPair::from_seed(seed);
}

struct Fixture {
  std::shared_ptr<hypercore::Storage> storage = hypercore::make_memory_storage();
  std::shared_ptr<Core> core;
  std::unique_ptr<Bee> db;

  explicit Fixture(bee::BeeOptions options = {}) {
    auto c = Core::create(storage, seed_key_pair());
    EXPECT_TRUE(c.has_value()) << c.error().to_string();
    core = std::move(*c);
    open(std::move(options));
  }
  void open(bee::BeeOptions options = {}) {
    auto d = Bee::open(core, std::move(options));
    EXPECT_TRUE(d.has_value()) << d.error().to_string();
    db = std::move(*d);
  }
  // Closes everything and opens the same storage again.
  void reopen(bee::BeeOptions options = {}) {
    db.reset();
    ASSERT_TRUE(core->close().has_value());
    core.reset();
    auto c = Core::open(storage);
    ASSERT_TRUE(c.has_value()) << c.error().to_string();
    core = std::move(*c);
    open(std::move(options));
  }

  bool put(const std::string& key, std::optional<std::string> value) {
    std::optional<ByteSpan> span;
    if (value) span = hypercore::as_bytes(*value);
    auto r = db->put(hypercore::as_bytes(key), span);
    EXPECT_TRUE(r.has_value()) << r.error().to_string();
    return r.value_or(false);
  }
  bool del(const std::string& key) {
    auto r = db->del(hypercore::as_bytes(key));
    EXPECT_TRUE(r.has_value()) << r.error().to_string();
    return r.value_or(false);
  }
  std::string block(uint64_t seq) {
    auto bytes = core->get(seq);
    EXPECT_TRUE(bytes.has_value()) << "block " << seq;
    return bytes ? hypercore::to_hex(*bytes) : "";
  }
  bee::NodeBlock node(uint64_t seq) {
    auto bytes = core->get(seq);
    EXPECT_TRUE(bytes.has_value());
    auto n = bee::decode_node(bytes.value_or(Bytes{}));
    EXPECT_TRUE(n.has_value());
    return n.value_or(bee::NodeBlock{});
  }
  // A lookup through the write path (an empty batch reads the stored tree).
  std::optional<Entry> get(const std::string& key) {
    bee::Batch batch = db->batch();
    auto r = batch.get(hypercore::as_bytes(key));
    EXPECT_TRUE(r.has_value()) << r.error().to_string();
    return r.value_or(std::nullopt);
  }
};

Entry entry(uint64_t seq, const std::string& key, std::optional<std::string> value) {
  Entry e{seq, b(key), std::nullopt};
  if (value) e.value = b(*value);
  return e;
}

// §9.1 as a list of the blocks after the header.
const std::vector<std::string> kSpec91 = {
    "0a086879706572626565",
    "0a050a030a01011201611a0131",
    "0a060a040a0201021201621a0132",
    "0a070a050a030102031201631a0133",
    "0a080a060a04010203041201641a0134",
    "0a090a070a0501020304051201651a0135",
    "0a080a060a0401020405120163",
    "0a090a070a050102070405120263321a0136",
};

void spec91_ops(Fixture& f, size_t from, size_t to) {
  const std::vector<std::function<void()>> ops = {
      [&] { EXPECT_TRUE(f.put("a", "1")); }, [&] { EXPECT_TRUE(f.put("b", "2")); },
      [&] { EXPECT_TRUE(f.put("c", "3")); }, [&] { EXPECT_TRUE(f.put("d", "4")); },
      [&] { EXPECT_TRUE(f.put("e", "5")); }, [&] { EXPECT_TRUE(f.del("c")); },
      [&] { EXPECT_TRUE(f.put("c2", "6")); },
  };
  for (size_t i = from; i < to; ++i) ops[i]();
}

TEST(BeeWrite, Spec91BlocksTreeHashAndSignature) {
  Fixture f;
  EXPECT_EQ(f.core->length(), 0u);  // the header is not written by open
  spec91_ops(f, 0, 7);
  ASSERT_EQ(f.core->length(), kSpec91.size());
  for (size_t s = 0; s < kSpec91.size(); ++s) EXPECT_EQ(f.block(s), kSpec91[s]) << "block " << s;
  EXPECT_EQ(hypercore::to_hex(f.core->key()), "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");
  EXPECT_EQ(hypercore::to_hex(f.core->tree_hash()), "4bed0b717c6574fa5d3603db7e913105f43b865be550f2c70bd3a2604162dade");
  EXPECT_EQ(hypercore::to_hex(f.core->signature()),
            "b277e125e7eff423550de1aa700ae733732de1ed493cd8babfb708d7ec08a07a433bf978b628020ecbd9e466f56876081f16cdcda9"
            "ff30470e30bed77412af01");
  EXPECT_EQ(f.db->version(), 8u);
  EXPECT_EQ(f.get("a"), entry(1, "a", "1"));
  EXPECT_EQ(f.get("c2"), entry(7, "c2", "6"));
  EXPECT_EQ(f.get("e"), entry(5, "e", "5"));
  EXPECT_EQ(f.get("c"), std::nullopt);
}

TEST(BeeWrite, ReopenedCoreContinuesTheTree) {
  Fixture f;
  spec91_ops(f, 0, 3);
  f.reopen();
  spec91_ops(f, 3, 6);
  f.reopen();
  spec91_ops(f, 6, 7);
  ASSERT_EQ(f.core->length(), kSpec91.size());
  for (size_t s = 0; s < kSpec91.size(); ++s) EXPECT_EQ(f.block(s), kSpec91[s]) << "block " << s;
  EXPECT_EQ(hypercore::to_hex(f.core->tree_hash()), "4bed0b717c6574fa5d3603db7e913105f43b865be550f2c70bd3a2604162dade");
  // A batch on the reopened bee starts from the stored root (§9.1 state + f=7).
  f.reopen();
  {
    bee::Batch batch = f.db->batch();
    ASSERT_TRUE(batch.put(b("f"), v("7")).value());
    ASSERT_TRUE(batch.flush().has_value());
  }
  EXPECT_EQ(f.block(8), "0a0a0a080a06010207040508120166" "1a0137");
  EXPECT_EQ(f.get("f"), entry(8, "f", "7"));
}

Fixture ten_puts() {
  Fixture f;
  for (int i = 0; i < 10; ++i) {
    std::string key = "0" + std::to_string(i);  // "00".."09": the spec's keys are utf-8 text
    EXPECT_TRUE(f.put(key, std::string(1, static_cast<char>('a' + i))));
  }
  return f;
}

TEST(BeeWrite, Spec92SplitSuccessorPredecessorMergeShrink) {
  Fixture f = ten_puts();
  EXPECT_EQ(f.block(9), "0a1b0a090a01051204090109020a060a04010203040a060a0406070809120230381a0169");
  EXPECT_EQ(f.block(10), "0a140a090a0105120409010a010a070a05060708090a120230391a016a");
  EXPECT_TRUE(f.del("04"));
  EXPECT_EQ(f.block(11), "0a130a090a0106120409010b010a060a040708090a12023034");
  EXPECT_TRUE(f.del("05"));
  EXPECT_EQ(f.block(12), "0a0c0a0a0a08010203040708090a12023035");
  EXPECT_EQ(f.core->length(), 13u);
}

TEST(BeeWrite, Spec92Borrow) {
  Fixture f = ten_puts();
  EXPECT_TRUE(f.del("00"));
  EXPECT_EQ(f.block(11), "0a1b0a090a010612040b010b020a060a04020304050a060a040708090a12023030");
}

TEST(BeeWrite, Spec93EmptyRootValuelessPutEmptyValue) {
  Fixture f;
  EXPECT_TRUE(f.put("a", "1"));
  EXPECT_TRUE(f.del("a"));
  EXPECT_TRUE(f.put("b", std::nullopt));
  EXPECT_TRUE(f.put("b", ""));
  EXPECT_EQ(f.block(1), "0a050a030a01011201611a0131");
  EXPECT_EQ(f.block(2), "0a020a00120161");
  EXPECT_EQ(f.block(3), "0a050a030a0103120162");
  EXPECT_EQ(f.block(4), "0a050a030a01041201621a00");
  EXPECT_EQ(f.get("b"), entry(4, "b", ""));
}

TEST(BeeWrite, HeaderIsWrittenByTheFirstOpEvenANoOp) {
  Fixture f;
  EXPECT_FALSE(f.del("missing"));
  EXPECT_EQ(f.core->length(), 1u);
  EXPECT_EQ(f.block(0), "0a086879706572626565");
  EXPECT_FALSE(f.del("missing"));
  EXPECT_EQ(f.core->length(), 1u);
}

TEST(BeeWrite, Spec94Batch) {
  Fixture f;
  {
    bee::Batch batch = f.db->batch();
    EXPECT_TRUE(batch.put(b("a"), v("1")).value());
    EXPECT_EQ(f.core->length(), 1u);  // the header went out at once, on its own
    EXPECT_TRUE(batch.put(b("b"), v("2")).value());
    EXPECT_TRUE(batch.put(b("c"), v("3")).value());
    EXPECT_EQ(f.core->length(), 1u);
    ASSERT_TRUE(batch.flush().has_value());
  }
  EXPECT_TRUE(f.put("d", "4"));
  const std::vector<std::string> want = {"0a086879706572626565", "0a001201611a0131", "0a001201621a0132",
                                         "0a070a050a030102031201631a0133", "0a080a060a04010203041201641a0134"};
  ASSERT_EQ(f.core->length(), want.size());
  for (size_t s = 0; s < want.size(); ++s) EXPECT_EQ(f.block(s), want[s]) << "block " << s;
}

TEST(BeeWrite, Spec94TwentyPutBatch) {
  Fixture f;
  {
    bee::Batch batch = f.db->batch();
    for (int i = 0; i < 20; ++i) {
      char key[16], value[16];
      std::snprintf(key, sizeof key, "k%02d", i);
      std::snprintf(value, sizeof value, "v%d", i);
      ASSERT_TRUE(batch.put(hypercore::as_bytes(key), hypercore::as_bytes(value)).value());
    }
    ASSERT_TRUE(batch.flush().has_value());
  }
  ASSERT_EQ(f.core->length(), 21u);
  EXPECT_EQ(f.block(20), "0a1a0a0f0a03050a0f120809000e00130014010a070a05101112131412036b31391a03763139");
  const std::vector<std::pair<uint64_t, std::vector<uint64_t>>> leaves = {
      {9, {1, 2, 3, 4}}, {14, {6, 7, 8, 9}}, {19, {11, 12, 13, 14}}};
  for (const auto& [seq, keys] : leaves) {
    bee::NodeBlock n = f.node(seq);
    ASSERT_EQ(n.levels.size(), 1u) << "block " << seq;
    EXPECT_EQ(n.levels[0].keys, keys) << "block " << seq;
    EXPECT_TRUE(n.levels[0].children.empty());
  }
  EXPECT_EQ(f.get("k07"), entry(8, "k07", "v7"));
}

TEST(BeeWrite, Spec95HeaderWithMetadata) {
  bee::BeeOptions options;
  options.metadata = bee::Metadata{Bytes(32, 0xcd), Bytes{1, 2}};
  Fixture f(options);
  EXPECT_TRUE(f.put("a", "1"));
  std::string feed;
  for (int i = 0; i < 32; ++i) feed += "cd";
  EXPECT_EQ(f.block(0), "0a086879706572626565" "1226" "0a20" + feed + "1202" "0102");
  bee::BeeOptions empty;
  empty.metadata = bee::Metadata{};
  Fixture g(empty);
  EXPECT_FALSE(g.del("x"));
  EXPECT_EQ(g.block(0), "0a0868797065726265651200");
}

TEST(BeeWrite, CasSeesStoredAndNextEntries) {
  Fixture f = ten_puts();  // a two-level tree: key 04 is the root's separator
  std::vector<std::pair<Entry, Entry>> calls;
  auto record = [&](bool answer) {
    return [&calls, answer](const Entry& prev, const Entry& next) {
      calls.emplace_back(prev, next);
      return answer;
    };
  };
  std::string k04 = "04", k03 = "03", k42 = "B";
  // Missing key: cas is not consulted, the put inserts.
  EXPECT_TRUE(f.db->put(hypercore::as_bytes(k42), v("x"), record(false)).value());
  EXPECT_TRUE(calls.empty());
  EXPECT_EQ(f.core->length(), 12u);
  // A key in an internal node and one in a leaf: refused -> no block.
  EXPECT_FALSE(f.db->put(hypercore::as_bytes(k04), v("new"), record(false)).value());
  EXPECT_FALSE(f.db->put(hypercore::as_bytes(k03), v("new"), record(false)).value());
  EXPECT_EQ(f.core->length(), 12u);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].first, entry(5, k04, "e"));
  EXPECT_EQ(calls[0].second, entry(12, k04, "new"));
  EXPECT_EQ(calls[1].first, entry(4, k03, "d"));
  // Accepted -> written with the seq that was announced.
  EXPECT_TRUE(f.db->put(hypercore::as_bytes(k03), v("D"), record(true)).value());
  EXPECT_EQ(calls.back().second, entry(12, k03, "D"));
  EXPECT_EQ(f.get(k03), entry(12, k03, "D"));
  // del: next has no value; refused -> nothing; missing key -> not consulted.
  calls.clear();
  EXPECT_FALSE(f.db->del(hypercore::as_bytes(k03), record(false)).value());
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].first, entry(12, k03, "D"));
  EXPECT_EQ(calls[0].second, entry(13, k03, std::nullopt));
  EXPECT_FALSE(f.db->del(hypercore::as_bytes(std::string("zz")), record(true)).value());
  EXPECT_EQ(calls.size(), 1u);
  EXPECT_TRUE(f.db->del(hypercore::as_bytes(k03), record(true)).value());
  EXPECT_EQ(f.get(k03), std::nullopt);
  EXPECT_EQ(f.core->length(), 14u);
  // In a batch, prev comes from the pending ops.
  calls.clear();
  bee::Batch batch = f.db->batch();
  EXPECT_TRUE(batch.put(b("p"), v("1")).value());
  EXPECT_TRUE(batch.put(b("p"), v("2"), record(true)).value());
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].first, entry(14, "p", "1"));
  EXPECT_EQ(calls[0].second, entry(15, "p", "2"));
  batch.discard();
}

TEST(BeeWrite, DuplicateSuppressionWhenNotAlwaysDuplicate) {
  bee::BeeOptions options;
  options.always_duplicate = false;
  Fixture f(options);
  EXPECT_TRUE(f.put("a", "1"));
  EXPECT_FALSE(f.put("a", "1"));  // identical: nothing
  EXPECT_TRUE(f.put("a", "2"));
  EXPECT_TRUE(f.put("a", std::nullopt));
  EXPECT_FALSE(f.put("a", std::nullopt));  // both absent: nothing
  EXPECT_TRUE(f.put("a", ""));             // absent vs empty differ
  EXPECT_FALSE(f.put("a", ""));
  EXPECT_EQ(f.core->length(), 5u);
  // Per call (what a sub-database does): written anyway.
  EXPECT_TRUE(f.db->put(b("a"), v(""), {}, true).value());
  EXPECT_EQ(f.core->length(), 6u);
  // cas runs first: a refusing cas wins, an accepting one still meets suppression.
  int called = 0;
  EXPECT_FALSE(f.db->put(b("a"), v(""), [&](const Entry&, const Entry&) {
    ++called;
    return true;
  }).value());
  EXPECT_EQ(called, 1);
  EXPECT_EQ(f.core->length(), 6u);

  // The default writes identical values again.
  Fixture g;
  EXPECT_TRUE(g.put("a", "1"));
  EXPECT_TRUE(g.put("a", "1"));
  EXPECT_EQ(g.core->length(), 3u);
  EXPECT_EQ(g.get("a"), entry(2, "a", "1"));
}

TEST(BeeWrite, BatchReadsItsPendingOps) {
  Fixture f;
  EXPECT_TRUE(f.put("a", "1"));
  bee::Batch batch = f.db->batch();
  EXPECT_EQ(batch.get(b("a")).value(), entry(1, "a", "1"));
  EXPECT_TRUE(batch.put(b("b"), v("2")).value());
  EXPECT_TRUE(batch.del(b("a")).value());
  EXPECT_FALSE(batch.del(b("zz")).value());
  EXPECT_EQ(batch.get(b("b")).value(), entry(2, "b", "2"));
  EXPECT_EQ(batch.get(b("a")).value(), std::nullopt);
  EXPECT_EQ(f.core->length(), 2u);
  ASSERT_TRUE(batch.flush().has_value());
  EXPECT_EQ(f.core->length(), 4u);
  EXPECT_EQ(f.get("b"), entry(2, "b", "2"));
  EXPECT_EQ(f.get("a"), std::nullopt);
}

TEST(BeeWrite, DiscardedOrDestroyedBatchWritesNothing) {
  Fixture f;
  EXPECT_TRUE(f.put("a", "1"));
  {
    bee::Batch batch = f.db->batch();
    EXPECT_TRUE(batch.put(b("b"), v("2")).value());
    batch.discard();
    EXPECT_FALSE(batch.put(b("c"), v("3")).has_value());  // closed
    EXPECT_FALSE(batch.flush().has_value());
  }
  {
    bee::Batch batch = f.db->batch();
    EXPECT_TRUE(batch.put(b("c"), v("3")).value());
  }  // destroyed unflushed
  EXPECT_EQ(f.core->length(), 2u);
  EXPECT_EQ(f.get("b"), std::nullopt);
  // The next write starts from the stored tree, not from the discarded one.
  EXPECT_TRUE(f.put("d", "4"));
  EXPECT_EQ(f.block(2), "0a060a040a0201021201641a0134");
}

TEST(BeeWrite, WritesAreRefusedWhileABatchIsOpen) {
  Fixture f;
  bee::Batch batch = f.db->batch();
  auto put = f.db->put(b("a"), v("1"));
  ASSERT_ERRC(put, hypercore::errc::invalid_argument);
  auto del = f.db->del(b("a"));
  ASSERT_ERRC(del, hypercore::errc::invalid_argument);
  bee::Batch second = f.db->batch();  // only one batch may be open
  EXPECT_FALSE(second.put(b("x"), v("1")).has_value());
  EXPECT_TRUE(batch.put(b("a"), v("1")).value());
  bee::Batch moved = std::move(batch);
  ASSERT_TRUE(moved.flush().has_value());
  EXPECT_EQ(f.core->length(), 2u);
  EXPECT_TRUE(f.put("b", "2"));  // released by the flush
  EXPECT_EQ(f.core->length(), 3u);
}

TEST(BeeWrite, EmptyBatchFlushWritesNothing) {
  Fixture f;
  {
    bee::Batch batch = f.db->batch();
    ASSERT_TRUE(batch.flush().has_value());
  }
  EXPECT_EQ(f.core->length(), 0u);
  {
    bee::Batch batch = f.db->batch();
    EXPECT_FALSE(batch.del(b("a")).value());  // a no-op still writes the header
    ASSERT_TRUE(batch.flush().has_value());
  }
  EXPECT_EQ(f.core->length(), 1u);
}

// A cas callback that writes through the same bee would mutate the tree of the op that
// called it (and, outside a batch, free its nodes): the inner write is refused and the outer
// op goes on as if nothing had happened.
TEST(BeeWrite, WriteFromInsideCasIsRefused) {
  Fixture f = ten_puts();
  uint64_t length = f.core->length();
  std::string k03 = "03", inner = "zz";
  bool inner_refused = false;
  auto cas = [&](const Entry&, const Entry&) {
    auto r = f.db->put(hypercore::as_bytes(inner), v("x"));
    inner_refused = !r.has_value() && r.error().code == hypercore::errc::invalid_argument;
    return true;
  };
  EXPECT_TRUE(f.db->put(hypercore::as_bytes(k03), v("D"), cas).value());
  EXPECT_TRUE(inner_refused);
  EXPECT_EQ(f.core->length(), length + 1);
  EXPECT_EQ(f.get(k03), entry(length, k03, "D"));
  EXPECT_EQ(f.get(inner), std::nullopt);
}

}  // namespace
