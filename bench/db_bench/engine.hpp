// One interface over every engine the driver measures, so a workload is written once and
// runs unchanged against bee and its rivals. An adapter is a thin translation to the
// engine's own API with the settings a user would start from; every setting that differs
// from the library default is named in `settings()` and printed in the report.
//
// Errors: an adapter that meets an engine error prints it and exits the (child) process
// with status 1 (fail_engine). Each measured run is its own process, so the driver records
// the run as failed and moves on; carrying Result values through the timed loops would
// only add noise.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace db_bench {

// The two durability levels every engine is run at.
//   os:   a returned write has reached the OS (survives kill -9 of the process, not a
//         power loss); the level of every workload but put_single_sync.
//   sync: a returned write is on stable storage (fsync/fdatasync per write).
enum class Durability { os, sync };

struct EngineOptions {
  std::string dir;  // the database's own folder (created by the adapter when missing)
  Durability durability = Durability::os;
};

struct Write {
  std::string key;
  std::string value;
  bool del = false;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual void put(std::string_view key, std::string_view value) = 0;
  // Atomically: all of `writes` or none of them (one transaction / write batch / append).
  virtual void write_batch(const std::vector<Write>& writes) = 0;
  // Whether the key exists; its value's bytes are copied into *value.
  virtual bool get(std::string_view key, std::string* value) = 0;
  // Every entry in key order; returns the number of entries, adds value bytes to *bytes.
  virtual uint64_t scan(uint64_t* bytes) = 0;
  // Up to `limit` entries from the first key >= start, in key order.
  virtual uint64_t range(std::string_view start, uint64_t limit, uint64_t* bytes) = 0;
  virtual void del(std::string_view key) = 0;
  // Flushes and releases everything; the destructor calls it when it was not called.
  virtual void close() = 0;
  // Engine-specific counters since open (bee: blocks appended, bytes hashed, signatures).
  virtual std::vector<std::pair<std::string, uint64_t>> counters() const { return {}; }
};

// The engines this driver links, in report order. "bee-bigcache" is bee with a 1 GiB
// decoded-block cache instead of the default (BeeOptions::cache_bytes): it shows what the
// cache is worth at 1M keys.
const std::vector<std::string>& native_engines();
constexpr size_t kBigCacheBytes = size_t{1} << 30;
// The engine's durability setting for each level, in its own words ("sync=false").
std::string durability_setting(const std::string& engine, Durability durability);
// Settings that differ from the library's defaults, and its version.
std::string engine_settings(const std::string& engine);
std::string engine_version(const std::string& engine);

std::unique_ptr<Engine> open_engine(const std::string& engine, const EngineOptions& options);

[[noreturn]] void fail_engine(const std::string& engine, const std::string& what);

// Per-adapter factories (engine_<name>.cpp).
// cache_bytes: BeeOptions::cache_bytes, 0 = its default.
std::unique_ptr<Engine> open_bee(const EngineOptions& options, size_t cache_bytes);
std::unique_ptr<Engine> open_leveldb(const EngineOptions& options);
std::unique_ptr<Engine> open_rocksdb(const EngineOptions& options);
std::unique_ptr<Engine> open_lmdb(const EngineOptions& options);
std::unique_ptr<Engine> open_sqlite(const EngineOptions& options);
std::string leveldb_version();
std::string rocksdb_version();
std::string lmdb_version();
std::string sqlite_version();

}  // namespace db_bench
