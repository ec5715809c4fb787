// Header slots and header payloads on hostile bytes; a payload that decodes must round-trip.
#include <cstdlib>

#include "hypercore/internal/core_format.hpp"

using namespace hypercore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  if (auto slot = format::parse_slot(in)) (void)format::decode_header(slot->payload);
  auto header = format::decode_header(in);
  if (!header) return 0;
  auto again = format::decode_header(format::encode_header(*header));
  if (!again || !(*again == *header)) std::abort();
  return 0;
}
