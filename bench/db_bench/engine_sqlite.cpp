// SQLite (Debian's libsqlite3): one table `kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID`
// (a clustered B-tree keyed by the key bytes, the natural key/value layout), WAL journal,
// default page size and page cache, prepared statements. Durability: os =
// synchronous=NORMAL (in WAL mode a commit is written to the WAL but only checkpoints
// fsync: survives kill -9, not power loss), sync = synchronous=FULL (the WAL is fsynced
// at every commit). A batch is one BEGIN..COMMIT transaction.
#include <sqlite3.h>

#include <filesystem>

#include "engine.hpp"

namespace db_bench {
namespace {

class SqliteEngine final : public Engine {
 public:
  explicit SqliteEngine(const EngineOptions& options) {
    std::filesystem::create_directories(options.dir);
    check(sqlite3_open((options.dir + "/kv.sqlite").c_str(), &db_));
    exec("PRAGMA journal_mode=WAL");
    exec(options.durability == Durability::sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID");
    put_ = prepare("INSERT OR REPLACE INTO kv (k, v) VALUES (?1, ?2)");
    get_ = prepare("SELECT v FROM kv WHERE k = ?1");
    del_ = prepare("DELETE FROM kv WHERE k = ?1");
    scan_ = prepare("SELECT k, v FROM kv ORDER BY k");
    range_ = prepare("SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k LIMIT ?2");
    begin_ = prepare("BEGIN");
    commit_ = prepare("COMMIT");
  }
  ~SqliteEngine() override { close(); }

  void put(std::string_view key, std::string_view value) override { write(key, &value); }
  void write_batch(const std::vector<Write>& writes) override {
    step_done(begin_);
    for (const Write& w : writes) {
      std::string_view value = w.value;
      write(w.key, w.del ? nullptr : &value);
    }
    step_done(commit_);
  }
  bool get(std::string_view key, std::string* value) override {
    bind(get_, 1, key);
    int rc = sqlite3_step(get_);
    bool found = rc == SQLITE_ROW;
    if (found) {
      value->assign(static_cast<const char*>(sqlite3_column_blob(get_, 0)),
                    static_cast<size_t>(sqlite3_column_bytes(get_, 0)));
    } else if (rc != SQLITE_DONE) {
      check(rc);
    }
    sqlite3_reset(get_);
    return found;
  }
  uint64_t scan(uint64_t* bytes) override { return rows(scan_, UINT64_MAX, bytes); }
  uint64_t range(std::string_view start, uint64_t limit, uint64_t* bytes) override {
    bind(range_, 1, start);
    check(sqlite3_bind_int64(range_, 2, static_cast<sqlite3_int64>(limit)));
    return rows(range_, limit, bytes);
  }
  void del(std::string_view key) override { write(key, nullptr); }
  void close() override {
    if (!db_) return;
    for (sqlite3_stmt* s : {put_, get_, del_, scan_, range_, begin_, commit_}) sqlite3_finalize(s);
    check(sqlite3_close(db_));
    db_ = nullptr;
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail_engine("sqlite", std::string(sqlite3_errstr(rc)) + ": " + sqlite3_errmsg(db_));
  }
  void exec(const char* sql) { check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr)); }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    check(sqlite3_prepare_v2(db_, sql, -1, &s, nullptr));
    return s;
  }
  void bind(sqlite3_stmt* s, int index, std::string_view bytes) {
    check(sqlite3_bind_blob(s, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC));
  }
  void step_done(sqlite3_stmt* s) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) check(rc);
  }
  void write(std::string_view key, const std::string_view* value) {
    sqlite3_stmt* s = value ? put_ : del_;
    bind(s, 1, key);
    if (value) bind(s, 2, *value);
    step_done(s);
  }
  uint64_t rows(sqlite3_stmt* s, uint64_t limit, uint64_t* bytes) {
    uint64_t n = 0;
    int rc = SQLITE_ROW;
    while (n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
      *bytes += static_cast<uint64_t>(sqlite3_column_bytes(s, 1));
      n++;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) check(rc);
    return n;
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt *put_ = nullptr, *get_ = nullptr, *del_ = nullptr, *scan_ = nullptr, *range_ = nullptr;
  sqlite3_stmt *begin_ = nullptr, *commit_ = nullptr;
};

}  // namespace

std::unique_ptr<Engine> open_sqlite(const EngineOptions& options) { return std::make_unique<SqliteEngine>(options); }

std::string sqlite_version() { return sqlite3_libversion(); }

}  // namespace db_bench
