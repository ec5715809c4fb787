// What the BlockStore cache holds, each item in one allocation so a lookup touches one
// contiguous piece of memory: a block's entry (key, value, delete flag) and a decoded tree
// node with the bytes of its keys copied inline, so a binary search in a node reads no other
// block. Reference counts are plain integers: a Bee and everything made from it are used from
// one thread at a time (bee.hpp), and an atomic count per level of every lookup costs more
// than the rest of the lookup.
#pragma once

#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "bee/messages.hpp"

namespace bee::internal {

class CacheItem {
 public:
  enum class Kind : uint8_t { entry, node };
  Kind kind() const { return kind_; }
  // Bytes of the allocation, charged against the cache capacity.
  size_t size() const { return size_; }

  void retain() const { ++refs_; }
  void release() const;

 protected:
  CacheItem(Kind kind, size_t size) : size_(size), kind_(kind) {}
  ~CacheItem() = default;

 private:
  size_t size_;
  mutable uint32_t refs_ = 0;
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

  uint64_t seq() const { return seq_; }
  ByteSpan key() const { return {bytes(), key_size_}; }
  bool has_value() const { return has_value_; }
  ByteSpan value() const { return {bytes() + key_size_, value_size_}; }
  bool deletion() const { return deletion_; }

 private:
  friend class CacheItem;
  CachedEntry(size_t size) : CacheItem(Kind::entry, size) {}
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(this + 1); }

  uint64_t seq_ = 0;
  uint32_t key_size_ = 0;
  uint32_t value_size_ = 0;
  bool has_value_ = false;
  bool deletion_ = false;
};

// Level `offset` of block `seq`: key seqs, children and, for every key whose block is at
// or before `seq` (always, in a well-formed tree) and decodes, its bytes. Other keys (only
// in hostile blocks) are left to the reader's checked slow path, so errors surface exactly
// when the key is touched, as before the cache held key bytes.
class CachedNode : public CacheItem {
 public:
  struct KeyRef {
    uint64_t seq;
    const uint8_t* bytes;  // null: not inline
    size_t size;
  };

  // `key_of(seq)` returns the key bytes of block seq, or nullopt when they are not to be
  // inlined. `own` is the writing block's entry.
  template <class KeyOf>
  static Handle<CachedNode> make(uint64_t seq, uint64_t offset, const Level& level, const CachedEntry& own,
                                 KeyOf&& key_of);

  uint64_t seq() const { return seq_; }
  uint64_t offset() const { return offset_; }
  size_t key_count() const { return key_count_; }
  size_t child_count() const { return child_count_; }
  bool leaf() const { return child_count_ == 0; }
  uint64_t key_seq(size_t i) const { return seqs()[i]; }
  // Key bytes of key i, or nullopt when they are not inline.
  std::optional<ByteSpan> key(size_t i) const {
    const Span& s = spans()[i];
    if (s.size == kNotInline) return std::nullopt;
    return ByteSpan(key_bytes() + s.begin, s.size);
  }
  uint64_t child_seq(size_t i) const { return seqs()[key_count_ + 2 * i]; }
  uint64_t child_offset(size_t i) const { return seqs()[key_count_ + 2 * i + 1]; }
  // The writing block's own key and whether that block is a delete (the get shortcut).
  ByteSpan own_key() const { return {key_bytes(), own_key_size_}; }
  bool own_deletion() const { return own_deletion_; }

 private:
  friend class CacheItem;
  struct Span {
    uint32_t begin;
    uint32_t size;
  };
  static constexpr uint32_t kNotInline = UINT32_MAX;
  CachedNode(size_t size) : CacheItem(Kind::node, size) {}

  // Layout after the header: spans[key_count], seqs[key_count + 2 * child_count], bytes.
  const Span* spans() const { return reinterpret_cast<const Span*>(this + 1); }
  const uint64_t* seqs() const { return reinterpret_cast<const uint64_t*>(spans() + key_count_); }
  const uint8_t* key_bytes() const { return reinterpret_cast<const uint8_t*>(seqs() + key_count_ + 2 * child_count_); }

  uint64_t seq_ = 0;
  uint64_t offset_ = 0;
  uint32_t key_count_ = 0;
  uint32_t child_count_ = 0;
  uint32_t own_key_size_ = 0;
  bool own_deletion_ = false;
};

using EntryRef = Handle<CachedEntry>;
using NodeRef = Handle<CachedNode>;

inline void CacheItem::release() const {
  if (--refs_ != 0) return;
  if (kind_ == Kind::entry) static_cast<const CachedEntry*>(this)->~CachedEntry();
  else static_cast<const CachedNode*>(this)->~CachedNode();
  ::operator delete(const_cast<CacheItem*>(this));
}

template <class KeyOf>
Handle<CachedNode> CachedNode::make(uint64_t seq, uint64_t offset, const Level& level, const CachedEntry& own,
                                    KeyOf&& key_of) {
  size_t keys = level.keys.size();
  size_t children = level.children.size() / 2;
  // Key bytes are gathered first: key_of may evict, but the spans it returns stay valid
  // because the caller's references keep their entries alive.
  std::vector<std::optional<ByteSpan>> inline_keys(keys);
  std::vector<Handle<CachedEntry>> holds;
  holds.reserve(keys);
  size_t byte_count = own.key().size();
  for (size_t i = 0; i < keys; ++i) {
    uint64_t k = level.keys[i];
    if (k == 0 || k > seq) continue;
    if (k == seq) {
      inline_keys[i] = own.key();
    } else {
      Handle<CachedEntry> e = key_of(k);
      if (!e) continue;
      inline_keys[i] = e->key();
      holds.push_back(std::move(e));
    }
    byte_count += inline_keys[i]->size();
  }
  size_t size = sizeof(CachedNode) + keys * sizeof(Span) + (keys + 2 * children) * 8 + byte_count;
  void* mem = ::operator new(size);
  auto* n = new (mem) CachedNode(size);
  n->seq_ = seq;
  n->offset_ = offset;
  n->key_count_ = uint32_t(keys);
  n->child_count_ = uint32_t(children);
  n->own_key_size_ = uint32_t(own.key().size());
  n->own_deletion_ = own.deletion();
  auto* spans = const_cast<Span*>(n->spans());
  auto* seqs = const_cast<uint64_t*>(n->seqs());
  auto* bytes = const_cast<uint8_t*>(n->key_bytes());
  for (size_t i = 0; i < keys; ++i) seqs[i] = level.keys[i];
  for (size_t i = 0; i < 2 * children; ++i) seqs[keys + i] = level.children[i];
  size_t at = 0;
  if (!own.key().empty()) std::memcpy(bytes, own.key().data(), own.key().size());
  at += own.key().size();
  for (size_t i = 0; i < keys; ++i) {
    if (!inline_keys[i]) {
      spans[i] = Span{0, kNotInline};
      continue;
    }
    ByteSpan k = *inline_keys[i];
    if (!k.empty()) std::memcpy(bytes + at, k.data(), k.size());
    spans[i] = Span{uint32_t(at), uint32_t(k.size())};
    at += k.size();
  }
  return Handle<CachedNode>(n);
}

}  // namespace bee::internal
