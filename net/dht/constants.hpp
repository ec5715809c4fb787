// Wire constants and reference timings of dht-rpc 6.27.0 (../shared/spec/dht.md §1), the
// numbers docs/protocol/dht.md refers to. Timings are milliseconds of the injected clock.
#pragma once

#include <cstddef>
#include <cstdint>

namespace net::dht {

using Millis = uint64_t;  // a point or a span of the injected clock

inline constexpr uint8_t kRequestId = 0x03;   // type 0 | version 3
inline constexpr uint8_t kResponseId = 0x13;  // type 1 | version 3

// Internal commands (§1.4): the meaning of a number depends on the internal flag.
enum class Command : uint32_t { ping = 0, ping_nat = 1, find_node = 2, down_hint = 3, delayed_ping = 4 };

// Error codes carried in responses.
inline constexpr uint32_t kUnknownCommand = 1;
inline constexpr uint32_t kInvalidToken = 2;

inline constexpr size_t kK = 20;                 // bucket size and query width
inline constexpr size_t kConcurrency = 10;       // α of user queries
inline constexpr Millis kRequestTimeout = 1000;  // per transmission
inline constexpr int kRequestRetries = 3;        // plain requests: 4 sends
inline constexpr int kQueryRetries = 5;          // query visits: 6 sends
inline constexpr int kDownHintRetries = 3;
inline constexpr Millis kDrainInterval = 750;    // congestion slot, token rotation step
inline constexpr uint32_t kMaxWindow = 80;       // new requests per congestion slot
inline constexpr int kRotateSecretsDrains = 10;  // 7.5 s
inline constexpr Millis kTickInterval = 5000;
inline constexpr Millis kSleepingInterval = 3 * kTickInterval;
inline constexpr uint64_t kStableTicks = 240;      // 20 min before the adaptive check
inline constexpr uint64_t kMoreStableTicks = 720;  // 1 h between adaptive checks
inline constexpr uint64_t kRefreshTicks = 60;      // 5 min idle → refresh
inline constexpr uint64_t kRecentNode = 12;        // heard from < 1 min ago
inline constexpr uint64_t kOldNode = 360;          // known > 30 min
inline constexpr uint32_t kMaxDownHintsPerTick = 50;
inline constexpr int kMaxChecks = 10;              // DOWN_HINT pings in flight
inline constexpr int kMaxRepinging = 3;            // full-row swaps in flight
inline constexpr uint32_t kMaxPingDelay = 10000;   // DELAYED_PING bound

}  // namespace net::dht
