// The secret stream keyed by a finished Noise IK handshake (SecretStreamOptions::handshake,
// ../shared/spec/dht.md §3.7), ours against ours: the 59-byte id + header frame carrying
// the spec vector's stream id, messages both ways, HandshakeDone on the first feed, and the
// failures a wrong role, hash or key produce. Node's secret-stream in this mode is in
// tests/net/secret_stream_interop_test.cpp.
#include <gtest/gtest.h>

#include "net/connect/noise_ik.hpp"
#include "net/replication/peer_session.hpp"
#include "net/stream/secret_stream.hpp"
#include "tests/net/stream_test_util.hpp"
#include "tests/support/expect_errc.hpp"

using namespace net;
using net::connect::IkOutcome;
using net::connect::NoiseIk;
using hypercore::Bytes;
using hypercore::to_hex;
using net_test::hex;
using net_test::seeded;

namespace {

const char* kStreamIdI = "6e536e71e86ca039ff41191700eea4160aeb5816bd9df33b3a1273f5884e30f7";
const char* kStreamIdR = "a3e0a96c219f23e26956ea1bce5ff0bcfefc25d4aa26479501ee9dba1ed46ad8";

// The spec vector's handshake (§3.3): seeds 01/02, ephemerals 03/04.
std::pair<IkOutcome, IkOutcome> vector_outcomes() {
  NoiseIk i = NoiseIk::initiator(seeded(1), seeded(2).public_key, seeded(3));
  NoiseIk r = NoiseIk::responder(seeded(2), seeded(4));
  auto m1 = i.write_message(hex("011800000100010001"));
  EXPECT_TRUE(m1 && r.read_message(*m1));
  auto m2 = r.write_message(hex("011800000100020001"));
  EXPECT_TRUE(m2 && i.read_message(*m2));
  return {i.outcome(), r.outcome()};
}

SecretStreamOptions keyed(const IkOutcome& o) {
  SecretStreamOptions options;
  options.handshake = net::connect::secret_stream_handshake(o);
  return options;
}

TEST(KeyedSecretStream, HeaderFrameCarriesTheRoleStreamId) {
  auto [io, ro] = vector_outcomes();
  SecretStream client(true, keyed(io));
  SecretStream server(false, keyed(ro));
  Bytes c = client.take_output();
  Bytes s = server.take_output();
  ASSERT_EQ(c.size(), 59u);
  ASSERT_EQ(s.size(), 59u);
  EXPECT_EQ(to_hex(hypercore::ByteSpan(c).first(3)), "380000");  // u24 LE 56
  EXPECT_EQ(to_hex(hypercore::ByteSpan(c).subspan(3, 32)), kStreamIdI);
  EXPECT_EQ(to_hex(hypercore::ByteSpan(s).subspan(3, 32)), kStreamIdR);
  EXPECT_EQ(to_hex(client.handshake_hash()), to_hex(io.handshake_hash));
  EXPECT_EQ(client.public_key(), seeded(1).public_key);
  EXPECT_EQ(client.remote_public_key(), seeded(2).public_key);
  // Not reported as complete until the first feed() hands out HandshakeDone.
  EXPECT_FALSE(client.handshake_complete());
  EXPECT_FALSE(client.is_open());
}

TEST(KeyedSecretStream, MessagesFlowBothWaysAndSendWorksAtOnce) {
  auto [io, ro] = vector_outcomes();
  SecretStream client(true, keyed(io));
  SecretStream server(false, keyed(ro));
  ASSERT_TRUE(client.send(hypercore::as_bytes("early")));  // before anything arrived
  ASSERT_TRUE(client.send({}));                          // keepalive
  Bytes c = client.take_output();
  EXPECT_EQ(c.size(), 59u + 3 + 5 + 17 + 3 + 17);  // header + "early" (25) + keepalive (20)

  auto se = server.feed(c);
  const HandshakeDone* done = net_test::handshake_of(se);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->remote_public_key, seeded(1).public_key);
  EXPECT_EQ(done->handshake_hash, io.handshake_hash);
  EXPECT_TRUE(std::holds_alternative<HandshakeDone>(se.front()));  // first
  auto got = net_test::messages(se);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], Bytes(hypercore::as_bytes("early").begin(), hypercore::as_bytes("early").end()));
  EXPECT_TRUE(server.handshake_complete());
  EXPECT_TRUE(server.is_open());

  ASSERT_TRUE(server.send(hypercore::as_bytes("reply")));
  Bytes s = server.take_output();
  auto ce = client.feed(hypercore::ByteSpan(s).first(10));  // split anywhere
  EXPECT_NE(net_test::handshake_of(ce), nullptr);
  auto ce2 = client.feed(hypercore::ByteSpan(s).subspan(10));
  EXPECT_EQ(net_test::handshake_of(ce2), nullptr);  // once only
  ASSERT_EQ(net_test::messages(ce2).size(), 1u);
  EXPECT_EQ(net_test::messages(ce2)[0].size(), 5u);
  // An empty feed still reports the handshake (an owner may call it with nothing yet).
  SecretStream fresh(true, keyed(io));
  EXPECT_NE(net_test::handshake_of(fresh.feed({})), nullptr);
  EXPECT_TRUE(fresh.handshake_complete());
}

