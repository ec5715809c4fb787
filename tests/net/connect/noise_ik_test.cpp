// Noise IK of hyperdht (../shared/spec/dht.md §3.3): the spec's deterministic vector byte
// for byte, tampering of every part of both messages, turn errors, and live runs against
// Node's noise-wrap.js (tests/interop/connect_vectors.js) in both roles.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "net/connect/messages.hpp"
#include "net/connect/noise_ik.hpp"
#include "net/stream/secret_stream.hpp"
#include "tests/net/stream_test_util.hpp"
#include "tests/support/expect_errc.hpp"
#include "tests/support/oracle.hpp"

using namespace net::connect;
using hypercore::Bytes;
using hypercore::to_hex;
using net_test::hex;
using net_test::seeded;

namespace {

const char* kIPk = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
const char* kRPk = "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394";
const char* kPayload1 = "011800000100010001";
const char* kPayload2 = "011800000100020001";
const char* kMsg1 =
    "ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1"
    "605c88a9067c5f85bd7499907d5c869548dd90bed5350bb2e7cb47efe61f60bc"
    "315838e49205f95b5a618d7c8c212eebf0ff5de91abd1276e3483e8a41cb3533"
    "5bc02639241673adf8";
const char* kMsg2 =
    "ca93ac1705187071d67b83c7ff0efe8108e8ec4530575d7726879333dbdabe7c"
    "f6c0821970ca1d7d0cf2a87a4b60f13b55c0c22a4cd29e0985";
const char* kHash =
    "735fd797288165ee9859735c67ba92d6380ac9b954d402c8535f15b7755cadb8"
    "609d180cc74976ecc90937a5fb98984b9655bc5ca7c7e55758c9bcc4f52d00a0";
const char* kITx = "cc00d99bd3a15a6779df38fd42fd25a84d73264023e7c1da95cf3bcbdce9c210";
const char* kIRx = "78dd48ecef5d11fd953197694a8ee2d9f8d86d49d56d856e3dd7c8e78047826b";
const char* kHolepunchSecret = "e3d1560595d4dfb6998575679236ec869802f81f85a142b3a327412b42a0f9f4";
const char* kStreamIdI = "6e536e71e86ca039ff41191700eea4160aeb5816bd9df33b3a1273f5884e30f7";
const char* kStreamIdR = "a3e0a96c219f23e26956ea1bce5ff0bcfefc25d4aa26479501ee9dba1ed46ad8";

NoiseIk vector_initiator() { return NoiseIk::initiator(seeded(1), seeded(2).public_key, seeded(3)); }
NoiseIk vector_responder() { return NoiseIk::responder(seeded(2), seeded(4)); }

TEST(NoiseIk, SpecVector) {
  EXPECT_EQ(to_hex(seeded(1).public_key), kIPk);
  EXPECT_EQ(to_hex(seeded(2).public_key), kRPk);
  NoiseIk i = vector_initiator();
  NoiseIk r = vector_responder();
  EXPECT_TRUE(i.wants_write());
  EXPECT_FALSE(r.wants_write());

  auto msg1 = i.write_message(hex(kPayload1));
  ASSERT_TRUE(msg1);
  EXPECT_EQ(msg1->size(), 105u);
  EXPECT_EQ(to_hex(*msg1), kMsg1);

  auto p1 = r.read_message(*msg1);
  ASSERT_TRUE(p1);
  EXPECT_EQ(to_hex(*p1), kPayload1);
  EXPECT_EQ(to_hex(r.remote_public_key()), kIPk);  // known before the server answers

  auto msg2 = r.write_message(hex(kPayload2));
  ASSERT_TRUE(msg2);
  EXPECT_EQ(msg2->size(), 57u);
  EXPECT_EQ(to_hex(*msg2), kMsg2);
  ASSERT_TRUE(r.complete());

  auto p2 = i.read_message(*msg2);
  ASSERT_TRUE(p2);
  EXPECT_EQ(to_hex(*p2), kPayload2);
  ASSERT_TRUE(i.complete());

  const IkOutcome& io = i.outcome();
  const IkOutcome& ro = r.outcome();
  EXPECT_TRUE(io.is_initiator);
  EXPECT_FALSE(ro.is_initiator);
  EXPECT_EQ(to_hex(io.handshake_hash), kHash);
  EXPECT_EQ(to_hex(ro.handshake_hash), kHash);
  EXPECT_EQ(to_hex(io.tx), kITx);
  EXPECT_EQ(to_hex(io.rx), kIRx);
  EXPECT_EQ(to_hex(ro.tx), kIRx);
  EXPECT_EQ(to_hex(ro.rx), kITx);
  EXPECT_EQ(to_hex(io.remote_public_key), kRPk);
  EXPECT_EQ(to_hex(ro.remote_public_key), kIPk);
  EXPECT_EQ(to_hex(io.public_key), kIPk);
  EXPECT_EQ(to_hex(io.holepunch_secret), kHolepunchSecret);
  EXPECT_EQ(to_hex(ro.holepunch_secret), kHolepunchSecret);
  EXPECT_EQ(to_hex(holepunch_secret(io.handshake_hash)), kHolepunchSecret);
  EXPECT_EQ(to_hex(net::secret_stream_id(io.handshake_hash, true)), kStreamIdI);
  EXPECT_EQ(to_hex(net::secret_stream_id(io.handshake_hash, false)), kStreamIdR);

  auto h = secret_stream_handshake(io);
  EXPECT_EQ(h.tx, io.tx);
  EXPECT_EQ(h.rx, io.rx);
  EXPECT_EQ(h.hash, io.handshake_hash);
  EXPECT_EQ(h.public_key, io.public_key);
  EXPECT_EQ(h.remote_public_key, io.remote_public_key);

  // The payloads are the spec's Noise payloads (udx id 1 / 2, secretStream).
  auto d1 = decode_noise_payload(*p1);
  ASSERT_TRUE(d1);
  ASSERT_TRUE(d1->udx);
  EXPECT_EQ(d1->udx->id, 1u);
  EXPECT_TRUE(d1->secret_stream);
}

TEST(NoiseIk, RandomKeysAgreeAndPayloadsCanBeEmptyOrLarge) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, size_t{65535 - 96}}) {
    auto server = hypercore::KeyPair::random();
    NoiseIk i = NoiseIk::initiator(hypercore::KeyPair::random(), server.public_key);
    NoiseIk r = NoiseIk::responder(server);
    Bytes payload(size, 0x5a);
    auto m1 = i.write_message(payload);
    ASSERT_TRUE(m1) << size;
    auto p1 = r.read_message(*m1);
    ASSERT_TRUE(p1) << size;
    EXPECT_EQ(*p1, payload);
    auto m2 = r.write_message({});
    ASSERT_TRUE(m2);
    auto p2 = i.read_message(*m2);
    ASSERT_TRUE(p2);
    EXPECT_TRUE(p2->empty());
    EXPECT_EQ(i.outcome().tx, r.outcome().rx);
    EXPECT_EQ(i.outcome().rx, r.outcome().tx);
    EXPECT_EQ(i.outcome().handshake_hash, r.outcome().handshake_hash);
  }
  NoiseIk i = NoiseIk::initiator(seeded(1), seeded(2).public_key);
  EXPECT_ERRC(i.write_message(Bytes(65535 - 95)), ConnectErrc::handshake_failed);
}

