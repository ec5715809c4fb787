#include "bee/internal/block_store.hpp"

namespace bee::internal {

namespace {
size_t footprint(const NodeBlock& n) {
  size_t bytes = sizeof(NodeBlock) + n.key.size() + (n.value ? n.value->size() : 0) + 64;
  for (const Level& l : n.levels) bytes += sizeof(Level) + 8 * (l.keys.size() + l.children.size());
  return bytes;
}
}  // namespace

BlockStore::BlockStore(std::shared_ptr<hypercore::Core> core, size_t cache_bytes)
    : core_(std::move(core)), capacity_(cache_bytes) {}

Result<std::shared_ptr<const NodeBlock>> BlockStore::node(uint64_t seq) {
  if (auto it = slots_.find(seq); it != slots_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->node;
  }
  if (seq == 0) return hypercore::fail(hypercore::errc::corrupt, "block 0 is the header, not a node");
  HC_TRY(bytes, core_->get(seq));
  auto decoded = decode_node(bytes);
  if (!decoded) return hypercore::fail(decoded.error().code, "block " + std::to_string(seq) + ": " + decoded.error().message);
  auto node = std::make_shared<const NodeBlock>(std::move(*decoded));
  size_t size = footprint(*node);
  lru_.push_front(Slot{seq, node, size});
  slots_[seq] = lru_.begin();
  bytes_ += size;
  while (bytes_ > capacity_ && lru_.size() > 1) {
    bytes_ -= lru_.back().bytes;
    slots_.erase(lru_.back().seq);
    lru_.pop_back();
  }
  return node;
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
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (it->seq >= seq) {
      bytes_ -= it->bytes;
      slots_.erase(it->seq);
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace bee::internal
