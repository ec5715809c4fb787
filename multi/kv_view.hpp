// The built-in key/value views, one per conflict rule (Conflict in multi/op.hpp):
//   lww:         kv\0<key> → the winning write, the largest (hlc, writer, seq); a delete
//                is a tombstone that wins like a put, so a late older put cannot revive it.
//   multi_value: kv\0<key> → the heads: every write to the key that no other write to the
//                key links; lk\0<writer><seq be64><key> marks a linked write, so a write
//                that arrives after one that replaced it never becomes a head.
// Both folds are commutative and idempotent. Records: docs/format/multiwriter.md.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "bee/bee.hpp"
#include "multi/view.hpp"

namespace multi {

// One value of a key as a view holds it: the write that made it.
struct Value {
  OpId id;
  Hlc hlc{};
  bool tombstone = false;      // a delete (kept so that order does not matter)
  std::optional<Bytes> value;  // absent for a put without a value, and for tombstones
  friend bool operator==(const Value&, const Value&) = default;
};

// What a key/value view holds for one key: one Value (lww) or the heads (multi_value).
struct KeyValues {
  Bytes key;
  std::vector<Value> values;  // without tombstones, ordered by (hlc, writer, seq)
  friend bool operator==(const KeyValues&, const KeyValues&) = default;
};

inline constexpr std::string_view kKvViewName = "kv";
inline constexpr uint32_t kKvViewVersion = 1;

std::unique_ptr<View> make_kv_view(Conflict conflict);

// The stored key of `key` in a key/value view, and back.
Bytes kv_key(ByteSpan key);
bool is_kv_key(ByteSpan stored);

// Every Value stored for a key (tombstones included), from its record.
Result<std::vector<Value>> decode_kv_record(ByteSpan record);
Bytes encode_kv_record(std::span<const Value> values);

// Reads of a view's snapshot. get: the key's values (empty: absent or deleted).
Result<std::vector<Value>> kv_get(const bee::Snapshot& view, ByteSpan key);
// Every head of a key, tombstones included: what a new write to it replaces.
Result<std::vector<Value>> kv_heads(const bee::Snapshot& view, ByteSpan key);

struct KvRange {
  std::optional<Bytes> gte, lt;
  bool reverse = false;
  int64_t limit = -1;  // -1 = all
};

// The live keys of a view in key order (deleted keys skipped), read lazily.
class KvRangeIterator {
 public:
  KvRangeIterator(bee::RangeIterator inner, int64_t limit) : inner_(std::move(inner)), left_(limit) {}
  Result<std::optional<KeyValues>> next();

 private:
  bee::RangeIterator inner_;
  int64_t left_;
};
KvRangeIterator kv_range(const bee::Snapshot& view, const KvRange& range);

// One key whose live values differ between two versions of a key/value view.
struct KvChange {
  Bytes key;
  std::vector<Value> before;  // empty: absent (or deleted) then
  std::vector<Value> after;   // empty: absent (or deleted) now
  friend bool operator==(const KvChange&, const KvChange&) = default;
};

// The change feed: every key whose values differ between version `since` and `view`'s
// version (bee::Snapshot::diff over the view's keys), in key order, read lazily.
class KvChangeIterator {
 public:
  explicit KvChangeIterator(bee::DiffIterator inner) : inner_(std::move(inner)) {}
  Result<std::optional<KvChange>> next();

 private:
  bee::DiffIterator inner_;
};
KvChangeIterator kv_changes(const bee::Snapshot& view, uint64_t since);

// Values are returned in this order, and the last one is what lww would pick.
bool value_order(const Value& a, const Value& b);

}  // namespace multi
