// The read path against the real reference: tests/interop/bee_read_vectors.js builds bees
// with hyperbee 2.27.3 from random op sequences (batches, deletes, subs, value-less puts,
// empty values, cas), runs hundreds of random queries on each (get, range, peek, history,
// diff, getBySeq, version, on the live bee and on checkouts) and prints the blocks and
// every answer. We import the blocks into a core, open a bee::Bee on it, run the same
// queries through Snapshot and compare every answer and every error.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bee/bee.hpp"
#include "bee/internal/block_store.hpp"
#include "hypercore/core.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/storage.hpp"
#include "tests/support/oracle.hpp"

namespace {

using bee::Bytes;
using hypercore::Result;
using simdjson::dom::element;

std::string str(element e) { return std::string(std::string_view(e.get_string().value())); }

bool has(element obj, const char* field) {
  element v;
  return obj[field].get(v) == simdjson::SUCCESS;
}

Bytes hex_bytes(element e) {
  auto b = hypercore::from_hex(str(e));
  EXPECT_TRUE(b.has_value()) << "bad hex " << str(e);
  return b.value_or(Bytes{});
}

// A core holding the reference's blocks (one append: signatures do not matter to reads).
std::shared_ptr<hypercore::Core> import_core(element c) {
  hypercore::Seed seed{};
  auto s = hypercore::from_hex(str(c["seed"]));
  EXPECT_TRUE(s && s->size() == 32);
  std::copy(s->begin(), s->end(), seed.begin());
  auto core = hypercore::Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::from_seed(seed));
  EXPECT_TRUE(core.has_value()) << core.error().to_string();
  std::vector<Bytes> blocks;
  for (element b : c["blocks"].get_array()) blocks.push_back(hex_bytes(b));
  std::vector<hypercore::ByteSpan> spans(blocks.begin(), blocks.end());
  if (!spans.empty()) {
    auto r = (*core)->append(spans);
    EXPECT_TRUE(r.has_value()) << r.error().to_string();
  }
  return std::shared_ptr<hypercore::Core>(std::move(*core));
}

// Our answers, printed in the script's compact JSON form.
std::string json_bytes(const std::optional<Bytes>& b) {
  return b ? "\"" + hypercore::to_hex(*b) + "\"" : "null";
}
std::string json_entry(const std::optional<bee::Entry>& e) {
  if (!e) return "null";
  return "[" + std::to_string(e->seq) + ",\"" + hypercore::to_hex(e->key) + "\"," + json_bytes(e->value) + "]";
}

constexpr size_t kMaxItems = 10'000'000;  // a runaway iterator fails instead of hanging

template <class Iterator, class Print>
Result<std::string> collect(Iterator it, Print print) {
  std::string out = "[";
  for (size_t n = 0; n < kMaxItems; ++n) {
    HC_TRY(item, it.next());
    if (!item) return out + "]";
    if (n) out += ",";
    out += print(*item);
  }
  return hypercore::fail(hypercore::errc::corrupt, "iterator did not end");
}

bee::Range range_of(element q) {
  bee::Range r;
  if (has(q, "gt")) r.gt = hex_bytes(q["gt"]);
  if (has(q, "gte")) r.gte = hex_bytes(q["gte"]);
  if (has(q, "lt")) r.lt = hex_bytes(q["lt"]);
  if (has(q, "lte")) r.lte = hex_bytes(q["lte"]);
  if (has(q, "reverse")) r.reverse = q["reverse"].get_bool().value();
  if (has(q, "limit")) r.limit = q["limit"].get_int64().value();
  return r;
}

