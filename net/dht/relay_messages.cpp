#include "net/dht/relay_messages.hpp"

#include <limits>

#include "hypercore/compact_encoding.hpp"

namespace net::dht {

namespace cenc = hypercore::cenc;
using hypercore::Bytes;
using hypercore::ByteSpan;
using hypercore::Result;

namespace {

constexpr uint64_t kPeerAddress = 1, kRelayAddress = 2;

void put_ipv4(cenc::Encoder& e, const Ipv4Address& a) {
  auto six = a.encode();
  e.fixed(ByteSpan(six.data(), six.size()));
}

Result<Ipv4Address> get_ipv4(cenc::Decoder& d) {
  HC_TRY(six, d.fixed(6));
  return Ipv4Address::decode(six.data());
}

Result<RelayMode> get_mode(cenc::Decoder& d) {
  HC_TRY(m, d.uint());
  if (m > std::numeric_limits<uint32_t>::max()) {
    return hypercore::fail(hypercore::errc::corrupt, "relay mode " + std::to_string(m) + " exceeds 32 bits");
  }
  return static_cast<RelayMode>(m);
}

}  // namespace

Bytes encode_peer_handshake(const HandshakeMessage& m) {
  cenc::Encoder e;
  e.uint((m.peer_address ? kPeerAddress : 0) | (m.relay_address ? kRelayAddress : 0));
  e.uint(static_cast<uint32_t>(m.mode));
  e.buffer(m.noise);
  if (m.peer_address) put_ipv4(e, *m.peer_address);
  if (m.relay_address) put_ipv4(e, *m.relay_address);
  return e.take();
}

Result<HandshakeMessage> decode_peer_handshake(ByteSpan bytes) {
  cenc::Decoder d(bytes, "PEER_HANDSHAKE value");
  HandshakeMessage m;
  HC_TRY(flags, d.uint());
  HC_TRY(mode, get_mode(d));
  m.mode = mode;
  HC_TRY(noise, d.buffer());
  m.noise.assign(noise.begin(), noise.end());
  if (flags & kPeerAddress) {
    HC_TRY(a, get_ipv4(d));
    m.peer_address = a;
  }
  if (flags & kRelayAddress) {
    HC_TRY(a, get_ipv4(d));
    m.relay_address = a;
  }
  return m;
}

Bytes encode_peer_holepunch(const HolepunchMessage& m) {
  cenc::Encoder e;
  e.uint(m.peer_address ? kPeerAddress : 0);
  e.uint(static_cast<uint32_t>(m.mode));
  e.uint(m.id);
  e.buffer(m.payload);
  if (m.peer_address) put_ipv4(e, *m.peer_address);
  return e.take();
}

Result<HolepunchMessage> decode_peer_holepunch(ByteSpan bytes) {
  cenc::Decoder d(bytes, "PEER_HOLEPUNCH value");
  HolepunchMessage m;
  HC_TRY(flags, d.uint());
  HC_TRY(mode, get_mode(d));
  m.mode = mode;
  HC_TRY(id, d.uint());
  m.id = id;
  HC_TRY(payload, d.buffer());
  m.payload.assign(payload.begin(), payload.end());
  if (flags & kPeerAddress) {
    HC_TRY(a, get_ipv4(d));
    m.peer_address = a;
  }
  return m;
}

}  // namespace net::dht
