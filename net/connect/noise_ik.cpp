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
    : is_initiator_(is_initiator), s_(s), e_(e ? *e : hypercore::KeyPair::random()), state_(kNoiseIkProtocolName) {
  state_.mix_hash(net::dht::ns::peer_handshake());
}

NoiseIk NoiseIk::initiator(const hypercore::KeyPair& static_key_pair, const PublicKey& remote_static,
                           std::optional<hypercore::KeyPair> ephemeral) {
  NoiseIk ik(true, static_key_pair, std::move(ephemeral));
  ik.rs_ = remote_static;
  ik.state_.mix_hash(remote_static);  // pre-message <- s
  return ik;
}

NoiseIk NoiseIk::responder(const hypercore::KeyPair& static_key_pair, std::optional<hypercore::KeyPair> ephemeral) {
  NoiseIk ik(false, static_key_pair, std::move(ephemeral));
  ik.state_.mix_hash(ik.s_.public_key);  // pre-message <- s (our own)
  return ik;
}

void NoiseIk::wipe() {
  sodium_memzero(e_.secret_key.data(), e_.secret_key.size());
  sodium_memzero(s_.secret_key.data(), s_.secret_key.size());
  state_.wipe();
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

void NoiseIk::split() {
  auto [tx, rx] = state_.split(is_initiator_);
  outcome_.is_initiator = is_initiator_;
  outcome_.public_key = s_.public_key;
  outcome_.remote_public_key = rs_;
  outcome_.handshake_hash = state_.hash();
  outcome_.tx = tx;
  outcome_.rx = rx;
  outcome_.holepunch_secret = holepunch_secret(state_.hash());
  sodium_memzero(tx.data(), tx.size());
  sodium_memzero(rx.data(), rx.size());
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
  state_.mix_hash(e_.public_key);  // e
  append(e_.public_key);
  if (is_initiator_) {  // -> e, es, s, ss
    if (!state_.mix_key(e_.secret_key, rs_)) return fail(ConnectErrc::handshake_failed, "msg1: unusable remote static key");
    append(state_.encrypt_and_hash(s_.public_key));
    if (!state_.mix_key(s_.secret_key, rs_)) return fail(ConnectErrc::handshake_failed, "msg1: unusable remote static key");
    append(state_.encrypt_and_hash(payload));
    step_ = kMsg2;
  } else {  // <- e, ee, se
    if (!state_.mix_key(e_.secret_key, re_)) return fail(ConnectErrc::handshake_failed, "msg2: unusable remote ephemeral key");
    if (!state_.mix_key(e_.secret_key, rs_)) return fail(ConnectErrc::handshake_failed, "msg2: unusable remote static key");
    append(state_.encrypt_and_hash(payload));
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
    state_.mix_hash(re_);
    if (!state_.mix_key(s_.secret_key, re_)) return fail(ConnectErrc::handshake_failed, "msg1: unusable remote ephemeral key");
    auto rs = state_.decrypt_and_hash(m.subspan(kKeyLen, kKeyLen + kTagLen));
    if (!rs) return fail(ConnectErrc::handshake_failed, "msg1: static key fails authentication");
    std::copy_n(rs->begin(), kKeyLen, rs_.begin());
    if (!state_.mix_key(s_.secret_key, rs_)) return fail(ConnectErrc::handshake_failed, "msg1: unusable remote static key");
    auto payload = state_.decrypt_and_hash(m.subspan(kKeyLen + kKeyLen + kTagLen));
    if (!payload) return fail(ConnectErrc::handshake_failed, "msg1: payload fails authentication");
    step_ = kMsg2;
    return std::move(*payload);
  }
  // initiator reads <- e, ee, se
  if (m.size() < kMsg2Min) {
    return fail(ConnectErrc::handshake_failed, "msg2: " + std::to_string(m.size()) + " bytes, need 48");
  }
  std::copy_n(m.begin(), kKeyLen, re_.begin());
  state_.mix_hash(re_);
  if (!state_.mix_key(e_.secret_key, re_)) return fail(ConnectErrc::handshake_failed, "msg2: unusable remote ephemeral key");
  if (!state_.mix_key(s_.secret_key, re_)) return fail(ConnectErrc::handshake_failed, "msg2: unusable remote ephemeral key");
  auto payload = state_.decrypt_and_hash(m.subspan(kKeyLen));
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
