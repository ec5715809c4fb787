// A Storage for tests that fails on command and simulates power loss. It wraps a memory
// storage and tracks, for every file, the bytes that were made durable by sync():
// crash() throws away everything written since each file's last sync (keeping, when
// asked, a random prefix of it, as a disk that lost power mid-write would).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "hypercore/storage.hpp"

namespace hypercore {

struct FaultPlan {
  // Operation counting starts at 1 over reads, writes, truncates and syncs of every file.
  // 0 = never fail.
  uint64_t fail_at = 0;
  // When the failing operation is a write, write only this fraction of it first (a torn
  // write), then fail.
  double torn_fraction = 0.5;
  // Every operation after the first failure fails too (a disk that went away).
  bool sticky = true;
};

class FaultStorage final : public Storage {
 public:
  FaultStorage();
  ~FaultStorage() override;

  void set_plan(FaultPlan plan);
  uint64_t operations() const;  // operations counted so far
  bool failed() const;          // whether the plan's failure happened

  // Simulated power loss: every file returns to its last synced content, plus, when
  // `keep_unsynced_seed` is non-zero, a pseudo-random prefix of what was written after it.
  // Open Files keep working on the new content. Clears the plan.
  void crash(uint64_t keep_unsynced_seed = 0);

  // Direct access for corruption tests: the current bytes of a file, and replacing them.
  Result<Bytes> contents(const std::string& name) const;
  Result<void> set_contents(const std::string& name, ByteSpan bytes);

  Result<std::shared_ptr<File>> open(const std::string& name, bool create) override;
  Result<bool> exists(const std::string& name) override;
  Result<void> sync_dir(const std::string& dir) override;
  Result<void> remove_all(const std::string& dir) override;
  Result<std::shared_ptr<void>> lock(const std::string& name, LockMode mode) override;
  std::string describe() const override { return "fault-injecting memory"; }

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace hypercore
