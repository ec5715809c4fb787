// CRC-32C (Castagnoli), the checksum of every stored record: hardware-accelerated with
// SSE4.2 where the CPU has it (chosen at run time), table-driven elsewhere.
#pragma once

#include <cstdint>

#include "hypercore/bytes.hpp"

namespace hypercore::internal {

uint32_t crc32c(ByteSpan data, uint32_t crc = 0);

}  // namespace hypercore::internal
