// The `blind-relay` protomux protocol (blind-relay 1.6.1, index.js `m.pair` / `m.unpair`;
// docs/protocol/connect.md, "Blind relay"): two messages on a channel named "blind-relay"
// whose id is the client's public key.
//
//   pair   (type 0): bitfield(7) flags (bit 0 = isInitiator) ‖ fixed32 token ‖ uint id ‖ uint seq
//   unpair (type 1): bitfield(7) flags (none defined)        ‖ fixed32 token
//
// `id` is the sender's UDX stream id (client → relay: the stream it will send from; relay →
// client: the relay's stream it must send to); `seq` its first sequence number (always 0).
// A bitfield(7) is one byte; compact-encoding-bitfield also decodes a 0xfd/0xfe/0xff prefix
// followed by 2/4/8 bytes, which we accept too. Trailing bytes are ignored, as protomux's
// decoders do.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"

namespace net::blind_relay {

inline constexpr std::string_view kProtocol = "blind-relay";
inline constexpr uint64_t kPairType = 0;
inline constexpr uint64_t kUnpairType = 1;
inline constexpr uint64_t kMessageTypes = 2;

// The pre-exchanged secret both peers present (relay.token(): 32 random bytes).
using Token = std::array<uint8_t, 32>;
Token random_token();

struct PairMessage {
  bool is_initiator = false;
  Token token{};
  uint64_t id = 0;
  uint64_t seq = 0;
  bool operator==(const PairMessage&) const = default;
};

struct UnpairMessage {
  Token token{};
  bool operator==(const UnpairMessage&) const = default;
};

hypercore::Bytes encode_pair(const PairMessage& m);
hypercore::Bytes encode_unpair(const UnpairMessage& m);
// Untrusted bytes: errc::corrupt when truncated.
hypercore::Result<PairMessage> decode_pair(hypercore::ByteSpan bytes);
hypercore::Result<UnpairMessage> decode_unpair(hypercore::ByteSpan bytes);

}  // namespace net::blind_relay
