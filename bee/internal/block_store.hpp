// Decoded blocks of one bee, read from its core through a bounded cache shared by the bee,
// its snapshots, iterators and writer, so memory does not grow with the database and a node
// read by one operation is not decoded again by the next.
//
// The cache holds two kinds of items (cache_items.hpp): a block's entry (key, value) and a
// tree node with its keys' bytes and values inline, so a get probes once per level and a
// scan once per node. Policy: CLOCK over a dense slot array (a hit only sets a bit), found
// through an open-addressing index (linear probing, backward-shift deletion); memory is
// bounded by the bytes of the items plus their share of the slot array and index.
#pragma once

#include <memory>
#include <vector>

#include "bee/internal/cache_items.hpp"
#include "bee/messages.hpp"
#include "hypercore/core.hpp"

namespace bee::internal {

class BlockStore {
 public:
  BlockStore(std::shared_ptr<hypercore::Core> core, size_t cache_bytes);
  ~BlockStore();
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;

  hypercore::Core& core() { return *core_; }
  uint64_t length() const { return core_->length(); }

  // The entry of block `seq` (>= 1). errc::corrupt names the seq when the block does not
  // decode; errc::block_not_available / out_of_range come from the core.
  Result<EntryRef> entry(uint64_t seq) {
    if (const CacheItem* item = find(seq, kEntryLevel)) return EntryRef(static_cast<const CachedEntry*>(item));
    return load_entry(seq);
  }
  // Level `offset` of block `seq` as a tree node, checked to exist and to have one child
  // more than keys (or none); errors as entry().
  Result<NodeRef> tree_node(uint64_t seq, uint64_t offset) {
    if (offset < kEntryLevel) {
      if (const CacheItem* item = find(seq, uint32_t(offset))) return NodeRef(static_cast<const CachedNode*>(item));
    }
    return load_tree_node(seq, offset);
  }
  // Block 0 decoded as a header; errc::corrupt if it is not a hyperbee header.
  Result<Header> header();

  // A tree node of a block the caller is appending, made with what it knows of the keys'
  // bytes (the others are looked up), and cached by remember() once the block is in the
  // core: the next writes descend into those nodes and would otherwise read them back.
  NodeRef make_node(uint64_t seq, uint32_t offset, const Level& level, ByteSpan own_key, OwnKey own,
                    std::vector<CachedNode::KeyBytes>& keys);
  void remember(const NodeRef& node);
  // Drops a cached node or entry (the writer's superseded nodes: only older versions can
  // still reach them, so they should not take the newest version's memory).
  void drop(uint64_t seq, uint32_t level);

  // Drops cached items of blocks at or after `seq` (their seqs were reused after a truncation).
  // Called by the store itself on every truncation of its core (see the constructor).
  void forget_from(uint64_t seq);

  size_t cached_bytes() const { return bytes_; }
  size_t capacity() const { return capacity_; }

 private:
  static constexpr uint32_t kEntryLevel = CacheItem::kEntryLevel;
  struct IndexSlot {
    uint32_t hash = 0;  // low bits: the home slot; all of it: a cheap first check
    uint32_t slot = 0;  // position in slots_
    const CacheItem* item = nullptr;  // null: empty
  };

  static uint32_t hash(uint64_t seq, uint32_t level) {
    uint64_t h = (seq ^ (uint64_t(level) << 40)) * 0x9E3779B97F4A7C15ull;
    return uint32_t(h >> 32);
  }
  const CacheItem* find(uint64_t seq, uint32_t level) const {
    if (index_.empty()) return nullptr;
    uint32_t h = hash(seq, level);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const IndexSlot& x = index_[i];
      if (!x.item) return nullptr;
      if (x.hash == h && x.item->seq() == seq && x.item->level() == level) {
        x.item->touch();
        return x.item;
      }
    }
  }

  Result<EntryRef> load_entry(uint64_t seq);
  Result<NodeRef> load_tree_node(uint64_t seq, uint64_t offset);
  // Block `seq` decoded into node_scratch_ (valid until the next decode).
  Result<const NodeBlock*> decode(uint64_t seq);
  // Block `seq`'s entry, as views into `buffer`.
  Result<EntryView> read_entry(uint64_t seq, Bytes& buffer);
  void insert(const CacheItem* item);
  void make_room(size_t charge);
  void erase_slot(size_t slot);
  void erase_at(size_t index_pos);  // the item at index_[index_pos]
  void rebuild_index(size_t index_size);

  std::shared_ptr<hypercore::Core> core_;
  size_t capacity_;
  size_t bytes_ = 0;
  size_t used_ = 0;
  size_t hand_ = 0;
  uint64_t newest_seq_ = 0;  // no item above it: a remembered block needs no lookup
  size_t mask_ = 0;
  std::vector<const CacheItem*> slots_;  // the CLOCK ring; null: free
  std::vector<uint32_t> free_;
  std::vector<IndexSlot> index_;
  // Reused by every read, so a miss allocates only what the cache keeps.
  static constexpr size_t kKeptBuffers = 16;
  static constexpr size_t kKeptBufferBytes = 64 << 10;
  static void release_if_large(Bytes& b) {
    if (b.capacity() > kKeptBufferBytes) Bytes().swap(b);
  }
  Bytes read_buffer_;
  NodeBlock node_scratch_;
  std::vector<Bytes> entry_buffers_;  // one per key of the node being made
  std::vector<uint64_t> missing_;  // the seqs of those keys
  // The core's listener for truncations and the token it reaches the store through; last,
  // so they go before the rest of the store.
  std::shared_ptr<BlockStore*> alive_;
  std::shared_ptr<void> truncate_watch_;
};

}  // namespace bee::internal
