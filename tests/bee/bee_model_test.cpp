// Model-based property test: random puts, deletes, batches (flushed and discarded), cas,
// checkouts of older versions and reopening the store, against std::map models of every
// version and a model of the log (one entry per block written). Every version's gets,
// ranges, history and diffs against other versions are checked against the models. Keys
// are drawn from a small space so that splits, merges and borrows all happen.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "bee/bee.hpp"
#include "hypercore/fault_storage.hpp"

// Readable failures: gtest would print these as raw bytes.
namespace bee {
static void PrintTo(const Entry& e, std::ostream* os) {
  *os << "{seq " << e.seq << ", key " << hypercore::to_hex(e.key) << ", "
      << (e.value ? "value " + hypercore::to_hex(*e.value) : std::string("no value")) << "}";
}
static void PrintTo(const HistoryEntry& h, std::ostream* os) {
  *os << (h.type == HistoryEntry::Type::del ? "del " : "put ");
  PrintTo(h.entry, os);
}
static void PrintTo(const DiffEntry& d, std::ostream* os) {
  *os << "{left ";
  if (d.left) PrintTo(*d.left, os);
  else *os << "none";
  *os << ", right ";
  if (d.right) PrintTo(*d.right, os);
  else *os << "none";
  *os << "}";
}
}  // namespace bee

using namespace hypercore;

namespace {

// key -> the entry that wrote it: its seq and value (absent = value-less put).
using Model = std::map<Bytes, bee::Entry>;
// Seq -> the operation that block wrote; [0] stands for the header block.
using Log = std::vector<bee::HistoryEntry>;
// Seqs of value-less puts that history may name `del`: the reference tells a deletion by a
// block with no value whose tree levels do not hold its own seq (hyperbee's isDeletion), and
// a batch's blocks but the last lose the levels rewritten later in the batch (spec §5.7), so
// a value-less put followed in its batch by a write to the same node reads as a del.
using PutOrDel = std::set<uint64_t>;

// Records one block written: `value` set for a put, `del` for a deletion.
void record(Model& model, Log& log, const Bytes& key, const std::optional<Bytes>& value, bool del) {
  bee::HistoryEntry h;
  h.type = del ? bee::HistoryEntry::Type::del : bee::HistoryEntry::Type::put;
  h.entry = bee::Entry{log.size(), key, value};
  log.push_back(h);
  if (del) {
    model.erase(key);
  } else {
    model[key] = h.entry;
  }
}

// Every item of a bee iterator; a failed step fails the test (and ends the list).
template <class Iterator>
auto read_all(Iterator&& it, const std::string& when) {
  using Item = typename std::remove_cvref_t<decltype(*it.next())>::value_type;
  std::vector<Item> out;
  for (;;) {
    auto e = it.next();
    EXPECT_TRUE(e) << when << ": " << e.error().to_string();
    if (!e || !*e) break;
    out.push_back(std::move(**e));
  }
  return out;
}

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
  for (const auto& [key, entry] : model) {
    auto e = snap.get(key);
    ASSERT_TRUE(e) << when << ": " << e.error().to_string();
    ASSERT_TRUE(e->has_value()) << when << ": key missing";
    ASSERT_EQ(**e, entry) << when;  // the value, and the seq of the block that wrote it
  }
  for (int i = 0; i < 5; i++) {
    Bytes k = random_key(rng);
    auto e = snap.get(k);
    ASSERT_TRUE(e) << when << ": " << e.error().to_string();
    ASSERT_EQ(e->has_value(), model.contains(k)) << when << ": key " << to_hex(k) << ", read "
                                                 << ::testing::PrintToString(*e);
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
    ASSERT_TRUE(e) << when << ": " << e.error().to_string();
    if (!*e) break;
    keys.push_back((*e)->key);
  }
  std::vector<Bytes> want;
  for (auto i = model.lower_bound(lo); i != model.end() && i->first < hi && want.size() < static_cast<size_t>(r.limit); ++i) {
    want.push_back(i->first);
  }
  ASSERT_EQ(keys, want) << when << " (bounded)";
}

