// Named workloads of the Hypercore log. Run from a release build:
//   build/release/bench/hypercore_bench [--benchmark_filter=...]
// Rates are per second of wall time (appends hash on two threads). Disk workloads use $BEE_BENCH_DIR (default: a folder under /tmp) and remove what they write.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "hypercore/core.hpp"

using namespace hypercore;

namespace {

std::string bench_dir(const std::string& name) {
  const char* base = std::getenv("BEE_BENCH_DIR");
  std::string dir = std::string(base ? base : "/tmp") + "/bee-bench-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

KeyPair bench_key_pair() {
  Seed seed;
  seed.fill(0x42);
  return KeyPair::from_seed(seed);
}

std::vector<Bytes> make_blocks(size_t count, size_t size) {
  std::mt19937_64 rng(1);
  std::vector<Bytes> blocks(count, Bytes(size));
  for (auto& b : blocks) {
    for (auto& x : b) x = static_cast<uint8_t>(rng());
  }
  return blocks;
}

// Appends batches of `range(0)` blocks of 180 bytes; one signature per batch.
void append_batches(benchmark::State& state, std::shared_ptr<Storage> storage, Durability durability) {
  const size_t batch = static_cast<size_t>(state.range(0));
  auto blocks = make_blocks(batch, 180);
  std::vector<ByteSpan> spans(blocks.begin(), blocks.end());
  CoreOptions options;
  options.durability = durability;
  auto core = std::move(*Core::create(storage, bench_key_pair(), options));
  for (auto _ : state) {
    auto r = core->append(spans);
    if (!r) state.SkipWithError(r.error().to_string().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch * 180));
}

void BM_AppendBatch_Memory(benchmark::State& state) { append_batches(state, make_memory_storage(), Durability::os); }
BENCHMARK(BM_AppendBatch_Memory)->Arg(1000)->UseRealTime();

// One fdatasync per batch (Durability::sync): every returned batch survives power loss.
void BM_AppendBatch_DiskSync(benchmark::State& state) {
  std::string dir = bench_dir("append-sync");
  append_batches(state, *open_directory_storage(dir), Durability::sync);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AppendBatch_DiskSync)->Arg(1000)->UseRealTime();

void BM_AppendBatch_DiskOs(benchmark::State& state) {
  std::string dir = bench_dir("append-os");
  append_batches(state, *open_directory_storage(dir), Durability::os);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AppendBatch_DiskOs)->Arg(1000)->UseRealTime();

// One block per append call: one Ed25519 signature each.
void BM_AppendSingle_Memory(benchmark::State& state) { append_batches(state, make_memory_storage(), Durability::os); }
BENCHMARK(BM_AppendSingle_Memory)->Arg(1)->UseRealTime();

void BM_AppendSingle_DiskOs(benchmark::State& state) {
  std::string dir = bench_dir("single-os");
  append_batches(state, *open_directory_storage(dir), Durability::os);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AppendSingle_DiskOs)->Arg(1)->UseRealTime();

void BM_AppendSingle_DiskSync(benchmark::State& state) {
  std::string dir = bench_dir("single-sync");
  append_batches(state, *open_directory_storage(dir), Durability::sync);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AppendSingle_DiskSync)->Arg(1)->UseRealTime();

// Random get of a stored 180-byte block from a warm on-disk store of `range(0)` blocks.
void BM_GetRandom_Disk(benchmark::State& state) {
  const uint64_t count = static_cast<uint64_t>(state.range(0));
  std::string dir = bench_dir("get");
  {
    auto core = std::move(*Core::create(*open_directory_storage(dir), bench_key_pair()));
    auto blocks = make_blocks(1000, 180);
    std::vector<ByteSpan> spans(blocks.begin(), blocks.end());
    for (uint64_t i = 0; i < count; i += 1000) (void)core->append(spans);
    (void)core->close();
  }
  auto core = std::move(*Core::open(*open_directory_storage(dir)));
  std::mt19937_64 rng(7);
  for (uint64_t i = 0; i < count; i++) benchmark::DoNotOptimize(core->get(i));  // warm the page cache
  for (auto _ : state) {
    auto b = core->get(rng() % count);
    benchmark::DoNotOptimize(b);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_GetRandom_Disk)->Arg(100000)->UseRealTime();

// Core::verify over a log of `range(0)` MiB in 64 KiB blocks on disk (page cache warm).
void BM_Verify_Disk(benchmark::State& state) {
  const uint64_t mib = static_cast<uint64_t>(state.range(0));
  std::string dir = bench_dir("verify");
  auto blocks = make_blocks(16, 64 * 1024);
  std::vector<ByteSpan> spans(blocks.begin(), blocks.end());
  {
    auto core = std::move(*Core::create(*open_directory_storage(dir), bench_key_pair()));
    for (uint64_t i = 0; i < mib; i++) (void)core->append(spans);  // 16 × 64 KiB = 1 MiB per call
    (void)core->close();
  }
  auto core = std::move(*Core::open(*open_directory_storage(dir)));
  for (auto _ : state) {
    auto r = core->verify();
    if (!r) state.SkipWithError(r.error().to_string().c_str());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * mib * 1024 * 1024));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Verify_Disk)->Arg(1024)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
