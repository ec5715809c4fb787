// LMDB (Debian's liblmdb): one environment per folder, a 64 GiB map (address space only;
// the file grows as pages are used), default page size. Durability: os = MDB_NOSYNC (a
// commit writes the pages to the OS but does not fsync: survives kill -9, not power loss),
// sync = the default (fsync at every commit). Reads reuse one read-only transaction with
// mdb_txn_reset/mdb_txn_renew, LMDB's documented fast path for many short reads.
#include <lmdb.h>

#include <filesystem>

#include "engine.hpp"

namespace db_bench {
namespace {

constexpr size_t kMapSize = 64ull << 30;

class LmdbEngine final : public Engine {
 public:
  explicit LmdbEngine(const EngineOptions& options) {
    std::filesystem::create_directories(options.dir);
    check(mdb_env_create(&env_));
    check(mdb_env_set_mapsize(env_, kMapSize));
    unsigned flags = options.durability == Durability::sync ? 0 : MDB_NOSYNC;
    check(mdb_env_open(env_, options.dir.c_str(), flags, 0644));
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(env_, nullptr, 0, &txn));
    check(mdb_dbi_open(txn, nullptr, 0, &dbi_));
    check(mdb_txn_commit(txn));
  }
  ~LmdbEngine() override { close(); }

  void put(std::string_view key, std::string_view value) override {
    write_batch({Write{std::string(key), std::string(value), false}});
  }
  void write_batch(const std::vector<Write>& writes) override {
    end_read();
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(env_, nullptr, 0, &txn));
    for (const Write& w : writes) {
      MDB_val k = val(w.key);
      if (w.del) {
        int rc = mdb_del(txn, dbi_, &k, nullptr);
        if (rc != MDB_NOTFOUND) check(rc);
      } else {
        MDB_val v = val(w.value);
        check(mdb_put(txn, dbi_, &k, &v, 0));
      }
    }
    check(mdb_txn_commit(txn));
  }
  bool get(std::string_view key, std::string* value) override {
    MDB_txn* txn = read_txn();
    MDB_val k = val(key), v;
    int rc = mdb_get(txn, dbi_, &k, &v);
    if (rc == MDB_NOTFOUND) return false;
    check(rc);
    value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
    return true;
  }
  uint64_t scan(uint64_t* bytes) override { return walk(nullptr, UINT64_MAX, bytes); }
  uint64_t range(std::string_view start, uint64_t limit, uint64_t* bytes) override {
    return walk(&start, limit, bytes);
  }
  void del(std::string_view key) override { write_batch({Write{std::string(key), {}, true}}); }
  void close() override {
    if (!env_) return;
    if (read_) mdb_txn_abort(read_);
    read_ = nullptr;
    mdb_env_close(env_);
    env_ = nullptr;
  }

 private:
  static MDB_val val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
  static void check(int rc) {
    if (rc != 0) fail_engine("lmdb", mdb_strerror(rc));
  }

  MDB_txn* read_txn() {
    if (!read_) {
      check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &read_));
    } else if (read_reset_) {
      check(mdb_txn_renew(read_));
    }
    read_reset_ = false;
    return read_;
  }
  // A writer may not run while this thread holds a read transaction's snapshot open for
  // long (it pins old pages), so writes reset it first.
  void end_read() {
    if (read_ && !read_reset_) mdb_txn_reset(read_);
    read_reset_ = true;
  }

  uint64_t walk(const std::string_view* start, uint64_t limit, uint64_t* bytes) {
    MDB_cursor* cursor = nullptr;
    check(mdb_cursor_open(read_txn(), dbi_, &cursor));
    MDB_val k{}, v{};
    int rc = start ? (k = val(*start), mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE))
                   : mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
    uint64_t n = 0;
    while (rc == 0 && n < limit) {
      *bytes += v.mv_size;
      n++;
      rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
    }
    if (rc != 0 && rc != MDB_NOTFOUND) check(rc);
    mdb_cursor_close(cursor);
    return n;
  }

  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  MDB_txn* read_ = nullptr;
  bool read_reset_ = false;
};

}  // namespace

std::unique_ptr<Engine> open_lmdb(const EngineOptions& options) { return std::make_unique<LmdbEngine>(options); }

std::string lmdb_version() {
  int major = 0, minor = 0, patch = 0;
  mdb_version(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace db_bench
