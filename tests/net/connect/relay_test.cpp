// PEER_HANDSHAKE / PEER_HOLEPUNCH at DHT nodes (net/dht/hyperdht_relay.cpp, router.js):
// DhtNodes wired by hand over an in-memory datagram queue. A server self-announces to a
// relay, a client runs a real Noise IK handshake through it (one relay, two relays via a
// relayAddress hint, and direct), then a holepunch round trip with sealed payloads; plus
// the no-route answer and the drops. Every leg must reuse the client's tid, or the
// client's request would never complete.
#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "net/connect/holepunch_payload.hpp"
#include "net/connect/messages.hpp"
#include "net/connect/noise_ik.hpp"
#include "net/dht/hyperdht.hpp"
#include "tests/net/stream_test_util.hpp"

using namespace net::dht;
using namespace net::connect;
using hypercore::Bytes;
using net_test::seeded;

namespace {

Ipv4Address addr(const char* s) { return *Ipv4Address::parse(s); }

struct Datagram {
  Ipv4Address from;
  Ipv4Address to;
  Bytes bytes;
};

// Nodes with a server socket at `address` and a client socket at port + 1.
class Net {
 public:
  struct Peer {
    Ipv4Address address;
    std::unique_ptr<DhtNode> node;
    std::unique_ptr<HyperDht> dht;
  };

  Peer& add(const char* address, bool persistent) {
    auto p = std::make_unique<Peer>();
    p->address = addr(address);
    DhtNodeOptions o;
    o.seed = peers_.size() + 1;
    o.server_port = p->address.port;
    if (persistent) {
      o.ephemeral = false;
      o.known_address = p->address;
      o.firewalled = false;
    } else {
      o.ephemeral = true;
    }
    Peer* raw = p.get();
    p->node = std::make_unique<DhtNode>(
        o,
        [this, raw](Socket s, const Ipv4Address& to, hypercore::ByteSpan b) {
          Ipv4Address from = raw->address;
          if (s == Socket::client) from.port++;
          queue_.push_back({from, to, Bytes(b.begin(), b.end())});
        },
        now_);
    p->dht = std::make_unique<HyperDht>(*p->node);
    peers_.push_back(std::move(p));
    return *peers_.back();
  }

  // Delivers everything (and what that causes); datagrams to unknown addresses vanish.
  size_t pump() {
    size_t n = 0;
    while (!queue_.empty() && n < 10000) {
      Datagram d = std::move(queue_.front());
      queue_.pop_front();
      n++;
      log_.push_back(d);
      for (auto& p : peers_) {
        if (p->address.host != d.to.host) continue;
        if (p->address.port == d.to.port) p->node->receive(Socket::server, d.from, d.bytes, now_);
        if (p->address.port + 1 == d.to.port) p->node->receive(Socket::client, d.from, d.bytes, now_);
      }
    }
    return n;
  }

  const std::vector<Datagram>& log() const { return log_; }
  void clear_log() { log_.clear(); }

 private:
  Millis now_ = 1000;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::deque<Datagram> queue_;
  std::vector<Datagram> log_;
};

// A server for one key on a HyperDht: answers Noise IK handshakes and holepunches.
struct TestServer {
  hypercore::KeyPair key = seeded(2);
  HyperDht* dht = nullptr;
  std::vector<ServerHandshake> seen;
  std::optional<IkOutcome> outcome;
  std::vector<HolepunchPayload> punches;

