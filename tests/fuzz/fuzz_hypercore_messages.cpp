// Hypercore channel message decoding on hostile bytes (first byte = message type, 10 =
// the open handshake). A message that decodes must re-encode to bytes that decode to the
// same message, and re-encoding must be stable. The optional fields of hypercore 11
// (noData flags and reason, want/unwant flags, sync allowPush) are covered the same way: a
// field at its default is dropped by the encoder and must decode back to that default.
#include <cstdlib>

#include "net/replication/hypercore_messages.hpp"

using namespace net;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint64_t type = data[0] % (kHypercoreMessageTypes + 2);
  ByteSpan payload(data + 1, size - 1);
  if (type == kHypercoreMessageTypes) {
    auto h = decode_handshake(payload);
    if (!h) return 0;
    auto again = decode_handshake(encode_handshake(*h));
    if (!again || !(*again == *h)) std::abort();
    return 0;
  }
  auto m = decode_message(type, payload);
  if (!m) return 0;
  Bytes encoded = encode_message(*m);
  auto again = decode_message(type, encoded);
  if (!again || !(*again == *m) || encode_message(*again) != encoded) std::abort();
  if (static_cast<uint64_t>(message_type(*m)) != type) std::abort();
  // Re-encoding never grows these: an absent optional field stays absent.
  if ((type == 4 || type == 5 || type == 6) && encoded.size() > payload.size()) std::abort();
  return 0;
}
