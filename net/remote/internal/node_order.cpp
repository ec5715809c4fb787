#include "net/remote/internal/node_order.hpp"

#include <algorithm>

namespace net::internal {

int compare_keys(hypercore::ByteSpan a, hypercore::ByteSpan b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; i++) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

NodeOrder::NodeOrder(const bee::Level& level, const HeldKey& held_key) {
  for (size_t c = 0; c + 1 < level.children.size(); c += 2) {
    uint64_t b = level.children[c];
    Pivot& p = pivots_[b];
    p.lo = std::min(p.lo, c / 2);
    p.hi = std::max(p.hi, c / 2);
  }
  for (auto it = pivots_.begin(); it != pivots_.end();) {
    std::optional<hypercore::Bytes> key = held_key(it->first);
    if (!key) {
      it = pivots_.erase(it);
      continue;
    }
    it->second.key = std::move(*key);
    ++it;
  }
}

int NodeOrder::order_of(hypercore::ByteSpan target, size_t j) const {
  for (const auto& [b, p] : pivots_) {
    int t = compare_keys(target, p.key);
    if (j >= p.hi && t <= 0) return -1;  // target <= K < key j
    if (j < p.lo && t >= 0) return 1;    // key j < K <= target
  }
  return 0;
}

int NodeOrder::range_side(size_t j, const std::optional<hypercore::Bytes>& lower,
                          const std::optional<hypercore::Bytes>& upper) const {
  for (const auto& [b, p] : pivots_) {
    if (lower && j < p.lo && compare_keys(p.key, *lower) <= 0) return -1;
    if (upper && j >= p.hi && compare_keys(p.key, *upper) >= 0) return 1;
  }
  return 0;
}

}  // namespace net::internal