Result<std::string> run_query(const bee::Bee& db, element q) {
  std::string kind = str(q["q"]);
  bee::Snapshot snap = db.snapshot();
  if (has(q, "version")) {
    HC_TRY(s, db.checkout(uint64_t(q["version"].get_int64().value())));
    snap = s;
  }
  if (kind == "get") {
    HC_TRY(e, snap.get(hex_bytes(q["key"])));
    return json_entry(e);
  }
  if (kind == "range") return collect(snap.range(range_of(q)), [](const bee::Entry& e) { return json_entry(e); });
  if (kind == "peek") {
    bee::Range r = range_of(q);
    r.limit = -1;  // the oracle's peek ignores the query's limit
    HC_TRY(e, snap.peek(r));
    return json_entry(e);
  }
  if (kind == "history") {
    bee::HistoryRange h;
    if (has(q, "gt")) h.gt = q["gt"].get_int64().value();
    if (has(q, "gte")) h.gte = q["gte"].get_int64().value();
    if (has(q, "lt")) h.lt = q["lt"].get_int64().value();
    if (has(q, "lte")) h.lte = q["lte"].get_int64().value();
    if (has(q, "reverse")) h.reverse = q["reverse"].get_bool().value();
    if (has(q, "limit")) h.limit = q["limit"].get_int64().value();
    return collect(snap.history(h), [](const bee::HistoryEntry& e) {
      return std::string(e.type == bee::HistoryEntry::Type::put ? "[\"put\"," : "[\"del\",") +
             std::to_string(e.entry.seq) + ",\"" + hypercore::to_hex(e.entry.key) + "\"," +
             json_bytes(e.entry.value) + "]";
    });
  }
  if (kind == "diff") {
    bee::Range r = range_of(q);
    r.reverse = false;
    return collect(snap.diff(uint64_t(q["right"].get_int64().value()), r), [](const bee::DiffEntry& d) {
      return "[" + json_entry(d.left) + "," + json_entry(d.right) + "]";
    });
  }
  if (kind == "getBySeq") {
    HC_TRY(e, snap.get_by_seq(uint64_t(q["seq"].get_int64().value())));
    return "[\"" + hypercore::to_hex(e.key) + "\"," + json_bytes(e.value) + "]";
  }
  if (kind == "version") return std::to_string(snap.version());
  return hypercore::fail(hypercore::errc::invalid_argument, "unknown query " + kind);
}

struct CaseStats {
  size_t queries = 0, errors = 0, items = 0, mid_batch_refusals = 0;
};

// A checkout inside a batch (its root is not the batch's last block) may point at later
// blocks of the batch, which the reference reads and we refuse (errc::corrupt): reads
// never go past their version.
bool reads_mid_batch(element q, const std::set<int64_t>& mid_batch) {
  if (has(q, "version") && mid_batch.count(q["version"].get_int64().value())) return true;
  return has(q, "right") && mid_batch.count(q["right"].get_int64().value());
}

// Runs every query of one case; returns the number of mismatches (each reported).
size_t check_case(element c, CaseStats& stats) {
  std::string name = str(c["name"]);
  auto core = import_core(c);
  auto db = bee::Bee::open(core);
  if (!db) {
    ADD_FAILURE() << name << ": open: " << db.error().to_string();
    return 1;
  }
  std::set<int64_t> mid_batch;
  for (element v : c["midBatch"].get_array()) mid_batch.insert(v.get_int64().value());
  size_t failures = 0;
  for (element q : c["queries"].get_array()) {
    ++stats.queries;
    std::string query = simdjson::minify(q);
    auto ours = run_query(**db, q);
    if (has(q, "err")) {
      ++stats.errors;
      if (ours) {
        ADD_FAILURE() << name << ": " << query << "\n  the reference fails, we answer " << *ours;
        ++failures;
      }
      continue;
    }
    std::string want = simdjson::minify(q["r"]);
    if (!ours && ours.error().code == hypercore::errc::corrupt && reads_mid_batch(q, mid_batch)) {
      ++stats.mid_batch_refusals;
      continue;
    }
    if (!ours) {
      ADD_FAILURE() << name << ": " << query << "\n  we fail: " << ours.error().to_string();
      ++failures;
    } else if (*ours != want) {
      ADD_FAILURE() << name << ": " << query << "\n  want " << want << "\n  got  " << *ours;
      ++failures;
    }
    stats.items += std::count(want.begin(), want.end(), '[');
    if (failures > 20) break;
  }
  return failures;
}

