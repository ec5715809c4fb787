// The directory Storage: one OS file per name under a root folder. File descriptors are
// shared through a least-recently-used cache so a storage holding thousands of cores
// keeps at most `max_open_files` of them open; an evicted file reopens on its next use.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <list>
#include <mutex>

#include "hypercore/internal/mapped_file.hpp"
#include "hypercore/storage.hpp"

namespace hypercore {

namespace {

std::unexpected<Error> os_error(const std::string& what, const std::string& path) {
  return fail(errc::io_error, what + " " + path + ": " + std::strerror(errno));
}

struct FdEntry {
  std::string path;
  int fd = -1;
  uint32_t in_use = 0;
  std::list<FdEntry*>::iterator lru_position;
  bool in_lru = false;
};

class FdCache {
 public:
  explicit FdCache(size_t max_open) : max_open_(max_open == 0 ? 1 : max_open) {}

  // Opens the entry's descriptor if needed and pins it until release().
  Result<int> acquire(FdEntry& e) {
    std::lock_guard lock(mutex_);
    if (e.fd < 0) {
      int fd = ::open(e.path.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) return os_error("open", e.path);
      e.fd = fd;
      open_count_++;
      evict_locked();
    }
    if (e.in_lru) lru_.erase(e.lru_position);
    lru_.push_front(&e);
    e.lru_position = lru_.begin();
    e.in_lru = true;
    e.in_use++;
    return e.fd;
  }

  void release(FdEntry& e) {
    std::lock_guard lock(mutex_);
    e.in_use--;
    evict_locked();
  }

  void forget(FdEntry& e) {
    std::lock_guard lock(mutex_);
    if (e.in_lru) lru_.erase(e.lru_position);
    e.in_lru = false;
    if (e.fd >= 0) {
      ::close(e.fd);
      e.fd = -1;
      open_count_--;
    }
  }

 private:
  // Closes least recently used, unpinned descriptors while over the limit.
  void evict_locked() {
    for (auto it = lru_.end(); open_count_ > max_open_ && it != lru_.begin();) {
      --it;
      FdEntry* victim = *it;
      if (victim->in_use > 0 || victim->fd < 0) continue;
      ::close(victim->fd);
      victim->fd = -1;
      victim->in_lru = false;
      open_count_--;
      it = lru_.erase(it);
    }
  }

  std::mutex mutex_;
  std::list<FdEntry*> lru_;
  size_t open_count_ = 0;
  size_t max_open_;
};

class DirectoryFile final : public File {
 public:
  DirectoryFile(std::shared_ptr<FdCache> cache, std::string path, std::string name, bool map_reads)
      : cache_(std::move(cache)), name_(std::move(name)) {
    if (map_reads) map_ = std::make_unique<internal::MappedFile>(path);
    entry_.path = std::move(path);
  }
  ~DirectoryFile() override { cache_->forget(entry_); }

  Result<size_t> read(uint64_t offset, std::span<uint8_t> out) override {
    HC_TRY(fd, cache_->acquire(entry_));
    if (map_) {
      auto mapped = map_->read(fd, offset, out);
      if (!mapped || *mapped) {
        cache_->release(entry_);
        if (!mapped) return std::unexpected(mapped.error());
        return out.size();
      }
    }
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        auto err = os_error("read", entry_.path);
        cache_->release(entry_);
        return err;
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    cache_->release(entry_);
    return done;
  }

  Result<void> write(uint64_t offset, ByteSpan data) override {
    HC_TRY(fd, cache_->acquire(entry_));
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        auto err = os_error("write", entry_.path);
        cache_->release(entry_);
        return err;
      }
      done += static_cast<size_t>(n);
    }
    cache_->release(entry_);
    if (map_) map_->wrote(offset + data.size());
    return {};
  }

