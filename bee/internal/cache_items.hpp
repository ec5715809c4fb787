// What the BlockStore cache holds, each item in one allocation so a lookup touches one
// contiguous piece of memory: a block's entry (key, value, delete flag) and a decoded tree
// node with the bytes of its keys (and their values) copied inline, so a binary search in a
// node reads no other block. Reference counts are plain integers: a Bee and everything made from it are used from
// one thread at a time (bee.hpp), and an atomic count per level of every lookup costs more
// than the rest of the lookup.
#pragma once

#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <span>
#include <utility>

#include "bee/bee.hpp"
#include "bee/messages.hpp"

namespace bee::internal {

class CacheItem {
 public:
  enum class Kind : uint8_t { entry, node };
  // An entry's level, in the cache key (seq, level); a node's is its offset in its block.
  static constexpr uint32_t kEntryLevel = UINT32_MAX;

  Kind kind() const { return kind_; }
  uint64_t seq() const { return seq_; }
  uint32_t level() const { return level_; }
  // Bytes of the allocation, charged against the cache capacity.
  size_t size() const { return size_; }

  void retain() const { ++refs_; }
  void release() const;
  // CLOCK's referenced bit: set on every hit, cleared by the sweeping hand.
  void touch() const { referenced_ = true; }
  bool take_referenced() const { return std::exchange(referenced_, false); }

 protected:
  CacheItem(Kind kind, size_t size, uint64_t seq, uint32_t level)
      : size_(size), seq_(seq), level_(level), kind_(kind) {}
  ~CacheItem() = default;

 private:
  size_t size_;
  uint64_t seq_;
  uint32_t level_;
  mutable uint32_t refs_ = 0;
  mutable bool referenced_ = false;
  Kind kind_;
};

// Shared ownership of a cached item: the cache drops its reference on eviction, a reader
// positioned in a node keeps it alive.
template <class T>
class Handle {
 public:
  Handle() = default;
  explicit Handle(const T* p) : p_(p) {
    if (p_) p_->retain();
  }
  Handle(const Handle& o) : p_(o.p_) {
    if (p_) p_->retain();
  }
  Handle(Handle&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Handle& operator=(Handle o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~Handle() {
    if (p_) p_->release();
  }
  const T* get() const { return p_; }
  const T& operator*() const { return *p_; }
  const T* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  const T* p_ = nullptr;
};

// Key and value of block `seq`, and whether it is a delete (spec §2.4).
class CachedEntry : public CacheItem {
 public:
  static Handle<CachedEntry> make(uint64_t seq, const NodeBlock& block);
  static Handle<CachedEntry> make(uint64_t seq, ByteSpan key, std::optional<ByteSpan> value, bool deletion);

  ByteSpan key() const { return {bytes(), key_size_}; }
  bool has_value() const { return has_value_; }
  ByteSpan value() const { return {bytes() + key_size_, value_size_}; }
  bool deletion() const { return deletion_; }

 private:
  friend class CacheItem;
  CachedEntry(size_t size, uint64_t seq) : CacheItem(Kind::entry, size, seq, kEntryLevel) {}
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(this + 1); }

  uint32_t key_size_ = 0;
  uint32_t value_size_ = 0;
  bool has_value_ = false;
  bool deletion_ = false;
};

// What block `seq` tells a get for its own key at its node `offset` (the reference's
// shortcut: "the block that wrote this node answers for its own key").
enum class OwnKey : uint8_t {
  deleted,    // the block deleted the key: absent (sound: after a later put of the key,
              // every node on its search path was written by that put or later)
  below,      // this node holds the key, or a node of the same block under it does: the
              // key is in this subtree, so the block's entry is the answer
  elsewhere,  // neither (a split's other half): says nothing; the search goes on. Here
              // hyperbee 2.27.3 answers with the block's entry even after the key was
              // deleted (docs/bee.md, "Where we differ from the reference").
};
OwnKey own_key_at(const NodeBlock& block, uint64_t seq, size_t offset);

// Level `offset` of block `seq`: key seqs, children and, for every key whose block is before
// `seq` (always, in a well-formed tree) and decodes, its bytes and (up to kMaxInlineValue)
// its value, so a scan or a get reads one allocation per node instead of one per entry
// (entries lie in seq order, a walk goes in key order: each would be a cache miss). Other
// keys (only in hostile blocks) are left to the reader's checked slow path, so errors
// surface exactly when the key is touched, as before the cache held key bytes.
class CachedNode : public CacheItem {
 public:
  // What is known of one key's block when a node is made: nothing (not inline), its key,
  // or its key and value.
  struct KeyBytes {
    bool known = false;
    ByteSpan key;
    bool has_value = false;
    bool value_known = false;  // when has_value
    ByteSpan value;
  };
  static KeyBytes bytes_of(const CachedEntry& e) { return {true, e.key(), e.has_value(), true, e.value()}; }

