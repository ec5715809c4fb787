// The hyperbee replication extension's messages (bee::decode_extension): hostile bytes end
// in a message or errc::corrupt, never a crash or unbounded memory; whatever decodes
// re-encodes to bytes that decode to the same message.
#include "bee/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = bee::decode_extension(hypercore::ByteSpan(data, size));
  if (!m) {
    if (m.error().code != hypercore::errc::corrupt) __builtin_trap();
    return 0;
  }
  if (m->cache && m->cache->blocks.size() > bee::kMaxExtensionBlocks) __builtin_trap();
  auto again = bee::decode_extension(bee::encode_extension(*m));
  if (!again || !(*again == *m)) __builtin_trap();
  return 0;
}