// Runs the script on the case specs and checks every case it prints; `more` sees each
// case after that.
void check_cases(const std::string& specs, size_t expected_cases,
                 const std::function<void(element)>& more = {}) {
  auto out = bee_test::run_node(bee_test::interop_script("bee_read_vectors.js"), {}, specs);
  ASSERT_TRUE(out.has_value()) << "the reference must be installed: " << out.error().to_string();
  simdjson::dom::parser parser;
  std::istringstream lines(*out);
  std::string line;
  size_t cases = 0, failures = 0;
  CaseStats stats;
  while (std::getline(lines, line) && failures < 40) {
    if (line.empty()) continue;
    element c;
    ASSERT_EQ(parser.parse(line).get(c), simdjson::SUCCESS) << line.substr(0, 200);
    ++cases;
    failures += check_case(c, stats);
    if (more) more(c);
  }
  EXPECT_EQ(cases, expected_cases);
  EXPECT_EQ(failures, 0u);
  // The generator must exercise real answers, not only errors and empty results.
  EXPECT_GE(stats.queries, 150 * expected_cases);
  EXPECT_LT(stats.errors * 4, stats.queries);
  EXPECT_GT(stats.items, stats.queries);
  std::cout << cases << " cases, " << stats.queries << " queries (" << stats.errors << " reference errors), "
            << stats.items << " items compared, " << stats.mid_batch_refusals
            << " mid-batch checkouts refused\n";
}

// 100 random cases in two halves (two processes under ctest): sizes from empty to a few
// thousand ops; encodings, batches, subs and deletes vary by case.
std::string random_specs(int first, int step) {
  const int sizes[] = {0, 1, 6, 20, 45, 90, 160, 300, 600, 2500};
  std::string specs = "{\"cases\":[";
  for (int i = first; i < 100; i += step) {
    int count = sizes[(i / 2) % 10];
    int keys = std::max(2, std::min(400, count / 2 + (i % 7) * 5));
    std::ostringstream c;
    c << (i != first ? "," : "") << "{\"name\":\"random-" << i << "\",\"seed\":" << 1000 + i
      << ",\"encoding\":\"" << (i % 2 ? "utf-8" : "binary") << "\",\"queries\":250,\"gen\":{"
      << "\"count\":" << count << ",\"keys\":" << keys << ",\"delRatio\":" << 0.1 + 0.1 * (i % 4)
      << ",\"batchRatio\":" << (i % 3 == 0 ? 0 : 0.15) << ",\"maxBatch\":" << 2 + i % 12
      << ",\"nullRatio\":0.05,\"emptyRatio\":0.05,\"sameRatio\":0.1,\"casRatio\":0.05"
      << ",\"subRatio\":" << (i % 4 == 1 ? 0.25 : 0) << "}}";
    specs += c.str();
  }
  return specs + "]}";
}

TEST(BeeReadInterop, RandomCasesBinaryKeys) { check_cases(random_specs(0, 2), 50); }
TEST(BeeReadInterop, RandomCasesUtf8Keys) { check_cases(random_specs(1, 2), 50); }