TEST(KeyedSecretStream, WrongRoleHashOrKeyFails) {
  auto [io, ro] = vector_outcomes();
  {  // both think they are the initiator: each sees its own id where the peer's should be
    SecretStream a(true, keyed(io));
    SecretStream b(true, keyed(ro));
    auto ev = b.feed(a.take_output());
    ASSERT_NE(net_test::failure_of(ev), nullptr);
    EXPECT_EQ(net_test::failure_of(ev)->code, StreamErrc::invalid_stream_id);
  }
  {  // another handshake's hash
    IkOutcome other = ro;
    other.handshake_hash[0] ^= 1;
    SecretStream a(true, keyed(io));
    SecretStream b(false, keyed(other));
    auto ev = b.feed(a.take_output());
    ASSERT_NE(net_test::failure_of(ev), nullptr);
    EXPECT_EQ(net_test::failure_of(ev)->code, StreamErrc::invalid_stream_id);
  }
  {  // right ids, wrong receive key
    IkOutcome other = ro;
    other.rx[0] ^= 1;
    SecretStream a(true, keyed(io));
    SecretStream b(false, keyed(other));
    ASSERT_TRUE(a.send(hypercore::as_bytes("x")));
    auto ev = b.feed(a.take_output());
    ASSERT_NE(net_test::failure_of(ev), nullptr);
    EXPECT_EQ(net_test::failure_of(ev)->code, StreamErrc::decryption_failed);
  }
  {  // a short header frame
    SecretStream b(false, keyed(ro));
    auto ev = b.feed(net_test::framed(Bytes(55)));
    ASSERT_NE(net_test::failure_of(ev), nullptr);
    EXPECT_EQ(net_test::failure_of(ev)->code, StreamErrc::invalid_header);
  }
}

TEST(KeyedSecretStream, PeerSessionPassesTheHandshakeThrough) {
  auto [io, ro] = vector_outcomes();
  PeerSessionOptions co, so;
  co.stream = keyed(io);
  so.stream = keyed(ro);
  PeerSession client(NoiseRole::initiator, co);
  PeerSession server(NoiseRole::responder, so);
  Bytes c = client.take_output();
  Bytes s = server.take_output();
  ASSERT_GE(c.size(), 59u);
  EXPECT_EQ(to_hex(hypercore::ByteSpan(c).subspan(3, 32)), kStreamIdI);
  EXPECT_EQ(to_hex(hypercore::ByteSpan(s).subspan(3, 32)), kStreamIdR);
  auto now = std::chrono::steady_clock::now();
  server.feed(c, now);
  client.feed(s, now);
  EXPECT_FALSE(client.failed());
  EXPECT_FALSE(server.failed());
  EXPECT_TRUE(client.handshake_complete());
  EXPECT_EQ(client.remote_public_key(), std::optional(seeded(2).public_key));
  bool connected = false;
  for (const auto& e : server.take_events()) connected |= e.event.kind == ReplicatorEvent::Kind::connected;
  EXPECT_TRUE(connected);
}

}  // namespace
