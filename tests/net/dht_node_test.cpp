// DhtNode request handling against the spec's worked bytes and rules (../shared/spec/dht.md
// §1.2, §1.4, §1.5, §1.7): a captured send function, no sockets, a hand-driven clock.
#include <gtest/gtest.h>

#include "net/dht/dht_node.hpp"

using namespace net::dht;
using hypercore::Bytes;
using hypercore::to_hex;

namespace {

Ipv4Address addr(std::string_view s) { return *Ipv4Address::parse(s); }

struct Sent {
  Socket socket;
  Ipv4Address to;
  Bytes bytes;
};

struct Harness {
  std::vector<Sent> sent;
  DhtNode node;
  explicit Harness(bool persistent = true)
      : node(
            [&] {
              DhtNodeOptions o;
              o.seed = 42;
              if (persistent) {
                o.ephemeral = false;
                o.known_address = addr("127.0.0.1:49738");
              } else {
                o.ephemeral = true;
              }
              return o;
            }(),
            [this](Socket s, const Ipv4Address& to, hypercore::ByteSpan b) {
              sent.push_back({s, to, Bytes(b.begin(), b.end())});
            },
            0) {}
  void deliver(const Request& r, const Ipv4Address& from, Millis now = 0) {
    node.receive(Socket::server, from, encode_request(r), now);
  }
  Response last_response() {
    auto m = decode_message(sent.back().bytes);
    return std::get<Response>(*m);
  }
};

Request internal(uint32_t command, uint16_t tid = 0x1234) {
  Request r;
  r.tid = tid;
  r.to = addr("127.0.0.1:49738");
  r.internal = true;
  r.command = command;
  return r;
}

}  // namespace

TEST(DhtNode, PingReplyIsTheSpecBytes) {
  Harness h;
  h.deliver(internal(0), addr("127.0.0.1:47640"));
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(to_hex(h.sent[0].bytes),
            "130134127f00000118baea50f55683100864aa622153cff29c6f99eea9e753f8e211d6b01e0a8af2ac6c");
  EXPECT_EQ(h.sent[0].to, addr("127.0.0.1:47640"));
}

TEST(DhtNode, EphemeralRepliesWithoutId) {
  Harness h(false);
  h.deliver(internal(0, 7), addr("127.0.0.1:47640"));
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(to_hex(h.sent[0].bytes), "130007007f00000118ba");
}

TEST(DhtNode, PingNatAnswersOnTheRequestedPort) {
  Harness h;
  auto r = internal(1);
  r.value = Bytes{0x39, 0x30};  // 12345
  h.deliver(r, addr("127.0.0.1:47640"));
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.sent[0].to, addr("127.0.0.1:12345"));
  EXPECT_EQ(h.last_response().to, addr("127.0.0.1:12345"));
  r.value = Bytes{0, 0};  // port 0, or a short value: no reply
  h.deliver(r, addr("127.0.0.1:47640"));
  r.value = Bytes{1};
  h.deliver(r, addr("127.0.0.1:47640"));
  EXPECT_EQ(h.sent.size(), 1u);
}

TEST(DhtNode, FindNodeAndUnknownCommands) {
  Harness h;
  // Two peers with valid ids join the table by talking to us.
  for (auto a : {"127.0.0.1:49741", "127.0.0.1:49740"}) {
    auto p = internal(0);
    p.id = node_id(addr(a));
    h.deliver(p, addr(a));
  }
  auto forged = internal(0);
  forged.id = node_id(addr("127.0.0.1:1"));  // not the sender's address: ignored
  h.deliver(forged, addr("127.0.0.1:2"));
  EXPECT_EQ(h.node.table().size(), 2u);

  auto f = internal(2);
  f.target = node_id(addr("127.0.0.1:49741"));
  h.deliver(f, addr("127.0.0.1:47640"));
  auto resp = h.last_response();
  ASSERT_EQ(resp.closer_nodes.size(), 2u);
  EXPECT_EQ(resp.closer_nodes[0], addr("127.0.0.1:49741"));  // ascending XOR distance
  EXPECT_FALSE(resp.token);

  size_t before = h.sent.size();
  h.deliver(internal(2), addr("127.0.0.1:47640"));  // FIND_NODE without target: no reply
  EXPECT_EQ(h.sent.size(), before);

  auto unknown = internal(77, 9);
  unknown.target = f.target;
  h.deliver(unknown, addr("127.0.0.1:47640"));
  resp = h.last_response();
  EXPECT_EQ(resp.error, kUnknownCommand);
  EXPECT_EQ(resp.closer_nodes.size(), 2u);

  auto app = internal(3);  // non-internal command 3 (LOOKUP) with nobody handling it
  app.internal = false;
  h.deliver(app, addr("127.0.0.1:47640"));
  EXPECT_EQ(h.last_response().error, kUnknownCommand);
}

TEST(DhtNode, TokensExpireAfterTwoRotations) {
  Harness h;
  NodeId token{};
  h.node.on_request = [&](const IncomingRequest& req) {
    h.node.reply(req, 0, std::nullopt, true, true);
    return true;
  };
  auto q = internal(3);
  q.internal = false;
  q.target = node_id(addr("1.1.1.1:1"));
  h.deliver(q, addr("127.0.0.1:47640"), 0);
  ASSERT_TRUE(h.last_response().token);
  token = *h.last_response().token;

  q.token = token;
  h.deliver(q, addr("127.0.0.1:5555"), 7000);  // same host, other port, 7 s later: valid
  EXPECT_EQ(h.last_response().error, 0u);
  h.deliver(q, addr("127.0.0.1:5555"), 16000);  // replay after 16 s: error 2 + fresh token
  auto resp = h.last_response();
  EXPECT_EQ(resp.error, kInvalidToken);
  ASSERT_TRUE(resp.token);
  EXPECT_NE(*resp.token, token);
}

TEST(DhtNode, RequestsRetryFourTimesThenFail) {
  Harness h;
  bool failed = false;
  h.node.ping(addr("127.0.0.1:9"), [](const QueryReply&) { FAIL(); }, [&] { failed = true; }, 0);
  for (Millis t = 0; t <= 5000 && !failed; t = h.node.next_wakeup()) h.node.advance(t);
  EXPECT_TRUE(failed);
  size_t pings = 0;
  for (const auto& s : h.sent) pings += s.to == addr("127.0.0.1:9");
  EXPECT_EQ(pings, 4u);  // 1 s × 4 sends, identical bytes
  EXPECT_EQ(h.sent[0].bytes, h.sent[3].bytes);
}

TEST(DhtNode, DownHintPingsAKnownNode) {
  Harness h;
  auto p = internal(0);
  p.id = node_id(addr("127.0.0.1:49741"));
  h.deliver(p, addr("127.0.0.1:49741"), 0);
  h.node.advance(6000);  // next tick, so the node is no longer "pinged this tick"
  size_t before = h.sent.size();
  auto hint = internal(3);
  auto six = addr("127.0.0.1:49741").encode();
  hint.value = Bytes(six.begin(), six.end());
  h.deliver(hint, addr("127.0.0.1:47640"), 6000);
  ASSERT_EQ(h.sent.size(), before + 2);  // the check PING, then the empty reply
  EXPECT_EQ(h.sent[before].to, addr("127.0.0.1:49741"));
  // No answer within 4 s: the node leaves the table.
  for (Millis t = 6000; t <= 12000; t += 250) h.node.advance(t);
  EXPECT_EQ(h.node.table().size(), 0u);
}
