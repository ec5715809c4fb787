#include "net/stream/internal/noise_crypto.hpp"

#include <sodium.h>

#include <algorithm>

namespace net::detail {

namespace {

using Nonce = std::array<uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES>;

Nonce noise_nonce(uint64_t n) {
  Nonce nonce{};
  for (int i = 0; i < 8; i++) nonce[4 + i] = static_cast<uint8_t>(n >> (8 * i));
  return nonce;
}

void update(crypto_generichash_state& st, ByteSpan part) {
  crypto_generichash_update(&st, part.data(), part.size());
}

}  // namespace

Hash64 blake2b512(std::initializer_list<ByteSpan> parts) {
  hypercore::crypto_init();
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kHashLen);
  for (ByteSpan part : parts) update(st, part);
  Hash64 out;
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

Hash64 hmac_blake2b512(ByteSpan key, std::initializer_list<ByteSpan> parts) {
  hypercore::crypto_init();
  std::array<uint8_t, kBlockLen> block{};
  if (key.size() > kBlockLen) {
    Hash64 digest = blake2b512({key});
    std::copy(digest.begin(), digest.end(), block.begin());
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }
  std::array<uint8_t, kBlockLen> ipad, opad;
  for (size_t i = 0; i < kBlockLen; i++) {
    ipad[i] = block[i] ^ 0x36;
    opad[i] = block[i] ^ 0x5c;
  }
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kHashLen);
  update(st, ipad);
  for (ByteSpan part : parts) update(st, part);
  Hash64 inner;
  crypto_generichash_final(&st, inner.data(), inner.size());
  Hash64 out = blake2b512({opad, inner});
  sodium_memzero(block.data(), block.size());
  sodium_memzero(ipad.data(), ipad.size());
  sodium_memzero(opad.data(), opad.size());
  return out;
}

std::pair<Hash64, Hash64> hkdf2(ByteSpan chaining_key, ByteSpan input_key_material) {
  static constexpr uint8_t kOne[1] = {1};
  static constexpr uint8_t kTwo[1] = {2};
  Hash64 prk = hmac_blake2b512(chaining_key, {input_key_material});
  Hash64 t1 = hmac_blake2b512(prk, {kOne});
  Hash64 t2 = hmac_blake2b512(prk, {t1, kTwo});
  sodium_memzero(prk.data(), prk.size());
  return {t1, t2};
}

Key32 dh_scalar(const hypercore::SecretKey& secret_key) {
  hypercore::crypto_init();
  // sk_to_curve25519 yields exactly clamp(SHA-512(seed)[0..32]), the scalar Node uses.
  Key32 scalar;
  crypto_sign_ed25519_sk_to_curve25519(scalar.data(), secret_key.data());
  return scalar;
}

std::optional<Key32> dh(const hypercore::SecretKey& local_secret_key, const hypercore::PublicKey& remote) {
  Key32 scalar = dh_scalar(local_secret_key);
  Key32 out;
  int rc = crypto_scalarmult_ed25519_noclamp(out.data(), scalar.data(), remote.data());
  sodium_memzero(scalar.data(), scalar.size());
  if (rc != 0) return std::nullopt;
  return out;
}

Bytes aead_encrypt(const Key32& key, uint64_t n, ByteSpan ad, ByteSpan plaintext) {
  hypercore::crypto_init();
  Nonce nonce = noise_nonce(n);
  Bytes out(plaintext.size() + kAeadTagLen);
  unsigned long long out_len = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &out_len, plaintext.data(), plaintext.size(), ad.data(),
                                            ad.size(), nullptr, nonce.data(), key.data());
  out.resize(out_len);
  return out;
}

std::optional<Bytes> aead_decrypt(const Key32& key, uint64_t n, ByteSpan ad, ByteSpan ciphertext) {
  hypercore::crypto_init();
  if (ciphertext.size() < kAeadTagLen) return std::nullopt;
  Nonce nonce = noise_nonce(n);
  Bytes out(ciphertext.size() - kAeadTagLen);
  unsigned long long out_len = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &out_len, nullptr, ciphertext.data(), ciphertext.size(),
                                                ad.data(), ad.size(), nonce.data(), key.data()) != 0) {
    return std::nullopt;
  }
  out.resize(out_len);
  return out;
}

}  // namespace net::detail
