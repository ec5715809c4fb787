// A Hyperbee 2 database: an ordered key/value store whose every effective write appends one
// block to a Hypercore, byte-identical to the Node.js reference (hyperbee 2.27.3). Keys and
// values here are bytes, ordered by unsigned byte comparison; encodings and sub-databases
// are layered on top (bee/db.hpp).
//
// Reads work on a fixed version (a Snapshot): an iterator never sees writes made after it
// was created. Iterators are lazy: a range over millions of keys holds one root-to-leaf path.
//
// Thread-safety: none; use a Bee and everything made from it from one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "bee/messages.hpp"
#include "hypercore/core.hpp"

namespace bee {

struct Entry {
  uint64_t seq = 0;
  Bytes key;
  std::optional<Bytes> value;  // absent for a value-less put
  friend bool operator==(const Entry&, const Entry&) = default;
};

// Compare-and-swap predicate: called only when the key already exists, with the stored
// entry and the entry the operation would write (`next.seq` = the seq it would get; for a
// delete `next.value` is absent). Returning false makes the operation a no-op.
using Cas = std::function<bool(const Entry& prev, const Entry& next)>;

// Key bounds of a range read (spec §6.2). gt wins over gte, lt over lte; absent = unbounded.
struct Range {
  std::optional<Bytes> gt, gte, lt, lte;
  bool reverse = false;
  int64_t limit = -1;  // -1 = unlimited; 0 or any other negative value yields nothing
};

// Seq bounds of a history read (spec §6.3): 0 counts as "not given", a negative value is
// relative to the version; block 0 (the header) is never returned.
struct HistoryRange {
  std::optional<int64_t> gt, gte, lt, lte;
  bool reverse = false;
  int64_t limit = -1;  // 0 yields nothing, any negative value is unlimited
};

struct HistoryEntry {
  enum class Type { put, del };
  Type type = Type::put;
  Entry entry;
  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

// One key whose entry differs between two versions (spec §6.4).
struct DiffEntry {
  std::optional<Entry> left;   // the snapshot's own version
  std::optional<Entry> right;  // the other version
  friend bool operator==(const DiffEntry&, const DiffEntry&) = default;
};

struct BeeOptions {
  // The reference default: a put of an existing key with an identical value still writes.
  bool always_duplicate = true;
  // Written into the header block by the first write of an empty core.
  std::optional<Metadata> metadata;
  // Memory for decoded blocks and tree nodes, shared by the bee, its snapshots, iterators
  // and writer; a hard bound, whatever the database size. Nodes hold their keys and small
  // values inline, so the default 64 MiB holds a database of 100,000 entries of 100 bytes
  // whole (bee_bench peaks at 27 MB), and the upper levels of the tree of 1,000,000: there,
  // 50,000 gets repeated ran at 35k/s with 32 MiB (the lower levels missed) and at 880k/s
  // with 64 MiB. Less memory costs a read of the log (a pread and a checksum) per miss;
  // reads still work with a cache of a few KiB.
  size_t cache_bytes = 64 << 20;
};

namespace internal {
class BlockStore;
class TreeWriter;
struct RangeCursor;
struct HistoryCursor;
struct DiffCursor;
}  // namespace internal

// Pull-style lazy iterators: next() returns the next item, nullopt at the end, or an error
// (a corrupt or missing block); after an error or the end it keeps returning the same.
class RangeIterator {
 public:
  explicit RangeIterator(std::unique_ptr<internal::RangeCursor> cursor);
  RangeIterator(RangeIterator&&) noexcept;
  RangeIterator& operator=(RangeIterator&&) noexcept;
  ~RangeIterator();
  Result<std::optional<Entry>> next();

 private:
  std::unique_ptr<internal::RangeCursor> cursor_;
};

class HistoryIterator {
 public:
  explicit HistoryIterator(std::unique_ptr<internal::HistoryCursor> cursor);
  HistoryIterator(HistoryIterator&&) noexcept;
  HistoryIterator& operator=(HistoryIterator&&) noexcept;
  ~HistoryIterator();
  Result<std::optional<HistoryEntry>> next();

 private:
  std::unique_ptr<internal::HistoryCursor> cursor_;
};

class DiffIterator {
 public:
  explicit DiffIterator(std::unique_ptr<internal::DiffCursor> cursor);
  DiffIterator(DiffIterator&&) noexcept;
  DiffIterator& operator=(DiffIterator&&) noexcept;
  ~DiffIterator();
  Result<std::optional<DiffEntry>> next();

