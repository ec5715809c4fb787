// LevelDB (Debian's libleveldb, with Snappy): Options at their defaults (8 MiB block cache,
// 4 MiB write buffer, Snappy compression) plus create_if_missing. Durability: os =
// WriteOptions::sync false (the write-ahead log is written, not synced), sync = true.
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "engine.hpp"

namespace db_bench {
namespace {

class LevelDbEngine final : public Engine {
 public:
  explicit LevelDbEngine(const EngineOptions& options) {
    leveldb::Options o;
    o.create_if_missing = true;
    leveldb::DB* db = nullptr;
    check(leveldb::DB::Open(o, options.dir, &db));
    db_.reset(db);
    write_.sync = options.durability == Durability::sync;
  }
  ~LevelDbEngine() override { close(); }

  void put(std::string_view key, std::string_view value) override { check(db_->Put(write_, slice(key), slice(value))); }
  void write_batch(const std::vector<Write>& writes) override {
    leveldb::WriteBatch batch;
    for (const Write& w : writes) {
      if (w.del) {
        batch.Delete(w.key);
      } else {
        batch.Put(w.key, w.value);
      }
    }
    check(db_->Write(write_, &batch));
  }
  bool get(std::string_view key, std::string* value) override {
    leveldb::Status s = db_->Get(leveldb::ReadOptions(), slice(key), value);
    if (s.IsNotFound()) return false;
    check(s);
    return true;
  }
  uint64_t scan(uint64_t* bytes) override {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), n++) *bytes += it->value().size();
    check(it->status());
    return n;
  }
  uint64_t range(std::string_view start, uint64_t limit, uint64_t* bytes) override {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    uint64_t n = 0;
    for (it->Seek(slice(start)); it->Valid() && n < limit; it->Next(), n++) *bytes += it->value().size();
    check(it->status());
    return n;
  }
  void del(std::string_view key) override { check(db_->Delete(write_, slice(key))); }
  void close() override { db_.reset(); }

 private:
  static leveldb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }
  static void check(const leveldb::Status& s) {
    if (!s.ok()) fail_engine("leveldb", s.ToString());
  }

  std::unique_ptr<leveldb::DB> db_;
  leveldb::WriteOptions write_;
};

}  // namespace

std::unique_ptr<Engine> open_leveldb(const EngineOptions& options) { return std::make_unique<LevelDbEngine>(options); }

std::string leveldb_version() {
  return std::to_string(leveldb::kMajorVersion) + "." + std::to_string(leveldb::kMinorVersion);
}

}  // namespace db_bench
