// A database view over a Bee: keys and values in their natural form (bee/encoding.hpp)
// instead of bytes, optionally inside a sub-database (spec §8), optionally fixed at an older
// version. This is what hyperbee's JavaScript API offers (`bee.sub('a').put('k', v)`), and
// what the `bee` command-line tool works through.
//
// A Db does not own its Bee: the Bee must outlive every Db, DbBatch and iterator made from
// it. Copying a Db is cheap (a pointer, two encodings and a prefix).
//
// Sub-databases store key k as prefix ‖ encode(k), with prefix = parent prefix ‖ name ‖ sep.
// Reads strip the prefix again. Reference quirks kept on purpose because they change what
// is stored or read (spec §8):
//   * a custom sep is used for that sub's own prefix but not passed on: its subs use the
//     separator of the Db it was made from (normally 00);
//   * a range on a sub without a lower bound starts after prefix ‖ 00 (so the sub-keys ""
//     and "\0" are skipped), and without an upper bound stops before the prefix with its
//     last byte incremented (0xff wraps to 00, no carry); nested subs, which share the
//     prefix, are included;
//   * history on a sub is the history of the whole bee, every key with prefix-length bytes
//     cut off (whatever they are).
//
// Thread-safety: as for Bee.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "bee/bee.hpp"
#include "bee/encoding.hpp"

namespace bee {

// An entry as the caller sees it, plus its bytes (the oracle's keyHex / valueHex).
struct DbEntry {
  uint64_t seq = 0;
  Bytes key;                          // natural form, without the sub's prefix
  std::optional<Bytes> value;         // natural form; absent = no value (or a delete)
  // encode(key) and encode(value): the stored bytes (without the prefix), except that, as
  // in the reference, stored bytes that do not decode cleanly (invalid UTF-8) show as
  // re-encoded from the decoded form.
  Bytes key_bytes;
  std::optional<Bytes> value_bytes;
  friend bool operator==(const DbEntry&, const DbEntry&) = default;
};

struct DbHistoryEntry {
  HistoryEntry::Type type = HistoryEntry::Type::put;
  DbEntry entry;
};

struct DbDiffEntry {
  std::optional<DbEntry> left;   // this Db's version
  std::optional<DbEntry> right;  // the other version
};

// Range bounds in the key's natural form (encoded and prefixed before comparing).
struct DbRange {
  std::optional<Bytes> gt, gte, lt, lte;
  bool reverse = false;
  int64_t limit = -1;  // as Range::limit
};

// As bee::Cas, on natural forms: `prev` is the stored entry, `next` what would be written.
using DbCas = std::function<bool(const DbEntry& prev, const DbEntry& next)>;

// The exclusive upper bound of "every key starting with `prefix`": the prefix with its last
// byte incremented, carrying into earlier bytes (61 ff -> 62). Nullopt (unbounded) when the
// prefix is empty or all 0xff. Not the sub-database default bound, which does not carry.
std::optional<Bytes> prefix_upper_bound(ByteSpan prefix);

class Db;
class DbBatch;

// Turns the Bee's byte-level items into DbEntry values (strip the prefix, decode).
class DbDecoder {
 public:
  DbDecoder(size_t prefix_size, Encoding key_encoding, Encoding value_encoding)
      : prefix_size_(prefix_size), key_encoding_(key_encoding), value_encoding_(value_encoding) {}
  Result<DbEntry> entry(const Entry& raw) const;

 private:
  size_t prefix_size_;
  Encoding key_encoding_, value_encoding_;
};

class DbRangeIterator {
 public:
  DbRangeIterator(RangeIterator inner, DbDecoder decoder) : inner_(std::move(inner)), decoder_(decoder) {}
  Result<std::optional<DbEntry>> next();

 private:
  RangeIterator inner_;
  DbDecoder decoder_;
};

class DbHistoryIterator {
 public:
  DbHistoryIterator(HistoryIterator inner, DbDecoder decoder) : inner_(std::move(inner)), decoder_(decoder) {}
  Result<std::optional<DbHistoryEntry>> next();

