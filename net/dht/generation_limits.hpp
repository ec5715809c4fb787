// The bounds of one of the DHT's two-generation caches (RecordStoreOptions): how many
// entries, how old, how many bytes, and how many from one source host.
#pragma once

#include <cstddef>

#include "net/dht/constants.hpp"

namespace net::dht {

struct GenerationLimits {
  size_t max_entries = 65536;       // fresh entries before an early rotation (reference maxSize)
  Millis max_age = 20 * 60 * 1000;  // reference maxAge
  size_t max_bytes = 64u << 20;     // stored bytes before early rotations (ours)
  size_t max_per_source = 1024;     // live entries one source host may hold (ours)
};

}  // namespace net::dht
