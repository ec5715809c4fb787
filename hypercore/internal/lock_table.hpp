// The locks of the in-memory storages (memory and fault-injecting): per name, one exclusive
// holder or any number of shared ones, as flock() gives the directory storage. The caller
// serialises access with its own mutex.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "hypercore/storage.hpp"

namespace hypercore::internal {

class LockTable {
 public:
  // Takes the lock, or returns how the conflicting holders hold it.
  std::optional<LockMode> acquire(const std::string& name, LockMode mode) {
    int& holders = holders_[name];  // -1 = one exclusive holder, n > 0 = n shared ones
    if (holders < 0) return LockMode::exclusive;
    if (mode == LockMode::exclusive && holders > 0) return LockMode::shared;
    holders = mode == LockMode::exclusive ? -1 : holders + 1;
    return std::nullopt;
  }

  // How a message names the holders of a conflicting lock.
  static const char* held_as(LockMode holders) {
    return holders == LockMode::exclusive ? "open for writing" : "open read-only";
  }

  void release(const std::string& name, LockMode mode) {
    auto it = holders_.find(name);
    if (it == holders_.end()) return;
    if (mode == LockMode::exclusive || --it->second <= 0) holders_.erase(it);
  }

 private:
  std::map<std::string, int> holders_;
};

}  // namespace hypercore::internal
