// The deterministic vector of ../shared/spec/replication.md §2.8: seeded keys must give
// every listed value, through the bare Noise state machine and through SecretStream.
#include <gtest/gtest.h>

#include "net/stream/internal/noise_crypto.hpp"
#include "net/stream/noise_handshake.hpp"
#include "net/stream/secret_stream.hpp"
#include "tests/net/stream_test_util.hpp"

using namespace net;
using hypercore::Bytes;
using hypercore::to_hex;
using net_test::framed;
using net_test::hex;
using net_test::seeded;

namespace {

const char* kIStaticPub = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
const char* kIStaticScalar = "58e86efb75fa4e2c410f46e16de9f6acae1a1703528651b69bc176c088bef36e";
const char* kRStaticPub = "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394";
const char* kIEphPub = "ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1";
const char* kREphPub = "ca93ac1705187071d67b83c7ff0efe8108e8ec4530575d7726879333dbdabe7c";
const char* kHAfterPrologue =
    "ccb02d59b57b48c5bc64fafb7fc70680eb907d6830a9b039c39136733f44bbd6"
    "ebcddac9b202ff6bf777f1b1c8cb8cb964038751f8f11d8adb8ec976fea28f18";
const char* kDhEE = "1a8dc829b11bd3cfe852d10c138b4a786f89032c4613270b9d336dcc29b8e28f";
const char* kDhES = "c6486a6fe639256725cf5aa11bb86028de15e038afedf17c2945bf5c6327f581";
const char* kDhSE = "4f52c01535abfc358239749eeda45ffd7396104eda46a3f7809589b1b58c81e2";
const char* kMsg1 = "ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1";
const char* kMsg2 =
    "ca93ac1705187071d67b83c7ff0efe8108e8ec4530575d7726879333dbdabe7c"
    "8924380c5066a7dcffff1174cebcbfefc17dafd675f6dc2e688de867ff96c431"
    "a1fcb7f80997fba29d5bbc64a50e8d74e82bc092a89c62eacaf68db17bb5d0b5";
const char* kMsg3 =
    "585b6e8320c9dfc6764d48e242b912333244a85ae8769c90ee632f1d3bf6945d"
    "6d4729ee9c716f0f82946ce191158c480d53f508585c93bb66354bbee6b8bdad";
const char* kHandshakeHash =
    "aa42bcea44d843e3803e549191ae7eac847a85dccf21ef3918a7cf228d87b788"
    "9b194cdb190b8b2cf82daf543e71e86871532b84ba1d7982489eb3040dcfc412";
const char* kITx = "36e72ba85cd0a2b5e7c9f44704a1757d7230c30dd39736e46f2190fcd1300c13";
const char* kRTx = "29c4a931005b47aaf766f5ec7a119810eb15399b8612e79071f77447826dee17";
const char* kNs0 = "a931a0155b5c09e6d28628236af83c4b8a6af9af60986edeede9dc5d63192bf7";
const char* kNs1 = "742c9d833d430af4c48a8705e91631eecf295442bbca18996e597097723b1061";
const char* kNs2 = "aab97d097471f56651b0460ffc8aaa7d3342f7377597d60b925a1dac689adcbf";
const char* kStreamIdI = "a1d1ba79814a026a75d3d0d86df2d767c48c1a62a59d9e5d47876ab9b0867673";
const char* kStreamIdR = "87964fe510a0eef9766102bc05eb51bd18d4baf59ec0fe2e51fa323b19101cf6";

const char* kIHeader = "a7b08100f809985a9539f61106969cbfe53daa4cec988c91";
const char* kFirstFrame =
    "14bb8a784d6d08bd26d6cb08d67cc8978e30cf93e24c8c1f5a5238cbfb0c13d4ba1b47eaa9873e47a8bd"
    "e5f13bb538ba3957ed465691eaad1780372f7f099d1ba52f656161e14ae90208bbcd8a7dbe7b5b25f1e0"
    "b56f8cac15b7ec34e40f7dc127eee5178d01";
// §5.1 F1: the reader's protomux open of channel "hypercore/alpha".
const char* kF1 =
    "0001010f6879706572636f72652f616c70686120d8a6a75cb4756cb91998beba60e5875e3b"
    "fc57e3980990e7772e56f287c822f001bf0617b7ff1ba39fff9b7faaf08d1dc5c0672be8dfaf"
    "ff981e4cb5e3eb08ccc3";

NoiseKeys initiator_keys() { return {seeded(1), seeded(3)}; }
NoiseKeys responder_keys() { return {seeded(2), seeded(4)}; }

std::string hex_of(const auto& bytes) { return to_hex(hypercore::ByteSpan(bytes.data(), bytes.size())); }

}  // namespace

TEST(NoiseVector, KeysAndDiffieHellman) {
  auto is = seeded(1), rs = seeded(2), ie = seeded(3), re = seeded(4);
  EXPECT_EQ(hex_of(is.public_key), kIStaticPub);
  EXPECT_EQ(hex_of(rs.public_key), kRStaticPub);
  EXPECT_EQ(hex_of(ie.public_key), kIEphPub);
  EXPECT_EQ(hex_of(re.public_key), kREphPub);
  EXPECT_EQ(hex_of(detail::dh_scalar(is.secret_key)), kIStaticScalar);

  // Each DH from both ends: ee, es (I's e with R's s), se (I's s with R's e).
  EXPECT_EQ(hex_of(*detail::dh(ie.secret_key, re.public_key)), kDhEE);
  EXPECT_EQ(hex_of(*detail::dh(re.secret_key, ie.public_key)), kDhEE);
  EXPECT_EQ(hex_of(*detail::dh(ie.secret_key, rs.public_key)), kDhES);
  EXPECT_EQ(hex_of(*detail::dh(rs.secret_key, ie.public_key)), kDhES);
  EXPECT_EQ(hex_of(*detail::dh(is.secret_key, re.public_key)), kDhSE);
  EXPECT_EQ(hex_of(*detail::dh(re.secret_key, is.public_key)), kDhSE);
}

