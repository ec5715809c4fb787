// Hybrid logical clocks (Kulkarni, Demirbas, Madappa, Avva, Leone, "Logical Physical
// Clocks", OPODIS 2014): a timestamp that follows physical time (milliseconds since the
// Unix epoch, 48 bits) and breaks ties and skew with a logical counter (16 bits), so that
// a stamp taken after seeing another always compares greater than it, whatever the wall
// clocks of the two devices say. Every op of a group carries its writer's stamp; indexing
// a remote op is the paper's "receive" (see docs/multiwriter.md).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace multi {

// One stamp, packed as the paper's 64 bits: l (48) << 16 | c (16). Ordered by the packed
// value, which is the paper's lexicographic (l, c) order.
struct Hlc {
  uint64_t packed = 0;

  static constexpr uint64_t kMaxPhysical = (uint64_t{1} << 48) - 1;
  static constexpr uint16_t kMaxLogical = 0xffff;

  static constexpr Hlc make(uint64_t physical_ms, uint16_t logical) {
    return Hlc{(physical_ms & kMaxPhysical) << 16 | logical};
  }
  constexpr uint64_t physical() const { return packed >> 16; }
  constexpr uint16_t logical() const { return static_cast<uint16_t>(packed & 0xffff); }
  friend constexpr auto operator<=>(const Hlc&, const Hlc&) = default;
};

// Milliseconds since the Unix epoch; injected by tests to simulate skew.
using PhysicalClock = std::function<uint64_t()>;
uint64_t system_clock_ms();

// The clock of one device. Not thread-safe.
class HybridClock {
 public:
  // `max_skew_ms`: a received stamp more than this far ahead of the physical clock is
  // taken in as if it were physical time + max_skew_ms, so one device whose clock (or
  // whose author) claims a time years ahead cannot drag every other device's clock with
  // it. 0 disables clamping.
  explicit HybridClock(PhysicalClock physical = system_clock_ms, uint64_t max_skew_ms = 60'000);

  // A local event (an op this device writes): strictly greater than every stamp this
  // clock returned or took in before.
  Hlc now();
  // A remote event (indexing an op with stamp `remote`): the clock moves past both its own
  // last stamp and `remote` (clamped as above). Returns the new stamp.
  Hlc receive(Hlc remote);
  // Makes later stamps greater than `seen` without counting an event (used on open, with
  // the largest stamp the device wrote or indexed before).
  void observe(Hlc seen);

  Hlc last() const { return last_; }
  // How many received stamps were clamped.
  uint64_t clamped() const { return clamped_; }

 private:
  // Sets last_ = (l, c), carrying an exhausted logical counter into the physical part:
  // the stamp stays unique and ordered, one millisecond ahead of the wall clock.
  Hlc set(uint64_t l, uint64_t c);

  PhysicalClock physical_;
  uint64_t max_skew_ms_;
  Hlc last_{};
  uint64_t clamped_ = 0;
};

}  // namespace multi
