// The blind relay where it is the only way through: both peers behind random NATs (a
// punch between two random NATs cannot work, see DhtPeerNat.TwoRandomNatsEndInCannotHolepunch),
// the relay on the lab's public network beside the Node testnet (tests/support/nat_lab.hpp).
// Every mix of relay, server and client, ours and Node's (hyperdht 6.34.0, blind-relay
// 1.6.1), with the server or the client naming the relay (relayThrough): the connection
// opens, our side reports the path "relay", the stream runs to the relay's address, and
// the relay saw both halves pair. Our peers and our relay are the dht_peer_lab_helper
// process; the Node roles are tests/interop/blind_relay_peer.js (relay, echo server, echo
// client) and nat_lab_peer.js (a client that only waits for the stream to open, for our
// server, which does not echo). Then the move to the direct path: behind consistent NATs
// (or a random client NAT) the punch raced beside the relay gets through and the relayed
// connection moves there, ours and Node's. Skipped only without root; a missing Node
// reference or iptables failure fails.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>

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

// --- moving to the direct path -----------------------------------------------------------
// The reference's upgrade (connect.js / server.js onsocket with a connected raw stream,
// relay-connection.js confirmDirectUpgrade): a connection made through the relay moves to a
// holepunched path raced beside it. Both sides report the move once the other confirmed it
// (the relay connection is then closed).

namespace {

// A relay (ours or Node's) on the public network and a server (ours or Node's) behind the
// server NAT, both up.
struct MoveLab {
  RelayLab lab;
  std::unique_ptr<NodeChild> relay, server;
  std::string relay_key, server_key, skip;
  std::string start(NatKind client_nat, bool our_relay, bool our_server) {
    auto why = lab.start(NatKind::consistent, client_nat);
    skip = lab.net.skip;
    if (!skip.empty() || !why.empty()) return why;
    relay = our_relay ? lab.our_relay() : lab.node_relay();
    relay_key = key_of(*relay);
    if (relay_key.size() != 64) return "relay: " + relay->buffer;
    server = our_server ? lab.our_server() : lab.node_server();
    server_key = key_of(*server);
    if (server_key.size() != 64) return "server: " + server->buffer;
    return "";
  }
};

#define MOVE_LAB(client_nat, our_relay, our_server)                  \
  MoveLab m;                                                         \
  auto why = m.start(client_nat, our_relay, our_server);             \
  if (!m.skip.empty()) GTEST_SKIP() << m.skip;                       \
  ASSERT_EQ(why, "")

// Starts the client (ours with --wait-upgrade, or Node's), once more if it never moved (a
// birthday search can miss, see DhtPeerNat's random-NAT tests), and checks that it opened
// through the relay, then moved to an address that is not the relay's, and that the server
// reported the move too.
std::unique_ptr<NodeChild> expect_move(MoveLab& m, const std::function<std::unique_ptr<NodeChild>()>& start_client,
                                       bool our_client) {
  auto attempt = [&] {
    auto client = start_client();
    client->wait_for("\"upgraded\"", 62s);
    return client;
  };
  auto client = attempt();
  if (client->buffer.find("\"upgraded\"") == std::string::npos) {
    m.server->wait_for("\n\n", 1s);  // what it printed meanwhile
    std::fprintf(stderr, "first attempt: %s; trying again\nserver: %s\n", client->buffer.c_str(), m.server->buffer.c_str());
    client = attempt();
  }
  // The secret stream may open after the move (both are fast behind consistent NATs).
  client->wait_for("\"open\"", 10s);
  const auto open = client->buffer.find("\"open\"");
  const auto upgraded = client->buffer.find("\"upgraded\"");
  EXPECT_NE(open, std::string::npos) << client->buffer;
  EXPECT_NE(upgraded, std::string::npos) << client->buffer << "\nserver: " << m.server->buffer;
  if (open == std::string::npos || upgraded == std::string::npos) return client;
  // Ours says the path; Node's shows the raw stream's remote, the relay's address at first.
  if (our_client) {
    EXPECT_EQ(json_field(client->buffer.substr(open), "path"), "relay") << client->buffer;
    EXPECT_EQ(json_field(client->buffer.substr(upgraded), "path"), "holepunch") << client->buffer;
  } else {
    EXPECT_EQ(json_field(client->buffer.substr(open), "remote").rfind(relay_host(), 0), 0u) << client->buffer;
  }
  EXPECT_EQ(json_field(client->buffer.substr(upgraded), "remote").rfind(relay_host(), 0), std::string::npos)
      << client->buffer;
  EXPECT_TRUE(m.server->wait_for("\"upgraded\"", 10s)) << m.server->buffer;
  return client;
}

std::unique_ptr<NodeChild> our_moving_client(MoveLab& m) {
  return m.lab.our_client(m.server_key, m.relay_key, {"--wait-upgrade", "1"});
}

std::unique_ptr<NodeChild> node_moving_client(MoveLab& m) {
  return node_role(m.lab.client.ns, "0.0.0.0",
                   {"connect", "--bootstrap", m.lab.net.bootstrap, "--public-key", m.server_key, "--relay-through",
                    m.relay_key, "--wait-upgrade", "1", "--seconds", "60"});
}

}  // namespace

// Ours to ours behind consistent NATs. The client's clean close after the move reaches the
// server, which only the direct path can carry now.
TEST(BlindRelayNat, OurRelayedConnectionMovesToTheHolepunchedPath) {
  MOVE_LAB(NatKind::consistent, true, true);
  auto client = expect_move(m, [&] { return our_moving_client(m); }, true);
  EXPECT_TRUE(relay_matched(*m.relay)) << m.relay->buffer;
  EXPECT_TRUE(m.server->wait_for("\"closed\":{\"error\":\"\"}", 10s)) << m.server->buffer;
}

// A client behind a random NAT: the punch is a birthday search that takes seconds, so the
// relay carries the connection first and the move comes later, to one of the client's
// birthday sockets (UdxSocket::route_through).
TEST(BlindRelayNat, OurRelayedConnectionFromARandomNatMovesToTheBirthdayPunch) {
  MOVE_LAB(NatKind::random, true, true);
  auto client = expect_move(m, [&] { return our_moving_client(m); }, true);
  EXPECT_TRUE(m.server->wait_for("\"closed\":{\"error\":\"\"}", 10s)) << m.server->buffer;
}

// Our client naming a Node relay, to a Node echo server: its raw stream moves too.
TEST(BlindRelayNat, OurRelayedConnectionToANodeServerMovesToTheHolepunchedPath) {
  MOVE_LAB(NatKind::consistent, false, false);
  expect_move(m, [&] { return our_moving_client(m); }, true);
}

TEST(BlindRelayNat, OurRelayedConnectionFromARandomNatToANodeServerMoves) {
  MOVE_LAB(NatKind::random, false, false);
  expect_move(m, [&] { return our_moving_client(m); }, true);
}

// A Node client naming our relay, to our server: its relayed connection moves (its raw
// stream's remote leaves the relay), and its end reaches our server cleanly over the direct
// path. Behind a consistent NAT its punch wins before its relay pairs (it then connects
// directly, with nothing to move), so the client is behind a random NAT.
TEST(BlindRelayNat, ANodeClientsRelayedConnectionFromARandomNatMovesToOurServer) {
  MOVE_LAB(NatKind::random, true, true);
  auto client = expect_move(m, [&] { return node_moving_client(m); }, false);
  EXPECT_TRUE(m.server->wait_for("\"closed\":{\"error\":\"\"}", 10s)) << m.server->buffer;
  EXPECT_TRUE(client->wait_for("\"closed\":true", 10s)) << client->buffer;
}
