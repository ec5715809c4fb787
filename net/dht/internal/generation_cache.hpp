// The two-generation cache behind every hyperdht store (the reference's record-cache and
// xache, ../shared/spec/dht.md §2.4/§2.6), with the bounds the reference lacks: a byte budget
// and a per-source entry limit, so one flooding host can neither exhaust memory nor push
// other hosts' records out. Entries live in the "fresh" generation when written and in the
// "stale" one after the next rotation; the rotation after that drops them. Rotations happen
// every 2/3 × max_age (so an entry survives 2/3..4/3 × max_age) and early when the fresh
// generation or the byte budget is full. Time is passed in; nothing here owns a timer.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>

#include "net/dht/constants.hpp"
#include "net/dht/generation_limits.hpp"

namespace net::dht::detail {

template <class V>
class GenerationCache {
 public:
  enum class Put { added, refreshed, refused };
  // Called for every entry dropped by a rotation or erase (keeps secondary indexes in step).
  using EvictFn = std::function<void(const std::string& key)>;

  GenerationCache(GenerationLimits limits, Millis now)
      : limits_(limits), interval_(limits.max_age ? (2 * limits.max_age + 2) / 3 : 0), next_rotation_(now + interval_) {}

  // Runs the rotations due at `now` (at most two matter: after two, everything old is gone).
  void advance(Millis now) {
    if (interval_ == 0) return;
    for (int i = 0; now >= next_rotation_; i++) {
      if (i < 2) rotate();
      next_rotation_ += interval_;
      if (i >= 2 && now >= next_rotation_) next_rotation_ = now + interval_;  // long sleep: catch up
    }
  }

  // The live value, or null. `promote` moves a stale entry back to fresh (xache's get does,
  // record-cache's does not).
  V* get(const std::string& key, bool promote) {
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    if (promote && it->second.gen != gen_) {
      it->second.gen = gen_;
      fresh_++;
    }
    return &it->second.value;
  }

  // Stores `value` (of `bytes` bytes) for `source`. `keep_fresh` keeps the bytes of an entry
  // that is still fresh (record-cache's add) instead of overwriting them (xache's set).
  Put put(const std::string& key, V value, uint32_t source, size_t bytes, bool keep_fresh) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      Slot& s = it->second;
      if (s.gen == gen_ && keep_fresh) return Put::refreshed;
      if (s.gen != gen_) fresh_++;
      bytes_ = bytes_ - s.bytes + bytes;
      s.value = std::move(value);
      s.bytes = bytes;
      s.gen = gen_;
      settle();
      return Put::refreshed;
    }
    if (bytes > limits_.max_bytes) return Put::refused;
    auto src = per_source_.find(source);
    if (src != per_source_.end() && src->second >= limits_.max_per_source) return Put::refused;
    // Make room first (the reference rotates right after the insert that overflows; rotating
    // before keeps the newcomer fresh).
    if (fresh_ + 1 > limits_.max_entries) rotate();
    for (int i = 0; i < 2 && bytes_ + bytes > limits_.max_bytes; i++) rotate();
    map_.emplace(key, Slot{std::move(value), source, bytes, gen_});
    per_source_[source]++;
    fresh_++;
    bytes_ += bytes;
    return Put::added;
  }

  bool erase(const std::string& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    drop(it);
    return true;
  }

  size_t size() const { return map_.size(); }
  size_t bytes() const { return bytes_; }
  size_t fresh() const { return fresh_; }
  size_t sources() const { return per_source_.size(); }
  size_t source_entries(uint32_t source) const {
    auto it = per_source_.find(source);
    return it == per_source_.end() ? 0 : it->second;
  }
  void set_on_evict(EvictFn fn) { on_evict_ = std::move(fn); }

  // fresh → stale, stale → gone.
  void rotate() {
    gen_++;
    fresh_ = 0;
    for (auto it = map_.begin(); it != map_.end();) {
      auto next = std::next(it);
      if (it->second.gen + 1 < gen_) drop(it);
      it = next;
    }
  }

 private:
  struct Slot {
    V value;
    uint32_t source;
    size_t bytes;
    uint64_t gen;
  };
  using Iter = typename std::unordered_map<std::string, Slot>::iterator;

  void drop(Iter it) {
    auto src = per_source_.find(it->second.source);
    if (src != per_source_.end() && --src->second == 0) per_source_.erase(src);
    bytes_ -= it->second.bytes;
    if (it->second.gen == gen_) fresh_--;
    std::string key = it->first;
    map_.erase(it);
    if (on_evict_) on_evict_(key);
  }
  // A value grown in place may exceed the budget: age everything else out.
  void settle() {
    if (bytes_ > limits_.max_bytes || fresh_ > limits_.max_entries) rotate();
  }

  GenerationLimits limits_;
  Millis interval_;
  Millis next_rotation_;
  std::unordered_map<std::string, Slot> map_;
  std::unordered_map<uint32_t, size_t> per_source_;
  EvictFn on_evict_;
  uint64_t gen_ = 1;
  size_t fresh_ = 0;
  size_t bytes_ = 0;
};

}  // namespace net::dht::detail