TEST(NoiseIk, EveryTamperedByteOfMsg1FailsAtTheResponder) {
  Bytes msg1 = hex(kMsg1);
  for (size_t at = 0; at < msg1.size(); at++) {
    Bytes bad = msg1;
    bad[at] ^= 0x01;
    NoiseIk r = vector_responder();
    auto p = r.read_message(bad);
    EXPECT_ERRC(p, ConnectErrc::handshake_failed) << "byte " << at;
    EXPECT_TRUE(r.failed());
    EXPECT_ERRC(r.write_message({}), ConnectErrc::handshake_failed);
  }
}

TEST(NoiseIk, EveryTamperedByteOfMsg2FailsAtTheInitiator) {
  Bytes msg2 = hex(kMsg2);
  for (size_t at = 0; at < msg2.size(); at++) {
    Bytes bad = msg2;
    bad[at] ^= 0x80;
    NoiseIk i = vector_initiator();
    ASSERT_TRUE(i.write_message(hex(kPayload1)));
    EXPECT_ERRC(i.read_message(bad), ConnectErrc::handshake_failed) << "byte " << at;
    EXPECT_TRUE(i.failed());
    EXPECT_FALSE(i.complete());
  }
}

TEST(NoiseIk, TruncationsAndWrongKeysFail) {
  Bytes msg1 = hex(kMsg1);
  for (size_t n = 0; n < msg1.size(); n++) {
    NoiseIk r = vector_responder();
    EXPECT_ERRC(r.read_message(hypercore::ByteSpan(msg1).first(n)), ConnectErrc::handshake_failed) << n;
  }
  Bytes msg2 = hex(kMsg2);
  for (size_t n = 0; n < msg2.size(); n++) {
    NoiseIk i = vector_initiator();
    ASSERT_TRUE(i.write_message(hex(kPayload1)));
    EXPECT_ERRC(i.read_message(hypercore::ByteSpan(msg2).first(n)), ConnectErrc::handshake_failed) << n;
  }
  // msg1 meant for another server key: the `es` DH differs, so s fails authentication.
  NoiseIk other = NoiseIk::responder(seeded(9));
  EXPECT_ERRC_MSG(other.read_message(msg1), ConnectErrc::handshake_failed, "static key");
  // An all-zero (small-order) ephemeral key is refused, not used.
  Bytes zero_e = msg1;
  std::fill(zero_e.begin(), zero_e.begin() + 32, 0);
  NoiseIk r = vector_responder();
  EXPECT_ERRC_MSG(r.read_message(zero_e), ConnectErrc::handshake_failed, "unusable");
  // A small-order server key given to the initiator.
  NoiseIk bad = NoiseIk::initiator(seeded(1), hypercore::PublicKey{});
  EXPECT_ERRC(bad.write_message({}), ConnectErrc::handshake_failed);
  // Oversized message.
  NoiseIk big = vector_responder();
  EXPECT_ERRC(big.read_message(Bytes(65536)), ConnectErrc::handshake_failed);
}

