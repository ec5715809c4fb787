// The connect codecs (../shared/spec/dht.md §3.2, §3.4, §3.6) pinned to bytes hyperdht's
// messages.js produces (tests/interop/connect_vectors.js; the short ones also inline), every
// truncation, hostile lengths, and the holepunch secretbox against Node's secure-payload.js.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "net/connect/holepunch_payload.hpp"
#include "net/connect/messages.hpp"
#include "tests/net/stream_test_util.hpp"
#include "tests/support/expect_errc.hpp"
#include "tests/support/oracle.hpp"

using namespace net::connect;
using hypercore::Bytes;
using hypercore::ByteSpan;
using hypercore::to_hex;
using net_test::hex;

namespace {

Ipv4Address a4(const char* text) { return *Ipv4Address::parse(text); }

Ipv6Address a6(std::initializer_list<uint8_t> host, uint16_t port) {
  Ipv6Address a;
  std::copy(host.begin(), host.end(), a.host.begin());
  a.port = port;
  return a;
}

hypercore::Hash filled(uint8_t b) {
  hypercore::Hash h;
  h.fill(b);
  return h;
}

// The values connect_vectors.js encodes, in the same order.
std::vector<HandshakeMessage> handshakes() {
  return {
      {RelayMode::from_client, hex("aabbcc"), std::nullopt, std::nullopt},
      {RelayMode::from_relay, Bytes(100, 7), a4("10.0.0.1:1234"), std::nullopt},
      {RelayMode::from_second_relay, Bytes(3, 9), a4("192.168.1.2:65535"), a4("127.0.0.1:49737")},
      {RelayMode::reply, Bytes(300, 1), std::nullopt, a4("1.2.3.4:5")},
  };
}

std::vector<HolepunchMessage> holepunches() {
  return {
      {RelayMode::from_client, 0, hex("0102"), std::nullopt},
      {RelayMode::from_server, 70000, Bytes(64, 3), a4("8.8.4.4:53")},
      {RelayMode::reply, 5000000000ull, Bytes(1, 0xff), a4("127.0.0.1:1")},
  };
}

std::vector<NoisePayload> payloads() {
  std::vector<NoisePayload> out(4);
  out[0].addresses4 = {a4("127.0.0.1:40673")};
  out[0].udx = UdxInfo{1, false, 0x11223344, 0};
  out[0].secret_stream = SecretStreamInfo{};
  out[1].error = PayloadError::try_later;
  out[1].firewall = Firewall::consistent;
  out[1].holepunch = HolepunchInfo{7, {{a4("1.1.1.1:1"), a4("2.2.2.2:2")}, {a4("3.3.3.3:3"), a4("4.4.4.4:4")}}};
  out[1].addresses6 = {a6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 9),
                       a6({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2}, 65000)};
  out[1].udx = UdxInfo{1, true, 300, 0};
  out[1].relay_addresses = std::vector<Ipv4Address>{};
  out[2].firewall = Firewall::open;
  out[2].addresses4 = {a4("10.1.2.3:80"), a4("127.0.0.1:8080")};
  out[2].relay_through = RelayThroughInfo{1, filled(0xab), filled(0xcd)};
  out[2].relay_addresses = std::vector<Ipv4Address>{a4("5.6.7.8:9")};
  out[3].error = PayloadError::aborted;
  return out;
}

std::vector<HolepunchPayload> holepunch_payloads() {
  std::vector<HolepunchPayload> out(3);
  out[0].firewall = Firewall::consistent;
  out[0].addresses = std::vector<Ipv4Address>{a4("1.2.3.4:1000")};
  out[1].error = PayloadError::try_later;
  out[1].firewall = Firewall::random;
  out[1].round = 30;
  out[1].connected = true;
  out[1].punching = true;
  out[1].addresses = std::vector<Ipv4Address>{};
  out[1].remote_address = a4("9.9.9.9:999");
  out[1].token = filled(1);
  out[1].remote_token = filled(2);
  out[2].round = 1;
  out[2].punching = true;
  out[2].token = filled(5);
  return out;
}

// Every strict prefix of a valid encoding is malformed.
template <class Decode>
void expect_truncations_fail(const Bytes& bytes, Decode decode, const std::string& what) {
  for (size_t n = 0; n < bytes.size(); n++) {
    EXPECT_ERRC(decode(ByteSpan(bytes).first(n)), ConnectErrc::malformed) << what << " cut at " << n;
  }
}

TEST(ConnectMessages, SpecExampleClientPayload) {
  NoisePayload p = payloads()[0];
  EXPECT_EQ(to_hex(encode_noise_payload(p)), "011a0000017f000001e19e0100fe443322110001");
  auto d = decode_noise_payload(hex("01 1a 00 00 01 7f000001e19e 01 00 fe44332211 00 01"));
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, p);
  EXPECT_TRUE(check_compatible(*d));
}

