#include "net/connect/holepunch_payload.hpp"

#include <sodium.h>

#include "hypercore/compact_encoding.hpp"
#include "net/connect/internal/codec.hpp"

namespace net::connect {

namespace cenc = hypercore::cenc;
using hypercore::Bytes;
using hypercore::ByteSpan;
using namespace net::connect::detail;

static_assert(kSecretboxNonceSize == crypto_secretbox_NONCEBYTES);
static_assert(kSecretboxMacSize == crypto_secretbox_MACBYTES);

namespace {
constexpr uint64_t kConnected = 1;
constexpr uint64_t kPunching = 2;
constexpr uint64_t kAddresses = 4;
constexpr uint64_t kRemoteAddress = 8;
constexpr uint64_t kToken = 16;
constexpr uint64_t kRemoteToken = 32;

}  // namespace

Bytes encode_holepunch_payload(const HolepunchPayload& p) {
  cenc::Encoder e;
  e.uint((p.connected ? kConnected : 0) | (p.punching ? kPunching : 0) | (p.addresses ? kAddresses : 0) |
         (p.remote_address ? kRemoteAddress : 0) | (p.token ? kToken : 0) | (p.remote_token ? kRemoteToken : 0));
  e.uint(static_cast<uint32_t>(p.error));
  e.uint(static_cast<uint32_t>(p.firewall));
  e.uint(p.round);
  if (p.addresses) put_ipv4_array(e, *p.addresses);
  if (p.remote_address) put_ipv4(e, *p.remote_address);
  if (p.token) e.fixed(*p.token);
  if (p.remote_token) e.fixed(*p.remote_token);
  return e.take();
}

ConnectResult<HolepunchPayload> decode_holepunch_payload(ByteSpan bytes) {
  cenc::Decoder d(bytes, "holepunch payload");
  HolepunchPayload p;
  CX_TRY(flags, d.uint());
  CX_TRY(error, get_u32(d, "error"));
  CX_TRY(firewall, get_u32(d, "firewall"));
  CX_TRY(round, d.uint());
  p.error = static_cast<PayloadError>(error);
  p.firewall = static_cast<Firewall>(firewall);
  p.round = round;
  p.connected = (flags & kConnected) != 0;
  p.punching = (flags & kPunching) != 0;
  if (flags & kAddresses) {
    CX_TRY(list, get_ipv4_array(d));
    p.addresses = std::move(list);
  }
  if (flags & kRemoteAddress) {
    CX_TRY(a, get_ipv4(d));
    p.remote_address = a;
  }
  if (flags & kToken) {
    CX_TRY(t, d.fixed32());
    p.token = t;
  }
  if (flags & kRemoteToken) {
    CX_TRY(t, d.fixed32());
    p.remote_token = t;
  }
  return p;
}

SecurePayload::SecurePayload(const std::array<uint8_t, 32>& holepunch_secret,
                             std::optional<std::array<uint8_t, 32>> local_secret)
    : shared_(holepunch_secret) {
  hypercore::crypto_init();
  if (local_secret) {
    local_ = *local_secret;
  } else {
    randombytes_buf(local_.data(), local_.size());
  }
}

SecurePayload::~SecurePayload() {
  sodium_memzero(shared_.data(), shared_.size());
  sodium_memzero(local_.data(), local_.size());
}

Bytes SecurePayload::encrypt(const HolepunchPayload& payload,
                             std::optional<std::array<uint8_t, kSecretboxNonceSize>> nonce) const {
  Bytes plain = encode_holepunch_payload(payload);
  Bytes out(kSecretboxNonceSize + kSecretboxMacSize + plain.size());
  if (nonce) {
    std::copy(nonce->begin(), nonce->end(), out.begin());
  } else {
    randombytes_buf(out.data(), kSecretboxNonceSize);
  }
  crypto_secretbox_easy(out.data() + kSecretboxNonceSize, plain.data(), plain.size(), out.data(), shared_.data());
  return out;
}

ConnectResult<HolepunchPayload> SecurePayload::decrypt(ByteSpan sealed) const {
  // The reference needs at least one plaintext byte (end > start).
  if (sealed.size() <= kSecretboxNonceSize + kSecretboxMacSize) {
    return connect_fail(ConnectErrc::decryption_failed,
                        "holepunch payload of " + std::to_string(sealed.size()) + " bytes, need more than 40");
  }
  ByteSpan cipher = sealed.subspan(kSecretboxNonceSize);
  Bytes plain(cipher.size() - kSecretboxMacSize);
  if (crypto_secretbox_open_easy(plain.data(), cipher.data(), cipher.size(), sealed.data(), shared_.data()) != 0) {
    return connect_fail(ConnectErrc::decryption_failed, "holepunch payload fails authentication");
  }
  return decode_holepunch_payload(plain);
}

hypercore::Hash SecurePayload::token(std::string_view host) const {
  return hypercore::blake2b_keyed(local_, hypercore::as_bytes(host));
}

}  // namespace net::connect
