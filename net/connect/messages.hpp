// The values of the hyperdht 6.34.0 connect commands (../shared/spec/dht.md §3.2, §3.4,
// §3.6; hyperdht/lib/messages.js): PEER_HANDSHAKE and PEER_HOLEPUNCH request/response
// values, and the Noise payload both sides encrypt into their Noise IK message.
// Stateless and sans-I/O; the relay rules are in net/dht/hyperdht.cpp, the encrypted
// holepunch payload in holepunch_payload.hpp.
//
// Decoders take hostile bytes: any truncation, an array count over 0x100000 or over what
// the bytes left can hold is ConnectErrc::malformed (callers drop the message silently, as
// the reference does). Trailing bytes are ignored, as compact-encoding's decode() ignores
// them. A compact-encoding `buffer` of length 0 is null: an empty Bytes here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "net/connect/connect_error.hpp"
#include "net/dht/address.hpp"
#include "net/dht/relay_messages.hpp"

namespace net::connect {

using net::dht::Ipv4Address;

// 16 address bytes (network order) + u16 LE port: compact-encoding's ipv6Address.
struct Ipv6Address {
  std::array<uint8_t, 16> host{};
  uint16_t port = 0;
  auto operator<=>(const Ipv6Address&) const = default;
};

// PEER_HANDSHAKE and PEER_HOLEPUNCH values (net/dht/relay_messages.hpp, where a plain DHT
// node's relay reads them): the types, and their codecs with ConnectErrc errors.
using net::dht::HandshakeMessage;
using net::dht::HolepunchMessage;
using net::dht::RelayMode;
hypercore::Bytes encode_handshake(const HandshakeMessage& message);
ConnectResult<HandshakeMessage> decode_handshake(hypercore::ByteSpan bytes);
hypercore::Bytes encode_holepunch(const HolepunchMessage& message);
ConnectResult<HolepunchMessage> decode_holepunch(hypercore::ByteSpan bytes);

// Noise payload error codes and firewall types (constants.js).
enum class PayloadError : uint32_t { none = 0, aborted = 1, version_mismatch = 2, try_later = 3 };
enum class Firewall : uint32_t { unknown = 0, open = 1, consistent = 2, random = 3 };

struct RelayInfo {
  Ipv4Address relay_address;  // a relay of the server
  Ipv4Address peer_address;   // the server's address as that relay sees it
  bool operator==(const RelayInfo&) const = default;
};
struct HolepunchInfo {
  uint64_t id = 0;
  std::vector<RelayInfo> relays;
  bool operator==(const HolepunchInfo&) const = default;
};
struct UdxInfo {
  uint64_t version = 1;  // encoded as 1 whatever this holds, as the reference does
  bool reusable_socket = false;
  uint64_t id = 0;       // our UDX stream id (the peer sends to it)
  uint64_t seq = 0;
  bool operator==(const UdxInfo&) const = default;
};
struct SecretStreamInfo {
  uint64_t version = 1;  // encoded as 1
  bool operator==(const SecretStreamInfo&) const = default;
};
struct RelayThroughInfo {
  uint64_t version = 1;  // encoded as 1 (and flags as 0); decoding skips the flags
  hypercore::PublicKey public_key{};
  hypercore::Hash token{};
  bool operator==(const RelayThroughInfo&) const = default;
};

// A connection to make through a blind relay (hyperdht connect.js/server.js
// relayConnection): connect to `relay` over the DHT, then pair our UDX stream there under
// `token`. The side whose relayThrough option chose the relay is the initiator; when both
// chose one, the server's wins (the client follows the payload it received).
struct RelayPlan {
  hypercore::PublicKey relay{};
  hypercore::Hash token{};
  bool is_initiator = false;
  bool operator==(const RelayPlan&) const = default;
};

// The payload inside each Noise IK message (§3.4). The flags byte is derived from what is
// present: addresses4/addresses6 are written only when non-empty, relay_addresses whenever
// set (even empty), as messages.js does.
struct NoisePayload {
  uint64_t version = 1;  // decoded: any; encoded: always 1
  PayloadError error = PayloadError::none;
  Firewall firewall = Firewall::unknown;
  std::optional<HolepunchInfo> holepunch;
  std::vector<Ipv4Address> addresses4;
  std::vector<Ipv6Address> addresses6;
  std::optional<UdxInfo> udx;
  std::optional<SecretStreamInfo> secret_stream;
  std::optional<RelayThroughInfo> relay_through;
  std::optional<std::vector<Ipv4Address>> relay_addresses;
  bool operator==(const NoisePayload&) const = default;
};
hypercore::Bytes encode_noise_payload(const NoisePayload& payload);
// A version other than 1 is not a decode error: the reference stops after the version and
// returns it (the server then answers VERSION_MISMATCH), and so do we: the result holds
// that version and defaults. is_compatible() tells the two apart.
ConnectResult<NoisePayload> decode_noise_payload(hypercore::ByteSpan bytes);
// incompatible unless version == 1.
ConnectResult<void> check_compatible(const NoisePayload& payload);

}  // namespace net::connect