TEST(NoiseVector, HandshakeMessagesAndOutputs) {
  NoiseHandshake initiator(true, initiator_keys());
  NoiseHandshake responder(false, responder_keys());
  EXPECT_EQ(hex_of(initiator.hash()), kHAfterPrologue);
  EXPECT_EQ(hex_of(responder.hash()), kHAfterPrologue);

  auto msg1 = initiator.write_message();
  ASSERT_TRUE(msg1);
  EXPECT_EQ(to_hex(*msg1), kMsg1);
  ASSERT_TRUE(responder.read_message(*msg1));
  auto msg2 = responder.write_message();
  ASSERT_TRUE(msg2);
  EXPECT_EQ(to_hex(*msg2), kMsg2);
  ASSERT_TRUE(initiator.read_message(*msg2));
  auto msg3 = initiator.write_message();
  ASSERT_TRUE(msg3);
  EXPECT_EQ(to_hex(*msg3), kMsg3);
  EXPECT_TRUE(initiator.complete());
  ASSERT_TRUE(responder.read_message(*msg3));
  ASSERT_TRUE(responder.complete());

  const auto& i = initiator.outcome();
  const auto& r = responder.outcome();
  EXPECT_EQ(hex_of(i.handshake_hash), kHandshakeHash);
  EXPECT_EQ(hex_of(r.handshake_hash), kHandshakeHash);
  EXPECT_EQ(hex_of(i.tx), kITx);
  EXPECT_EQ(hex_of(r.rx), kITx);
  EXPECT_EQ(hex_of(r.tx), kRTx);
  EXPECT_EQ(hex_of(i.rx), kRTx);
  EXPECT_EQ(hex_of(i.remote_public_key), kRStaticPub);
  EXPECT_EQ(hex_of(r.remote_public_key), kIStaticPub);
}

TEST(NoiseVector, NamespacesAndStreamIds) {
  auto ns_root = hypercore::blake2b({hypercore::as_bytes("hyperswarm/secret-stream")});
  const char* expected[] = {kNs0, kNs1, kNs2};
  for (uint8_t i = 0; i < 3; i++) {
    uint8_t b[1] = {i};
    EXPECT_EQ(hex_of(hypercore::blake2b({ns_root, b})), expected[i]) << int(i);
  }
  Hash64 hash;
  auto h = hex(kHandshakeHash);
  std::copy(h.begin(), h.end(), hash.begin());
  EXPECT_EQ(hex_of(secret_stream_id(hash, true)), kStreamIdI);
  EXPECT_EQ(hex_of(secret_stream_id(hash, false)), kStreamIdR);
}

TEST(NoiseVector, InitiatorStreamWritesTheVectorFrames) {
  SecretStreamOptions options;
  options.keys = initiator_keys();
  SecretStream initiator(true, options);
  EXPECT_EQ(to_hex(initiator.take_output()), "200000" + std::string(kMsg1));

  auto events = initiator.feed(framed(hex(kMsg2)));
  auto* done = net_test::handshake_of(events);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(hex_of(done->remote_public_key), kRStaticPub);
  EXPECT_EQ(hex_of(done->handshake_hash), kHandshakeHash);
  Bytes out = initiator.take_output();
  // msg3, then our id + a (random) secretstream header.
  ASSERT_EQ(out.size(), 3 + 64 + 3 + 56u);
  EXPECT_EQ(to_hex(hypercore::ByteSpan(out).first(3 + 64 + 3 + 32)),
            "400000" + std::string(kMsg3) + "380000" + kStreamIdI);
}

TEST(NoiseVector, ResponderStreamPullsTheTransportVector) {
  SecretStreamOptions options;
  options.keys = responder_keys();
  SecretStream responder(false, options);
  EXPECT_TRUE(responder.take_output().empty());

  EXPECT_TRUE(responder.feed(framed(hex(kMsg1))).empty());
  EXPECT_EQ(to_hex(responder.take_output()), "600000" + std::string(kMsg2));

  // msg3, the initiator's id + header and its first frame, back to back as on the wire.
  Bytes wire = framed(hex(kMsg3));
  Bytes id_header = hex(kStreamIdI);
  Bytes header = hex(kIHeader);
  id_header.insert(id_header.end(), header.begin(), header.end());
  for (const auto& part : {framed(id_header), framed(hex(kFirstFrame))}) wire.insert(wire.end(), part.begin(), part.end());
  EXPECT_EQ(to_hex(hypercore::ByteSpan(wire).subspan(wire.size() - 105, 3)), "660000");

  auto events = responder.feed(wire);
  ASSERT_EQ(events.size(), 2u);
  auto* done = net_test::handshake_of(events);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(hex_of(done->remote_public_key), kIStaticPub);
  EXPECT_EQ(hex_of(done->handshake_hash), kHandshakeHash);
  auto msgs = net_test::messages(events);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].size(), 85u);
  EXPECT_EQ(to_hex(msgs[0]), kF1);
  EXPECT_TRUE(responder.is_open());

  Bytes out = responder.take_output();
  ASSERT_EQ(out.size(), 3 + 56u);
  EXPECT_EQ(to_hex(hypercore::ByteSpan(out).first(35)), "380000" + std::string(kStreamIdR));
}
