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
  // Random NATs on both sides leave the relay as the only way; consistent ones let a punch
  // raced beside it get through.
  std::string start(NatKind server_nat = NatKind::random, NatKind client_nat = NatKind::random) {
    auto why = net.start(150);
    if (!net.skip.empty() || !why.empty()) return why;
    server = net.lab->add_nat_host(server_nat);
    client = net.lab->add_nat_host(client_nat);
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
  std::unique_ptr<NodeChild> our_client(const std::string& server_key, const std::string& relay = "",
                                        std::vector<std::string> more = {}) {
    std::vector<std::string> args{"connect", "--bootstrap", net.bootstrap, "--public-key", server_key, "--seconds", "55"};
    args.insert(args.end(), more.begin(), more.end());
    return our_peer(client.ns, client.address, with_relay(args, relay));
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

// The reference's upgrade (connect.js / server.js onsocket with a connected raw stream,
// relay-connection.js confirmDirectUpgrade): behind consistent NATs, a connection made
// through the relay moves to the holepunched path raced beside it. Both sides report the
// move once the other confirmed it (the relay connection is then closed), and the client's
// clean close afterwards reaches the server, which only the direct path can carry now.
TEST(BlindRelayNat, OurRelayedConnectionMovesToTheHolepunchedPath) {
  RelayLab lab;
  auto why = lab.start(NatKind::consistent, NatKind::consistent);
  if (!lab.net.skip.empty()) GTEST_SKIP() << lab.net.skip;
  ASSERT_EQ(why, "");
  auto relay = lab.our_relay();
  auto relay_key = key_of(*relay);
  ASSERT_EQ(relay_key.size(), 64u) << relay->buffer;
  auto server = lab.our_server();
  auto server_key = key_of(*server);
  ASSERT_EQ(server_key.size(), 64u) << server->buffer;
  auto client = lab.our_client(server_key, relay_key, {"--wait-upgrade", "1"});
  // Opened through the relay; the punch may get through before or after the secret stream
  // opened (both are fast in the lab), so the two lines come in either order.
  ASSERT_TRUE(client->wait_for("\"open\"", 60s)) << client->buffer;
  const std::string open = client->buffer.substr(client->buffer.find("\"open\""));
  EXPECT_EQ(json_field(open, "path"), "relay") << client->buffer;
  EXPECT_TRUE(relay_matched(*relay)) << relay->buffer;
  ASSERT_TRUE(client->wait_for("\"upgraded\"", 70s)) << client->buffer << "\nserver: " << server->buffer;
  // The client's stream now runs to the server's NAT, not to the relay.
  const std::string upgraded = client->buffer.substr(client->buffer.find("\"upgraded\""));
  EXPECT_EQ(json_field(upgraded, "path"), "holepunch") << client->buffer;
  EXPECT_EQ(json_field(upgraded, "remote").rfind(relay_host(), 0), std::string::npos) << client->buffer;
  EXPECT_TRUE(server->wait_for("\"upgraded\"", 10s)) << server->buffer;
  EXPECT_TRUE(server->wait_for("\"closed\":{\"error\":\"\"}", 10s)) << server->buffer;
}

// The same with Node on the other side: our client naming a Node relay, to a Node echo
// server. (A Node client naming our relay is not here: in the lab its punch wins before
// its relay pairs, so it never has a relayed connection to move.)
void our_relayed_connection_to_a_node_server_moves(NatKind client_nat) {
  RelayLab lab;
  auto why = lab.start(NatKind::consistent, client_nat);
  if (!lab.net.skip.empty()) GTEST_SKIP() << lab.net.skip;
  ASSERT_EQ(why, "");
  auto relay = lab.node_relay();
  auto relay_key = key_of(*relay);
  ASSERT_EQ(relay_key.size(), 64u) << relay->buffer;
  auto server = lab.node_server();
  auto server_key = key_of(*server);
  ASSERT_EQ(server_key.size(), 64u) << server->buffer;
  auto client = lab.our_client(server_key, relay_key, {"--wait-upgrade", "1"});
  ASSERT_TRUE(client->wait_for("\"open\"", 60s)) << client->buffer;
  const std::string open = client->buffer.substr(client->buffer.find("\"open\""));
  EXPECT_EQ(json_field(open, "path"), "relay") << client->buffer;
  ASSERT_TRUE(client->wait_for("\"upgraded\"", 70s)) << client->buffer << "\nserver: " << server->buffer;
  const std::string upgraded = client->buffer.substr(client->buffer.find("\"upgraded\""));
  EXPECT_EQ(json_field(upgraded, "path"), "holepunch") << client->buffer;
  EXPECT_EQ(json_field(upgraded, "remote").rfind(relay_host(), 0), std::string::npos) << client->buffer;
  EXPECT_TRUE(server->wait_for("\"upgraded\"", 10s)) << server->buffer;
}

TEST(BlindRelayNat, OurRelayedConnectionToANodeServerMovesToTheHolepunchedPath) {
  our_relayed_connection_to_a_node_server_moves(NatKind::consistent);
}
TEST(BlindRelayNat, OurRelayedConnectionFromARandomNatToANodeServerMoves) {
  our_relayed_connection_to_a_node_server_moves(NatKind::random);
}

// A client behind a random NAT: the punch is a birthday search that takes seconds, so the
// relay carries the connection first and the move comes later, to one of the client's
// birthday sockets (UdxSocket::route_through) on our side.
TEST(BlindRelayNat, OurRelayedConnectionFromARandomNatMovesToTheBirthdayPunch) {
  RelayLab lab;
  auto why = lab.start(NatKind::consistent, NatKind::random);
  if (!lab.net.skip.empty()) GTEST_SKIP() << lab.net.skip;
  ASSERT_EQ(why, "");
  auto relay = lab.our_relay();
  auto relay_key = key_of(*relay);
  ASSERT_EQ(relay_key.size(), 64u) << relay->buffer;
  auto server = lab.our_server();
  auto server_key = key_of(*server);
  ASSERT_EQ(server_key.size(), 64u) << server->buffer;
  // The birthday search can miss (see DhtPeerNat's random-NAT tests): one more try then.
  auto attempt = [&] {
    auto client = lab.our_client(server_key, relay_key, {"--wait-upgrade", "1"});
    client->wait_for("\"upgraded\"", 60s);
    return client;
  };
  auto client = attempt();
  if (client->buffer.find("\"upgraded\"") == std::string::npos) {
    server->wait_for("\n\n", 1s);  // what it printed meanwhile
    std::fprintf(stderr, "first attempt: %s; trying again\nserver: %s\n", client->buffer.c_str(), server->buffer.c_str());
    client = attempt();
  }
  ASSERT_NE(client->buffer.find("\"open\""), std::string::npos) << client->buffer;
  const std::string open = client->buffer.substr(client->buffer.find("\"open\""));
  EXPECT_EQ(json_field(open, "path"), "relay") << client->buffer;
  ASSERT_NE(client->buffer.find("\"upgraded\""), std::string::npos) << client->buffer << "\nserver: " << server->buffer;
  const std::string upgraded = client->buffer.substr(client->buffer.find("\"upgraded\""));
  EXPECT_EQ(json_field(upgraded, "path"), "holepunch") << client->buffer;
  EXPECT_EQ(json_field(upgraded, "remote").rfind(relay_host(), 0), std::string::npos) << client->buffer;
  EXPECT_TRUE(server->wait_for("\"upgraded\"", 10s)) << server->buffer;
  EXPECT_TRUE(server->wait_for("\"closed\":{\"error\":\"\"}", 10s)) << server->buffer;
}

// The same with a Node client naming our relay: its relayed connection to our server moves
// to the punched path (its raw stream's remote leaves the relay), our server reports the
// move, and the Node client's end reaches our server cleanly over the direct path.
TEST(BlindRelayNat, ANodeClientsRelayedConnectionFromARandomNatMovesToOurServer) {
  RelayLab lab;
  auto why = lab.start(NatKind::consistent, NatKind::random);
  if (!lab.net.skip.empty()) GTEST_SKIP() << lab.net.skip;
  ASSERT_EQ(why, "");
  auto relay = lab.our_relay();
  auto relay_key = key_of(*relay);
  ASSERT_EQ(relay_key.size(), 64u) << relay->buffer;
  auto server = lab.our_server();
  auto server_key = key_of(*server);
  ASSERT_EQ(server_key.size(), 64u) << server->buffer;
  auto attempt = [&] {
    auto client = node_role(lab.client.ns, "0.0.0.0",
                            {"connect", "--bootstrap", lab.net.bootstrap, "--public-key", server_key, "--relay-through",
                             relay_key, "--wait-upgrade", "1", "--seconds", "60"});
    client->wait_for("\"upgraded\"", 62s);
    return client;
  };
  auto client = attempt();
  if (client->buffer.find("\"upgraded\"") == std::string::npos) {
    std::fprintf(stderr, "first attempt: %s; trying again\n", client->buffer.c_str());
    client = attempt();
  }
  ASSERT_NE(client->buffer.find("\"open\""), std::string::npos) << client->buffer;
  const std::string open = client->buffer.substr(client->buffer.find("\"open\""));
  EXPECT_EQ(json_field(open, "remote").rfind(relay_host(), 0), 0u) << client->buffer;
  ASSERT_NE(client->buffer.find("\"upgraded\""), std::string::npos) << client->buffer << "\nserver: " << server->buffer;
  const std::string upgraded = client->buffer.substr(client->buffer.find("\"upgraded\""));
  EXPECT_EQ(json_field(upgraded, "remote").rfind(relay_host(), 0), std::string::npos) << client->buffer;
  EXPECT_TRUE(server->wait_for("\"upgraded\"", 10s)) << server->buffer;
  EXPECT_TRUE(server->wait_for("\"closed\":{\"error\":\"\"}", 10s)) << server->buffer;
  EXPECT_TRUE(client->wait_for("\"closed\":true", 10s)) << client->buffer;
}
