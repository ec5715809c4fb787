#include "net/stream/noise_handshake.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "net/stream/internal/noise_crypto.hpp"

namespace net {

using hypercore::ByteSpan;
using hypercore::Bytes;
using hypercore::PublicKey;

const char kNoiseProtocolName[] = "Noise_XX_Ed25519_ChaChaPoly_BLAKE2b";

namespace {
constexpr size_t kKeyLen = 32;
constexpr size_t kEncryptedKeyLen = kKeyLen + detail::kAeadTagLen;
}  // namespace

NoiseHandshake::NoiseHandshake(bool is_initiator, NoiseKeys keys)
    : is_initiator_(is_initiator),
      s_(keys.static_key_pair ? *keys.static_key_pair : hypercore::KeyPair::random()),
      e_(keys.ephemeral_key_pair ? *keys.ephemeral_key_pair : hypercore::KeyPair::random()),
      state_(kNoiseProtocolName) {
  state_.mix_hash({});  // empty prologue
}

NoiseHandshake::~NoiseHandshake() {
  sodium_memzero(e_.secret_key.data(), e_.secret_key.size());
  sodium_memzero(s_.secret_key.data(), s_.secret_key.size());
}

bool NoiseHandshake::wants_write() const {
  if (failed_) return false;
  return is_initiator_ ? (step_ == kMsg1 || step_ == kMsg3) : step_ == kMsg2;
}

void NoiseHandshake::split() {
  auto [tx, rx] = state_.split(is_initiator_);
  outcome_.tx = tx;
  outcome_.rx = rx;
  outcome_.handshake_hash = state_.hash();
  outcome_.remote_public_key = rs_;
  step_ = kDone;
}

std::unexpected<StreamError> NoiseHandshake::fail(std::string why) {
  failed_ = true;
  return stream_fail(StreamErrc::handshake_failed, std::move(why));
}

StreamResult<Bytes> NoiseHandshake::write_message() {
  if (!wants_write()) return fail("write_message() out of turn");
  Bytes out;
  auto append = [&out](ByteSpan b) { out.insert(out.end(), b.begin(), b.end()); };
  if (step_ == kMsg1) {  // -> e
    state_.mix_hash(e_.public_key);
    append(e_.public_key);
    append(state_.encrypt_and_hash({}));
    step_ = kMsg2;
  } else if (step_ == kMsg2) {  // <- e, ee, s, es
    state_.mix_hash(e_.public_key);
    append(e_.public_key);
    if (!state_.mix_key(e_.secret_key, re_)) return fail("msg2: unusable remote ephemeral key");
    append(state_.encrypt_and_hash(s_.public_key));
    if (!state_.mix_key(s_.secret_key, re_)) return fail("msg2: unusable remote ephemeral key");
    append(state_.encrypt_and_hash({}));
    step_ = kMsg3;
  } else {  // -> s, se
    append(state_.encrypt_and_hash(s_.public_key));
    if (!state_.mix_key(s_.secret_key, re_)) return fail("msg3: unusable remote ephemeral key");
    append(state_.encrypt_and_hash({}));
    split();
  }
  return out;
}

StreamResult<void> NoiseHandshake::read_message(ByteSpan m) {
  if (failed_ || complete() || wants_write()) return fail("read_message() out of turn");
  if (m.size() > kMaxNoiseMessageSize) return fail("message of " + std::to_string(m.size()) + " bytes exceeds 65535");
  if (step_ == kMsg1) {  // responder reads -> e
    if (m.size() < kKeyLen) return fail("msg1: " + std::to_string(m.size()) + " bytes, need 32");
    std::copy_n(m.begin(), kKeyLen, re_.begin());
    state_.mix_hash(re_);
    (void)state_.decrypt_and_hash(m.subspan(kKeyLen));  // no key yet: hashes the (ignored) payload
    step_ = kMsg2;
    return {};
  }
  if (step_ == kMsg2) {  // initiator reads <- e, ee, s, es
    if (m.size() < kKeyLen + kEncryptedKeyLen + detail::kAeadTagLen) {
      return fail("msg2: " + std::to_string(m.size()) + " bytes, need 96");
    }
    std::copy_n(m.begin(), kKeyLen, re_.begin());
    state_.mix_hash(re_);
    if (!state_.mix_key(e_.secret_key, re_)) return fail("msg2: unusable remote ephemeral key");
    auto rs = state_.decrypt_and_hash(m.subspan(kKeyLen, kEncryptedKeyLen));
    if (!rs) return fail("msg2: static key fails authentication");
    std::copy_n(rs->begin(), kKeyLen, rs_.begin());
    if (!state_.mix_key(e_.secret_key, rs_)) return fail("msg2: unusable remote static key");
    if (!state_.decrypt_and_hash(m.subspan(kKeyLen + kEncryptedKeyLen))) return fail("msg2: payload fails authentication");
    step_ = kMsg3;
    return {};
  }
  // responder reads -> s, se
  if (m.size() < kEncryptedKeyLen + detail::kAeadTagLen) {
    return fail("msg3: " + std::to_string(m.size()) + " bytes, need 64");
  }
  auto rs = state_.decrypt_and_hash(m.first(kEncryptedKeyLen));
  if (!rs) return fail("msg3: static key fails authentication");
  std::copy_n(rs->begin(), kKeyLen, rs_.begin());
  if (!state_.mix_key(e_.secret_key, rs_)) return fail("msg3: unusable remote static key");
  if (!state_.decrypt_and_hash(m.subspan(kEncryptedKeyLen))) return fail("msg3: payload fails authentication");
  split();
  return {};
}

}  // namespace net
