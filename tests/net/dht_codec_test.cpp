// Golden bytes of the dht-rpc codec (../shared/spec/dht.md §1.2, §1.3) and hostile input.
#include <gtest/gtest.h>

#include "hypercore/bytes.hpp"
#include "net/dht/dht_node.hpp"
#include "net/dht/messages.hpp"
#include "net/dht/nat_sampler.hpp"
#include "net/dht/routing_table.hpp"
#include "net/dht/tokens.hpp"
#include "tests/support/expect_errc.hpp"

using namespace net::dht;
using hypercore::Bytes;
using hypercore::to_hex;

namespace {

Bytes hex(std::string_view h) { return *hypercore::from_hex(h); }
Ipv4Address addr(std::string_view s) { return *Ipv4Address::parse(s); }
const char* kId49738 = "ea50f55683100864aa622153cff29c6f99eea9e753f8e211d6b01e0a8af2ac6c";

}  // namespace

TEST(DhtIds, SpecVectors) {
  EXPECT_EQ(to_hex(node_id(addr("127.0.0.1:49737"))), "d1dcf835b0d62b9230c41393cb96a34f5f8b9f814f421ca3382dfc1678022e0e");
  EXPECT_EQ(to_hex(node_id(addr("127.0.0.1:49738"))), kId49738);
  EXPECT_EQ(to_hex(node_id(addr("88.99.3.86:49737"))), "54d4b9c6441048061f80cf69564cee46a5730adfcd59fbe6c056bb49af771546");
  EXPECT_EQ(addr("88.99.3.86@node1.hyperdht.org:49737"), addr("88.99.3.86:49737"));
  EXPECT_FALSE(Ipv4Address::parse("1.2.3:4"));
  EXPECT_FALSE(Ipv4Address::parse("1.2.3.256:4"));
  EXPECT_FALSE(Ipv4Address::parse("1.2.3.4:65536"));
  EXPECT_EQ(to_hex(addr("127.0.0.1:49737").encode()), "7f00000149c2");
}

TEST(DhtCodec, PingRequestGolden) {
  Request r;
  r.tid = 0x1234;
  r.to = addr("127.0.0.1:49738");
  r.internal = true;
  r.command = 0;
  EXPECT_EQ(to_hex(encode_request(r)), "030434127f0000014ac200");
  auto m = decode_message(hex("030434127f0000014ac200"));
  ASSERT_TRUE(m);
  auto& d = std::get<Request>(*m);
  EXPECT_EQ(d.tid, 0x1234);
  EXPECT_TRUE(d.internal);
  EXPECT_EQ(d.to, r.to);
  EXPECT_FALSE(d.id || d.token || d.target || d.value);
}

TEST(DhtCodec, PingResponseGolden) {
  Response r;
  r.tid = 0x1234;
  r.to = addr("127.0.0.1:47640");
  r.id = node_id(addr("127.0.0.1:49738"));
  std::string want = std::string("130134127f00000118ba") + kId49738;
  EXPECT_EQ(to_hex(encode_response(r)), want);
  auto m = decode_message(hex(want));
  ASSERT_TRUE(m);
  EXPECT_EQ(std::get<Response>(*m).id, r.id);
  r.id.reset();
  r.tid = 7;
  EXPECT_EQ(to_hex(encode_response(r)), "130007007f00000118ba");  // to an ephemeral node's view
}

TEST(DhtCodec, FindNodeGolden) {
  Request q;
  q.tid = 8;
  q.to = addr("127.0.0.1:49738");
  q.internal = true;
  q.command = 2;
  NodeId target;
  target.fill(0xab);
  q.target = target;
  std::string abs;
  for (int i = 0; i < 32; i++) abs += "ab";
  EXPECT_EQ(to_hex(encode_request(q)), "030c08007f0000014ac202" + abs);
  Response r;
  r.tid = 8;
  r.to = addr("127.0.0.1:47640");
  r.id = node_id(addr("127.0.0.1:49738"));
  r.closer_nodes = {addr("127.0.0.1:49741"), addr("127.0.0.1:49740"), addr("127.0.0.1:34869"), addr("127.0.0.1:49739")};
  std::string want = std::string("130508007f00000118ba") + kId49738 +
                     "047f0000014dc27f0000014cc27f00000135887f0000014bc2";
  EXPECT_EQ(to_hex(encode_response(r)), want);
  auto m = decode_message(hex(want));
  ASSERT_TRUE(m);
  EXPECT_EQ(std::get<Response>(*m).closer_nodes, r.closer_nodes);
  r.tid = 9;
  r.error = kUnknownCommand;
  EXPECT_EQ(to_hex(encode_response(r)), std::string("130d09007f00000118ba") + kId49738 +
                                            "047f0000014dc27f0000014cc27f00000135887f0000014bc201");
}

