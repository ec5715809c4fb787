// Hostile bytes into every decoder of the HyperDHT connect layer (net/connect/): the
// PEER_HANDSHAKE and PEER_HOLEPUNCH values, the Noise payload, the holepunch payload and
// its secretbox, and a Noise IK responder and initiator reading the input as msg1 / msg2.
// Decoding must fail cleanly or re-encode to bytes that decode to the same encoding.
#include <cstdint>
#include <cstdlib>

#include "net/connect/holepunch_payload.hpp"
#include "net/connect/messages.hpp"
#include "net/connect/noise_ik.hpp"

using namespace net::connect;
using hypercore::Bytes;
using hypercore::ByteSpan;

namespace {

template <class Dec, class Enc>
void round_trip(ByteSpan in, Dec decode, Enc encode) {
  auto v = decode(in);
  if (!v) return;
  Bytes once = encode(*v);
  auto again = decode(once);
  if (!again) abort();
  if (encode(*again) != once) abort();
}

hypercore::KeyPair seeded(uint8_t b) {
  hypercore::Seed s;
  s.fill(b);
  return hypercore::KeyPair::from_seed(s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  round_trip(in, decode_handshake, encode_handshake);
  round_trip(in, decode_holepunch, encode_holepunch);
  round_trip(in, decode_holepunch_payload, encode_holepunch_payload);
  if (auto p = decode_noise_payload(in)) {
    if (p->version == 1) {
      round_trip(in, decode_noise_payload, encode_noise_payload);
    } else if (check_compatible(*p)) {
      abort();
    }
  }

  static const hypercore::KeyPair server = seeded(2);
  static const hypercore::KeyPair client = seeded(1);
  static const std::array<uint8_t, 32> secret = [] {
    std::array<uint8_t, 32> s;
    s.fill(7);
    return s;
  }();
  (void)SecurePayload(secret, secret).decrypt(in);

  NoiseIk responder = NoiseIk::responder(server, seeded(4));
  if (auto payload = responder.read_message(in)) {
    (void)decode_noise_payload(*payload);
    if (!responder.write_message(*payload)) abort();
  }
  NoiseIk initiator = NoiseIk::initiator(client, server.public_key, seeded(3));
  if (!initiator.write_message({})) abort();
  (void)initiator.read_message(in);
  return 0;
}
