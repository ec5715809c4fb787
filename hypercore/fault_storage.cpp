#include "hypercore/fault_storage.hpp"

#include <map>
#include <mutex>
#include <random>

#include "hypercore/internal/lock_table.hpp"

namespace hypercore {

struct FileState {
  Bytes current;
  Bytes synced;
};

struct FaultStorage::State {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<FileState>> files;
  internal::LockTable locks;
  FaultPlan plan;
  uint64_t operations = 0;
  bool failed = false;

  // Counts one operation; true when it must fail.
  bool should_fail() {
    operations++;
    if (failed && plan.sticky) return true;
    if (plan.fail_at != 0 && operations == plan.fail_at) {
      failed = true;
      return true;
    }
    return false;
  }
};

namespace {

std::unexpected<Error> injected(const std::string& op, const std::string& name) {
  return fail(errc::io_error, "injected fault: " + op + " " + name);
}

class FaultFile final : public File {
 public:
  FaultFile(std::shared_ptr<FaultStorage::State> state, std::shared_ptr<FileState> file, std::string name)
      : state_(std::move(state)), file_(std::move(file)), name_(std::move(name)) {}

  Result<size_t> read(uint64_t offset, std::span<uint8_t> out) override {
    std::lock_guard lock(state_->mutex);
    if (state_->should_fail()) return injected("read", name_);
    const Bytes& data = file_->current;
    if (offset >= data.size()) return size_t{0};
    size_t n = std::min<uint64_t>(out.size(), data.size() - offset);
    std::copy_n(data.begin() + static_cast<ptrdiff_t>(offset), n, out.begin());
    return n;
  }

  Result<void> write(uint64_t offset, ByteSpan data) override {
    std::lock_guard lock(state_->mutex);
    bool fail_now = state_->should_fail();
    size_t n = data.size();
    if (fail_now) {
      if (state_->operations != state_->plan.fail_at) return injected("write", name_);
      n = static_cast<size_t>(static_cast<double>(data.size()) * state_->plan.torn_fraction);
    }
    Bytes& cur = file_->current;
    if (offset + n > cur.size()) cur.resize(offset + n);
    std::copy_n(data.begin(), n, cur.begin() + static_cast<ptrdiff_t>(offset));
    if (fail_now) return injected("write (torn)", name_);
    return {};
  }

  Result<uint64_t> size() override {
    std::lock_guard lock(state_->mutex);
    return file_->current.size();
  }

  Result<void> truncate(uint64_t size) override {
    std::lock_guard lock(state_->mutex);
    if (state_->should_fail()) return injected("truncate", name_);
    file_->current.resize(size);
    return {};
  }

  Result<void> sync() override {
    std::lock_guard lock(state_->mutex);
    if (state_->should_fail()) return injected("sync", name_);
    file_->synced = file_->current;
    return {};
  }

  const std::string& name() const override { return name_; }

 private:
  std::shared_ptr<FaultStorage::State> state_;
  std::shared_ptr<FileState> file_;
  std::string name_;
};

}  // namespace

FaultStorage::FaultStorage() : state_(std::make_shared<State>()) {}
FaultStorage::~FaultStorage() = default;

void FaultStorage::set_plan(FaultPlan plan) {
  std::lock_guard lock(state_->mutex);
  state_->plan = plan;
  state_->operations = 0;
  state_->failed = false;
}

uint64_t FaultStorage::operations() const {
  std::lock_guard lock(state_->mutex);
  return state_->operations;
}

bool FaultStorage::failed() const {
  std::lock_guard lock(state_->mutex);
  return state_->failed;
}

void FaultStorage::crash(uint64_t keep_unsynced_seed) {
  std::lock_guard lock(state_->mutex);
  std::mt19937_64 rng(keep_unsynced_seed);
  for (auto& [name, f] : state_->files) {
    Bytes next = f->synced;
    if (keep_unsynced_seed != 0 && f->current.size() > 0) {
      // A prefix of what was written after the last sync made it to the platter.
      size_t keep = static_cast<size_t>(rng() % (f->current.size() + 1));
      if (keep > next.size()) next.resize(keep);
      std::copy_n(f->current.begin(), std::min(keep, f->current.size()), next.begin());
    }
    f->current = next;
    f->synced = std::move(next);
  }
  state_->plan = {};
  state_->failed = false;
}

Result<Bytes> FaultStorage::contents(const std::string& name) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->files.find(name);
  if (it == state_->files.end()) return fail(errc::not_found, "fault storage: no file " + name);
  return it->second->current;
}

Result<void> FaultStorage::set_contents(const std::string& name, ByteSpan bytes) {
  std::lock_guard lock(state_->mutex);
  auto it = state_->files.find(name);
  if (it == state_->files.end()) return fail(errc::not_found, "fault storage: no file " + name);
  it->second->current.assign(bytes.begin(), bytes.end());
  it->second->synced = it->second->current;
  return {};
}

Result<std::shared_ptr<File>> FaultStorage::open(const std::string& name, bool create) {
  std::lock_guard lock(state_->mutex);
  auto it = state_->files.find(name);
  if (it == state_->files.end()) {
    if (!create) return fail(errc::not_found, "fault storage: no file " + name);
    it = state_->files.emplace(name, std::make_shared<FileState>()).first;
  }
  return std::shared_ptr<File>(std::make_shared<FaultFile>(state_, it->second, name));
}

Result<bool> FaultStorage::exists(const std::string& name) {
  std::lock_guard lock(state_->mutex);
  return state_->files.contains(name);
}

// A removal counts as one operation and, like a folder sync, is durable at once.
Result<void> FaultStorage::remove_all(const std::string& dir) {
  std::lock_guard lock(state_->mutex);
  if (state_->should_fail()) return injected("remove folder", dir);
  std::erase_if(state_->files, [&](const auto& item) { return item.first.starts_with(dir + "/"); });
  return {};
}

Result<void> FaultStorage::sync_dir(const std::string&) {
  std::lock_guard lock(state_->mutex);
  if (state_->should_fail()) return injected("sync folder", "");
  return {};
}

Result<std::shared_ptr<void>> FaultStorage::lock(const std::string& name, LockMode mode) {
  std::lock_guard lock(state_->mutex);
  if (auto holder = state_->locks.acquire(name, mode)) {
    return fail(errc::locked, "fault storage: " + name + " is locked: another core has it " +
                                internal::LockTable::held_as(*holder));
  }
  auto state = state_;
  return std::shared_ptr<void>(nullptr, [state, name, mode](void*) {
    std::lock_guard lock(state->mutex);
    state->locks.release(name, mode);
  });
}

}  // namespace hypercore