  void attach(HyperDht& d) {
    dht = &d;
    ConnectServer s;
    s.on_handshake = [this](const ServerHandshake& h) {
      seen.push_back(h);
      NoiseIk ik = NoiseIk::responder(key);
      auto p = ik.read_message(h.message.noise);
      if (!p) return;
      NoisePayload reply;
      reply.udx = UdxInfo{1, false, 7, 0};
      reply.secret_stream = SecretStreamInfo{};
      auto m2 = ik.write_message(encode_noise_payload(reply));
      if (!m2) return;
      outcome = ik.outcome();
      dht->reply_handshake(h, *m2);
    };
    s.on_holepunch = [this](const ServerHolepunch& h) {
      if (!outcome) return;
      SecurePayload box(outcome->holepunch_secret);
      auto p = box.decrypt(h.message.payload);
      if (!p) return;
      punches.push_back(*p);
      HolepunchPayload answer;
      answer.firewall = Firewall::consistent;
      answer.round = p->round;
      answer.remote_token = p->token;
      dht->reply_holepunch(h, box.encrypt(answer));
    };
    d.serve(hash_target(key.public_key), s);
  }
};

// Self-announces `server` (its HyperDht node) to `relay`: FIND_PEER for the token, then
// a signed ANNOUNCE with H(pk) as target, so the relay stores a forward entry.
void self_announce(Net& net, Net::Peer& server, Net::Peer& relay, const hypercore::KeyPair& key) {
  hypercore::Hash target = hash_target(key.public_key);
  std::optional<QueryReply> got;
  server.node->request(relay.address, false, static_cast<uint32_t>(HyperCommand::find_peer), target, std::nullopt,
                       std::nullopt, [&](const QueryReply& r) { got = r; }, {}, 1000);
  net.pump();
  ASSERT_TRUE(got && got->token && got->from_id);
  AnnounceMessage m;
  m.peer = PeerRecord{key.public_key, {}};
  sign_announce(m, ns::announce(), target, *got->from_id, *got->token, key);
  bool ok = false;
  server.node->request(relay.address, false, static_cast<uint32_t>(HyperCommand::announce), target,
                       encode_announce(m), got->token, [&](const QueryReply& r) { ok = r.error == 0; }, {}, 1000);
  net.pump();
  ASSERT_TRUE(ok);
  ASSERT_NE(relay.dht->store().forward(target), nullptr);
}

struct ClientResult {
  std::optional<QueryReply> reply;
  bool failed = false;
};

ClientResult send_request(Net& net, Net::Peer& client, const Ipv4Address& to, HyperCommand command,
                          const hypercore::Hash& target, Bytes value) {
  ClientResult r;
  client.node->request(to, false, static_cast<uint32_t>(command), target, std::move(value), std::nullopt,
                       [&](const QueryReply& q) { r.reply = q; }, [&] { r.failed = true; }, 1000);
  net.pump();
  return r;
}

class Relay : public ::testing::Test {
 protected:
  Net net;
  Net::Peer& relay = net.add("10.0.0.1:3000", true);
  Net::Peer& relay2 = net.add("10.0.0.2:3000", true);
  Net::Peer& server = net.add("10.0.0.3:3000", true);
  Net::Peer& client = net.add("10.0.0.4:3000", false);
  TestServer srv;
  hypercore::Hash target = hash_target(seeded(2).public_key);

  void SetUp() override {
    srv.attach(*server.dht);
    self_announce(net, server, relay, srv.key);
  }

  Bytes client_hello(NoiseIk& ik) {
    NoisePayload p;
    p.udx = UdxInfo{1, false, 5, 0};
    p.secret_stream = SecretStreamInfo{};
    auto m1 = ik.write_message(encode_noise_payload(p));
    EXPECT_TRUE(m1);
    return m1.value_or(Bytes{});
  }

