// The engine registry: names, versions and the settings the report states for each.
#include <cstdio>
#include <cstdlib>

#include "bee/bee.hpp"
#include "engine.hpp"

namespace db_bench {

const std::vector<std::string>& native_engines() {
  static const std::vector<std::string> kEngines = {"bee", "leveldb", "rocksdb", "lmdb", "sqlite", "bee-bigcache"};
  return kEngines;
}

std::string durability_setting(const std::string& engine, Durability durability) {
  bool sync = durability == Durability::sync;
  if (engine.starts_with("bee")) return sync ? "Durability::sync (fdatasync per append)" : "Durability::os";
  if (engine == "leveldb" || engine == "rocksdb") return sync ? "WriteOptions::sync=true" : "WriteOptions::sync=false";
  if (engine == "lmdb") return sync ? "default flags (fsync per commit)" : "MDB_NOSYNC";
  if (engine == "sqlite") return sync ? "WAL, synchronous=FULL" : "WAL, synchronous=NORMAL";
  if (engine == "node-disk") return sync ? "n/a (no fsync option)" : "random-access-file, no fsync";
  if (engine == "node-mem") return sync ? "n/a (memory)" : "random-access-memory (nothing persists)";
  return "?";
}

std::string engine_settings(const std::string& engine) {
  if (engine == "bee") {
    return "BeeOptions/CoreOptions defaults (" + std::to_string(bee::BeeOptions{}.cache_bytes >> 20) +
           " MiB decoded-node cache, " + std::to_string(hypercore::CoreOptions{}.index_cache_bytes >> 20) +
           " MiB index cache)";
  }
  if (engine == "bee-bigcache")
    return "bee with BeeOptions::cache_bytes = 1 GiB; 1M keys only, cache-bound workloads only";
  if (engine == "leveldb") return "defaults + create_if_missing (8 MiB block cache, 4 MiB write buffer, Snappy)";
  if (engine == "rocksdb") return "defaults + create_if_missing (8 MiB block cache, 64 MiB write buffer, Snappy)";
  if (engine == "lmdb") return "64 GiB map, one read txn reused (reset/renew)";
  if (engine == "sqlite") return "WITHOUT ROWID table, WAL, default page cache (2 MiB)";
  if (engine == "node-disk") return "Hyperbee over Hypercore(dir), binary encodings";
  if (engine == "node-mem") return "Hyperbee over Hypercore(random-access-memory), binary encodings";
  return "";
}

std::string engine_version(const std::string& engine) {
  if (engine.starts_with("bee")) return "this tree";
  if (engine == "leveldb") return leveldb_version();
  if (engine == "rocksdb") return rocksdb_version();
  if (engine == "lmdb") return lmdb_version();
  if (engine == "sqlite") return sqlite_version();
  return "hyperbee 2.27.3, hypercore 10.38.2";
}

std::unique_ptr<Engine> open_engine(const std::string& engine, const EngineOptions& options) {
  if (engine == "bee") return open_bee(options, 0);
  if (engine == "bee-bigcache") return open_bee(options, kBigCacheBytes);
  if (engine == "leveldb") return open_leveldb(options);
  if (engine == "rocksdb") return open_rocksdb(options);
  if (engine == "lmdb") return open_lmdb(options);
  if (engine == "sqlite") return open_sqlite(options);
  fail_engine(engine, "unknown engine");
}

void fail_engine(const std::string& engine, const std::string& what) {
  std::fprintf(stderr, "db_bench: %s: %s\n", engine.c_str(), what.c_str());
  std::exit(1);
}

}  // namespace db_bench
