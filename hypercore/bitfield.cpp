#include "hypercore/internal/bitfield.hpp"

#include <bit>

#include "hypercore/internal/endian.hpp"

namespace hypercore::internal {

bool Bitfield::get(uint64_t index) const {
  auto it = pages_.find(index / kPageBits);
  if (it == pages_.end()) return false;
  uint64_t bit = index % kPageBits;
  return (it->second->bits[bit / 64] >> (bit % 64)) & 1;
}

Bitfield::Entry* Bitfield::page_for_write(uint64_t page) {
  auto& slot = pages_[page];
  if (!slot) slot = std::make_unique<Entry>();
  slot->dirty = true;
  return slot.get();
}

void Bitfield::set(uint64_t index, bool value) { set_range(index, index + 1, value); }

void Bitfield::set_range(uint64_t start, uint64_t end, bool value) {
  while (start < end) {
    uint64_t page = start / kPageBits;
    uint64_t page_end = std::min(end, (page + 1) * kPageBits);
    if (!value && !pages_.contains(page)) {
      start = page_end;
      continue;
    }
    Entry* e = page_for_write(page);
    for (uint64_t i = start; i < page_end;) {
      uint64_t bit = i % kPageBits;
      uint64_t word = bit / 64;
      uint64_t first = bit % 64;
      uint64_t n = std::min<uint64_t>(64 - first, page_end - i);
      uint64_t mask = (n == 64 ? ~0ull : ((1ull << n) - 1)) << first;
      if (value) {
        e->bits[word] |= mask;
      } else {
        e->bits[word] &= ~mask;
      }
      i += n;
    }
    start = page_end;
  }
}

uint64_t Bitfield::first_clear(uint64_t from) const {
  uint64_t i = from;
  while (true) {
    uint64_t page = i / kPageBits;
    auto it = pages_.find(page);
    if (it == pages_.end()) return i;
    const Page& bits = it->second->bits;
    for (uint64_t bit = i % kPageBits; bit < kPageBits;) {
      uint64_t word = bits[bit / 64] >> (bit % 64);
      uint64_t ones = static_cast<uint64_t>(std::countr_one(word));
      if (ones < 64 - bit % 64) return page * kPageBits + bit + ones;
      bit += 64 - bit % 64;
    }
    i = (page + 1) * kPageBits;
  }
}

uint64_t Bitfield::count(uint64_t start, uint64_t end) const {
  uint64_t n = 0;
  for (auto it = pages_.lower_bound(start / kPageBits); it != pages_.end() && it->first * kPageBits < end; ++it) {
    uint64_t base = it->first * kPageBits;
    for (uint64_t w = 0; w < it->second->bits.size(); w++) {
      uint64_t word = it->second->bits[w];
      if (!word) continue;
      for (uint64_t b = 0; b < 64; b++) {
        uint64_t idx = base + w * 64 + b;
        if (idx >= start && idx < end && ((word >> b) & 1)) n++;
      }
    }
  }
  return n;
}

std::vector<uint64_t> Bitfield::dirty_pages() const {
  std::vector<uint64_t> out;
  for (const auto& [page, e] : pages_) {
    if (e->dirty) out.push_back(page);
  }
  return out;
}

void Bitfield::clear_dirty() {
  for (auto& [page, e] : pages_) e->dirty = false;
}

Bytes Bitfield::page_bytes(uint64_t page) const {
  Bytes out(kPageBits / 8, 0);
  auto it = pages_.find(page);
  if (it == pages_.end()) return out;
  for (size_t w = 0; w < it->second->bits.size(); w++) store_u64le(out.data() + 8 * w, it->second->bits[w]);
  return out;
}

void Bitfield::load_page(uint64_t page, ByteSpan bytes) {
  auto e = std::make_unique<Entry>();
  for (size_t w = 0; w < e->bits.size() && 8 * w + 8 <= bytes.size(); w++) e->bits[w] = load_u64le(bytes.data() + 8 * w);
  pages_[page] = std::move(e);
}

}  // namespace hypercore::internal
