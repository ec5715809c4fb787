// The in-memory Storage: a map of names to byte vectors.
#include <map>
#include <mutex>
#include <set>

#include "hypercore/storage.hpp"

namespace hypercore {

namespace {

struct MemoryFiles {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<Bytes>> files;
  std::set<std::string> locks;
};

class MemoryFile final : public File {
 public:
  MemoryFile(std::shared_ptr<MemoryFiles> all, std::shared_ptr<Bytes> data, std::string name)
      : all_(std::move(all)), data_(std::move(data)), name_(std::move(name)) {}

  Result<size_t> read(uint64_t offset, std::span<uint8_t> out) override {
    std::lock_guard lock(all_->mutex);
    if (offset >= data_->size()) return size_t{0};
    size_t n = std::min<uint64_t>(out.size(), data_->size() - offset);
    std::copy_n(data_->begin() + static_cast<ptrdiff_t>(offset), n, out.begin());
    return n;
  }
  Result<void> write(uint64_t offset, ByteSpan data) override {
    std::lock_guard lock(all_->mutex);
    if (offset == data_->size()) {  // appending: no zero fill first
      data_->insert(data_->end(), data.begin(), data.end());
      return {};
    }
    if (offset + data.size() > data_->size()) data_->resize(offset + data.size());
    std::copy(data.begin(), data.end(), data_->begin() + static_cast<ptrdiff_t>(offset));
    return {};
  }
  Result<uint64_t> size() override {
    std::lock_guard lock(all_->mutex);
    return data_->size();
  }
  Result<void> truncate(uint64_t size) override {
    std::lock_guard lock(all_->mutex);
    data_->resize(size);
    return {};
  }
  Result<void> sync() override { return {}; }
  const std::string& name() const override { return name_; }

 private:
  std::shared_ptr<MemoryFiles> all_;
  std::shared_ptr<Bytes> data_;
  std::string name_;
};

class MemoryStorage final : public Storage {
 public:
  Result<std::shared_ptr<File>> open(const std::string& name, bool create) override {
    std::lock_guard lock(all_->mutex);
    auto it = all_->files.find(name);
    if (it == all_->files.end()) {
      if (!create) return fail(errc::not_found, "memory storage: no file " + name);
      it = all_->files.emplace(name, std::make_shared<Bytes>()).first;
    }
    return std::make_shared<MemoryFile>(all_, it->second, name);
  }
  Result<bool> exists(const std::string& name) override {
    std::lock_guard lock(all_->mutex);
    return all_->files.contains(name);
  }
  Result<void> sync_dir(const std::string&) override { return {}; }
  Result<std::shared_ptr<void>> lock(const std::string& name) override {
    std::lock_guard lock(all_->mutex);
    if (!all_->locks.insert(name).second) return fail(errc::io_error, "memory storage: " + name + " is locked by another open core");
    auto all = all_;
    return std::shared_ptr<void>(nullptr, [all, name](void*) {
      std::lock_guard lock(all->mutex);
      all->locks.erase(name);
    });
  }
  std::string describe() const override { return "memory"; }

 private:
  std::shared_ptr<MemoryFiles> all_ = std::make_shared<MemoryFiles>();
};

}  // namespace

std::shared_ptr<Storage> make_memory_storage() { return std::make_shared<MemoryStorage>(); }

}  // namespace hypercore
