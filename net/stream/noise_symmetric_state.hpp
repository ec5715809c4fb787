// Noise's SymmetricState (the chaining key ck, the handshake hash h, the cipher key k and its
// nonce n), shared by the XX handshake of the secret stream and HyperDHT's IK handshake: the
// patterns differ, the state they run on does not.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"

namespace net {

using Hash64 = std::array<uint8_t, 64>;
using Key32 = std::array<uint8_t, 32>;

class SymmetricState {
 public:
  // A name of at most 64 bytes is h zero-padded (Noise: no hashing); ck starts equal to h.
  explicit SymmetricState(std::string_view protocol_name);
  ~SymmetricState();
  SymmetricState(const SymmetricState&) = default;
  SymmetricState& operator=(const SymmetricState&) = default;

  void mix_hash(hypercore::ByteSpan data);
  // ck, k = HKDF(ck, DH(local, remote)); false when the remote key is unusable.
  bool mix_key(const hypercore::SecretKey& local, const hypercore::PublicKey& remote);
  // With no key yet the plaintext passes through (and is hashed), as Noise says.
  hypercore::Bytes encrypt_and_hash(hypercore::ByteSpan plaintext);
  std::optional<hypercore::Bytes> decrypt_and_hash(hypercore::ByteSpan ciphertext);
  // The transport keys (tx, rx) for our role.
  std::pair<Key32, Key32> split(bool is_initiator) const;

  const Hash64& hash() const { return h_; }
  // Zeroes ck and k: after split() only the outcome is used.
  void wipe();

 private:
  Hash64 h_{};
  Hash64 ck_{};
  std::optional<Key32> k_;
  uint64_t n_ = 0;
};

}  // namespace net