TEST(ConnectMessages, PinnedShortVectors) {
  EXPECT_EQ(to_hex(encode_handshake(handshakes()[0])), "000003aabbcc");
  EXPECT_EQ(to_hex(encode_handshake(handshakes()[2])), "030303090909c0a80102ffff7f00000149c2");
  EXPECT_EQ(to_hex(encode_holepunch(holepunches()[0])), "000000020102");
  EXPECT_EQ(to_hex(encode_holepunch(holepunches()[2])), "0104ff00f2052a0100000001ff7f0000010100");
  EXPECT_EQ(to_hex(encode_noise_payload(payloads()[3])), "01000100");
  EXPECT_EQ(to_hex(encode_noise_payload(payloads()[1])),
            "014d0302070201010101010002020202020003030303030004040404040002000000000000000000000000000000"
            "010900fe800000000000000000000000010002e8fd0101fd2c010000");
  EXPECT_EQ(to_hex(encode_holepunch_payload(holepunch_payloads()[0])), "040002000101020304e803");
  EXPECT_EQ(to_hex(encode_holepunch_payload(holepunch_payloads()[2])),
            "120000010505050505050505050505050505050505050505050505050505050505050505");
}

TEST(ConnectMessages, RoundTripsAndTruncations) {
  for (const auto& m : handshakes()) {
    Bytes b = encode_handshake(m);
    auto d = decode_handshake(b);
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, m);
    expect_truncations_fail(b, decode_handshake, "handshake");
  }
  for (const auto& m : holepunches()) {
    Bytes b = encode_holepunch(m);
    auto d = decode_holepunch(b);
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, m);
    expect_truncations_fail(b, decode_holepunch, "holepunch");
  }
  for (const auto& p : payloads()) {
    Bytes b = encode_noise_payload(p);
    auto d = decode_noise_payload(b);
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, p);
    expect_truncations_fail(b, decode_noise_payload, "noise payload");
  }
  for (const auto& p : holepunch_payloads()) {
    Bytes b = encode_holepunch_payload(p);
    auto d = decode_holepunch_payload(b);
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, p);
    expect_truncations_fail(b, decode_holepunch_payload, "holepunch payload");
  }
}

TEST(ConnectMessages, TrailingBytesAreIgnoredAndEmptyNoiseIsNull) {
  Bytes b = encode_handshake(handshakes()[0]);
  b.push_back(0x99);
  auto d = decode_handshake(b);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, handshakes()[0]);
  auto empty = decode_handshake(hex("000000"));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->noise.empty());
  // Unknown modes decode (the relay ignores them); modes past 32 bits do not.
  auto odd = decode_handshake(hex("00 09 00"));
  ASSERT_TRUE(odd);
  EXPECT_EQ(static_cast<uint32_t>(odd->mode), 9u);
  EXPECT_ERRC(decode_handshake(hex("00 ff 0000000001000000 00")), ConnectErrc::malformed);
}

TEST(ConnectMessages, OtherVersionsAreIncompatibleNotMalformed) {
  for (const char* h : {"02", "00", "02 ff ff", "fd0001 7f"}) {
    auto d = decode_noise_payload(hex(h));
    ASSERT_TRUE(d) << h;
    EXPECT_NE(d->version, 1u);
    EXPECT_FALSE(d->udx);
    EXPECT_ERRC(check_compatible(*d), ConnectErrc::incompatible);
  }
  EXPECT_ERRC(decode_noise_payload({}), ConnectErrc::malformed);
}

TEST(ConnectMessages, HostileLengthsAreRefusedBeforeAllocating) {
  // addresses4 claiming 0x100001 entries, and 2^64-1 entries.
  EXPECT_ERRC(decode_noise_payload(hex("01 02 00 00 fe01001000")), ConnectErrc::malformed);
  EXPECT_ERRC(decode_noise_payload(hex("01 02 00 00 ffffffffffffffffff")), ConnectErrc::malformed);
  // A count the remaining bytes cannot hold (3 entries, 1 present).
  EXPECT_ERRC(decode_noise_payload(hex("01 02 00 00 03 7f000001e19e")), ConnectErrc::malformed);
  // holepunch relays (12 bytes each), addresses6 (18 each).
  EXPECT_ERRC(decode_noise_payload(hex("01 01 00 00 07 02 010101010100020202020200")), ConnectErrc::malformed);
  EXPECT_ERRC(decode_noise_payload(hex("01 04 00 00 01 00000000000000000000000000000001 09")),
              ConnectErrc::malformed);
  // A buffer length past the end, and one of 2^64-1.
  EXPECT_ERRC(decode_handshake(hex("00 00 fd ffff 00")), ConnectErrc::malformed);
  EXPECT_ERRC(decode_holepunch(hex("00 00 00 ff ffffffffffffffff")), ConnectErrc::malformed);
  // Error / firewall past 32 bits.
  EXPECT_ERRC(decode_noise_payload(hex("01 00 ff 0000000001000000 00")), ConnectErrc::malformed);
  EXPECT_ERRC(decode_holepunch_payload(hex("00 00 ff 0000000001000000 00")), ConnectErrc::malformed);
  ASSERT_TRUE(decode_holepunch_payload(hex("00 00 fe ffffffff 00")));  // 32 bits fit
}