// The snapshot's history against the log: all of it when `whole` (each block, in seq order,
// as put or del with its key and value), then a random window (gt/gte, lt/lte, a negative bound
// relative to the version, reverse, limit). Bounds stay below the version: a seq at or past
// it is an error, as the reference waits for it forever.
void expect_history(const bee::Snapshot& snap, const Log& log, const PutOrDel& put_or_del, bool whole,
                    std::mt19937_64& rng, const std::string& when) {
  auto read = [&](const bee::HistoryRange& h) {
    Log items = read_all(snap.history(h), when);
    for (auto& item : items) {
      if (item.type == bee::HistoryEntry::Type::del && !item.entry.value && put_or_del.contains(item.entry.seq)) {
        item.type = bee::HistoryEntry::Type::put;
      }
    }
    return items;
  };
  const uint64_t version = snap.version();
  ASSERT_LE(version, std::max<uint64_t>(1, log.size())) << when;
  if (whole) {
    Log all(log.begin() + 1, log.begin() + static_cast<long>(std::max<uint64_t>(1, version)));
    ASSERT_EQ(read({}), all) << when << " (whole history)";
  }
  if (version < 2) return;

  const int64_t v = static_cast<int64_t>(version);
  int64_t lo = 1 + static_cast<int64_t>(rng() % (version - 1));          // first seq, in [1, v)
  int64_t hi = lo + static_cast<int64_t>(rng() % (version - uint64_t(lo)));  // last seq, in [lo, v)
  bee::HistoryRange h;
  switch (rng() % 4) {
    case 0:  // from seq 1
      lo = 1;
      break;
    case 1:
      h.gte = lo;
      break;
    case 2:  // gt 0 would count as "not given", the same as gte 1
      h.gt = lo - 1;
      break;
    default:  // relative to the version
      h.gte = lo - v;
      break;
  }
  switch (rng() % 3) {
    case 0:  // up to the version
      hi = v - 1;
      break;
    case 1:
      h.lte = hi;
      break;
    default:
      h.lt = hi + 1;
      break;
  }
  h.reverse = rng() % 2;
  h.limit = rng() % 3 == 0 ? static_cast<int64_t>(rng() % 5) : -1;
  Log want;
  for (int64_t seq = lo; seq <= hi; seq++) want.push_back(log[size_t(seq)]);
  if (h.reverse) std::reverse(want.begin(), want.end());
  if (h.limit >= 0 && want.size() > size_t(h.limit)) want.resize(size_t(h.limit));
  ASSERT_EQ(read(h), want)
      << when << " (history seqs " << lo << ".." << hi << (h.reverse ? " reverse" : "") << " limit " << h.limit << ")";
}

