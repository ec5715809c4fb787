// The hyperdht values and signatures (../shared/spec/dht.md §2.2–§2.4, §2.6): the spec's
// worked vectors, hostile bytes, and a byte-for-byte comparison with the reference library
// itself (tests/interop/hyperdht_vectors.js) for several keys and values.
#include <gtest/gtest.h>
#include <simdjson.h>

#include "net/dht/hyperdht_messages.hpp"
#include "tests/support/expect_errc.hpp"
#include "tests/support/oracle.hpp"

using namespace net::dht;
using hypercore::Bytes;
using hypercore::Hash;
using hypercore::to_hex;

namespace {

Hash h(std::string_view hex) { return *hypercore::hash_from_hex(hex); }
Bytes b(std::string_view hex) { return *hypercore::from_hex(hex); }
hypercore::KeyPair key(uint8_t fill) {
  hypercore::Seed s;
  s.fill(fill);
  return hypercore::KeyPair::from_seed(s);
}

const Hash kTopic = h("89ac899673aa461299b0595e876d67a079243e3b7271bf4d79a07f21dd7d9312");
const Hash kNodeId = h("8c86f981c61bc5f7bc76a254238e54877f5a9802ac2afc87f439db8c63ee219c");
const Hash kToken = h("0c25fae2f792c6b97e37c80f6ed8c4968293ea37e68d5fb1b7d39480d1d84e5f");

}  // namespace

TEST(HyperdhtCodec, Namespaces) {
  EXPECT_EQ(to_hex(ns::peer_handshake()), "14d6d4b49214ab1033ed204976caa258bae9e1e8543b9ad1fd996a910b0c4e3a");
  EXPECT_EQ(to_hex(ns::peer_holepunch()), "f1191cd5e67b10b54a507033280ed1ff0e12278268d5679c8f93d417210d168b");
  EXPECT_EQ(to_hex(ns::announce()), "36386adddf9f6fd60db83a6f42fc159d1146aa8644037664230aaa1f0179d497");
  EXPECT_EQ(to_hex(ns::unannounce()), "ded293cd93fb395e756ecf5fff426529e72c36eacc22e5ed944d9099a2561e32");
  EXPECT_EQ(to_hex(ns::mutable_put()), "668e823edd5ce7f5338d68bf1161f4a3c28ce437ee2ab49efd30d99366039b1e");
  EXPECT_EQ(to_hex(hyperdht_namespace(10)), "6b8a2a8623f28c6c02a1e22abe515ce31cafd9af61d4b69970639aa7eb96a8d5");
}

TEST(HyperdhtCodec, Targets) {
  EXPECT_EQ(to_hex(key(1).public_key).substr(0, 8), "8a88e3dd");
  EXPECT_EQ(to_hex(hash_target(key(1).public_key)), "c5e21ab1c9f6022d81c3b25e3436cb7f1df77f9652ae3e1310c28e621dd87b4c");
  auto hello = hash_target(hypercore::as_bytes("hello world"));
  EXPECT_EQ(to_hex(hello).substr(0, 8), "256c83b2");
  EXPECT_EQ(to_hex(hello).substr(58), "eef610");
  EXPECT_EQ(hash_target(hypercore::as_bytes("example topic")), kTopic);
}

TEST(HyperdhtCodec, AnnounceWorkedExample) {
  auto kp = key(7);
  PeerRecord peer{kp.public_key, {*Ipv4Address::parse("127.0.0.1:40000")}};
  EXPECT_EQ(to_hex(encode_peer_record(peer)),
            "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c017f000001409c");
  auto signable = announce_signable(ns::announce(), kTopic, kNodeId, kToken, peer, std::nullopt);
  EXPECT_EQ(to_hex(hypercore::ByteSpan(signable).subspan(32)),
            "c1d76bfa3926b0fe74723f83d8b6cecdaf0290e82a243ece9ad74478391ec7cf");
  AnnounceMessage m;
  m.peer = peer;
  sign_announce(m, ns::announce(), kTopic, kNodeId, kToken, kp);
  const std::string sig =
      "edce508d5ca07f9a2d923679bcc6cada3c226b30253adc898a259a131ca541e8"
      "df281ca65095ca9162789bdc2bdb4c9e83a3ff69279e9dc2f94282c2a2bde10b";
  EXPECT_EQ(to_hex(*m.signature), sig);
  auto wire = encode_announce(m);
  EXPECT_EQ(to_hex(wire), "05" + to_hex(encode_peer_record(peer)) + sig);
  auto back = decode_announce(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->peer, peer);
  EXPECT_TRUE(verify_announce(*back, ns::announce(), kTopic, kNodeId, kToken));
  // Bound to one node, one token, one namespace.
  EXPECT_FALSE(verify_announce(*back, ns::unannounce(), kTopic, kNodeId, kToken));
  EXPECT_FALSE(verify_announce(*back, ns::announce(), kTopic, kToken, kToken));
  back->peer->relay_addresses.clear();
  EXPECT_FALSE(verify_announce(*back, ns::announce(), kTopic, kNodeId, kToken));
}