// Spec §9.2: ten puts (a split), then successor, predecessor, merge and root shrink; and
// the borrowing variant. Queries on every version.
TEST(BeeReadInterop, SpecSplitTree) {
  std::string puts;
  for (int i = 0; i < 10; ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "{\"op\":\"put\",\"key\":\"%02d\",\"value\":\"%c\"},", i, 'a' + i);
    puts += buf;
  }
  std::string specs = "{\"cases\":[{\"name\":\"spec-9.2\",\"seed\":1,\"encoding\":\"utf-8\",\"queries\":600,\"ops\":[" +
                      puts + "{\"op\":\"del\",\"key\":\"04\"},{\"op\":\"del\",\"key\":\"05\"}]}," +
                      "{\"name\":\"spec-9.2-borrow\",\"seed\":2,\"encoding\":\"utf-8\",\"queries\":400,\"ops\":[" +
                      puts + "{\"op\":\"del\",\"key\":\"00\"}]}]}";
  // The blocks are the spec's worked example, so the queries ran on that very tree.
  check_cases(specs, 2, [](element c) {
    simdjson::dom::array blocks = c["blocks"].get_array();
    if (str(c["name"]) == "spec-9.2") {
      EXPECT_EQ(str(blocks.at(9)), "0a1b0a090a01051204090109020a060a04010203040a060a0406070809120230381a0169");
      EXPECT_EQ(str(blocks.at(12)), "0a0c0a0a0a08010203040708090a12023035");
    } else {
      EXPECT_EQ(str(blocks.at(11)), "0a1b0a090a010612040b010b020a060a04020304050a060a040708090a12023030");
    }
  });
}

// A deep tree: 20,000 keys in random order (12,000 single puts, 8,000 in batches of 400),
// then 500 deletes. Besides the random queries, the whole range forward and backward is
// compared, and a walk over all of it through a 64 KiB cache keeps the cache within it.
TEST(BeeReadInterop, LargeTreeAndBoundedCache) {
  auto key = [](uint32_t i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", uint32_t(i * 2654435761u));  // a bijection: unique keys
    return std::string(buf);
  };
  std::string ops;
  auto put = [&](uint32_t i) { return "{\"op\":\"put\",\"key\":\"" + key(i) + "\",\"value\":\"" + key(i).substr(2, 4) + "\"}"; };
  for (uint32_t i = 0; i < 12000; ++i) ops += (i ? "," : "") + put(i);
  for (uint32_t b = 0; b < 20; ++b) {
    ops += ",{\"op\":\"batch\",\"ops\":[";
    for (uint32_t j = 0; j < 400; ++j) ops += (j ? "," : "") + put(12000 + b * 400 + j);
    ops += "]}";
  }
  for (uint32_t i = 0; i < 500; ++i) ops += ",{\"op\":\"del\",\"key\":\"" + key(i * 37) + "\"}";
  std::string specs = "{\"cases\":[{\"name\":\"large\",\"seed\":7,\"encoding\":\"binary\",\"queries\":150,"
                      "\"limitRatio\":0.95,\"extraQueries\":[{\"q\":\"range\"},{\"q\":\"range\",\"reverse\":true}],\"ops\":[" +
                      ops + "]}]}";

  check_cases(specs, 1, [](element c) {
    auto core = import_core(c);
    constexpr size_t kCapacity = 64 << 10;
    auto store = std::make_shared<bee::internal::BlockStore>(core, kCapacity);
    bee::Snapshot snap(store, core->length());
    simdjson::dom::array queries = c["queries"].get_array();
    for (size_t which = 0; which < 2; ++which) {
      simdjson::dom::array want = queries.at(which)["r"].get_array();
      EXPECT_EQ(want.size(), 19500u);
      bee::Range all;
      all.reverse = which == 1;
      auto it = snap.range(all);
      size_t n = 0, peak = 0;
      for (element w : want) {
        auto e = it.next();
        ASSERT_TRUE(e.has_value()) << e.error().to_string();
        ASSERT_TRUE(e->has_value()) << "ended after " << n;
        ASSERT_EQ(json_entry(**e), simdjson::minify(w)) << "item " << n;
        peak = std::max(peak, store->cached_bytes());
        ASSERT_LE(store->cached_bytes(), kCapacity) << "item " << n;
        ++n;
      }
      auto end = it.next();
      ASSERT_TRUE(end.has_value() && !end->has_value());
      EXPECT_GT(peak, kCapacity / 2);  // the cache was used, up to its bound
    }
  });
}

}  // namespace
