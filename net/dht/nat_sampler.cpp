#include "net/dht/nat_sampler.hpp"

namespace net::dht {

int NatSampler::bump(const std::array<uint8_t, 4>& host, uint16_t port, int inc) {
  // The reference only looks at the 4 most recent samples of the same kind.
  for (int i = 0; i < 4; i++) {
    size_t j = (top_ + 64 - static_cast<size_t>(inc) - 2 * static_cast<size_t>(i)) & 31;
    if (j >= filled_) break;
    Sample& s = pool_[static_cast<size_t>(slots_[j])];
    if (s.port == port && s.host == host) {
      s.hits++;
      return slots_[j];
    }
  }
  // A fresh sample. The pool has twice the slots, so a recycled entry is never still
  // referenced by a live slot... unless it is one of the current bests, which we skip.
  for (;;) {
    int idx = static_cast<int>(pool_next_);
    pool_next_ = (pool_next_ + 1) % pool_.size();
    bool live = idx == best_pair_ || idx == best_host_;
    for (size_t s = 0; s < filled_ && !live; s++) live = slots_[s] == idx;
    if (live) continue;
    pool_[static_cast<size_t>(idx)] = Sample{host, port, 1};
    return idx;
  }
}

void NatSampler::add(const Ipv4Address& observed) {
  int a = bump(observed.host, observed.port, 2);
  int b = bump(observed.host, 0, 1);
  if (filled_ < 32) {
    size_++;
    threshold_ = static_cast<int>(size_) - (size_ < 4 ? 0 : size_ < 8 ? 1 : size_ < 12 ? 2 : 3);
    slots_[filled_++] = a;
    slots_[filled_++] = b;
    top_ += 2;
  } else {
    if (top_ == 32) top_ = 0;
    pool_[static_cast<size_t>(slots_[top_])].hits--;
    slots_[top_++] = a;
    pool_[static_cast<size_t>(slots_[top_])].hits--;
    slots_[top_++] = b;
  }
  const Sample& sa = pool_[static_cast<size_t>(a)];
  const Sample& sb = pool_[static_cast<size_t>(b)];
  if (best_pair_ < 0 || pool_[static_cast<size_t>(best_pair_)].hits < sa.hits) best_pair_ = a;
  if (best_host_ < 0 || pool_[static_cast<size_t>(best_host_)].hits < sb.hits) best_host_ = b;
  const Sample& bp = pool_[static_cast<size_t>(best_pair_)];
  const Sample& bh = pool_[static_cast<size_t>(best_host_)];
  if (bp.hits >= threshold_) {
    host_ = bp.host;
    port_ = bp.port;
  } else if (bh.hits >= threshold_) {
    host_ = bh.host;
    port_ = 0;
  } else {
    host_.reset();
    port_ = 0;
  }
}

}  // namespace net::dht
