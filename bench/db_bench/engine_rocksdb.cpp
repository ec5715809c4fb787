// RocksDB (Debian's librocksdb): Options at their defaults (block-based table, 8 MiB block
// cache, 64 MiB write buffer, Snappy compression, two background jobs) plus
// create_if_missing. Durability: os = WriteOptions::sync false (the write-ahead log is
// written, not synced), sync = true.
#include <rocksdb/db.h>
#include <rocksdb/version.h>
#include <rocksdb/write_batch.h>

#include "engine.hpp"

namespace db_bench {
namespace {

class RocksDbEngine final : public Engine {
 public:
  explicit RocksDbEngine(const EngineOptions& options) {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    check(rocksdb::DB::Open(o, options.dir, &db));
    db_.reset(db);
    write_.sync = options.durability == Durability::sync;
  }
  ~RocksDbEngine() override { close(); }

  void put(std::string_view key, std::string_view value) override { check(db_->Put(write_, slice(key), slice(value))); }
  void write_batch(const std::vector<Write>& writes) override {
    rocksdb::WriteBatch batch;
    for (const Write& w : writes) check(w.del ? batch.Delete(w.key) : batch.Put(w.key, w.value));
    check(db_->Write(write_, &batch));
  }
  bool get(std::string_view key, std::string* value) override {
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), slice(key), value);
    if (s.IsNotFound()) return false;
    check(s);
    return true;
  }
  uint64_t scan(uint64_t* bytes) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), n++) *bytes += it->value().size();
    check(it->status());
    return n;
  }
  uint64_t range(std::string_view start, uint64_t limit, uint64_t* bytes) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    uint64_t n = 0;
    for (it->Seek(slice(start)); it->Valid() && n < limit; it->Next(), n++) *bytes += it->value().size();
    check(it->status());
    return n;
  }
  void del(std::string_view key) override { check(db_->Delete(write_, slice(key))); }
  void close() override {
    if (!db_) return;
    check(db_->Close());
    db_.reset();
  }

 private:
  static rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }
  static void check(const rocksdb::Status& s) {
    if (!s.ok()) fail_engine("rocksdb", s.ToString());
  }

  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_;
};

}  // namespace

std::unique_ptr<Engine> open_rocksdb(const EngineOptions& options) { return std::make_unique<RocksDbEngine>(options); }

std::string rocksdb_version() {
  return std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." + std::to_string(ROCKSDB_PATCH);
}

}  // namespace db_bench
