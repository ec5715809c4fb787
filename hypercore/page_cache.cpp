#include "hypercore/internal/page_cache.hpp"

#include <algorithm>
#include <cstring>

namespace hypercore::internal {

Result<PageCache::Page*> PageCache::page(uint64_t number) {
  if (auto it = pages_.find(number); it != pages_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return &*it->second;
  }
  Page p;
  p.number = number;
  p.bytes = std::make_unique<uint8_t[]>(kPageBytes);
  HC_TRY(n, file_->read(number * kPageBytes, std::span<uint8_t>(p.bytes.get(), kPageBytes)));
  std::fill(p.bytes.get() + n, p.bytes.get() + kPageBytes, 0);
  p.valid = n;
  lru_.push_front(std::move(p));
  pages_[number] = lru_.begin();
  while (pages_.size() > std::max<size_t>(capacity_pages_, 1)) {
    pages_.erase(lru_.back().number);
    lru_.pop_back();
  }
  return &lru_.front();
}

Result<size_t> PageCache::read(uint64_t offset, std::span<uint8_t> out) {
  if (capacity_pages_ == 0 || file_->reads_from_memory()) {
    HC_TRY(n, file_->read(offset, out));
    std::fill(out.begin() + static_cast<ptrdiff_t>(n), out.end(), 0);
    return n;
  }
  size_t inside = 0;
  for (size_t done = 0; done < out.size();) {
    uint64_t pos = offset + done;
    HC_TRY(p, page(pos / kPageBytes));
    size_t at = pos % kPageBytes;
    size_t n = std::min<size_t>(kPageBytes - at, out.size() - done);
    std::memcpy(out.data() + done, p->bytes.get() + at, n);
    if (p->valid > at) inside = done + std::min(n, p->valid - at);
    done += n;
  }
  return inside;
}

Result<void> PageCache::write(uint64_t offset, ByteSpan data) {
  HC_CHECK(file_->write(offset, data));
  // Update the cached pages the write touches; uncached ones are read fresh when needed.
  uint64_t end = offset + data.size();
  for (uint64_t number = offset / kPageBytes; number * kPageBytes < end; number++) {
    auto it = pages_.find(number);
    if (it == pages_.end()) continue;
    Page& p = *it->second;
    uint64_t page_start = number * kPageBytes;
    uint64_t from = std::max(offset, page_start), to = std::min(end, page_start + kPageBytes);
    std::memcpy(p.bytes.get() + (from - page_start), data.data() + (from - offset), to - from);
    p.valid = std::max<size_t>(p.valid, to - page_start);
  }
  return {};
}

}  // namespace hypercore::internal
