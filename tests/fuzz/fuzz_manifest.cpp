// Manifest decoding on hostile bytes; a manifest that decodes must round-trip.
#include <cstdlib>

#include "hypercore/manifest.hpp"

using namespace hypercore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto manifest = Manifest::decode(ByteSpan(data, size));
  if (!manifest) return 0;
  auto again = Manifest::decode(manifest->encode());
  if (!again || !(*again == *manifest)) std::abort();
  (void)manifest->hash();
  return 0;
}