  Result<uint64_t> size() override {
    HC_TRY(fd, cache_->acquire(entry_));
    struct stat st;
    int rc = ::fstat(fd, &st);
    cache_->release(entry_);
    if (rc != 0) return os_error("stat", entry_.path);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<void> truncate(uint64_t size) override {
    HC_TRY(fd, cache_->acquire(entry_));
    // Before the file shrinks, so no read of the mapping goes past its new end.
    if (map_) map_->truncated(size);
    int rc = ::ftruncate(fd, static_cast<off_t>(size));
    cache_->release(entry_);
    if (rc != 0) return os_error("truncate", entry_.path);
    return {};
  }

  Result<void> sync() override {
    HC_TRY(fd, cache_->acquire(entry_));
    int rc = ::fdatasync(fd);
    cache_->release(entry_);
    if (rc != 0) return os_error("fdatasync", entry_.path);
    return {};
  }

  const std::string& name() const override { return name_; }
  bool reads_from_memory() const override { return map_ != nullptr; }
  void prefetch(uint64_t offset, size_t size) override {
    if (map_) map_->prefetch(offset, size);
  }

 private:
  std::shared_ptr<FdCache> cache_;
  FdEntry entry_;
  std::string name_;
  std::unique_ptr<internal::MappedFile> map_;  // null: every read is a pread
};

class DirectoryStorage final : public Storage {
 public:
  DirectoryStorage(std::string root, DirectoryStorageOptions options)
      : root_(std::move(root)),
        cache_(std::make_shared<FdCache>(options.max_open_files)),
        map_reads_(options.map_reads) {}

  Result<std::shared_ptr<File>> open(const std::string& name, bool create) override {
    std::string path = path_of(name);
    if (create) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
      if (ec) return fail(errc::io_error, "create folder for " + path + ": " + ec.message());
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) return os_error("create", path);
      ::close(fd);
    } else if (::access(path.c_str(), F_OK) != 0) {
      return fail(errc::not_found, "no file " + path);
    }
    return std::make_shared<DirectoryFile>(cache_, path, name, map_reads_);
  }

  Result<bool> exists(const std::string& name) override { return ::access(path_of(name).c_str(), F_OK) == 0; }

  Result<void> remove_all(const std::string& dir) override {
    std::error_code ec;
    auto removed = std::filesystem::remove_all(path_of(dir), ec);
    if (ec) return fail(errc::io_error, "remove folder " + path_of(dir) + ": " + ec.message());
    if (removed == 0) return {};
    return sync_dir(std::filesystem::path(dir).parent_path().string());
  }

  Result<void> sync_dir(const std::string& dir) override {
    std::string path = dir.empty() ? root_ : path_of(dir);
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return os_error("open folder", path);
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return os_error("fsync folder", path);
    return {};
  }

  // flock(): released by the kernel when the process dies, so a crash leaves no stale lock.
  Result<std::shared_ptr<void>> lock(const std::string& name, LockMode mode) override {
    std::string path = path_of(name);
    // A reader opens an existing lock file without write access, so that it needs none.
    int fd = mode == LockMode::shared ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
      fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    }
    if (fd < 0) return os_error("open lock", path);
    if (::flock(fd, (mode == LockMode::shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
      int err = errno;
      if (err == EWOULDBLOCK) {
        // Readers hold a shared lock, a writer an exclusive one: probe which, for the message.
        bool readers = mode == LockMode::exclusive && ::flock(fd, LOCK_SH | LOCK_NB) == 0;
        ::close(fd);
        return fail(errc::locked, path + " is locked: another process has the core " +
                                      (readers ? "open read-only" : "open for writing"));
      }
      ::close(fd);
      errno = err;
      return os_error("lock", path);
    }
    return std::shared_ptr<void>(nullptr, [fd](void*) { ::close(fd); });
  }

  std::string describe() const override { return root_; }

 private:
  std::string path_of(const std::string& name) const { return name.empty() ? root_ : root_ + "/" + name; }

  std::string root_;
  std::shared_ptr<FdCache> cache_;
  bool map_reads_;
};

}  // namespace

Result<std::shared_ptr<Storage>> open_directory_storage(const std::string& root, DirectoryStorageOptions options) {
  std::error_code ec;
  if (!options.create_if_missing && !std::filesystem::exists(root, ec)) {
    return fail(errc::not_found, "no folder " + root);
  }
  std::filesystem::create_directories(root, ec);
  if (ec) return fail(errc::io_error, "create folder " + root + ": " + ec.message());
  if (!std::filesystem::is_directory(root, ec)) return fail(errc::invalid_argument, root + " is not a folder");
  return std::shared_ptr<Storage>(std::make_shared<DirectoryStorage>(root, options));
}

}  // namespace hypercore
