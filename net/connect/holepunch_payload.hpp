// The encrypted payload of PEER_HOLEPUNCH messages (../shared/spec/dht.md §3.6;
// hyperdht/lib/secure-payload.js and messages.js holepunchPayload): its codec, the
// secretbox under the connection's holepunch secret (NoiseIk's outcome), and the address
// token a side echoes to prove it saw the other's address. Sans-I/O and stateless apart from
// the local token secret.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "net/connect/connect_error.hpp"
#include "net/connect/messages.hpp"

namespace net::connect {

// uint flags (bit0 connected, bit1 punching, bit2 addresses, bit3 remoteAddress, bit4 token,
// bit5 remoteToken) || uint error || uint firewall || uint round || [array(ipv4) addresses]
// || [ipv4 remoteAddress] || [fixed32 token] || [fixed32 remoteToken].
struct HolepunchPayload {
  PayloadError error = PayloadError::none;
  Firewall firewall = Firewall::unknown;
  uint64_t round = 0;
  bool connected = false;
  bool punching = false;
  std::optional<std::vector<Ipv4Address>> addresses;  // written whenever set, even empty
  std::optional<Ipv4Address> remote_address;
  std::optional<hypercore::Hash> token;
  std::optional<hypercore::Hash> remote_token;
  bool operator==(const HolepunchPayload&) const = default;
};
hypercore::Bytes encode_holepunch_payload(const HolepunchPayload& payload);
ConnectResult<HolepunchPayload> decode_holepunch_payload(hypercore::ByteSpan bytes);

// nonce(24) || crypto_secretbox_easy(payload). The sealed box is a nonce plus at least the
// 16-byte MAC and one byte of plaintext.
inline constexpr size_t kSecretboxNonceSize = 24;
inline constexpr size_t kSecretboxMacSize = 16;

class SecurePayload {
 public:
  // `holepunch_secret`: IkOutcome::holepunch_secret. `local_secret`: the token key;
  // default: random, as the reference makes one per connection.
  explicit SecurePayload(const std::array<uint8_t, 32>& holepunch_secret,
                         std::optional<std::array<uint8_t, 32>> local_secret = std::nullopt);
  ~SecurePayload();
  SecurePayload(const SecurePayload&) = default;
  SecurePayload& operator=(const SecurePayload&) = default;

  // Seals `payload` with a random nonce (or `nonce`, for deterministic tests).
  hypercore::Bytes encrypt(const HolepunchPayload& payload,
                           std::optional<std::array<uint8_t, kSecretboxNonceSize>> nonce = std::nullopt) const;
  // decryption_failed for a box that is too short or fails authentication, malformed for
  // authentic bytes that do not decode.
  ConnectResult<HolepunchPayload> decrypt(hypercore::ByteSpan sealed) const;
  // H(utf8(host); key = local secret): proves we saw `host` (e.g. "127.0.0.1").
  hypercore::Hash token(std::string_view host) const;

 private:
  std::array<uint8_t, 32> shared_{};
  std::array<uint8_t, 32> local_{};
};

}  // namespace net::connect
