#include "hypercore/crypto.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace hypercore {

void crypto_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // no usable randomness: nothing is safe
  });
}

Hash blake2b(std::initializer_list<ByteSpan> parts) {
  crypto_init();
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 32);
  for (auto part : parts) crypto_generichash_update(&state, part.data(), part.size());
  Hash out{};
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

Hash blake2b_keyed(ByteSpan key, ByteSpan message) {
  crypto_init();
  Hash out{};
  crypto_generichash(out.data(), out.size(), message.data(), message.size(), key.data(), key.size());
  return out;
}

KeyPair KeyPair::random() {
  crypto_init();
  KeyPair kp;
  crypto_sign_keypair(kp.public_key.data(), kp.secret_key.data());
  return kp;
}

KeyPair KeyPair::from_seed(const Seed& seed) {
  crypto_init();
  KeyPair kp;
  crypto_sign_seed_keypair(kp.public_key.data(), kp.secret_key.data(), seed.data());
  return kp;
}

Result<KeyPair> KeyPair::from_secret_key(ByteSpan secret_key) {
  if (secret_key.size() != 64) {
    return fail(errc::invalid_argument, "secret key must be 64 bytes, got " + std::to_string(secret_key.size()));
  }
  Seed seed{};
  std::copy_n(secret_key.begin(), 32, seed.begin());
  KeyPair kp = from_seed(seed);
  if (!std::equal(kp.secret_key.begin(), kp.secret_key.end(), secret_key.begin())) {
    return fail(errc::invalid_argument, "secret key: embedded public key does not match its seed");
  }
  return kp;
}

Signature sign(const SecretKey& secret_key, ByteSpan message) {
  crypto_init();
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_key.data());
  return sig;
}

bool verify(const PublicKey& public_key, ByteSpan message, ByteSpan signature) {
  crypto_init();
  if (signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), public_key.data()) == 0;
}

namespace caps {
namespace {
const std::array<Hash, 6>& all() {
  static const std::array<Hash, 6> constants = [] {
    Hash ns = blake2b({as_bytes("hypercore")});
    std::array<Hash, 6> out;
    for (uint8_t i = 0; i < out.size(); i++) out[i] = blake2b({ns, ByteSpan(&i, 1)});
    return out;
  }();
  return constants;
}
}  // namespace

const Hash& tree() { return all()[0]; }
const Hash& replicate_initiator() { return all()[1]; }
const Hash& replicate_responder() { return all()[2]; }
const Hash& manifest() { return all()[3]; }
const Hash& default_namespace() { return all()[4]; }
const Hash& block_encryption() { return all()[5]; }
}  // namespace caps

Hash discovery_key(const Hash& key) { return blake2b_keyed(key, as_bytes("hypercore")); }

}  // namespace hypercore