TEST(ConnectMessages, SecurePayloadRoundTripAndTampering) {
  std::array<uint8_t, 32> secret;
  secret.fill(0x11);
  SecurePayload box(secret);
  HolepunchPayload p = holepunch_payloads()[1];
  Bytes sealed = box.encrypt(p);
  EXPECT_EQ(sealed.size(), 24 + 16 + encode_holepunch_payload(p).size());
  auto d = box.decrypt(sealed);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, p);
  // Two encryptions differ (random nonce); a fixed nonce is deterministic.
  EXPECT_NE(box.encrypt(p), sealed);
  std::array<uint8_t, 24> nonce{};
  EXPECT_EQ(box.encrypt(p, nonce), box.encrypt(p, nonce));
  for (size_t at = 0; at < sealed.size(); at++) {
    Bytes bad = sealed;
    bad[at] ^= 0x04;
    EXPECT_ERRC(box.decrypt(bad), ConnectErrc::decryption_failed) << at;
  }
  for (size_t n = 0; n <= 40; n++) EXPECT_ERRC(box.decrypt(Bytes(n)), ConnectErrc::decryption_failed);
  std::array<uint8_t, 32> other;
  other.fill(0x12);
  EXPECT_ERRC(SecurePayload(other).decrypt(sealed), ConnectErrc::decryption_failed);
}

std::map<std::string, std::string> node_vectors() {
  auto out = bee_test::run_node(bee_test::interop_script("connect_vectors.js"), {"vectors"});
  EXPECT_TRUE(out) << (out ? "" : out.error().message);
  std::map<std::string, std::string> v;
  if (!out) return v;
  std::istringstream in(*out);
  std::string line;
  while (std::getline(in, line)) {
    auto sp = line.find(' ');
    if (sp != std::string::npos) v[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return v;
}

TEST(ConnectMessagesInterop, EncodingsMatchHyperdhtMessagesJs) {
  auto v = node_vectors();
  ASSERT_FALSE(v.empty());
  auto hs = handshakes();
  for (size_t k = 0; k < hs.size(); k++) {
    EXPECT_EQ(to_hex(encode_handshake(hs[k])), v["handshake." + std::to_string(k)]) << k;
    auto d = decode_handshake(hex(v["handshake." + std::to_string(k)]));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, hs[k]);
  }
  auto hp = holepunches();
  for (size_t k = 0; k < hp.size(); k++) {
    EXPECT_EQ(to_hex(encode_holepunch(hp[k])), v["holepunch." + std::to_string(k)]) << k;
    auto d = decode_holepunch(hex(v["holepunch." + std::to_string(k)]));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, hp[k]);
  }
  auto ps = payloads();
  for (size_t k = 0; k < ps.size(); k++) {
    EXPECT_EQ(to_hex(encode_noise_payload(ps[k])), v["payload." + std::to_string(k)]) << k;
    auto d = decode_noise_payload(hex(v["payload." + std::to_string(k)]));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, ps[k]);
  }
  auto hpp = holepunch_payloads();
  for (size_t k = 0; k < hpp.size(); k++) {
    EXPECT_EQ(to_hex(encode_holepunch_payload(hpp[k])), v["hppayload." + std::to_string(k)]) << k;
  }
  EXPECT_EQ(v["ik.payload1"], "011800000100010001");
}

TEST(ConnectMessagesInterop, NodeSealedPayloadOpensHereAndTokensMatch) {
  auto v = node_vectors();
  ASSERT_FALSE(v.empty());
  std::array<uint8_t, 32> secret;
  Bytes s = hex(v["ik.holepunchSecret"]);
  ASSERT_EQ(s.size(), 32u);
  std::copy(s.begin(), s.end(), secret.begin());
  std::array<uint8_t, 32> local;
  local.fill(0x42);
  SecurePayload box(secret, local);
  auto d = box.decrypt(hex(v["secure.0"]));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, holepunch_payloads()[1]);
  EXPECT_EQ(to_hex(box.token("127.0.0.1")), v["secure.token"]);
}

}  // namespace
