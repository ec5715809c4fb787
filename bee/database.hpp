// A database in one call: Database::open(path) gives an ordered key/value store in a folder,
// as leveldb::DB::Open does. It owns everything beneath it (the folder's storage, the
// Hypercore log, the B-tree on it) and hands out the Db view (bee/db.hpp) with the chosen
// encodings, so a program needs no other type until it wants sub-databases, versions or
// replication (core() / shared_core() are what net/ serves).
//
//   auto db = bee::Database::open("my.db");          // created if missing
//   if (!db) return fail_with(db.error());
//   (*db)->put("hello", "world");
//   auto value = (*db)->get("hello");                 // Result<std::optional<std::string>>
//
// One writer per folder: a read-write open holds the folder's lock file exclusively until
// close(). Read-only opens share it with each other, but not with a writer: opening while
// another process (or another open in this one) has the database open for writing fails at
// once with errc::locked, and so does a writer's open while readers hold it. A reader does
// not follow a live writer because a writer rewrites index and tree records in place when
// it truncates, so an unlocked reader could return blocks of a version that no longer
// exists. A read-only database sees the state of its open; wait for the writer to close,
// or replicate from it (net/).
//
// Thread-safety: none; use a Database and everything made from it from one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bee/db.hpp"
#include "hypercore/core.hpp"

namespace bee {

struct DatabaseOptions {
  // Create an empty database (and the folder) when the folder holds none; off, that is
  // errc::not_found naming the path. Default on.
  bool create_if_missing = true;
  // Fail with errc::already_exists when the folder already holds a database. Default off.
  bool error_if_exists = false;
  // Write nothing, ever: never create the folder or a database (errc::not_found), refuse
  // put, del and batch flushes with errc::session_not_writable, and replay a crashed
  // writer's log tail in memory only. Any number of read-only opens may share a folder;
  // none while it is open for writing (errc::locked). Default off.
  bool read_only = false;
  // os (default): a write that returned survives the process being killed, not power
  // loss (core().flush() makes it so); sync: an fdatasync per write, which survives it.
  hypercore::Durability durability = hypercore::Durability::os;
  // The natural form of keys and values for db() and the string calls below. UTF-8 by
  // default: the string API is text, keys sort by code point (byte order), and Node's
  // hyperbee reads them with keyEncoding 'utf-8'. utf8 refuses bytes that are not UTF-8
  // (errc::invalid_argument): choose binary for those, json for JSON documents.
  Encoding key_encoding = Encoding::utf8;
  Encoding value_encoding = Encoding::utf8;
  // Memory for decoded tree nodes (BeeOptions::cache_bytes, where the trade-off is
  // explained). Default 64 MiB.
  size_t cache_bytes = BeeOptions{}.cache_bytes;
  // The signer of a new database; default a random key pair. Its secret key is stored in
  // the folder, so later opens need no key. For an existing database it must be one of its
  // signers (errc::invalid_argument otherwise), and it signs when the folder holds no
  // secret key (a database copied without it). Ignored by read-only opens.
  std::optional<hypercore::KeyPair> key_pair;
  // A re-put of a key with the value it already has still writes a block (the reference's
  // default, true); false makes it a no-op.
  bool always_duplicate = true;
  // Written into the header block by the first write of a new database (hyperbee's
  // metadata: a content feed key, user data).
  std::optional<Metadata> metadata;
};

class Database {
 public:
  // The database in folder `path`. Errors: errc::invalid_argument when `path` is a file;
  // errc::not_found when there is no database and it may not create one (create_if_missing
  // off, or read_only); errc::already_exists with error_if_exists; errc::locked when
  // another process (or open) holds the folder in a conflicting mode; errc::corrupt, as
  // Core::open, for damaged files.
  static Result<std::unique_ptr<Database>> open(const std::string& path, DatabaseOptions options = {});
  // A new, empty database in memory, lost when destroyed (create_if_missing and
  // error_if_exists do not apply; read_only is errc::invalid_argument).
  static Result<std::unique_ptr<Database>> open_in_memory(DatabaseOptions options = {});

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  // Closes, dropping close()'s error: call close() to see it.
  ~Database();

  // The whole database with the options' encodings: puts, batches, ranges, history,
  // diffs, sub-databases, older versions. Valid as long as the Database.
  Db& db() { return db_; }

  // Shortcuts through db() for keys and values in their natural form given as strings
  // (utf-8 text, JSON text, or raw bytes for binary). put and del return whether a block
  // was written. get gives nullopt for a missing key (and for a key put without a value:
  // db().get tells those apart and gives the entry's seq). After close(): errc::closed.
  Result<bool> put(std::string_view key, std::string_view value);
  Result<std::optional<std::string>> get(std::string_view key) const;
  Result<bool> del(std::string_view key);
  // The entries with gte <= key < lt (nullopt: unbounded) in key order, read lazily from the
  // current version; bee::as_string(entry->key) reads an entry's key as text. For other
  // bounds, reverse order or a limit: db().range(DbRange{...}).
  Result<DbRangeIterator> range(std::optional<std::string_view> gte = std::nullopt,
                                std::optional<std::string_view> lt = std::nullopt) const;

  Bee& bee() { return *bee_; }
  hypercore::Core& core() { return *core_; }
  // For code that shares the core (replication). close() closes it for every holder.
  std::shared_ptr<hypercore::Core> shared_core() { return core_; }
  // The public key that names the database to peers, the same on every open.
  const hypercore::Hash& key() const { return core_->key(); }
  hypercore::Hash discovery_key() const { return core_->discovery_key(); }
  // Grows by one with every written block (Bee::version).
  uint64_t version() const { return bee_->version(); }
  // False when opened read-only, or when the folder holds no secret key and none was given.
  bool writable() const { return core_->writable(); }
  // The folder, or "memory".
  const std::string& path() const { return path_; }

  // Checkpoints the log (nothing for a read-only database) and releases the folder's lock.
  // Idempotent. Afterwards put, get, del and range fail with errc::closed, and so do writes
  // and reads of the log through db() or bee(); key(), version() and path() still answer.
  Result<void> close();

 private:
  Database(std::string path, std::shared_ptr<hypercore::Storage> storage, std::shared_ptr<hypercore::Core> core,
           std::unique_ptr<Bee> bee, const DatabaseOptions& options);
  static Result<std::unique_ptr<Database>> wrap(std::string path, std::shared_ptr<hypercore::Storage> storage,
                                                std::unique_ptr<hypercore::Core> core, const DatabaseOptions& options);
  Result<void> check_open() const;

  std::string path_;
  std::shared_ptr<hypercore::Storage> storage_;
  std::shared_ptr<hypercore::Core> core_;
  std::unique_ptr<Bee> bee_;
  Db db_;
  bool closed_ = false;
};

// A key or value's natural form as text (a view of `bytes`).
inline std::string_view as_string(ByteSpan bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace bee