  // Checks the REPLY the client got and finishes its handshake.
  void finish(NoiseIk& ik, const ClientResult& r, const Ipv4Address& expected_from,
              std::optional<Ipv4Address> expected_server) {
    ASSERT_TRUE(r.reply) << "no response (a leg did not reuse the tid?)";
    EXPECT_EQ(r.reply->from, expected_from);
    ASSERT_TRUE(r.reply->value);
    auto hs = decode_handshake(*r.reply->value);
    ASSERT_TRUE(hs);
    EXPECT_EQ(hs->mode, RelayMode::reply);
    EXPECT_EQ(hs->peer_address, expected_server);
    auto p2 = ik.read_message(hs->noise);
    ASSERT_TRUE(p2) << p2.error().message;
    auto payload = decode_noise_payload(*p2);
    ASSERT_TRUE(payload && payload->udx);
    EXPECT_EQ(payload->udx->id, 7u);
    ASSERT_TRUE(srv.outcome);
    EXPECT_EQ(ik.outcome().handshake_hash, srv.outcome->handshake_hash);
    EXPECT_EQ(srv.outcome->remote_public_key, seeded(1).public_key);
  }
};

TEST_F(Relay, HandshakeThroughOneRelay) {
  NoiseIk ik = NoiseIk::initiator(seeded(1), srv.key.public_key);
  net.clear_log();
  auto r = send_request(net, client, relay.address, HyperCommand::peer_handshake, target,
                        encode_handshake({RelayMode::from_client, client_hello(ik), std::nullopt, std::nullopt}));
  finish(ik, r, relay.address, server.address);
  ASSERT_EQ(srv.seen.size(), 1u);
  EXPECT_EQ(srv.seen[0].message.mode, RelayMode::from_relay);
  // The server learns the client's address as the relay saw it (its client socket).
  Ipv4Address client_socket = client.address;
  client_socket.port++;
  EXPECT_EQ(srv.seen[0].message.peer_address, client_socket);
  EXPECT_EQ(relay.dht->relay_stats().handshakes_forwarded, 1u);
  EXPECT_EQ(relay.dht->relay_stats().handshakes_returned, 1u);
  // client -> relay -> server -> relay -> client, one tid throughout.
  ASSERT_EQ(net.log().size(), 4u);
  std::optional<uint16_t> tid;
  for (const auto& d : net.log()) {
    auto m = decode_message(d.bytes);
    ASSERT_TRUE(m);
    uint16_t t = std::visit([](const auto& x) { return x.tid; }, *m);
    if (!tid) tid = t;
    EXPECT_EQ(t, *tid);
  }
  // The relayed legs are requests; the last is a response addressed to the client.
  EXPECT_TRUE(std::holds_alternative<Request>(*decode_message(net.log()[1].bytes)));
  EXPECT_TRUE(std::holds_alternative<Request>(*decode_message(net.log()[2].bytes)));
  auto last = std::get<Response>(*decode_message(net.log()[3].bytes));
  EXPECT_EQ(last.to, client_socket);
  EXPECT_FALSE(last.token);
  EXPECT_TRUE(last.closer_nodes.empty());
}

TEST_F(Relay, HandshakeThroughTwoRelaysByHint) {
  // relay2 has no forward entry; the client names relay as relayAddress: relay2 forwards
  // FROM_RELAY to relay, which (holding the route) sends FROM_SECOND_RELAY to the server,
  // which answers FROM_SERVER to relay2, which replies to the client.
  NoiseIk ik = NoiseIk::initiator(seeded(1), srv.key.public_key);
  auto r = send_request(net, client, relay2.address, HyperCommand::peer_handshake, target,
                        encode_handshake({RelayMode::from_client, client_hello(ik), std::nullopt, relay.address}));
  finish(ik, r, relay2.address, server.address);
  ASSERT_EQ(srv.seen.size(), 1u);
  EXPECT_EQ(srv.seen[0].message.mode, RelayMode::from_second_relay);
  EXPECT_EQ(srv.seen[0].message.relay_address, relay2.address);
  EXPECT_EQ(relay.dht->relay_stats().handshakes_forwarded, 1u);
  EXPECT_EQ(relay2.dht->relay_stats().handshakes_forwarded, 1u);
  EXPECT_EQ(relay2.dht->relay_stats().handshakes_returned, 1u);
}

TEST_F(Relay, DirectHandshakeToTheServer) {
  NoiseIk ik = NoiseIk::initiator(seeded(1), srv.key.public_key);
  auto r = send_request(net, client, server.address, HyperCommand::peer_handshake, target,
                        encode_handshake({RelayMode::from_client, client_hello(ik), std::nullopt, std::nullopt}));
  finish(ik, r, server.address, std::nullopt);
  EXPECT_EQ(srv.seen.at(0).message.mode, RelayMode::from_client);
}

TEST_F(Relay, NoRouteAnswersWithCloserNodesOnly) {
  hypercore::Hash unknown = hash_target(seeded(9).public_key);
  auto r = send_request(net, client, relay.address, HyperCommand::peer_handshake, unknown,
                        encode_handshake({RelayMode::from_client, Bytes(96, 1), std::nullopt, std::nullopt}));
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->error, 0u);
  EXPECT_FALSE(r.reply->value);
  EXPECT_FALSE(r.reply->token);
  EXPECT_EQ(relay.dht->relay_stats().no_route, 1u);
}

