// The blind-relay messages and the relay's pairing table: the input decodes as pair and
// unpair (a decoded pair re-encodes to the same values), then drives
// a PairingTable as a stream of requests from a few sessions with the clock advancing.
// Invariants: no crash, the table's bounds hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "net/blind_relay/pairing_table.hpp"

using namespace net::blind_relay;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hypercore::ByteSpan input(data, size);
  if (auto p = decode_pair(input)) {
    // Non-minimal uints and unknown flags decode too (as compact-encoding's): the round trip
    // holds on the values, not the bytes.
    auto again = decode_pair(encode_pair(*p));
    if (!again || !(*again == *p)) std::abort();
  }
  (void)decode_unpair(input);

  PairingLimits limits;
  limits.max_pending = 8;
  limits.max_pending_per_session = 3;
  limits.max_links_per_session = 2;
  PairingTable table(limits);
  Millis now{0};
  // Records: [u8 op][u8 token][u8 id] — op bits 0-1 session, bit 2 initiator, bits 3-4 kind
  // (pair, unpair, session gone, link closed), bits 5-7 time to advance.
  for (size_t i = 0; i + 3 <= size; i += 3) {
    const uint8_t op = data[i];
    Token token{};
    token[0] = data[i + 1] & 0x0f;
    const SessionId session = op & 3;
    switch ((op >> 3) & 3) {
      case 0: (void)table.on_pair(session, PairMessage{(op & 4) != 0, token, data[i + 2], 0}, now); break;
      case 1: (void)table.on_unpair(session, token); break;
      case 2: (void)table.remove_session(session); break;
      case 3: table.link_closed(token); break;
    }
    now += Millis((op >> 5) * 1000);
    table.expire(now);
    auto stats = table.stats();
    if (stats.pending > limits.max_pending) std::abort();
    if (stats.active > 4 * limits.max_links_per_session) std::abort();
  }
  return 0;
}