TEST(HyperdhtCodec, LookupReplyExample) {
  auto r = decode_lookup_reply(b("01fd1724385aa0c75b64fb78cd602fa1d991fdebf76b13c58ed702eac835e9f618017f00000128a000"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->peers.size(), 1u);
  EXPECT_EQ(to_hex(r->peers[0].public_key), "fd1724385aa0c75b64fb78cd602fa1d991fdebf76b13c58ed702eac835e9f618");
  ASSERT_EQ(r->peers[0].relay_addresses.size(), 1u);
  EXPECT_EQ(r->peers[0].relay_addresses[0].to_string(), "127.0.0.1:41000");
  EXPECT_EQ(r->bump, 0u);
  // The bump is optional on decode.
  auto no_bump = decode_lookup_reply(b("01fd1724385aa0c75b64fb78cd602fa1d991fdebf76b13c58ed702eac835e9f618017f00000128a0"));
  ASSERT_TRUE(no_bump);
  EXPECT_EQ(no_bump->bump, 0u);
  EXPECT_EQ(to_hex(encode_lookup_reply({encode_peer_record(r->peers[0])}, 0)),
            "01fd1724385aa0c75b64fb78cd602fa1d991fdebf76b13c58ed702eac835e9f618017f00000128a000");
}

TEST(HyperdhtCodec, MutableExample) {
  auto kp = key(7);
  auto value = hypercore::as_bytes("mutable value");
  auto sig = sign_mutable(5, value, kp);
  MutableRecord rec{5, Bytes(value.begin(), value.end()), sig};
  EXPECT_EQ(to_hex(encode_mutable_record(rec)), "050d6d757461626c652076616c7565" + to_hex(sig));
  EXPECT_TRUE(verify_mutable(sig, 5, value, kp.public_key));
  EXPECT_FALSE(verify_mutable(sig, 6, value, kp.public_key));
  EXPECT_FALSE(verify_mutable(sig, 5, hypercore::as_bytes("mutable valuf"), kp.public_key));
  MutablePut put{kp.public_key, 5, rec.value, sig};
  auto back = decode_mutable_put(encode_mutable_put(put));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->seq, 5u);
  EXPECT_EQ(back->value, rec.value);
  EXPECT_EQ(back->signature, sig);
  EXPECT_EQ(*decode_seq(encode_seq(300)), 300u);
}

TEST(HyperdhtCodec, HostileBytesAreCorrupt) {
  auto kp = key(7);
  AnnounceMessage m;
  m.peer = PeerRecord{kp.public_key, {*Ipv4Address::parse("127.0.0.1:40000")}};
  m.refresh = kToken;
  m.bump = 1234567;
  sign_announce(m, ns::announce(), kTopic, kNodeId, kToken, kp);
  Bytes wire = encode_announce(m);
  ASSERT_TRUE(decode_announce(wire));
  for (size_t n = 0; n < wire.size(); n++) {
    auto r = decode_announce(hypercore::ByteSpan(wire.data(), n));
    ASSERT_ERRC(r, hypercore::errc::corrupt) << n;
  }
  // A relay count claiming far more than the bytes hold fails before allocating.
  auto huge = decode_peer_record(b(to_hex(kp.public_key) + "fe00001000"));
  ASSERT_ERRC(huge, hypercore::errc::corrupt);
  EXPECT_FALSE(decode_lookup_reply(b("feffffff00")));
  EXPECT_FALSE(decode_lookup_reply(b("05")));
  Bytes put = encode_mutable_put(MutablePut{kp.public_key, 1, {1, 2, 3}, {}});
  for (size_t n = 0; n < put.size(); n++) EXPECT_FALSE(decode_mutable_put(hypercore::ByteSpan(put.data(), n))) << n;
  Bytes rec = encode_mutable_record(MutableRecord{1, {1, 2, 3}, {}});
  for (size_t n = 0; n < rec.size(); n++) EXPECT_FALSE(decode_mutable_record(hypercore::ByteSpan(rec.data(), n)));
  EXPECT_FALSE(decode_seq({}));
}

