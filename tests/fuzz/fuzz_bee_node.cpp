// Hyperbee node and header blocks on hostile bytes (deep indexes, huge varints, truncated
// fields); a block that decodes must re-encode to bytes that decode to the same thing.
#include <cstdlib>

#include "bee/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bee::ByteSpan in(data, size);
  (void)bee::decode_header(in);
  auto node = bee::decode_node(in);
  if (!node) return 0;
  auto again = bee::decode_node(bee::encode_node(*node));
  if (!again || !(*again == *node)) std::abort();
  return 0;
}
