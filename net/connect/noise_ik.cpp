#include "net/connect/noise_ik.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "net/dht/hyperdht_messages.hpp"
#include "net/stream/internal/noise_crypto.hpp"

namespace net::connect {

using hypercore::ByteSpan;
using hypercore::Bytes;
using hypercore::PublicKey;

const char kNoiseIkProtocolName[] = "Noise_IK_Ed25519_ChaChaPoly_BLAKE2b";

namespace {
constexpr size_t kKeyLen = 32;
constexpr size_t kTagLen = net::detail::kAeadTagLen;
constexpr size_t kMsg1Min = kKeyLen + kKeyLen + kTagLen + kTagLen;  // e, enc(s), enc(payload)
constexpr size_t kMsg2Min = kKeyLen + kTagLen;                      // e, enc(payload)
}  // namespace

NoiseIk::NoiseIk(bool is_initiator, const hypercore::KeyPair& s, std::optional<hypercore::KeyPair> e)
    : is_initiator_(is_initiator), s_(s), e_(e ? *e : hypercore::KeyPair::random()) {
  // The 35-byte name fits HASHLEN, so h starts as the zero-padded name (no hashing).
  std::memcpy(h_.data(), kNoiseIkProtocolName, sizeof kNoiseIkProtocolName - 1);
  ck_ = h_;
  mix_hash(net::dht::ns::peer_handshake());
}

NoiseIk NoiseIk::initiator(const hypercore::KeyPair& static_key_pair, const PublicKey& remote_static,
                           std::optional<hypercore::KeyPair> ephemeral) {
  NoiseIk ik(true, static_key_pair, std::move(ephemeral));
  ik.rs_ = remote_static;
  ik.mix_hash(remote_static);  // pre-message <- s
  return ik;
}

NoiseIk NoiseIk::responder(const hypercore::KeyPair& static_key_pair, std::optional<hypercore::KeyPair> ephemeral) {
  NoiseIk ik(false, static_key_pair, std::move(ephemeral));
  ik.mix_hash(ik.s_.public_key);  // pre-message <- s (our own)
  return ik;
}

void NoiseIk::wipe() {
  sodium_memzero(e_.secret_key.data(), e_.secret_key.size());
  sodium_memzero(s_.secret_key.data(), s_.secret_key.size());
  sodium_memzero(ck_.data(), ck_.size());
  if (k_) sodium_memzero(k_->data(), k_->size());
}

NoiseIk::~NoiseIk() { wipe(); }
NoiseIk::NoiseIk(NoiseIk&&) noexcept = default;
NoiseIk::NoiseIk(const NoiseIk&) = default;
NoiseIk& NoiseIk::operator=(const NoiseIk&) = default;
NoiseIk& NoiseIk::operator=(NoiseIk&&) noexcept = default;

bool NoiseIk::wants_write() const {
  if (failed_) return false;
  return is_initiator_ ? step_ == kMsg1 : step_ == kMsg2;
}

void NoiseIk::mix_hash(ByteSpan data) { h_ = net::detail::blake2b512({h_, data}); }

bool NoiseIk::mix_key(const hypercore::KeyPair& local, const PublicKey& remote) {
  auto shared = net::detail::dh(local.secret_key, remote);
  if (!shared) return false;
  auto [ck, temp_k] = net::detail::hkdf2(ck_, *shared);
  sodium_memzero(shared->data(), shared->size());
  ck_ = ck;
  Key32 k;
  std::copy_n(temp_k.begin(), k.size(), k.begin());
  k_ = k;
  n_ = 0;
  return true;
}

Bytes NoiseIk::encrypt_and_hash(ByteSpan plaintext) {
  Bytes c = k_ ? net::detail::aead_encrypt(*k_, n_++, h_, plaintext) : Bytes(plaintext.begin(), plaintext.end());
  mix_hash(c);
  return c;
}

std::optional<Bytes> NoiseIk::decrypt_and_hash(ByteSpan ciphertext) {
  std::optional<Bytes> p;
  if (k_) {
    p = net::detail::aead_decrypt(*k_, n_, h_, ciphertext);
    if (!p) return std::nullopt;
    n_++;
  } else {
    p = Bytes(ciphertext.begin(), ciphertext.end());
  }
  mix_hash(ciphertext);
  return p;
}

void NoiseIk::split() {
  auto [t1, t2] = net::detail::hkdf2(ck_, {});
  const auto& tx = is_initiator_ ? t1 : t2;
  const auto& rx = is_initiator_ ? t2 : t1;
  outcome_.is_initiator = is_initiator_;
  outcome_.public_key = s_.public_key;
  outcome_.remote_public_key = rs_;
  outcome_.handshake_hash = h_;
  std::copy_n(tx.begin(), kKeyLen, outcome_.tx.begin());
  std::copy_n(rx.begin(), kKeyLen, outcome_.rx.begin());
  outcome_.holepunch_secret = holepunch_secret(h_);
  sodium_memzero(t1.data(), t1.size());
  sodium_memzero(t2.data(), t2.size());
  step_ = kDone;
  wipe();  // the outcome is all that is left to use
}

std::unexpected<ConnectError> NoiseIk::fail(ConnectErrc code, std::string why) {
  failed_ = true;
  wipe();
  return connect_fail(code, std::move(why));
}

ConnectResult<Bytes> NoiseIk::write_message(ByteSpan payload) {
  if (!wants_write()) {
    if (failed_) return connect_fail(ConnectErrc::handshake_failed, "write_message() after a failure");
    return connect_fail(ConnectErrc::out_of_turn, "write_message() out of turn");
  }
  if (payload.size() > kMaxNoiseMessageSize - kMsg1Min) {
    return connect_fail(ConnectErrc::handshake_failed, "payload of " + std::to_string(payload.size()) +
                                                           " bytes does not fit one Noise message");
  }
  Bytes out;
  auto append = [&out](ByteSpan b) { out.insert(out.end(), b.begin(), b.end()); };
  mix_hash(e_.public_key);  // e
  append(e_.public_key);
  if (is_initiator_) {  // -> e, es, s, ss
    if (!mix_key(e_, rs_)) return fail(ConnectErrc::handshake_failed, "msg1: unusable remote static key");
    append(encrypt_and_hash(s_.public_key));
    if (!mix_key(s_, rs_)) return fail(ConnectErrc::handshake_failed, "msg1: unusable remote static key");
    append(encrypt_and_hash(payload));
    step_ = kMsg2;
  } else {  // <- e, ee, se
    if (!mix_key(e_, re_)) return fail(ConnectErrc::handshake_failed, "msg2: unusable remote ephemeral key");
    if (!mix_key(e_, rs_)) return fail(ConnectErrc::handshake_failed, "msg2: unusable remote static key");
    append(encrypt_and_hash(payload));
    split();
  }
  return out;
}

ConnectResult<Bytes> NoiseIk::read_message(ByteSpan m) {
  if (failed_) return connect_fail(ConnectErrc::handshake_failed, "read_message() after a failure");
  if (complete() || wants_write()) return connect_fail(ConnectErrc::out_of_turn, "read_message() out of turn");
  if (m.size() > kMaxNoiseMessageSize) {
    return fail(ConnectErrc::handshake_failed, "message of " + std::to_string(m.size()) + " bytes exceeds 65535");
  }
  if (!is_initiator_) {  // responder reads -> e, es, s, ss
    if (m.size() < kMsg1Min) {
      return fail(ConnectErrc::handshake_failed, "msg1: " + std::to_string(m.size()) + " bytes, need 96");
    }
    std::copy_n(m.begin(), kKeyLen, re_.begin());
    mix_hash(re_);
    if (!mix_key(s_, re_)) return fail(ConnectErrc::handshake_failed, "msg1: unusable remote ephemeral key");
    auto rs = decrypt_and_hash(m.subspan(kKeyLen, kKeyLen + kTagLen));
    if (!rs) return fail(ConnectErrc::handshake_failed, "msg1: static key fails authentication");
    std::copy_n(rs->begin(), kKeyLen, rs_.begin());
    if (!mix_key(s_, rs_)) return fail(ConnectErrc::handshake_failed, "msg1: unusable remote static key");
    auto payload = decrypt_and_hash(m.subspan(kKeyLen + kKeyLen + kTagLen));
    if (!payload) return fail(ConnectErrc::handshake_failed, "msg1: payload fails authentication");
    step_ = kMsg2;
    return std::move(*payload);
  }
  // initiator reads <- e, ee, se
  if (m.size() < kMsg2Min) {
    return fail(ConnectErrc::handshake_failed, "msg2: " + std::to_string(m.size()) + " bytes, need 48");
  }
  std::copy_n(m.begin(), kKeyLen, re_.begin());
  mix_hash(re_);
  if (!mix_key(e_, re_)) return fail(ConnectErrc::handshake_failed, "msg2: unusable remote ephemeral key");
  if (!mix_key(s_, re_)) return fail(ConnectErrc::handshake_failed, "msg2: unusable remote ephemeral key");
  auto payload = decrypt_and_hash(m.subspan(kKeyLen));
  if (!payload) return fail(ConnectErrc::handshake_failed, "msg2: payload fails authentication");
  split();
  return std::move(*payload);
}

Key32 holepunch_secret(const Hash64& handshake_hash) {
  return hypercore::blake2b_keyed(handshake_hash, net::dht::ns::peer_holepunch());
}

net::EstablishedHandshake secret_stream_handshake(const IkOutcome& o) {
  net::EstablishedHandshake h;
  h.tx = o.tx;
  h.rx = o.rx;
  h.hash = o.handshake_hash;
  h.public_key = o.public_key;
  h.remote_public_key = o.remote_public_key;
  return h;
}

}  // namespace net::connect
