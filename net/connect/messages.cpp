#include "net/connect/messages.hpp"

#include <algorithm>
#include <limits>

#include "hypercore/compact_encoding.hpp"
#include "net/connect/internal/codec.hpp"

namespace net::connect {

namespace cenc = hypercore::cenc;
using hypercore::Bytes;
using hypercore::ByteSpan;
using namespace net::connect::detail;

namespace {

constexpr uint64_t kHolepunchInfo = 1;
constexpr uint64_t kAddresses4 = 2;
constexpr uint64_t kAddresses6 = 4;
constexpr uint64_t kUdx = 8;
constexpr uint64_t kSecretStream = 16;
constexpr uint64_t kRelayThrough = 32;
constexpr uint64_t kRelayAddresses = 64;


void put_ipv6(cenc::Encoder& e, const Ipv6Address& a) {
  e.fixed(a.host);
  e.u8(static_cast<uint8_t>(a.port));
  e.u8(static_cast<uint8_t>(a.port >> 8));
}

ConnectResult<Ipv6Address> get_ipv6(cenc::Decoder& d) {
  CX_TRY(b, d.fixed(18));
  Ipv6Address a;
  std::copy_n(b.begin(), 16, a.host.begin());
  a.port = static_cast<uint16_t>(b[16] | (b[17] << 8));
  return a;
}

}  // namespace

Bytes encode_handshake(const HandshakeMessage& m) { return net::dht::encode_peer_handshake(m); }

ConnectResult<HandshakeMessage> decode_handshake(ByteSpan bytes) {
  CX_TRY(m, net::dht::decode_peer_handshake(bytes));
  return m;
}

Bytes encode_holepunch(const HolepunchMessage& m) { return net::dht::encode_peer_holepunch(m); }

ConnectResult<HolepunchMessage> decode_holepunch(ByteSpan bytes) {
  CX_TRY(m, net::dht::decode_peer_holepunch(bytes));
  return m;
}

Bytes encode_noise_payload(const NoisePayload& p) {
  uint64_t flags = (p.holepunch ? kHolepunchInfo : 0) | (!p.addresses4.empty() ? kAddresses4 : 0) |
                   (!p.addresses6.empty() ? kAddresses6 : 0) | (p.udx ? kUdx : 0) |
                   (p.secret_stream ? kSecretStream : 0) | (p.relay_through ? kRelayThrough : 0) |
                   (p.relay_addresses ? kRelayAddresses : 0);
  cenc::Encoder e;
  e.uint(1);
  e.uint(flags);
  e.uint(static_cast<uint32_t>(p.error));
  e.uint(static_cast<uint32_t>(p.firewall));
  if (p.holepunch) {
    e.uint(p.holepunch->id);
    e.uint(p.holepunch->relays.size());
    for (const auto& r : p.holepunch->relays) {
      put_ipv4(e, r.relay_address);
      put_ipv4(e, r.peer_address);
    }
  }
  if (!p.addresses4.empty()) put_ipv4_array(e, p.addresses4);
  if (!p.addresses6.empty()) {
    e.uint(p.addresses6.size());
    for (const auto& a : p.addresses6) put_ipv6(e, a);
  }
  if (p.udx) {
    e.uint(1);
    e.uint(p.udx->reusable_socket ? 1 : 0);
    e.uint(p.udx->id);
    e.uint(p.udx->seq);
  }
  if (p.secret_stream) e.uint(1);
  if (p.relay_through) {
    e.uint(1);
    e.uint(0);
    e.fixed(p.relay_through->public_key);
    e.fixed(p.relay_through->token);
  }
  if (p.relay_addresses) put_ipv4_array(e, *p.relay_addresses);
  return e.take();
}

ConnectResult<NoisePayload> decode_noise_payload(ByteSpan bytes) {
  cenc::Decoder d(bytes, "noise payload");
  NoisePayload p;
  CX_TRY(version, d.uint());
  p.version = version;
  if (version != 1) return p;  // not parsed further, as the reference does
  CX_TRY(flags, d.uint());
  CX_TRY(error, get_u32(d, "error"));
  p.error = static_cast<PayloadError>(error);
  CX_TRY(firewall, get_u32(d, "firewall"));
  p.firewall = static_cast<Firewall>(firewall);
  if (flags & kHolepunchInfo) {
    HolepunchInfo h;
    CX_TRY(id, d.uint());
    h.id = id;
    CX_TRY(n, d.array_length(12));
    h.relays.reserve(n);
    for (uint64_t i = 0; i < n; i++) {
      CX_TRY(relay, get_ipv4(d));
      CX_TRY(peer, get_ipv4(d));
      h.relays.push_back({relay, peer});
    }
    p.holepunch = std::move(h);
  }
  if (flags & kAddresses4) {
    CX_TRY(list, get_ipv4_array(d));
    p.addresses4 = std::move(list);
  }
  if (flags & kAddresses6) {
    CX_TRY(n, d.array_length(18));
    p.addresses6.reserve(n);
    for (uint64_t i = 0; i < n; i++) {
      CX_TRY(a, get_ipv6(d));
      p.addresses6.push_back(a);
    }
  }
  if (flags & kUdx) {
    UdxInfo u;
    CX_TRY(v, d.uint());
    CX_TRY(features, d.uint());
    CX_TRY(id, d.uint());
    CX_TRY(seq, d.uint());
    u.version = v;
    u.reusable_socket = (features & 1) != 0;
    u.id = id;
    u.seq = seq;
    p.udx = u;
  }
  if (flags & kSecretStream) {
    CX_TRY(v, d.uint());
    p.secret_stream = SecretStreamInfo{v};
  }
  if (flags & kRelayThrough) {
    RelayThroughInfo r;
    CX_TRY(v, d.uint());
    CX_TRY(relay_flags, d.uint());
    (void)relay_flags;
    CX_TRY(pk, d.fixed32());
    CX_TRY(token, d.fixed32());
    r.version = v;
    r.public_key = pk;
    r.token = token;
    p.relay_through = r;
  }
  if (flags & kRelayAddresses) {
    CX_TRY(list, get_ipv4_array(d));
    p.relay_addresses = std::move(list);
  }
  return p;
}

ConnectResult<void> check_compatible(const NoisePayload& payload) {
  if (payload.version != 1) {
    return connect_fail(ConnectErrc::incompatible, "noise payload version " + std::to_string(payload.version));
  }
  return {};
}

}  // namespace net::connect