// Our bytes against the reference library's for several keys, values and optional fields.
TEST(HyperdhtCodec, ByteIdenticalWithReference) {
  struct Case {
    uint8_t seed;
    std::vector<std::string> relays;
    std::optional<Hash> refresh;
    uint64_t bump;
    uint64_t seq;
    std::string value;
  };
  std::vector<Case> cases = {
      {7, {"127.0.0.1:40000"}, std::nullopt, 0, 5, "mutable value"},
      {1, {}, std::nullopt, 0, 0, "x"},
      {0x42, {"10.0.0.1:1", "192.168.1.20:65535", "8.8.8.8:53"}, kNodeId, 1700000000123ull, 300, std::string(900, 'v')},
      {0xfe, {"1.2.3.4:5"}, std::nullopt, 253, 0xfffffffffull, std::string("\0\1\2", 3)},
  };
  for (const auto& c : cases) {
    auto kp = key(c.seed);
    std::string relays_json;
    for (const auto& r : c.relays) relays_json += (relays_json.empty() ? "\"" : ",\"") + r + "\"";
    std::string in = "{\"seed\":\"" + to_hex(Bytes(32, c.seed)) +
                     "\",\"target\":\"" + to_hex(kTopic) + "\",\"nodeId\":\"" + to_hex(kNodeId) + "\",\"token\":\"" +
                     to_hex(kToken) + "\",\"relays\":[" + relays_json + "]" +
                     (c.refresh ? ",\"refresh\":\"" + to_hex(*c.refresh) + "\"" : std::string()) +
                     ",\"bump\":" + std::to_string(c.bump) + ",\"seq\":" + std::to_string(c.seq) + ",\"value\":\"" +
                     to_hex(hypercore::as_bytes(c.value)) + "\"}";
    auto out = bee_test::run_node(bee_test::interop_script("hyperdht_vectors.js"), {}, in);
    ASSERT_TRUE(out) << out.error().to_string();
    simdjson::dom::parser parser;
    simdjson::dom::element j;
    ASSERT_EQ(parser.parse(*out).get(j), simdjson::SUCCESS) << *out;
    auto str = [&](simdjson::dom::element e) { return std::string(std::string_view(e.get_string().value())); };

    PeerRecord peer{kp.public_key, {}};
    for (const auto& r : c.relays) peer.relay_addresses.push_back(*Ipv4Address::parse(r));
    AnnounceMessage ann;
    ann.peer = peer;
    ann.refresh = c.refresh;
    ann.bump = c.bump;
    sign_announce(ann, ns::announce(), kTopic, kNodeId, kToken, kp);
    AnnounceMessage unann;
    unann.peer = PeerRecord{kp.public_key, {}};
    sign_announce(unann, ns::unannounce(), kTopic, kNodeId, kToken, kp);
    auto value = hypercore::as_bytes(c.value);
    auto sig = sign_mutable(c.seq, value, kp);
    Bytes record = encode_peer_record(peer);

    SCOPED_TRACE("seed " + std::to_string(c.seed));
    EXPECT_EQ(str(j["publicKey"]), to_hex(kp.public_key));
    EXPECT_EQ(str(j["targetOfKey"]), to_hex(hash_target(kp.public_key)));
    EXPECT_EQ(str(j["immutableTarget"]), to_hex(hash_target(value)));
    EXPECT_EQ(str(j["ns"]["announce"]), to_hex(ns::announce()));
    EXPECT_EQ(str(j["peerRecord"]), to_hex(record));
    EXPECT_EQ(str(j["announce"]), to_hex(encode_announce(ann)));
    EXPECT_EQ(str(j["unannounce"]), to_hex(encode_announce(unann)));
    EXPECT_EQ(str(j["lookupReply"]), to_hex(encode_lookup_reply({record, record}, c.bump)));
    EXPECT_EQ(str(j["mutableSignature"]), to_hex(sig));
    EXPECT_EQ(str(j["mutablePut"]), to_hex(encode_mutable_put(MutablePut{kp.public_key, c.seq, Bytes(value.begin(), value.end()), sig})));
    EXPECT_EQ(str(j["mutableGetResponse"]), to_hex(encode_mutable_record(MutableRecord{c.seq, Bytes(value.begin(), value.end()), sig})));
    EXPECT_EQ(str(j["seq"]), to_hex(encode_seq(c.seq)));
    // And the reference's bytes decode to the same values.
    auto theirs = decode_announce(b(str(j["announce"])));
    ASSERT_TRUE(theirs);
    EXPECT_TRUE(verify_announce(*theirs, ns::announce(), kTopic, kNodeId, kToken));
    EXPECT_EQ(theirs->bump, c.bump);
  }
}