 private:
  std::unique_ptr<internal::DiffCursor> cursor_;
};

// A read-only view of one version. Cheap to copy.
class Snapshot {
 public:
  Snapshot(std::shared_ptr<internal::BlockStore> store, uint64_t version);

  uint64_t version() const { return version_; }
  Result<std::optional<Entry>> get(ByteSpan key) const;
  Result<std::optional<Entry>> peek(const Range& range) const;
  RangeIterator range(const Range& range) const;
  HistoryIterator history(const HistoryRange& range) const;
  // This version on the left, `other_version` on the right; range bounds as for range()
  // (with the reference's inclusive-bound quirk), limit as for history(); no reverse.
  DiffIterator diff(uint64_t other_version, const Range& range) const;
  // The key and value of block `seq` (entry.seq = seq; a delete has no value).
  Result<Entry> get_by_seq(uint64_t seq) const;

 private:
  std::shared_ptr<internal::BlockStore> store_;
  uint64_t version_;
};

class Bee;

// Operations kept in memory and appended together by flush() (one append, one signature;
// atomic across a crash). Reads through the batch see its pending operations. A Bee has at
// most one open batch; its writes are refused while one is open.
class Batch {
 public:
  Batch(Batch&&) noexcept;
  Batch& operator=(Batch&&) noexcept;
  ~Batch();  // discards what was not flushed

  // Return whether the operation will write a block (false: a no-op).
  Result<bool> put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas = {});
  // As put(), with the duplicate rule (BeeOptions::always_duplicate) chosen for this call:
  // see Bee::put below.
  Result<bool> put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas, bool always_duplicate);
  Result<bool> del(ByteSpan key, const Cas& cas = {});
  Result<std::optional<Entry>> get(ByteSpan key) const;
  Result<void> flush();
  void discard();

 private:
  friend class Bee;
  explicit Batch(Bee* bee);
  Bee* bee_;
};

class Bee {
 public:
  // A bee over `core` (which may be empty: the header is written by the first write).
  // Fails with errc::corrupt if block 0 exists and is not a hyperbee header.
  static Result<std::unique_ptr<Bee>> open(std::shared_ptr<hypercore::Core> core, BeeOptions options = {});
  ~Bee();

  // max(1, core length).
  uint64_t version() const;
  Result<Header> header() const;

  // Each returns whether a block was written (false: a no-op by the rules of spec §5.5).
  Result<bool> put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas = {});
  // As put(), with the duplicate rule chosen for this call instead of by
  // BeeOptions::always_duplicate. The reference's sub-databases always write duplicates
  // (hyperbee's sub() does not pass alwaysDuplicate on), so sub writes use true.
  Result<bool> put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas, bool always_duplicate);
  Result<bool> del(ByteSpan key, const Cas& cas = {});
  Batch batch();

  // Reads at the current version.
  Snapshot snapshot() const;
  // A read-only view of an older version (0 is treated as 1); errc::out_of_range above the
  // current version.
  Result<Snapshot> checkout(uint64_t version) const;
  Result<std::optional<Entry>> get(ByteSpan key) const { return snapshot().get(key); }

  // Calls on_change(version, previous_version) after every change of the version (local
  // writes, truncations, and blocks applied from peers), on the thread that made it, until
  // the returned handle is destroyed. A batch flush is one change.
  std::shared_ptr<void> watch(std::function<void(uint64_t version, uint64_t previous)> on_change);
  // As watch(), but only when an entry within `range` changed (a diff of the two versions
  // over the range is not empty) or the core was truncated; gets both versions' snapshots.
  std::shared_ptr<void> watch(const Range& range,
                              std::function<void(const Snapshot& current, const Snapshot& previous)> on_change);

  hypercore::Core& core();
  const BeeOptions& options() const { return options_; }

 private:
  friend class Batch;
  Bee(std::shared_ptr<hypercore::Core> core, BeeOptions options);

  std::shared_ptr<hypercore::Core> core_;
  BeeOptions options_;
  std::shared_ptr<internal::BlockStore> store_;
  std::unique_ptr<internal::TreeWriter> writer_;  // holds the open batch's state
  bool batch_open_ = false;
};

}  // namespace bee
