// Decoded blocks of one bee, read from its core through a bounded cache shared by the bee,
// its snapshots and iterators, so memory does not grow with the database and a node read
// by one operation is not decoded again by the next.
#pragma once

#include <list>
#include <memory>
#include <unordered_map>

#include "bee/messages.hpp"
#include "hypercore/core.hpp"

namespace bee::internal {

class BlockStore {
 public:
  BlockStore(std::shared_ptr<hypercore::Core> core, size_t cache_bytes);

  hypercore::Core& core() { return *core_; }
  uint64_t length() const { return core_->length(); }

  // Block `seq` (>= 1) decoded as a node entry. errc::corrupt names the seq when it does not
  // decode; errc::block_not_available / out_of_range come from the core.
  Result<std::shared_ptr<const NodeBlock>> node(uint64_t seq);
  // Block 0 decoded as a header; errc::corrupt if it is not a hyperbee header.
  Result<Header> header();

  // Drops cached blocks at or after `seq` (their seqs were reused after a truncation).
  void forget_from(uint64_t seq);

  size_t cached_bytes() const { return bytes_; }

 private:
  struct Slot {
    uint64_t seq;
    std::shared_ptr<const NodeBlock> node;
    size_t bytes;
  };
  std::shared_ptr<hypercore::Core> core_;
  size_t capacity_;
  size_t bytes_ = 0;
  std::list<Slot> lru_;  // front = most recently used
  std::unordered_map<uint64_t, std::list<Slot>::iterator> slots_;
};

}  // namespace bee::internal