  // `keys[i]` is what is known of key i (copied; values up to kMaxInlineValue). `own_key`
  // is block `seq`'s own key and `own` what it tells for it here (own_key_at).
  static Handle<CachedNode> make(uint64_t seq, uint32_t offset, const Level& level, ByteSpan own_key,
                                 OwnKey own, std::span<const KeyBytes> keys);

  uint64_t offset() const { return level(); }
  size_t key_count() const { return key_count_; }
  size_t child_count() const { return child_count_; }
  bool leaf() const { return child_count_ == 0; }
  uint64_t key_seq(size_t i) const { return seqs()[i]; }
  std::span<const uint64_t> key_seqs() const { return {seqs(), key_count_}; }
  // Key bytes of key i, or nullopt when they are not inline.
  std::optional<ByteSpan> key(size_t i) const {
    const Span& s = spans()[i];
    if (s.size == kNotInline) return std::nullopt;
    return ByteSpan(key_bytes() + s.begin, s.size);
  }
  // Key i's entry from the inline bytes, or nullopt when its key or value is not inline.
  std::optional<Entry> entry(size_t i) const {
    const Span& s = spans()[i];
    if (s.size == kNotInline || s.value_size == kNotInline) return std::nullopt;
    const uint8_t* k = key_bytes() + s.begin;
    std::optional<Entry> e(std::in_place, Entry{key_seq(i), Bytes(k, k + s.size), std::nullopt});
    if (s.value_size != kNoValue) {
      const uint8_t* v = key_bytes() + s.value_begin;
      e->value.emplace(v, v + s.value_size);
    }
    return e;
  }
  // Key i as make() takes it, for a node made from this one.
  KeyBytes key_bytes_of(size_t i) const {
    const Span& s = spans()[i];
    if (s.size == kNotInline) return {};
    const uint8_t* k = key_bytes() + s.begin;
    KeyBytes out{true, ByteSpan(k, s.size), s.value_size != kNoValue, s.value_size != kNotInline, {}};
    if (out.has_value && out.value_known) out.value = ByteSpan(key_bytes() + s.value_begin, s.value_size);
    return out;
  }
  // The index of key `seq` in this node, or key_count() (a linear scan: nodes are small).
  size_t find_key(uint64_t seq) const {
    size_t i = 0;
    while (i < key_count_ && seqs()[i] != seq) ++i;
    return i;
  }
  uint64_t child_seq(size_t i) const { return seqs()[key_count_ + 2 * i]; }
  uint64_t child_offset(size_t i) const { return seqs()[key_count_ + 2 * i + 1]; }
  // The writing block's own key and what it tells a get for it here (the shortcut).
  ByteSpan own_key() const { return {key_bytes(), own_key_size_}; }
  OwnKey own() const { return own_; }

 private:
  friend class CacheItem;
  // Offsets from key_bytes(). All keys come before all values, so a binary search reads
  // a few adjacent cache lines, not one line per key.
  struct Span {
    uint32_t begin;
    uint32_t size;  // of the key; kNotInline: neither key nor value is inline
    uint32_t value_begin;
    uint32_t value_size;  // kNoValue: a value-less put; kNotInline: too large to copy
  };
  static constexpr uint32_t kNotInline = UINT32_MAX;
  static constexpr uint32_t kNoValue = UINT32_MAX - 1;
  static constexpr size_t kMaxInlineValue = 512;
  static size_t spans_size(size_t keys) { return (keys * sizeof(Span) + 7) & ~size_t(7); }
  CachedNode(size_t size, uint64_t seq, uint32_t offset) : CacheItem(Kind::node, size, seq, offset) {}

  // Layout after the header: spans[key_count]; the own key and the keys' bytes (padded to
  // 8); seqs[key_count + 2 * child_count]; the values' bytes. What a binary search reads
  // (spans, keys) is contiguous.
  static size_t pad8(size_t n) { return (n + 7) & ~size_t(7); }
  const Span* spans() const { return reinterpret_cast<const Span*>(this + 1); }
  const uint8_t* key_bytes() const { return reinterpret_cast<const uint8_t*>(spans()) + spans_size(key_count_); }
  const uint64_t* seqs() const { return reinterpret_cast<const uint64_t*>(key_bytes() + pad8(key_area_)); }

  uint32_t key_count_ = 0;
  uint32_t child_count_ = 0;
  uint32_t own_key_size_ = 0;
  uint32_t key_area_ = 0;  // bytes of the own key and the keys
  OwnKey own_ = OwnKey::elsewhere;
};

using EntryRef = Handle<CachedEntry>;

// Spec §2.4: no value, and the block's own seq is in none of its levels.
bool is_deletion_block(const NodeBlock& block, uint64_t seq);

using NodeRef = Handle<CachedNode>;

inline void CacheItem::release() const {
  if (--refs_ != 0) return;
  if (kind_ == Kind::entry) static_cast<const CachedEntry*>(this)->~CachedEntry();
  else static_cast<const CachedNode*>(this)->~CachedNode();
  ::operator delete(const_cast<CacheItem*>(this));
}

}  // namespace bee::internal
