#include "bee/internal/block_store.hpp"

#include <algorithm>
#include <string>

namespace bee::internal {

namespace {

// An item's share of the slot ring (kept at most half empty by growth) and of the index
// (at most half full, a quarter after it doubles), plus the allocator's header.
constexpr size_t kItemOverhead = 2 * 8 + 4 * 16 + 16;

size_t charge(const CacheItem* item) { return item->size() + kItemOverhead; }

}  // namespace

BlockStore::BlockStore(std::shared_ptr<hypercore::Core> core, size_t cache_bytes)
    : core_(std::move(core)), capacity_(cache_bytes), alive_(std::make_shared<BlockStore*>(this)) {
  // A truncation's dropped seqs are written again with other blocks (by this bee or any
  // writer of the core): what the cache holds of the old ones must go at once. Registered
  // when the store is made, so it runs before any watcher of the bee reads the new state.
  // The store is reached through a weak reference: an earlier listener of the same event
  // may have destroyed the bee, and the core calls every listener it had when it began.
  truncate_watch_ = core_->watch([alive = std::weak_ptr<BlockStore*>(alive_)](const hypercore::CoreEvent& e) {
    if (e.kind != hypercore::CoreEvent::Kind::truncate) return;
    if (auto store = alive.lock()) (*store)->forget_from(e.length);
  });
}

BlockStore::~BlockStore() {
  for (const CacheItem* item : slots_) {
    if (item) item->release();
  }
}

Result<const NodeBlock*> BlockStore::decode(uint64_t seq) {
  if (seq == 0) return hypercore::fail(hypercore::errc::corrupt, "block 0 is the header, not a node");
  HC_CHECK(core_->get_into(seq, read_buffer_));
  auto decoded = decode_node_into(read_buffer_, node_scratch_);
  release_if_large(read_buffer_);  // the node holds copies
  if (!decoded) return hypercore::fail(decoded.error().code, "block " + std::to_string(seq) + ": " + decoded.error().message);
  return &node_scratch_;
}

Result<EntryView> BlockStore::read_entry(uint64_t seq, Bytes& buffer) {
  if (seq == 0) return hypercore::fail(hypercore::errc::corrupt, "block 0 is the header, not a node");
  HC_CHECK(core_->get_into(seq, buffer));
  auto e = decode_entry(buffer, seq);
  if (!e) return hypercore::fail(e.error().code, "block " + std::to_string(seq) + ": " + e.error().message);
  return e;
}

Result<EntryRef> BlockStore::load_entry(uint64_t seq) {
  auto view = read_entry(seq, read_buffer_);
  if (!view) {
    release_if_large(read_buffer_);
    return std::unexpected(view.error());
  }
  EntryRef e = CachedEntry::make(seq, view->key, view->value, view->deletion);
  release_if_large(read_buffer_);
  insert(e.get());
  return e;
}

Result<NodeRef> BlockStore::load_tree_node(uint64_t seq, uint64_t offset) {
  HC_TRY(decoded, decode(seq));
  const NodeBlock& block = *decoded;
  if (offset >= block.levels.size()) {
    return hypercore::fail(hypercore::errc::corrupt, "block " + std::to_string(seq) + " has no tree node at level " +
                                                         std::to_string(offset) + " (it has " +
                                                         std::to_string(block.levels.size()) + ")");
  }
  const Level& level = block.levels[offset];
  // An internal node has one child more than keys, as (seq, offset) pairs.
  if (!level.children.empty() && level.children.size() != 2 * (level.keys.size() + 1)) {
    return hypercore::fail(hypercore::errc::corrupt, "block " + std::to_string(seq) + " level " +
                                                         std::to_string(offset) + ": " +
                                                         std::to_string(level.keys.size()) + " keys but " +
                                                         std::to_string(level.children.size()) +
                                                         " child pointer numbers");
  }
  std::vector<CachedNode::KeyBytes> keys(level.keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (level.keys[i] != seq) continue;
    keys[i] = {true, block.key, block.value.has_value(), true, block.value ? ByteSpan(*block.value) : ByteSpan()};
  }
  NodeRef node = make_node(seq, uint32_t(offset), level, block.key, own_key_at(block, seq, offset), keys);
  release_if_large(node_scratch_.key);
  if (node_scratch_.value) release_if_large(*node_scratch_.value);
  insert(node.get());
  return node;
}

NodeRef BlockStore::make_node(uint64_t seq, uint32_t offset, const Level& level, ByteSpan own_key, OwnKey own,
                               std::vector<CachedNode::KeyBytes>& keys) {
  // Keys before the node's own block are inlined (all of them, in a well-formed tree);
  // the cache is probed for all the unknown ones first, so their misses overlap.
  const std::vector<uint64_t>& seqs = level.keys;
  auto wanted = [&](size_t i) { return !keys[i].known && seqs[i] != 0 && seqs[i] < seq; };
  if (!index_.empty()) {
    for (size_t i = 0; i < seqs.size(); ++i) {
      if (wanted(i)) __builtin_prefetch(&index_[hash(seqs[i], kEntryLevel) & mask_]);
    }
    for (size_t i = 0; i < seqs.size(); ++i) {
      if (!wanted(i)) continue;
      if (const CacheItem* item = index_[hash(seqs[i], kEntryLevel) & mask_].item) __builtin_prefetch(item);
    }
  }
  // A missing entry is read but not cached: its bytes live on inline in the node, and
  // caching it too would double what a scan's leaves cost (a full scan of a database a bit
  // larger than the cache then evicts everything before its next pass can use it). It is
  // read into a buffer of its own, so the views stay valid until the node is made.
  std::vector<EntryRef> holds;
  missing_.clear();
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (!wanted(i)) continue;
    if (const CacheItem* item = find(seqs[i], kEntryLevel)) {
      EntryRef e(static_cast<const CachedEntry*>(item));
      keys[i] = CachedNode::bytes_of(*e);
      holds.push_back(std::move(e));
    } else {
      missing_.push_back(seqs[i]);
    }
  }
  // The blocks lie apart in the log: their memory latencies overlap instead of adding up.
  if (missing_.size() > 1) core_->prefetch(missing_);
  size_t buffers = 0;
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (!wanted(i)) continue;
    if (entry_buffers_.size() <= buffers) entry_buffers_.emplace_back();
    auto view = read_entry(seqs[i], entry_buffers_[buffers++]);
    if (!view) continue;
    keys[i] = {true, view->key, view->value.has_value(), true, view->value ? *view->value : ByteSpan()};
  }
  NodeRef node = CachedNode::make(seq, offset, level, own_key, own, keys);
  // Only a hostile block has more keys than a node holds: its buffers are not kept; nor is
  // a large value's buffer (the memory a bee holds stays what its options say).
  if (entry_buffers_.size() > kKeptBuffers) entry_buffers_.resize(kKeptBuffers);
  for (Bytes& b : entry_buffers_) release_if_large(b);
  return node;
}

