// The in-memory Storage. A file is a list of fixed-size chunks, allocated on first write:
// growing a file never copies it, and a sparse file (the tree at 48 × node index) costs
// only the chunks that were written.
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

#include "hypercore/internal/lock_table.hpp"
#include "hypercore/storage.hpp"

namespace hypercore {

namespace {

// One page: a sparse replica that writes a few entries far apart (a remote get in a large
// core touches the index and tree files at random offsets) allocates and faults in a page
// per entry, not a large chunk, and no table sized by the file's length.
constexpr uint64_t kChunk = 512;

using Chunk = std::unique_ptr<uint8_t[]>;

struct MemoryData {
  std::unordered_map<uint64_t, Chunk> chunks;  // by chunk number; absent = reads as zeros
  uint64_t size = 0;

  void write(uint64_t offset, ByteSpan data) {
    uint64_t end = offset + data.size();
    for (uint64_t pos = offset; pos < end;) {
      uint64_t c = pos / kChunk, at = pos % kChunk, n = std::min(kChunk - at, end - pos);
      Chunk& chunk = chunks[c];
      if (!chunk) chunk = std::make_unique<uint8_t[]>(kChunk);  // zeroed
      std::copy_n(data.data() + (pos - offset), n, chunk.get() + at);
      pos += n;
    }
    size = std::max(size, end);
  }

  size_t read(uint64_t offset, std::span<uint8_t> out) const {
    if (offset >= size) return 0;
    uint64_t end = std::min<uint64_t>(size, offset + out.size());
    for (uint64_t pos = offset; pos < end;) {
      uint64_t c = pos / kChunk, at = pos % kChunk, n = std::min(kChunk - at, end - pos);
      uint8_t* dst = out.data() + (pos - offset);
      if (auto it = chunks.find(c); it != chunks.end()) {
        std::copy_n(it->second.get() + at, n, dst);
      } else {
        std::fill_n(dst, n, 0);
      }
      pos += n;
    }
    return static_cast<size_t>(end - offset);
  }

  void truncate(uint64_t new_size) {
    if (new_size < size) {
      uint64_t keep = (new_size + kChunk - 1) / kChunk;
      std::erase_if(chunks, [&](const auto& c) { return c.first >= keep; });
      // Bytes past the new end inside the last chunk must read as zeros if it grows again.
      if (new_size % kChunk != 0) {
        if (auto it = chunks.find(keep - 1); it != chunks.end()) {
          std::fill(it->second.get() + new_size % kChunk, it->second.get() + kChunk, 0);
        }
      }
    }
    size = new_size;
  }
};

struct MemoryFiles {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<MemoryData>> files;
  internal::LockTable locks;
};

class MemoryFile final : public File {
 public:
  MemoryFile(std::shared_ptr<MemoryFiles> all, std::shared_ptr<MemoryData> data, std::string name)
      : all_(std::move(all)), data_(std::move(data)), name_(std::move(name)) {}

  Result<size_t> read(uint64_t offset, std::span<uint8_t> out) override {
    std::lock_guard lock(all_->mutex);
    return data_->read(offset, out);
  }
  Result<void> write(uint64_t offset, ByteSpan data) override {
    std::lock_guard lock(all_->mutex);
    data_->write(offset, data);
    return {};
  }
  Result<uint64_t> size() override {
    std::lock_guard lock(all_->mutex);
    return data_->size;
  }
  Result<void> truncate(uint64_t size) override {
    std::lock_guard lock(all_->mutex);
    data_->truncate(size);
    return {};
  }
  Result<void> sync() override { return {}; }
  const std::string& name() const override { return name_; }
  bool reads_from_memory() const override { return true; }

 private:
  std::shared_ptr<MemoryFiles> all_;
  std::shared_ptr<MemoryData> data_;
  std::string name_;
};

class MemoryStorage final : public Storage {
 public:
  Result<std::shared_ptr<File>> open(const std::string& name, bool create) override {
    std::lock_guard lock(all_->mutex);
    auto it = all_->files.find(name);
    if (it == all_->files.end()) {
      if (!create) return fail(errc::not_found, "memory storage: no file " + name);
      it = all_->files.emplace(name, std::make_shared<MemoryData>()).first;
    }
    return std::make_shared<MemoryFile>(all_, it->second, name);
  }
  Result<bool> exists(const std::string& name) override {
    std::lock_guard lock(all_->mutex);
    return all_->files.contains(name);
  }
  Result<void> sync_dir(const std::string&) override { return {}; }
  Result<void> remove_all(const std::string& dir) override {
    std::lock_guard lock(all_->mutex);
    std::erase_if(all_->files, [&](const auto& item) { return item.first.starts_with(dir + "/"); });
    return {};
  }
  Result<std::shared_ptr<void>> lock(const std::string& name, LockMode mode) override {
    std::lock_guard lock(all_->mutex);
    if (auto holder = all_->locks.acquire(name, mode)) {
      return fail(errc::locked, "memory storage: " + name + " is locked: another core has it " +
                                  internal::LockTable::held_as(*holder));
    }
    auto all = all_;
    return std::shared_ptr<void>(nullptr, [all, name, mode](void*) {
      std::lock_guard lock(all->mutex);
      all->locks.release(name, mode);
    });
  }
  std::string describe() const override { return "memory"; }

 private:
  std::shared_ptr<MemoryFiles> all_ = std::make_shared<MemoryFiles>();
};

}  // namespace

std::shared_ptr<Storage> make_memory_storage() { return std::make_shared<MemoryStorage>(); }

}  // namespace hypercore
