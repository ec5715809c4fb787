// The primitives of Noise_XX_Ed25519_ChaChaPoly_BLAKE2b as noise-handshake 4.2.0 and
// noise-curve-ed 2.1.0 compute them (../shared/spec/replication.md §2.2), each a thin
// composition of libsodium calls. HMAC and HKDF are built from crypto_generichash because
// libsodium has no HMAC-BLAKE2b.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <utility>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"

namespace net::detail {

using hypercore::ByteSpan;
using hypercore::Bytes;
using Hash64 = std::array<uint8_t, 64>;
using Key32 = std::array<uint8_t, 32>;

inline constexpr size_t kHashLen = 64;
inline constexpr size_t kBlockLen = 128;
inline constexpr size_t kAeadTagLen = 16;

// BLAKE2b-512 of the concatenation of `parts`.
Hash64 blake2b512(std::initializer_list<ByteSpan> parts);

// HMAC-BLAKE2b-512 (RFC 2104 with a 128-byte block) over the concatenation of `parts`.
Hash64 hmac_blake2b512(ByteSpan key, std::initializer_list<ByteSpan> parts);

// HKDF with empty info and two outputs: prk = HMAC(ck, ikm), t1 = HMAC(prk, 01),
// t2 = HMAC(prk, t1 || 02).
std::pair<Hash64, Hash64> hkdf2(ByteSpan chaining_key, ByteSpan input_key_material);

// The DH scalar of a key pair: clamp(SHA-512(seed)[0..32]).
Key32 dh_scalar(const hypercore::SecretKey& secret_key);

// Ed25519 Diffie-Hellman: clamp(SHA-512(seed)) · remote, as a compressed Edwards point.
// nullopt for small-order, non-canonical or otherwise unusable remote points.
std::optional<Key32> dh(const hypercore::SecretKey& local_secret_key, const hypercore::PublicKey& remote);

// ChaCha20-Poly1305 IETF with the Noise nonce 00000000 || LE64(n).
Bytes aead_encrypt(const Key32& key, uint64_t n, ByteSpan ad, ByteSpan plaintext);
std::optional<Bytes> aead_decrypt(const Key32& key, uint64_t n, ByteSpan ad, ByteSpan ciphertext);

}  // namespace net::detail