TEST_F(Relay, HolepunchRoundTrip) {
  NoiseIk ik = NoiseIk::initiator(seeded(1), srv.key.public_key);
  auto hs = send_request(net, client, relay.address, HyperCommand::peer_handshake, target,
                         encode_handshake({RelayMode::from_client, client_hello(ik), std::nullopt, std::nullopt}));
  finish(ik, hs, relay.address, server.address);
  SecurePayload box(ik.outcome().holepunch_secret);
  HolepunchPayload probe;
  probe.firewall = Firewall::consistent;
  probe.round = 1;
  probe.token = box.token("10.0.0.1");
  probe.addresses = std::vector<Ipv4Address>{addr("10.0.0.4:5000")};
  auto r = send_request(net, client, relay.address, HyperCommand::peer_holepunch, target,
                        encode_holepunch({RelayMode::from_client, 0, box.encrypt(probe), server.address}));
  ASSERT_TRUE(r.reply);
  ASSERT_TRUE(r.reply->value);
  auto hp = decode_holepunch(*r.reply->value);
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->mode, RelayMode::reply);
  EXPECT_EQ(hp->peer_address, server.address);  // the server as the relay saw it
  auto answer = box.decrypt(hp->payload);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->firewall, Firewall::consistent);
  EXPECT_EQ(answer->remote_token, probe.token);
  ASSERT_EQ(srv.punches.size(), 1u);
  EXPECT_EQ(srv.punches[0], probe);
  EXPECT_EQ(relay.dht->relay_stats().holepunches_forwarded, 1u);
  EXPECT_EQ(relay.dht->relay_stats().holepunches_returned, 1u);
}

TEST_F(Relay, MalformedAndUnroutableMessagesAreDroppedSilently) {
  auto before = relay.dht->relay_stats().dropped;
  // Undecodable value, a null noise, FROM_RELAY / FROM_SECOND_RELAY / REPLY / unknown modes
  // with no route, FROM_SERVER without a peer address, a holepunch nobody can route.
  std::vector<std::pair<HyperCommand, Bytes>> cases = {
      {HyperCommand::peer_handshake, Bytes{0x01, 0x00}},
      {HyperCommand::peer_handshake, encode_handshake({RelayMode::from_client, {}, std::nullopt, std::nullopt})},
      {HyperCommand::peer_handshake, encode_handshake({RelayMode::from_server, Bytes(5, 1), std::nullopt, std::nullopt})},
      {HyperCommand::peer_handshake, encode_handshake({RelayMode::reply, Bytes(5, 1), std::nullopt, std::nullopt})},
      {HyperCommand::peer_handshake, encode_handshake({static_cast<RelayMode>(9), Bytes(5, 1), std::nullopt, std::nullopt})},
      {HyperCommand::peer_holepunch, Bytes{0x00}},
      {HyperCommand::peer_holepunch, encode_holepunch({RelayMode::from_relay, 0, Bytes(50, 1), addr("1.2.3.4:5")})},
  };
  hypercore::Hash unknown = hash_target(seeded(9).public_key);
  for (auto& [command, value] : cases) {
    net.clear_log();
    auto r = send_request(net, client, relay.address, command, unknown, value);
    EXPECT_FALSE(r.reply);
    EXPECT_EQ(net.log().size(), 1u);  // only the request itself
  }
  // FROM_RELAY for a routed key goes on to the server as FROM_SECOND_RELAY (not dropped);
  // for an unrouted key it is dropped.
  auto r = send_request(net, client, relay2.address, HyperCommand::peer_handshake, target,
                        encode_handshake({RelayMode::from_relay, Bytes(5, 1), addr("1.2.3.4:5"), std::nullopt}));
  EXPECT_FALSE(r.reply);
  EXPECT_EQ(relay.dht->relay_stats().dropped, before + cases.size());
  EXPECT_EQ(relay2.dht->relay_stats().dropped, 1u);
}

}  // namespace
