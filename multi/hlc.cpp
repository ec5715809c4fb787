#include "multi/hlc.hpp"

#include <algorithm>
#include <chrono>

namespace multi {

uint64_t system_clock_ms() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

HybridClock::HybridClock(PhysicalClock physical, uint64_t max_skew_ms)
    : physical_(std::move(physical)), max_skew_ms_(max_skew_ms) {}

Hlc HybridClock::set(uint64_t l, uint64_t c) {
  if (c > Hlc::kMaxLogical) {
    // The paper bounds c by the number of events within one clock skew; a burst of more
    // than 65,535 stamps in one millisecond borrows the next millisecond instead.
    l += c / (uint64_t{Hlc::kMaxLogical} + 1);
    c %= uint64_t{Hlc::kMaxLogical} + 1;
  }
  l = std::min(l, Hlc::kMaxPhysical);
  last_ = Hlc::make(l, static_cast<uint16_t>(c));
  return last_;
}

Hlc HybridClock::now() {
  uint64_t pt = std::min(physical_(), Hlc::kMaxPhysical);
  uint64_t l = last_.physical();
  if (pt > l) return set(pt, 0);
  if (last_.physical() == Hlc::kMaxPhysical && last_.logical() == Hlc::kMaxLogical) return last_;  // end of time
  return set(l, uint64_t{last_.logical()} + 1);
}

Hlc HybridClock::receive(Hlc remote) {
  uint64_t pt = std::min(physical_(), Hlc::kMaxPhysical);
  if (max_skew_ms_ > 0 && remote.physical() > pt + max_skew_ms_) {
    ++clamped_;
    remote = Hlc::make(std::min(pt + max_skew_ms_, Hlc::kMaxPhysical), 0);
  }
  uint64_t l0 = last_.physical();
  uint64_t lm = remote.physical();
  uint64_t l = std::max({l0, lm, pt});
  uint64_t c;
  if (l == l0 && l == lm) {
    c = uint64_t{std::max(last_.logical(), remote.logical())} + 1;
  } else if (l == l0) {
    c = uint64_t{last_.logical()} + 1;
  } else if (l == lm) {
    c = uint64_t{remote.logical()} + 1;
  } else {
    c = 0;
  }
  return set(l, c);
}

void HybridClock::observe(Hlc seen) {
  if (seen > last_) last_ = seen;
}

}  // namespace multi
