// UDX: the packet decoder, then the same bytes split into datagrams and fed to a connected
// stream, an accepting stream and a multiplexer, with the clock advancing and output drained.
// Invariants: no crash, decode/encode round trip, bounded buffers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "net/udx/multiplexer.hpp"

using namespace net::udx;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hypercore::ByteSpan input(data, size);
  if (auto p = decode_packet(input)) {
    // Re-encoding a data packet without SACK/padding gives the same bytes.
    if (!(p->header.type & kTypeSack) && p->header.data_offset == 0) {
      if (encode_packet(p->header, {}, p->payload) != hypercore::Bytes(input.begin(), input.end())) std::abort();
    }
  }
  Multiplexer mux;
  StreamOptions small;
  small.recv_window = 16 * 1024;
  Stream* connected = *mux.create_stream(1, small);
  Stream* accepting = *mux.create_stream(2, small);
  const Address peer = Address::v4(1, 2, 3, 4, 5);
  Millis now{0};
  connected->connect(9, peer, now);
  accepting->accept_first_packet(9);
  (void)connected->write(hypercore::Bytes(5000, 7), now);
  // Datagrams: [u8 length][u8 flags][bytes...]; flags bit0 = other source, bit1 = to id 2,
  // bits 2..7 = milliseconds to advance.
  size_t i = 0;
  while (i + 2 <= size) {
    const size_t len = data[i];
    const uint8_t flags = data[i + 1];
    i += 2;
    hypercore::Bytes dgram(data + i, data + std::min(size, i + len));
    i += len;
    if (dgram.size() >= 8 && is_udx(dgram)) dgram[4] = (flags & 2) ? 2 : 1, dgram[5] = dgram[6] = dgram[7] = 0;
    const Address from = (flags & 1) ? Address::v4(6, 6, 6, 6, 6) : peer;
    (void)mux.receive(dgram, from, now);
    now += Millis(flags >> 2) * 97;
    mux.on_timer(now);
    while (mux.poll_transmit(now)) {
    }
    for (Stream* s : {connected, accepting}) {
      if (s->queued_bytes() > 5000) std::abort();
    }
  }
  return 0;
}
