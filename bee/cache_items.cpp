#include "bee/internal/cache_items.hpp"

#include <algorithm>
#include <vector>

namespace bee::internal {

bool is_deletion_block(const NodeBlock& block, uint64_t seq) {
  if (block.value) return false;
  for (const Level& l : block.levels) {
    if (std::find(l.keys.begin(), l.keys.end(), seq) != l.keys.end()) return false;
  }
  return true;
}

OwnKey own_key_at(const NodeBlock& block, uint64_t seq, size_t offset) {
  if (is_deletion_block(block, seq)) return OwnKey::deleted;
  // This level, then the levels of the same block its child pointers reach (each once:
  // hostile blocks may point in circles).
  std::vector<size_t> stack{offset};
  std::vector<bool> seen(block.levels.size(), false);
  while (!stack.empty()) {
    size_t at = stack.back();
    stack.pop_back();
    if (at >= block.levels.size() || seen[at]) continue;
    seen[at] = true;
    const Level& level = block.levels[at];
    if (std::find(level.keys.begin(), level.keys.end(), seq) != level.keys.end()) return OwnKey::below;
    for (size_t c = 0; c + 1 < level.children.size(); c += 2) {
      if (level.children[c] == seq) stack.push_back(size_t(level.children[c + 1]));
    }
  }
  return OwnKey::elsewhere;
}

Handle<CachedEntry> CachedEntry::make(uint64_t seq, ByteSpan key, std::optional<ByteSpan> value, bool deletion) {
  size_t value_size = value ? value->size() : 0;
  size_t size = sizeof(CachedEntry) + key.size() + value_size;
  auto* e = new (::operator new(size)) CachedEntry(size, seq);
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
                                    OwnKey own, std::span<const KeyBytes> keys) {
  size_t key_count = level.keys.size();
  size_t children = level.children.size() / 2;
  keys = keys.first(std::min(keys.size(), key_count));  // keys beyond are not known
  auto inline_value = [](const KeyBytes& k) {
    return k.has_value && k.value_known && k.value.size() <= kMaxInlineValue;
  };
  size_t key_area = own_key.size();
  size_t value_area = 0;
  for (const KeyBytes& k : keys) {
    if (!k.known) continue;
    key_area += k.key.size();
    if (inline_value(k)) value_area += k.value.size();
  }
  size_t seq_area = (key_count + 2 * children) * 8;
  size_t size = sizeof(CachedNode) + spans_size(key_count) + pad8(key_area) + seq_area + value_area;
  auto* n = new (::operator new(size)) CachedNode(size, seq, offset);
  n->key_count_ = uint32_t(key_count);
  n->child_count_ = uint32_t(children);
  n->own_key_size_ = uint32_t(own_key.size());
  n->key_area_ = uint32_t(key_area);
  n->own_ = own;
  auto* spans = const_cast<Span*>(n->spans());
  auto* seqs = const_cast<uint64_t*>(n->seqs());
  auto* bytes = const_cast<uint8_t*>(n->key_bytes());
  if (key_count) std::memcpy(seqs, level.keys.data(), key_count * 8);
  if (children) std::memcpy(seqs + key_count, level.children.data(), 2 * children * 8);
  if (!own_key.empty()) std::memcpy(bytes, own_key.data(), own_key.size());
  // One pass: keys after the own key, values after the seqs.
  uint32_t at = uint32_t(own_key.size());
  uint32_t value_at = uint32_t(pad8(key_area) + seq_area);
  for (size_t i = 0; i < keys.size(); ++i) {
    const KeyBytes& k = keys[i];
    if (!k.known) {
      spans[i] = Span{0, kNotInline, 0, kNotInline};
      continue;
    }
    if (!k.key.empty()) std::memcpy(bytes + at, k.key.data(), k.key.size());
    Span s{at, uint32_t(k.key.size()), 0, k.has_value ? kNotInline : kNoValue};
    at += uint32_t(k.key.size());
    if (inline_value(k)) {
      if (!k.value.empty()) std::memcpy(bytes + value_at, k.value.data(), k.value.size());
      s.value_begin = value_at;
      s.value_size = uint32_t(k.value.size());
      value_at += uint32_t(k.value.size());
    }
    spans[i] = s;
  }
  for (size_t i = keys.size(); i < key_count; ++i) spans[i] = Span{0, kNotInline, 0, kNotInline};
  return Handle<CachedNode>(n);
}

}  // namespace bee::internal
