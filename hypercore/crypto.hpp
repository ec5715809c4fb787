// The cryptographic primitives of Hypercore 10, all from libsodium: BLAKE2b-256 (plain
// and keyed), Ed25519 key pairs and detached signatures, and the namespaced capability
// constants. See docs/format/hypercore.md and ../shared/spec/hypercore.md §0, §3.
#pragma once

#include <array>
#include <initializer_list>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"

namespace hypercore {

using PublicKey = std::array<uint8_t, 32>;
using SecretKey = std::array<uint8_t, 64>;  // seed ‖ public key, as libsodium stores it
using Signature = std::array<uint8_t, 64>;
using Seed = std::array<uint8_t, 32>;

// Calls sodium_init() once; every function below calls it, so callers never need to.
void crypto_init();

// BLAKE2b with a 32-byte output over the concatenation of `parts`.
Hash blake2b(std::initializer_list<ByteSpan> parts);
// Keyed BLAKE2b (key of 16..64 bytes) with a 32-byte output.
Hash blake2b_keyed(ByteSpan key, ByteSpan message);

struct KeyPair {
  PublicKey public_key{};
  SecretKey secret_key{};

  static KeyPair random();
  static KeyPair from_seed(const Seed& seed);
  // From a 64-byte secret key (seed ‖ pk); fails if the embedded public key does not
  // match the one derived from the seed.
  static Result<KeyPair> from_secret_key(ByteSpan secret_key);
};

Signature sign(const SecretKey& secret_key, ByteSpan message);
bool verify(const PublicKey& public_key, ByteSpan message, ByteSpan signature);

// Capability constants: BLAKE2b(BLAKE2b("hypercore") ‖ byte(i)).
namespace caps {
const Hash& tree();                 // 0: first 32 bytes of every signable
const Hash& replicate_initiator();  // 1
const Hash& replicate_responder();  // 2
const Hash& manifest();             // 3
const Hash& default_namespace();    // 4
const Hash& block_encryption();     // 5
}  // namespace caps

// BLAKE2b keyed with the core key over "hypercore": the topic peers look a core up by,
// which does not reveal the key itself.
Hash discovery_key(const Hash& key);

}  // namespace hypercore
