#include "bee/internal/cache_items.hpp"

#include <algorithm>
#include <vector>

namespace bee::internal {

namespace {

// Large items (over glibc's small-bin limit, as most nodes with inline values are) are
// recycled by size class: the writer replaces each node it rewrites with one of about the
// same size, and malloc's large-chunk path (consolidating the small chunks freed since,
// sorting bins) cost more than copying the node. Per thread, as items are used; idle
// memory is bounded by kMaxIdleBytes per thread (a batch of 1,000 writes replaces about
// 1,300 nodes, ~2 MB).
constexpr size_t kSmallLimit = 1024;
constexpr size_t kClassBytes = 256;
constexpr size_t kClasses = 16;  // up to 1024 + 16 * 256 bytes
constexpr size_t kMaxIdleBytes = 4 << 20;

struct Recycler {
  std::vector<void*> idle[kClasses];
  size_t idle_bytes = 0;
  ~Recycler();
};
thread_local bool recycler_gone = false;  // trivially destructible: readable after ~Recycler
thread_local Recycler recycler;

Recycler::~Recycler() {
  recycler_gone = true;
  for (auto& list : idle) {
    for (void* p : list) ::operator delete(p);
  }
}

// The class of a rounded size, or kClasses when it is not recycled.
size_t class_of(size_t size) {
  if (size <= kSmallLimit) return kClasses;
  size_t c = (size - kSmallLimit - 1) / kClassBytes;
  return c < kClasses ? c : kClasses;
}

}  // namespace

void* allocate_item(size_t& size) {
  size_t c = class_of(size);
  if (c == kClasses || recycler_gone) return ::operator new(size);
  size = kSmallLimit + (c + 1) * kClassBytes;
  std::vector<void*>& list = recycler.idle[c];
  if (list.empty()) return ::operator new(size);
  void* p = list.back();
  list.pop_back();
  recycler.idle_bytes -= size;
  return p;
}

void free_item(void* p, size_t size) {
  size_t c = class_of(size);
  if (c == kClasses || recycler_gone || recycler.idle_bytes + size > kMaxIdleBytes) {
    ::operator delete(p);
    return;
  }
  recycler.idle[c].push_back(p);
  recycler.idle_bytes += size;
}

bool is_deletion_block(const NodeBlock& block, uint64_t seq) {
  if (block.value) return false;
  for (const Level& l : block.levels) {
    if (std::find(l.keys.begin(), l.keys.end(), seq) != l.keys.end()) return false;
  }
  return true;
}

Handle<CachedEntry> CachedEntry::make(uint64_t seq, ByteSpan key, std::optional<ByteSpan> value, bool deletion) {
  size_t value_size = value ? value->size() : 0;
  size_t size = sizeof(CachedEntry) + key.size() + value_size;
  void* mem = allocate_item(size);
  auto* e = new (mem) CachedEntry(size, seq);
  e->key_size_ = uint32_t(key.size());
  e->value_size_ = uint32_t(value_size);
  e->has_value_ = value.has_value();
  e->deletion_ = deletion;
  auto* bytes = const_cast<uint8_t*>(e->bytes());
  if (!key.empty()) std::memcpy(bytes, key.data(), key.size());
  if (value_size) std::memcpy(bytes + key.size(), value->data(), value_size);
  return Handle<CachedEntry>(e);
}

Handle<CachedEntry> CachedEntry::make(uint64_t seq, const NodeBlock& block) {
  std::optional<ByteSpan> value;
  if (block.value) value = ByteSpan(*block.value);
  return make(seq, ByteSpan(block.key), value, is_deletion_block(block, seq));
}

Handle<CachedNode> CachedNode::make(uint64_t seq, uint32_t offset, const Level& level, ByteSpan own_key,
                                    bool own_deletion, std::span<const KeyBytes> keys) {
  size_t key_count = level.keys.size();
  size_t children = level.children.size() / 2;
  auto known = [&](size_t i) -> const KeyBytes* { return i < keys.size() && keys[i].known ? &keys[i] : nullptr; };
  auto inline_value = [](const KeyBytes& k) {
    return k.has_value && k.value_known && k.value.size() <= kMaxInlineValue;
  };
  size_t byte_count = own_key.size();
  for (size_t i = 0; i < key_count; ++i) {
    if (const KeyBytes* k = known(i)) byte_count += k->key.size() + (inline_value(*k) ? k->value.size() : 0);
  }
  size_t size = sizeof(CachedNode) + spans_size(key_count) + (key_count + 2 * children) * 8 + byte_count;
  void* mem = allocate_item(size);
  auto* n = new (mem) CachedNode(size, seq, offset);
  n->key_count_ = uint32_t(key_count);
  n->child_count_ = uint32_t(children);
  n->own_key_size_ = uint32_t(own_key.size());
  n->own_deletion_ = own_deletion;
  auto* spans = const_cast<Span*>(n->spans());
  auto* seqs = const_cast<uint64_t*>(n->seqs());
  auto* bytes = const_cast<uint8_t*>(n->key_bytes());
  for (size_t i = 0; i < key_count; ++i) seqs[i] = level.keys[i];
  for (size_t i = 0; i < 2 * children; ++i) seqs[key_count + i] = level.children[i];
  size_t at = 0;
  if (!own_key.empty()) std::memcpy(bytes, own_key.data(), own_key.size());
  at += own_key.size();
  for (size_t i = 0; i < key_count; ++i) {
    const KeyBytes* k = known(i);
    if (!k) {
      spans[i] = Span{0, kNotInline, kNotInline};
      continue;
    }
    if (!k->key.empty()) std::memcpy(bytes + at, k->key.data(), k->key.size());
    spans[i] = Span{uint32_t(at), uint32_t(k->key.size()), k->has_value ? kNotInline : kNoValue};
    at += k->key.size();
    if (inline_value(*k)) {
      if (!k->value.empty()) std::memcpy(bytes + at, k->value.data(), k->value.size());
      spans[i].value_size = uint32_t(k->value.size());
      at += k->value.size();
    }
  }
  return Handle<CachedNode>(n);
}

}  // namespace bee::internal