TEST(DhtCodec, RoundTripAllFields) {
  Request q;
  q.tid = 0xffff;
  q.to = addr("10.1.2.3:65535");
  q.id = node_id(q.to);
  q.token = node_id(addr("1.1.1.1:1"));
  q.command = 300;
  q.target = node_id(addr("2.2.2.2:2"));
  q.value = Bytes(300, 7);
  auto m = decode_message(encode_request(q));
  ASSERT_TRUE(m);
  auto& d = std::get<Request>(*m);
  EXPECT_EQ(d.id, q.id);
  EXPECT_EQ(d.token, q.token);
  EXPECT_EQ(d.command, 300u);
  EXPECT_EQ(d.target, q.target);
  EXPECT_EQ(d.value, q.value);
  EXPECT_FALSE(d.internal);
}

TEST(DhtCodec, HostileInputIsCorrupt) {
  for (std::string_view bad : {"", "03", "1300", "0304341", "030434127f0000014ac2", "05000000000000000000",
                               "130434127f0000014ac2ff", "13040000000000000000fe"}) {
    auto m = decode_message(hex(bad.size() % 2 ? std::string(bad) + "0" : std::string(bad)));
    EXPECT_ERRC(m, hypercore::errc::corrupt) << bad;
  }
  // A closerNodes count far beyond the datagram must fail without allocating.
  auto huge = hex("130400007f00000118bafeffffff00");
  EXPECT_FALSE(decode_message(huge));
  // Every truncation of a full response fails cleanly.
  Response r;
  r.id = node_id(addr("127.0.0.1:1"));
  r.token = r.id;
  r.closer_nodes = {addr("127.0.0.1:2")};
  r.error = 5;
  r.value = Bytes{1, 2, 3};
  auto full = encode_response(r);
  for (size_t n = 0; n < full.size(); n++) EXPECT_FALSE(decode_message({full.data(), n})) << n;
}

TEST(DhtTokens, ValidForTwoRotations) {
  std::array<uint8_t, 64> seed{};
  seed[0] = 1;
  TokenStore t(seed);
  auto a = addr("127.0.0.1:1000");
  auto tok = t.token(a);
  EXPECT_TRUE(t.verify(addr("127.0.0.1:2000"), tok));  // the port is not part of it
  EXPECT_FALSE(t.verify(addr("127.0.0.2:1000"), tok));
  t.rotate();
  EXPECT_TRUE(t.verify(a, tok));
  t.rotate();
  EXPECT_FALSE(t.verify(a, tok));
}

TEST(DhtRoutingTable, ClosestIsTrueXorOrder) {
  NodeId self = node_id(addr("10.0.0.1:1"));
  RoutingTable table(self);
  std::vector<NodeId> all;
  for (int i = 0; i < 3000; i++) {
    TableNode n;
    n.address = Ipv4Address{{10, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 7}, 1};
    n.id = node_id(n.address);
    if (table.add(n) == RoutingTable::AddResult::added) all.push_back(n.id);
  }
  EXPECT_LE(table.size(), 256u * kK);
  EXPECT_EQ(table.add(TableNode{self, {}, {}, 0, 0, 0, 0, 0, 0}), RoutingTable::AddResult::self);
  for (int t = 0; t < 50; t++) {
    NodeId target = node_id(addr("192.168.0.1:" + std::to_string(t + 1)));
    if (t == 0) target = self;
    auto got = table.closest(target, kK);
    auto want = all;
    std::sort(want.begin(), want.end(), [&](auto& a, auto& b) { return compare_distance(target, a, b) < 0; });
    ASSERT_EQ(got.size(), kK);
    for (size_t i = 0; i < kK; i++) EXPECT_EQ(got[i]->id, want[i]) << t << " " << i;
  }
  EXPECT_TRUE(table.remove(all[0]));
  EXPECT_FALSE(table.get(all[0]));
}

TEST(DhtNatSampler, ThresholdsLikeTheReference) {
  NatSampler s;
  s.add(addr("1.2.3.4:100"));
  EXPECT_EQ(s.host(), addr("1.2.3.4:0").host);
  EXPECT_EQ(s.port(), 100);
  s.add(addr("1.2.3.4:101"));  // ports disagree: only the host is stable
  EXPECT_TRUE(s.host());
  EXPECT_EQ(s.port(), 0);
  for (int i = 0; i < 40; i++) s.add(addr("5.6.7.8:9"));
  EXPECT_EQ(s.host(), addr("5.6.7.8:0").host);
  EXPECT_EQ(s.port(), 9);
}