 private:
  HistoryIterator inner_;
  DbDecoder decoder_;
};

class DbDiffIterator {
 public:
  DbDiffIterator(DiffIterator inner, DbDecoder decoder) : inner_(std::move(inner)), decoder_(decoder) {}
  Result<std::optional<DbDiffEntry>> next();

 private:
  DiffIterator inner_;
  DbDecoder decoder_;
};

class Db {
 public:
  // The whole bee (no prefix). Keys and values are binary unless told otherwise.
  explicit Db(Bee& bee, Encoding key_encoding = Encoding::binary, Encoding value_encoding = Encoding::binary);

  // A sub-database: prefix ‖ name ‖ (sep, default this Db's separator). Encodings are
  // inherited; the version too.
  Db sub(ByteSpan name, std::optional<ByteSpan> sep = std::nullopt) const;
  Db sub(std::string_view name, std::optional<ByteSpan> sep = std::nullopt) const {
    return sub(hypercore::as_bytes(name), sep);
  }
  Db with_encodings(Encoding key_encoding, Encoding value_encoding) const;
  // A read-only view at `version` (0 is treated as 1); errc::out_of_range above the bee's.
  Result<Db> at_version(uint64_t version) const;

  const Bytes& prefix() const { return prefix_; }
  Encoding key_encoding() const { return key_encoding_; }
  Encoding value_encoding() const { return value_encoding_; }
  bool is_sub() const { return is_sub_; }
  Bee& bee() const { return *bee_; }
  // The version reads see: the fixed one, or the bee's current one.
  uint64_t version() const;

  // prefix ‖ encode(key).
  Result<Bytes> encode_key(ByteSpan key) const;
  // The stored form of a value; nullopt for "no value" (absent, or JSON null with json).
  Result<std::optional<Bytes>> encode_value(std::optional<ByteSpan> value) const;
  // Bounds as stored bytes, with the sub-database defaults (see the file comment).
  Result<Range> encode_range(const DbRange& range) const;
  DbDecoder decoder() const { return {prefix_.size(), key_encoding_, value_encoding_}; }

  // Writes (errc::invalid_argument on a fixed-version view). Return whether a block was
  // written.
  Result<bool> put(ByteSpan key, std::optional<ByteSpan> value, const DbCas& cas = {});
  Result<bool> del(ByteSpan key, const DbCas& cas = {});
  Result<DbBatch> batch();

  Result<std::optional<DbEntry>> get(ByteSpan key) const;
  Result<std::optional<DbEntry>> peek(const DbRange& range) const;
  Result<DbRangeIterator> range(const DbRange& range) const;
  Result<DbHistoryIterator> history(const HistoryRange& range) const;
  // This Db's version on the left, `other_version` on the right.
  Result<DbDiffIterator> diff(uint64_t other_version, const DbRange& range) const;
  Result<DbEntry> get_by_seq(uint64_t seq) const;

  // A bee::Cas running `cas` on decoded entries; a decoding failure is kept in `*error`
  // (and refuses the write).
  Cas wrap_cas(const DbCas& cas, std::shared_ptr<std::optional<Error>> error) const;

 private:
  Result<Snapshot> snapshot() const;

  Bee* bee_;
  Encoding key_encoding_, value_encoding_;
  Bytes prefix_;
  Bytes sep_{0x00};  // the separator subs of this Db use by default
  bool is_sub_ = false;
  std::optional<uint64_t> version_;
};

// A Batch seen through a Db: same prefix and encodings.
class DbBatch {
 public:
  Result<bool> put(ByteSpan key, std::optional<ByteSpan> value, const DbCas& cas = {});
  Result<bool> del(ByteSpan key, const DbCas& cas = {});
  Result<void> flush() { return batch_.flush(); }
  void discard() { batch_.discard(); }

 private:
  friend class Db;
  DbBatch(Db db, Batch batch) : db_(std::move(db)), batch_(std::move(batch)) {}
  Db db_;
  Batch batch_;
};

}  // namespace bee
