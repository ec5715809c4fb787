// The workloads' operation sequences. Keys and values are generated inside the timed loop
// (a snprintf and a small fill, well under a microsecond) so that 1M x 1 KiB runs do not
// hold a gigabyte of input in memory; fill_seq's sorted order is computed before timing.
#include "workloads.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <numeric>

#include "keys.hpp"

namespace db_bench {
namespace {

constexpr uint64_t kBatch = 1000;
constexpr uint64_t kRangeLength = 100;

double cpu_seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

void fill(Engine& engine, const std::vector<uint32_t>& order, size_t value_size) {
  std::vector<Write> batch;
  batch.reserve(kBatch);
  for (size_t i = 0; i < order.size(); i++) {
    batch.push_back(Write{key_of(order[i]), value_of(order[i], value_size), false});
    if (batch.size() == kBatch || i + 1 == order.size()) {
      engine.write_batch(batch);
      batch.clear();
    }
  }
}

// One pass of a workload; returns the number of operations it counts.
uint64_t pass(Engine& engine, const std::string& name, uint64_t keys, size_t value_size, uint64_t ops, int run,
              const std::vector<uint32_t>& order) {
  std::string value;
  uint64_t bytes = 0;
  if (name == "fill_seq" || name == "fill_random") {
    fill(engine, order, value_size);
    return order.size();
  }
  if (name == "put_single" || name == "put_single_sync") {
    for (uint64_t i = 0; i < ops; i++) engine.put(key_of(i), value_of(i, value_size));
    return ops;
  }
  if (name.starts_with("get_random")) {
    for (uint64_t j = 0; j < ops; j++) {
      uint64_t i = pick(j, 1, keys);
      if (!engine.get(key_of(i), &value) || value.size() != value_size) fail_engine("workload", "missing " + key_of(i));
    }
    return ops;
  }
  if (name.starts_with("scan")) {
    uint64_t n = engine.scan(&bytes);
    if (n != keys) fail_engine("workload", "scan saw " + std::to_string(n) + " entries of " + std::to_string(keys));
    return n;
  }
  if (name.starts_with("range100")) {
    for (uint64_t j = 0; j < ops; j++) {
      if (engine.range(key_of(pick(j, 2, keys)), kRangeLength, &bytes) == 0) fail_engine("workload", "empty range");
    }
    return ops;
  }
  if (name == "overwrite" || name == "delete") {
    bool del = name == "delete";
    std::vector<Write> batch;
    for (uint64_t j = 0; j < ops; j++) {
      uint64_t i = del ? run * ops + j : pick(j + run * ops, 3, keys);
      batch.push_back(Write{key_of(i), del ? std::string() : value_of(i + 1 + run, value_size), del});
      if (batch.size() == kBatch || j + 1 == ops) {
        engine.write_batch(batch);
        batch.clear();
      }
    }
    return ops;
  }
  fail_engine("workload", "unknown workload " + name);
}

}  // namespace

const std::vector<Workload>& workloads() {
  static const std::vector<Workload> kWorkloads = {
      {"fill_seq", "all keys in ascending key order, batches of 1,000, empty database", true, false, false,
       Durability::os},
      {"fill_random", "all keys in generator (random) order, batches of 1,000, empty database", true, false, false,
       Durability::os},
      {"put_single", "single puts (one write each), keys 0..ops-1 into an empty database", true, false, false,
       Durability::os},
      {"put_single_sync", "as put_single, each write fsynced before it returns", true, false, false, Durability::sync},
      {"get_random_cold", "random gets of existing keys, files evicted from the page cache, fresh process", false,
       false, true, Durability::os},
      {"get_random_warm", "the same gets, timed on the second pass of the same process", false, true, false,
       Durability::os},
      {"scan_cold", "one full ordered scan of every entry (ops = entries), files evicted, fresh process", false, false,
       true, Durability::os},
      {"scan_warm", "the same scan, timed the second time in the same process", false, true, false, Durability::os},
      {"range100_cold", "range reads of 100 keys from random start keys (ops = range reads), files evicted", false,
       false, true, Durability::os},
      {"range100_warm", "the same range reads, timed on the second pass", false, true, false, Durability::os},
      {"overwrite", "puts of random existing keys with new values, batches of 1,000", false, false, false,
       Durability::os},
      {"delete", "deletes of existing keys (different keys each run), batches of 1,000", false, false, false,
       Durability::os},
  };
  return kWorkloads;
}

const Workload* find_workload(const std::string& name) {
  for (const Workload& w : workloads()) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

Sizes node_sizes(const Sizes& sizes) {
  Sizes s = sizes;
  s.single_cap = std::min<uint64_t>(s.single_cap, 5000);
  s.read_cap = std::min<uint64_t>(s.read_cap, 2000);
  s.range_cap = std::min<uint64_t>(s.range_cap, 200);
  s.write_cap = std::min<uint64_t>(s.write_cap, 10000);
  return s;
}

uint64_t ops_of(const Workload& w, const Sizes& s) {
  if (w.name.starts_with("fill") || w.name.starts_with("scan")) return s.keys;
  if (w.name == "put_single") return std::min(s.keys, s.single_cap);
  if (w.name == "put_single_sync") return std::min(s.keys, s.sync_cap);
  if (w.name.starts_with("get_random")) return std::min(s.keys, s.read_cap);
  if (w.name.starts_with("range100")) return std::min(s.keys, s.range_cap);
  if (w.name == "overwrite") return std::min(s.keys, s.write_cap);
  if (w.name == "delete") return std::min(s.keys / static_cast<uint64_t>(s.runs), s.write_cap);
  return 0;
}

Measured run_workload(Engine& engine, const Workload& workload, uint64_t keys, size_t value_size, uint64_t ops,
                      int run) {
  std::vector<uint32_t> order;
  if (workload.name.starts_with("fill")) {
    order.resize(keys);
    std::iota(order.begin(), order.end(), 0);
    if (workload.name == "fill_seq") {
      std::sort(order.begin(), order.end(), [](uint32_t a, uint32_t b) { return key_hash(a) < key_hash(b); });
    }
  }
  if (workload.warm) pass(engine, workload.name, keys, value_size, ops, run, order);

  auto before = engine.counters();
  rusage r0{}, r1{};
  getrusage(RUSAGE_SELF, &r0);
  auto t0 = std::chrono::steady_clock::now();
  uint64_t done = pass(engine, workload.name, keys, value_size, ops, run, order);
  auto t1 = std::chrono::steady_clock::now();
  getrusage(RUSAGE_SELF, &r1);

  Measured m;
  m.ops = done;
  m.seconds = std::chrono::duration<double>(t1 - t0).count();
  m.user_seconds = cpu_seconds(r1.ru_utime) - cpu_seconds(r0.ru_utime);
  m.sys_seconds = cpu_seconds(r1.ru_stime) - cpu_seconds(r0.ru_stime);
  m.counters = engine.counters();
  for (size_t i = 0; i < m.counters.size() && i < before.size(); i++) m.counters[i].second -= before[i].second;
  return m;
}

}  // namespace db_bench