TEST(NoiseIk, TurnsAreEnforced) {
  NoiseIk i = vector_initiator();
  EXPECT_ERRC(i.read_message(hex(kMsg2)), ConnectErrc::out_of_turn);
  EXPECT_FALSE(i.failed());
  NoiseIk r = vector_responder();
  EXPECT_ERRC(r.write_message({}), ConnectErrc::out_of_turn);
  auto m1 = i.write_message(hex(kPayload1));
  ASSERT_TRUE(m1);
  EXPECT_ERRC(i.write_message({}), ConnectErrc::out_of_turn);
  ASSERT_TRUE(r.read_message(*m1));
  EXPECT_ERRC(r.read_message(*m1), ConnectErrc::out_of_turn);
  ASSERT_TRUE(r.write_message({}));
  EXPECT_ERRC(r.write_message({}), ConnectErrc::out_of_turn);
  EXPECT_ERRC(r.read_message(*m1), ConnectErrc::out_of_turn);
}

// "name hex" / "name json" lines.
std::map<std::string, std::string> parse_lines(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto sp = line.find(' ');
    if (sp != std::string::npos) out[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return out;
}

TEST(NoiseIkInterop, NodeVectorMatchesTheSpec) {
  auto out = bee_test::run_node(bee_test::interop_script("connect_vectors.js"), {"vectors"});
  ASSERT_TRUE(out) << out.error().message;
  auto v = parse_lines(*out);
  EXPECT_EQ(v["ik.msg1"], kMsg1);
  EXPECT_EQ(v["ik.msg2"], kMsg2);
  EXPECT_EQ(v["ik.hash"], kHash);
  EXPECT_EQ(v["ik.i.tx"], kITx);
  EXPECT_EQ(v["ik.i.rx"], kIRx);
  EXPECT_EQ(v["ik.holepunchSecret"], kHolepunchSecret);
  EXPECT_EQ(v["ik.streamId.initiator"], kStreamIdI);
  EXPECT_EQ(v["ik.streamId.responder"], kStreamIdR);
}

// Our initiator (random ephemeral) against Node's responder.
TEST(NoiseIkInterop, OurInitiatorNodeResponder) {
  NoiseIk i = NoiseIk::initiator(seeded(1), seeded(2).public_key);
  auto m1 = i.write_message(hex(kPayload1));
  ASSERT_TRUE(m1);
  auto out = bee_test::run_node(bee_test::interop_script("connect_vectors.js"), {"respond", to_hex(*m1)});
  ASSERT_TRUE(out) << out.error().message;
  auto v = parse_lines(*out);
  EXPECT_NE(v["payload"].find("\"udx\":{\"version\":1,\"reusableSocket\":false,\"id\":1,\"seq\":0}"),
            std::string::npos)
      << v["payload"];
  auto p2 = i.read_message(hex(v["msg2"]));
  ASSERT_TRUE(p2) << p2.error().message;
  EXPECT_EQ(to_hex(*p2), kPayload2);
  EXPECT_EQ(to_hex(i.outcome().handshake_hash), v["hash"]);
  EXPECT_EQ(to_hex(i.outcome().tx), v["rx"]);
  EXPECT_EQ(to_hex(i.outcome().rx), v["tx"]);
  EXPECT_EQ(v["remotePublicKey"], kIPk);
}

// Node's initiator (ephemeral seed 32x05) against our responder (random ephemeral).
TEST(NoiseIkInterop, NodeInitiatorOurResponder) {
  auto script = bee_test::interop_script("connect_vectors.js");
  auto first = bee_test::run_node(script, {"initiate", kRPk});
  ASSERT_TRUE(first) << first.error().message;
  Bytes m1 = hex(parse_lines(*first)["msg1"]);
  NoiseIk r = NoiseIk::responder(seeded(2));
  auto p1 = r.read_message(m1);
  ASSERT_TRUE(p1) << p1.error().message;
  EXPECT_EQ(to_hex(*p1), kPayload1);
  EXPECT_EQ(to_hex(r.remote_public_key()), kIPk);
  auto m2 = r.write_message(hex(kPayload2));
  ASSERT_TRUE(m2);
  auto second = bee_test::run_node(script, {"initiate", kRPk, to_hex(*m2)});
  ASSERT_TRUE(second) << second.error().message;
  auto v = parse_lines(*second);
  EXPECT_EQ(v["msg1"], to_hex(m1));  // same seeds, same first message
  EXPECT_EQ(v["hash"], to_hex(r.outcome().handshake_hash));
  EXPECT_EQ(v["tx"], to_hex(r.outcome().rx));
  EXPECT_EQ(v["rx"], to_hex(r.outcome().tx));
}

}  // namespace
