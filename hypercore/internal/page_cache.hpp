// A bounded least-recently-used cache of fixed-size pages of one File, so that hot index
// entries are read from memory instead of with a system call each. Writers keep it
// coherent by calling write() instead of writing to the file directly.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "hypercore/storage.hpp"

namespace hypercore::internal {

class PageCache {
 public:
  static constexpr uint64_t kPageBytes = 4096;

  PageCache(std::shared_ptr<File> file, size_t capacity_bytes)
      : file_(std::move(file)), capacity_pages_(capacity_bytes / kPageBytes) {}

  // Reads out.size() bytes at `offset` (past the end of the file reads as zeros). Returns
  // how many of them lie inside the file.
  Result<size_t> read(uint64_t offset, std::span<uint8_t> out);
  // Writes through to the file and updates cached pages.
  Result<void> write(uint64_t offset, ByteSpan data);
  File& file() { return *file_; }

 private:
  struct Page {
    uint64_t number = 0;
    size_t valid = 0;  // bytes of the page inside the file
    std::unique_ptr<uint8_t[]> bytes;
  };
  Result<Page*> page(uint64_t number);

  std::shared_ptr<File> file_;
  size_t capacity_pages_;
  std::list<Page> lru_;  // front = most recently used
  std::unordered_map<uint64_t, std::list<Page>::iterator> pages_;
};

}  // namespace hypercore::internal
