#include "net/stream/noise_symmetric_state.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "net/stream/internal/noise_crypto.hpp"

namespace net {

using namespace detail;

SymmetricState::SymmetricState(std::string_view protocol_name) {
  std::memcpy(h_.data(), protocol_name.data(), std::min(protocol_name.size(), h_.size()));
  ck_ = h_;
}

SymmetricState::~SymmetricState() { wipe(); }

void SymmetricState::wipe() {
  sodium_memzero(ck_.data(), ck_.size());
  if (k_) sodium_memzero(k_->data(), k_->size());
}

void SymmetricState::mix_hash(ByteSpan data) { h_ = blake2b512({h_, data}); }

bool SymmetricState::mix_key(const hypercore::SecretKey& local, const hypercore::PublicKey& remote) {
  auto shared = dh(local, remote);
  if (!shared) return false;
  auto [ck, temp_k] = hkdf2(ck_, *shared);
  sodium_memzero(shared->data(), shared->size());
  ck_ = ck;
  Key32 k;
  std::copy_n(temp_k.begin(), k.size(), k.begin());
  sodium_memzero(temp_k.data(), temp_k.size());
  k_ = k;
  n_ = 0;
  return true;
}

Bytes SymmetricState::encrypt_and_hash(ByteSpan plaintext) {
  Bytes c = k_ ? aead_encrypt(*k_, n_++, h_, plaintext) : Bytes(plaintext.begin(), plaintext.end());
  mix_hash(c);
  return c;
}

std::optional<Bytes> SymmetricState::decrypt_and_hash(ByteSpan ciphertext) {
  std::optional<Bytes> p;
  if (k_) {
    p = aead_decrypt(*k_, n_, h_, ciphertext);
    if (!p) return std::nullopt;
    n_++;
  } else {
    p = Bytes(ciphertext.begin(), ciphertext.end());
  }
  mix_hash(ciphertext);
  return p;
}

std::pair<Key32, Key32> SymmetricState::split(bool is_initiator) const {
  auto [t1, t2] = hkdf2(ck_, {});
  const auto& tx = is_initiator ? t1 : t2;
  const auto& rx = is_initiator ? t2 : t1;
  std::pair<Key32, Key32> keys;
  std::copy_n(tx.begin(), keys.first.size(), keys.first.begin());
  std::copy_n(rx.begin(), keys.second.size(), keys.second.begin());
  sodium_memzero(t1.data(), t1.size());
  sodium_memzero(t2.data(), t2.size());
  return keys;
}

}  // namespace net
