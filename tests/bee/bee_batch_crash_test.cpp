// A batch is one append, so a crash during its flush leaves all of it or none of it. The
// storage fails at every operation of the flush in turn, then loses power; the reopened bee
// must show exactly the state before the batch or exactly the state after it.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "bee/bee.hpp"
#include "hypercore/core.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/fault_storage.hpp"

namespace {

using bee::Bytes;
using hypercore::as_bytes;
using State = std::map<std::string, std::string>;

std::string key_of(int i) {
  char buf[16];  // room for any int, so -O2 sees no possible truncation
  std::snprintf(buf, sizeof buf, "k%02d", i);
  return buf;
}

hypercore::CoreOptions core_options() {
  hypercore::CoreOptions options;
  options.durability = hypercore::Durability::sync;
  options.checkpoint_bytes = 2000;  // so that some flushes also checkpoint
  return options;
}

// Every key of the universe looked up through the write path's reader.
std::optional<State> read_all(bee::Bee& db) {
  State state;
  bee::Batch batch = db.batch();
  for (int i = 0; i < 80; ++i) {
    auto e = batch.get(as_bytes(key_of(i)));
    if (!e) {
      ADD_FAILURE() << key_of(i) << ": " << e.error().to_string();
      return std::nullopt;
    }
    if (*e) state[key_of(i)] = std::string((*e)->value->begin(), (*e)->value->end());
  }
  return state;
}

TEST(BeeBatchCrash, FlushIsAllOrNothingAtEveryFailingOperation) {
  hypercore::Seed seed;
  seed.fill(0x07);
  State before, after;
  for (int i = 0; i < 40; ++i) before[key_of(i)] = "v" + std::to_string(i);
  after = before;
  // The batch: new keys, overwrites and deletes, enough to split and merge nodes.
  struct Op {
    bool put;
    std::string key, value;
  };
  std::vector<Op> batch_ops;
  for (int i = 40; i < 52; ++i) batch_ops.push_back({true, key_of(i), "new" + std::to_string(i)});
  for (int i = 0; i < 10; i += 2) batch_ops.push_back({true, key_of(i), "over" + std::to_string(i)});
  for (int i = 11; i < 30; i += 2) batch_ops.push_back({false, key_of(i), ""});
  for (const Op& op : batch_ops) {
    if (op.put) {
      after[op.key] = op.value;
    } else {
      after.erase(op.key);
    }
  }

  bool covered = false;
  uint64_t points = 0;  // storage operations of one flush
  int saw_before = 0, saw_after = 0;
  for (uint64_t fail_at = 1; fail_at < 500 && !covered; ++fail_at) {
    for (uint64_t keep_seed : {uint64_t{0}, fail_at}) {
      SCOPED_TRACE("fail_at " + std::to_string(fail_at) + " keep_seed " + std::to_string(keep_seed));
      auto storage = std::make_shared<hypercore::FaultStorage>();
      auto created = hypercore::Core::create(storage, hypercore::KeyPair::from_seed(seed), core_options());
      ASSERT_TRUE(created) << created.error().to_string();
      std::shared_ptr<hypercore::Core> core = std::move(*created);
      auto opened = bee::Bee::open(core);
      ASSERT_TRUE(opened);
      std::unique_ptr<bee::Bee> db = std::move(*opened);
      for (const auto& [k, v] : before) ASSERT_TRUE(db->put(as_bytes(k), as_bytes(v)).value());
      uint64_t length_before = core->length();

      bool flushed = false;
      {
        bee::Batch batch = db->batch();
        for (const Op& op : batch_ops) {
          auto r = op.put ? batch.put(as_bytes(op.key), as_bytes(op.value)) : batch.del(as_bytes(op.key));
          ASSERT_TRUE(r && *r);
        }
        // Count from the flush: the ops before it only read.
        storage->set_plan({.fail_at = fail_at, .torn_fraction = 0.5, .sticky = true});
        flushed = batch.flush().has_value();
      }
      if (flushed && !storage->failed()) {
        covered = true;  // the flush finished before the fault: every point was tried
        points = fail_at - 1;
      }

      db.reset();
      core.reset();
      storage->crash(keep_seed);
      auto reopened = hypercore::Core::open(storage, core_options());
      ASSERT_TRUE(reopened) << reopened.error().to_string();
      core = std::move(*reopened);
      auto reopened_bee = bee::Bee::open(core);
      ASSERT_TRUE(reopened_bee) << reopened_bee.error().to_string();
      db = std::move(*reopened_bee);

      std::optional<State> got = read_all(*db);
      ASSERT_TRUE(got);
      uint64_t length_after = length_before + batch_ops.size();
      if (core->length() == length_before) {
        EXPECT_FALSE(flushed) << "an acknowledged flush was lost";
        EXPECT_EQ(*got, before);
        ++saw_before;
      } else {
        ASSERT_EQ(core->length(), length_after) << "a partial batch survived";
        EXPECT_EQ(*got, after);
        ++saw_after;
      }
      // The recovered bee keeps working.
      ASSERT_TRUE(db->put(as_bytes(key_of(79)), as_bytes("last")).value());
      auto last = read_all(*db);
      ASSERT_TRUE(last);
      EXPECT_EQ(last->at(key_of(79)), "last");
    }
  }
  EXPECT_TRUE(covered) << "the flush never completed within the tried failure points";
  EXPECT_GE(points, 3u);  // a synced append is several writes and syncs
  RecordProperty("failure_points", std::to_string(points));
  EXPECT_GT(saw_before, 0);
  EXPECT_GT(saw_after, 0);
}

}  // namespace
