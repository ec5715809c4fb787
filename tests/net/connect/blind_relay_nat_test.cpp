// The blind relay where it is the only way through: both peers behind random NATs (a
// punch between two random NATs cannot work, see DhtPeerNat.TwoRandomNatsEndInCannotHolepunch),
// the relay on the lab's public network beside the Node testnet (tests/support/nat_lab.hpp).
// Every mix of relay, server and client, ours and Node's (hyperdht 6.34.0, blind-relay
// 1.6.1), with the server or the client naming the relay (relayThrough): the connection
// opens, our side reports the path "relay", the stream runs to the relay's address, and
// the relay saw both halves pair. Our peers and our relay are the dht_peer_lab_helper
// process; the Node roles are tests/interop/blind_relay_peer.js (relay, echo server, echo
// client) and nat_lab_peer.js (a client that only waits for the stream to open, for our
// server, which does not echo). Skipped only without root; a missing Node reference or
// iptables failure fails.
#include <gtest/gtest.h>

#include "tests/net/connect/nat_lab_peers.hpp"

using namespace nat_test;

namespace {

constexpr const char* kServerSeed = "0303030303030303030303030303030303030303030303030303030303030303";
constexpr const char* kRelaySeed = "0404040404040404040404040404040404040404040404040404040404040404";

std::unique_ptr<NodeChild> our_peer(const std::string& ns, const std::string& host, std::vector<std::string> args) {
  std::vector<std::string> argv{DHT_PEER_LAB_HELPER};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--host", host});
  return std::make_unique<NodeChild>(NatLab::command(ns, argv));
}

std::unique_ptr<NodeChild> node_role(const std::string& ns, const std::string& host, std::vector<std::string> args) {
  std::vector<std::string> argv{"node", bee_test::interop_script("blind_relay_peer.js")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--host", host});
  return std::make_unique<NodeChild>(NatLab::command(ns, argv));
}

// Waits for a server's or relay's first line; its "publicKey", or "" (the buffer says why).
std::string key_of(NodeChild& child) {
  if (!child.read_line(Clock::now() + 30s)) return "";
  return json_field(child.line(), "publicKey");
}

struct RelayLab {
  LabNet net;
  NatLab::Host server, client;
  std::string start() {
    auto why = net.start(150);
    if (!net.skip.empty() || !why.empty()) return why;
    server = net.lab->add_nat_host(NatKind::random);
    client = net.lab->add_nat_host(NatKind::random);
    return net.lab->ok() ? "" : "lab: " + net.lab->error();
  }
  std::unique_ptr<NodeChild> our_relay() {
    return our_peer(net.lab->public_ns(), NatLab::kPublicHost,
                    {"relay", "--bootstrap", net.bootstrap, "--seed", kRelaySeed, "--seconds", "100"});
  }
  std::unique_ptr<NodeChild> node_relay() {
    return node_role(net.lab->public_ns(), NatLab::kPublicHost,
                     {"relay", "--bootstrap", net.bootstrap, "--seed", kRelaySeed, "--seconds", "100"});
  }
  // Servers behind the server NAT, clients behind the client NAT; `relay` (a key, or "")
  // becomes --relay-through.
  std::unique_ptr<NodeChild> our_server(const std::string& relay = "") {
    return our_peer(server.ns, server.address, with_relay({"listen", "--bootstrap", net.bootstrap, "--seed", kServerSeed,
                                                           "--seconds", "90"}, relay));
  }
  std::unique_ptr<NodeChild> node_server(const std::string& relay = "") {
    return node_role(server.ns, "0.0.0.0", with_relay({"listen", "--bootstrap", net.bootstrap, "--seed", kServerSeed,
                                                       "--seconds", "90"}, relay));
  }
  std::unique_ptr<NodeChild> our_client(const std::string& server_key, const std::string& relay = "") {
    return our_peer(client.ns, client.address, with_relay({"connect", "--bootstrap", net.bootstrap, "--public-key",
                                                           server_key, "--seconds", "55"}, relay));
  }
  static std::vector<std::string> with_relay(std::vector<std::string> args, const std::string& relay) {
    if (!relay.empty()) args.insert(args.end(), {"--relay-through", relay});
    return args;
  }
};

// The relay's address as the peers reach it (any of its sockets' ports).
std::string relay_host() { return std::string(NatLab::kPublicHost) + ":"; }

// Whether our relay reported its first pairing ({"matched":1}); the line may trail the
// connection by a poll.
bool relay_matched(NodeChild& relay) { return relay.wait_for("\"matched\":1", 5s); }

}  // namespace

#define RELAY_LAB()                                        \
  RelayLab lab;                                            \
  auto why = lab.start();                                  \
  if (!lab.net.skip.empty()) GTEST_SKIP() << lab.net.skip; \
  ASSERT_EQ(why, "")

TEST(BlindRelayNat, OurRelayPairsTwoNodePeersAcrossRandomNats) {
  RELAY_LAB();
  auto relay = lab.our_relay();
  auto relay_key = key_of(*relay);
  ASSERT_EQ(relay_key.size(), 64u) << relay->buffer;
  auto server = lab.node_server(relay_key);
  auto server_key = key_of(*server);
  ASSERT_EQ(server_key.size(), 64u) << server->buffer;
  auto client = node_role(lab.client.ns, "0.0.0.0",
                          {"connect", "--bootstrap", lab.net.bootstrap, "--public-key", server_key, "--message",
                           "0a0b0c0d0e", "--seconds", "55"});
  ASSERT_TRUE(client->read_line(Clock::now() + 60s)) << client->buffer;
  EXPECT_EQ(json_field(client->line(), "echo"), "0a0b0c0d0e") << client->buffer << "\nrelay: " << relay->buffer;
  // The Node client's stream runs to our relay (on the public network; the server is at its
  // NAT's address, 10.77.1.x), which paired the two.
  EXPECT_EQ(json_field(client->line(), "remote").rfind(relay_host(), 0), 0u) << client->buffer;
  EXPECT_TRUE(relay_matched(*relay)) << relay->buffer;
}

TEST(BlindRelayNat, ANodeRelayPairsTwoOfOursAcrossRandomNats) {
  RELAY_LAB();
  auto relay = lab.node_relay();
  auto relay_key = key_of(*relay);
  ASSERT_EQ(relay_key.size(), 64u) << relay->buffer;
  auto server = lab.our_server(relay_key);
  auto server_key = key_of(*server);
  ASSERT_EQ(server_key.size(), 64u) << server->buffer;
  auto client = lab.our_client(server_key);
  ASSERT_TRUE(client->read_line(Clock::now() + 60s)) << client->buffer;
  EXPECT_NE(client->line().find("\"open\""), std::string::npos) << client->buffer;
  EXPECT_EQ(json_field(client->line(), "path"), "relay") << client->buffer;
  EXPECT_TRUE(relay->wait_for("\"isInitiator\":true", 5s)) << relay->buffer;
  EXPECT_TRUE(relay->wait_for("\"isInitiator\":false", 5s)) << relay->buffer;
}

TEST(BlindRelayNat, OurRelayPairsTwoOfOursAcrossRandomNats) {
  RELAY_LAB();
  auto relay = lab.our_relay();
  auto relay_key = key_of(*relay);
  ASSERT_EQ(relay_key.size(), 64u) << relay->buffer;
  auto server = lab.our_server();
  auto server_key = key_of(*server);
  ASSERT_EQ(server_key.size(), 64u) << server->buffer;
  auto client = lab.our_client(server_key, relay_key);
  ASSERT_TRUE(client->read_line(Clock::now() + 60s)) << client->buffer;
  EXPECT_NE(client->line().find("\"open\""), std::string::npos) << client->buffer;
  EXPECT_EQ(json_field(client->line(), "path"), "relay") << client->buffer;
  EXPECT_EQ(json_field(client->line(), "remote").rfind(relay_host(), 0), 0u) << client->buffer;
  EXPECT_TRUE(relay_matched(*relay)) << relay->buffer;
}

TEST(BlindRelayNat, ANodeRelayPairsOurClientWithANodeServer) {
  RELAY_LAB();
  auto relay = lab.node_relay();
  auto relay_key = key_of(*relay);
  ASSERT_EQ(relay_key.size(), 64u) << relay->buffer;
  auto server = lab.node_server();
  auto server_key = key_of(*server);
  ASSERT_EQ(server_key.size(), 64u) << server->buffer;
  auto client = lab.our_client(server_key, relay_key);
  ASSERT_TRUE(client->read_line(Clock::now() + 60s)) << client->buffer;
  EXPECT_NE(client->line().find("\"open\""), std::string::npos) << client->buffer;
  EXPECT_EQ(json_field(client->line(), "path"), "relay") << client->buffer;
  EXPECT_EQ(json_field(client->line(), "remote").rfind(relay_host(), 0), 0u) << client->buffer;
  EXPECT_TRUE(relay->wait_for("\"isInitiator\":true", 5s)) << relay->buffer;
  EXPECT_TRUE(relay->wait_for("\"isInitiator\":false", 5s)) << relay->buffer;
}

TEST(BlindRelayNat, OurClientFollowsANodeServersRelayThroughToOurRelay) {
  RELAY_LAB();
  auto relay = lab.our_relay();
  auto relay_key = key_of(*relay);
  ASSERT_EQ(relay_key.size(), 64u) << relay->buffer;
  auto server = lab.node_server(relay_key);
  auto server_key = key_of(*server);
  ASSERT_EQ(server_key.size(), 64u) << server->buffer;
  auto client = lab.our_client(server_key);
  ASSERT_TRUE(client->read_line(Clock::now() + 60s)) << client->buffer;
  // "open" means the Node server's first bytes came through: the secret stream is up.
  EXPECT_NE(client->line().find("\"open\""), std::string::npos) << client->buffer;
  EXPECT_EQ(json_field(client->line(), "path"), "relay") << client->buffer;
  EXPECT_TRUE(relay_matched(*relay)) << relay->buffer;
}

TEST(BlindRelayNat, ANodeClientFollowsOurServersRelayThroughToOurRelay) {
  RELAY_LAB();
  auto relay = lab.our_relay();
  auto relay_key = key_of(*relay);
  ASSERT_EQ(relay_key.size(), 64u) << relay->buffer;
  auto server = lab.our_server(relay_key);
  auto server_key = key_of(*server);
  ASSERT_EQ(server_key.size(), 64u) << server->buffer;
  NodeChild client(NatLab::command(lab.client.ns, {"node", bee_test::interop_script("nat_lab_peer.js"), "dht-open",
                                                   "--bootstrap", lab.net.bootstrap, "--public-key", server_key,
                                                   "--seconds", "55"}));
  ASSERT_TRUE(client.read_line(Clock::now() + 60s)) << client.buffer;
  // Open: our server's secret-stream header reached the Node client, through the relay.
  EXPECT_NE(client.line().find("\"open\""), std::string::npos) << client.buffer;
  EXPECT_EQ(json_field(client.line(), "remote").rfind(relay_host(), 0), 0u) << client.buffer;
  EXPECT_TRUE(relay_matched(*relay)) << relay->buffer;
}