// The diff of two versions against their models: in key order, every key whose entry (seq)
// differs, with this version's entry on the left and the other's on the right. The random
// range gives one lower and one upper bound at most (both gt and gte set is a reference
// quirk, inclusive), and a limit.
void expect_diff(const bee::Snapshot& left, const Model& left_model, uint64_t right_version, const Model& right_model,
                 std::mt19937_64& rng, const std::string& when) {
  bee::Range r;
  std::optional<Bytes> lo, hi;
  bool lo_inclusive = false, hi_inclusive = false;
  if (rng() % 2) {
    lo = random_key(rng);
    lo_inclusive = rng() % 2;
    (lo_inclusive ? r.gte : r.gt) = lo;
  }
  if (rng() % 2) {
    hi = random_key(rng);
    hi_inclusive = rng() % 2;
    (hi_inclusive ? r.lte : r.lt) = hi;
  }
  if (rng() % 4 == 0) r.limit = static_cast<int64_t>(rng() % 4);
  auto in_range = [&](const Bytes& k) {
    if (lo && (lo_inclusive ? k < *lo : k <= *lo)) return false;
    if (hi && (hi_inclusive ? k > *hi : k >= *hi)) return false;
    return true;
  };
  std::vector<bee::DiffEntry> want;
  auto l = left_model.begin();
  auto rt = right_model.begin();
  while (l != left_model.end() || rt != right_model.end()) {
    bee::DiffEntry d;
    if (rt == right_model.end() || (l != left_model.end() && l->first < rt->first)) {
      d.left = (l++)->second;
    } else if (l == left_model.end() || rt->first < l->first) {
      d.right = (rt++)->second;
    } else {
      bool same = l->second == rt->second;
      d.left = (l++)->second;
      d.right = (rt++)->second;
      if (same) continue;
    }
    if (in_range(d.left ? d.left->key : d.right->key)) want.push_back(std::move(d));
  }
  if (r.limit >= 0 && want.size() > size_t(r.limit)) want.resize(size_t(r.limit));
  std::string what = when + " (diff " + std::to_string(left.version()) + " against " + std::to_string(right_version);
  if (lo) what += lo_inclusive ? " gte" : " gt";
  if (hi) what += hi_inclusive ? " lte" : " lt";
  what += " limit " + std::to_string(r.limit) + ")";
  ASSERT_EQ(read_all(left.diff(right_version, r), what), want) << what;
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
  Log log(1);                          // the header block's seq
  PutOrDel put_or_del;
  std::map<uint64_t, Model> versions;  // version -> model at that version (after each commit)

  constexpr int kSteps = 400;
  for (int step = 0; step < kSteps; step++) {
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
      record(model, log, k, v, false);
    } else if (op < 65) {
      Bytes k = random_key(rng);
      auto wrote = db->del(k);
      ASSERT_TRUE(wrote) << when << ": " << wrote.error().to_string();
      ASSERT_EQ(*wrote, model.contains(k)) << when;
      if (*wrote) record(model, log, k, std::nullopt, true);
    } else if (op < 75) {
      // cas: write only if the stored value is what the model says was stored before.
      Bytes k = random_key(rng);
      bool expected_present = model.contains(k);
      bool agree = rng() % 2;
      auto v = random_value(rng);
      std::optional<ByteSpan> vs;
      if (v) vs = ByteSpan(*v);
      bool called = false;
      auto wrote = db->put(k, vs, [&](const bee::Entry& prev, const bee::Entry& next) {
        called = true;
        EXPECT_EQ(prev, model.at(k)) << when;
        EXPECT_EQ(next.seq, log.size()) << when;  // the seq the put would get
        return agree;
      });
      ASSERT_TRUE(wrote) << when << ": " << wrote.error().to_string();
      ASSERT_EQ(called, expected_present) << when;
      bool writes = !expected_present || agree;
      ASSERT_EQ(*wrote, writes) << when;
      if (writes) record(model, log, k, v, false);
    } else if (op < 87) {
      bool flush = rng() % 4 != 0;
      Model next = model;
      Log next_log = log;  // each operation of the batch that writes is a block of its own
      std::vector<uint64_t> valueless_puts;
      {
        auto batch = db->batch();
        int n = 1 + static_cast<int>(rng() % 30);
        for (int i = 0; i < n; i++) {
          Bytes k = random_key(rng);
          if (rng() % 3 == 0) {
            auto wrote = batch.del(k);
            ASSERT_TRUE(wrote) << when << ": " << wrote.error().to_string();
            ASSERT_EQ(*wrote, next.contains(k)) << when;
            if (*wrote) record(next, next_log, k, std::nullopt, true);
          } else {
            auto v = random_value(rng);
            std::optional<ByteSpan> vs;
            if (v) vs = ByteSpan(*v);
            auto wrote = batch.put(k, vs);
            ASSERT_TRUE(wrote) << when << ": " << wrote.error().to_string();
            ASSERT_TRUE(*wrote) << when;
            if (!v) valueless_puts.push_back(next_log.size());
            record(next, next_log, k, v, false);
          }
          auto seen = batch.get(k);  // the batch sees its own pending writes
          ASSERT_TRUE(seen) << when << ": " << seen.error().to_string();
          ASSERT_EQ(seen->has_value(), next.contains(k)) << when;
          if (seen->has_value()) {
            ASSERT_EQ(**seen, next.at(k)) << when;
          }
        }
        if (flush) {
          ASSERT_TRUE(batch.flush()) << when;
          model = next;
          log = next_log;
          for (uint64_t seq : valueless_puts) {
            if (seq + 1 < log.size()) put_or_del.insert(seq);  // the batch's last block keeps its levels
          }
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
        ASSERT_TRUE(snap) << when << ": " << snap.error().to_string();
        std::string at = when + " at version " + std::to_string(it->first);
        expect_matches(*snap, it->second, rng, at);
        expect_history(*snap, log, put_or_del, true, rng, at);
        // An old version on the left, any other on the right.
        auto other = versions.begin();
        std::advance(other, static_cast<long>(rng() % versions.size()));
        expect_diff(*snap, it->second, other->first, other->second, rng, at);
      }
    } else {
      db.reset();
      db = open_bee(storage);
      ASSERT_TRUE(db) << when << ": reopen failed";
    }
    ASSERT_EQ(db->version(), log.size()) << when << ": one block per write, after the header";
    versions[db->version()] = model;
    auto snap = db->snapshot();
    expect_matches(snap, model, rng, when);
    // The whole history now and then (it grows with every step); a random window always.
    expect_history(snap, log, put_or_del, step % 16 == 0 || step == kSteps - 1, rng, when);
    // The current version against an older one (or itself: an empty diff), either way round.
    auto other = versions.begin();
    std::advance(other, static_cast<long>(rng() % versions.size()));
    if (rng() % 2) {
      expect_diff(snap, model, other->first, other->second, rng, when);
    } else if (auto old = db->checkout(other->first); old) {
      expect_diff(*old, other->second, snap.version(), model, rng, when);
    } else {
      ADD_FAILURE() << when << ": checkout " << other->first << ": " << old.error().to_string();
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, BeeModel, ::testing::Range<uint64_t>(1, 9));

}  // namespace
