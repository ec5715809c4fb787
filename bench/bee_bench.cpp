// Named workloads of the B-tree, the workload docs/benchmarks.md compares engines on:
// keys "key" + 10-digit zero-padded (i * 2654435761 mod 2^32), 100-byte values, 100,000
// keys, on disk (Durability::os). Run from a release build:
//   build/release/bench/bee_bench [--benchmark_filter=...]
// Peak RSS of the whole run is printed at the end (the figure the issue bounds).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "bee/bee.hpp"

using namespace hypercore;

namespace {

constexpr uint64_t kKeys = 100000;

std::string key_of(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key%010llu", static_cast<unsigned long long>((i * 2654435761ull) % (1ull << 32)));
  return buf;
}

Bytes value_of(uint64_t i) {
  Bytes v(100);
  for (size_t k = 0; k < v.size(); k++) v[k] = static_cast<uint8_t>('a' + (i + k) % 26);
  return v;
}

std::string bench_dir(const std::string& name) {
  const char* base = std::getenv("BEE_BENCH_DIR");
  std::string dir = std::string(base ? base : "/tmp") + "/bee-bench-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

std::unique_ptr<bee::Bee> new_bee(const std::string& dir) {
  Seed seed;
  seed.fill(7);
  auto core = Core::create(*open_directory_storage(dir), KeyPair::from_seed(seed));
  if (!core) std::abort();
  bee::BeeOptions options;
  if (const char* mb = std::getenv("BEE_BENCH_CACHE_MB")) options.cache_bytes = std::stoull(mb) << 20;
  auto bee = bee::Bee::open(std::shared_ptr<Core>(std::move(*core)), options);
  if (!bee) std::abort();
  return std::move(*bee);
}

// Fills a bee with the workload's keys in batches of 1000.
void fill(bee::Bee& db, uint64_t n) {
  for (uint64_t i = 0; i < n; i += 1000) {
    auto batch = db.batch();
    for (uint64_t k = i; k < std::min(n, i + 1000); k++) {
      std::string key = key_of(k);
      Bytes value = value_of(k);
      if (!batch.put(as_bytes(key), ByteSpan(value))) std::abort();
    }
    if (!batch.flush()) std::abort();
  }
}

// One shared database for the read workloads, built once.
bee::Bee& shared_bee() {
  static std::string dir = bench_dir("read");
  static std::unique_ptr<bee::Bee> db = [] {
    auto b = new_bee(dir);
    fill(*b, kKeys);
    return b;
  }();
  return *db;
}

void BM_PutBatched(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    std::string dir = bench_dir("put-batched");
    auto db = new_bee(dir);
    state.ResumeTiming();
    fill(*db, kKeys);
    state.PauseTiming();
    db.reset();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kKeys));
}
BENCHMARK(BM_PutBatched)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_PutSingle(benchmark::State& state) {
  const uint64_t n = 20000;
  for (auto _ : state) {
    state.PauseTiming();
    std::string dir = bench_dir("put-single");
    auto db = new_bee(dir);
    state.ResumeTiming();
    for (uint64_t i = 0; i < n; i++) {
      std::string key = key_of(i);
      Bytes value = value_of(i);
      if (!db->put(as_bytes(key), ByteSpan(value))) std::abort();
    }
    state.PauseTiming();
    db.reset();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_PutSingle)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_GetRandom(benchmark::State& state) {
  bee::Bee& db = shared_bee();
  auto snap = db.snapshot();
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    std::string key = key_of(rng() % kKeys);
    auto e = snap.get(as_bytes(key));
    if (!e || !*e) state.SkipWithError("key missing");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_GetRandom)->UseRealTime();

void BM_ScanAll(benchmark::State& state) {
  bee::Bee& db = shared_bee();
  uint64_t seen = 0;
  for (auto _ : state) {
    auto it = db.snapshot().range({});
    while (true) {
      auto e = it.next();
      if (!e) state.SkipWithError(e.error().to_string().c_str());
      if (!e || !*e) break;
      seen++;
    }
  }
  if (seen != state.iterations() * kKeys) state.SkipWithError("scan count mismatch");
  state.SetItemsProcessed(static_cast<int64_t>(seen));
}
BENCHMARK(BM_ScanAll)->Unit(benchmark::kMillisecond)->UseRealTime();

// 1,000 range reads of 100 consecutive keys from random start keys.
void BM_Range100(benchmark::State& state) {
  bee::Bee& db = shared_bee();
  auto snap = db.snapshot();
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    bee::Range r;
    std::string start = key_of(rng() % kKeys);
    r.gte = to_bytes(start);
    r.limit = 100;
    auto it = snap.range(r);
    int n = 0;
    while (true) {
      auto e = it.next();
      if (!e || !*e) break;
      n++;
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Range100)->Iterations(1000)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak RSS of the whole run: %.1f MB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}
