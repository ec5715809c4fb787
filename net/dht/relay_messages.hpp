// The PEER_HANDSHAKE and PEER_HOLEPUNCH values of hyperdht 6.34.0 (../shared/spec/dht.md
// §3.2, §3.6; hyperdht/lib/messages.js), here because a plain DHT node relays them
// (hyperdht.hpp) without knowing the connect layer. net/connect/messages.hpp re-exports them
// with ConnectErrc errors; the Noise and holepunch payloads inside stay opaque here.
//
// Decoders take hostile bytes: a truncation or a mode past 32 bits is errc::corrupt (the
// node then drops the request, as the reference does); trailing bytes are ignored. A
// compact-encoding `buffer` of length 0 is null: an empty Bytes here.
#pragma once

#include <cstdint>
#include <optional>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"
#include "net/dht/address.hpp"

namespace net::dht {

// The `mode` of both values (router.js). Other numbers decode and keep their value (the
// reference ignores such messages).
enum class RelayMode : uint32_t {
  from_client = 0,
  from_server = 1,
  from_relay = 2,
  from_second_relay = 3,
  reply = 4,
};

// uint flags (bit0 peerAddress, bit1 relayAddress) || uint mode || buffer noise ||
// [ipv4 peerAddress] || [ipv4 relayAddress].
struct HandshakeMessage {
  RelayMode mode = RelayMode::from_client;
  hypercore::Bytes noise;  // a Noise IK message; empty = null (relays drop those)
  std::optional<Ipv4Address> peer_address;
  std::optional<Ipv4Address> relay_address;
  bool operator==(const HandshakeMessage&) const = default;
};
hypercore::Bytes encode_peer_handshake(const HandshakeMessage& message);
hypercore::Result<HandshakeMessage> decode_peer_handshake(hypercore::ByteSpan bytes);

// uint flags (bit0 peerAddress) || uint mode || uint id || buffer payload || [ipv4 peerAddress].
struct HolepunchMessage {
  RelayMode mode = RelayMode::from_client;
  uint64_t id = 0;           // the server's holepunch id (from its Noise payload)
  hypercore::Bytes payload;  // the encrypted holepunch payload; empty = null
  std::optional<Ipv4Address> peer_address;
  bool operator==(const HolepunchMessage&) const = default;
};
hypercore::Bytes encode_peer_holepunch(const HolepunchMessage& message);
hypercore::Result<HolepunchMessage> decode_peer_holepunch(hypercore::ByteSpan bytes);

}  // namespace net::dht