void BlockStore::remember(const NodeRef& node) {
  if (node->seq() > newest_seq_ || !find(node->seq(), node->level())) insert(node.get());
}

void BlockStore::drop(uint64_t seq, uint32_t level) {
  if (index_.empty()) return;
  uint32_t h = hash(seq, level);
  for (size_t i = h & mask_; index_[i].item; i = (i + 1) & mask_) {
    // The hash first: reading a colliding item's seq would be a cache miss.
    if (index_[i].hash != h) continue;
    const CacheItem* item = index_[i].item;
    if (item->seq() != seq || item->level() != level) continue;
    erase_at(i);
    return;
  }
}

void BlockStore::insert(const CacheItem* item) {
  make_room(charge(item));
  if (2 * (used_ + 1) > index_.size()) rebuild_index(std::max<size_t>(64, 2 * index_.size()));
  size_t k;
  if (!free_.empty()) {
    k = free_.back();
    free_.pop_back();
  } else {
    k = slots_.size();
    slots_.push_back(nullptr);
  }
  item->retain();
  newest_seq_ = std::max(newest_seq_, item->seq());
  slots_[k] = item;
  ++used_;
  bytes_ += charge(item);
  uint32_t h = hash(item->seq(), item->level());
  size_t i = h & mask_;
  while (index_[i].item) i = (i + 1) & mask_;
  index_[i] = IndexSlot{h, uint32_t(k), item};
}

void BlockStore::make_room(size_t bytes) {
  // Two sweeps at most: the first clears every referenced bit.
  while (bytes_ + bytes > capacity_ && used_ > 0) {
    if (hand_ >= slots_.size()) hand_ = 0;
    const CacheItem* item = slots_[hand_];
    if (item && !item->take_referenced()) erase_slot(hand_);
    ++hand_;
  }
}

void BlockStore::erase_slot(size_t k) {
  const CacheItem* item = slots_[k];
  size_t i = hash(item->seq(), item->level()) & mask_;
  while (index_[i].item != item) i = (i + 1) & mask_;
  erase_at(i);
}

void BlockStore::erase_at(size_t i) {
  const CacheItem* item = index_[i].item;
  size_t k = index_[i].slot;
  // Backward-shift deletion keeps every probe chain unbroken without tombstones.
  for (size_t j = (i + 1) & mask_; index_[j].item; j = (j + 1) & mask_) {
    size_t home = index_[j].hash & mask_;
    bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
    if (movable) {
      index_[i] = index_[j];
      i = j;
    }
  }
  index_[i] = IndexSlot{};
  bytes_ -= charge(item);
  item->release();
  slots_[k] = nullptr;
  --used_;
  free_.push_back(uint32_t(k));
}

void BlockStore::rebuild_index(size_t index_size) {
  index_.assign(index_size, IndexSlot{});
  mask_ = index_size - 1;
  for (size_t k = 0; k < slots_.size(); ++k) {
    const CacheItem* item = slots_[k];
    if (!item) continue;
    uint32_t h = hash(item->seq(), item->level());
    size_t i = h & mask_;
    while (index_[i].item) i = (i + 1) & mask_;
    index_[i] = IndexSlot{h, uint32_t(k), item};
  }
}

Result<Header> BlockStore::header() {
  HC_TRY(bytes, core_->get(0));
  auto h = decode_header(bytes);
  if (!h) return hypercore::fail(hypercore::errc::corrupt, "block 0 is not a hyperbee header: " + h.error().message);
  if (h->protocol != "hyperbee") {
    return hypercore::fail(hypercore::errc::corrupt, "block 0 names protocol '" + h->protocol + "', not hyperbee");
  }
  return h;
}

void BlockStore::forget_from(uint64_t seq) {
  for (size_t k = 0; k < slots_.size(); ++k) {
    if (slots_[k] && slots_[k]->seq() >= seq) erase_slot(k);
  }
  newest_seq_ = std::min(newest_seq_, seq == 0 ? 0 : seq - 1);
}

}  // namespace bee::internal
