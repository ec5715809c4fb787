// `--relay` on the swarm commands where the relay is the only way through: `bee relay` on
// the NAT lab's public network, `bee serve DIR --swarm --relay R` behind one random NAT,
// `bee query KEY --swarm` and `bee clone KEY --swarm` behind another (a punch between two
// random NATs cannot work), a Node testnet as the DHT; and `bee dht connect --relay` moving
// to a holepunch that got through beside the relay. Skipped only without root; a missing
// Node reference or iptables failure fails.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/net/connect/nat_lab_peers.hpp"
#include "tests/support/temp_dir.hpp"

using namespace nat_test;

namespace {

// The lab with a server host and a client host behind NATs of those kinds, and `bee relay`
// on its public network.
struct RelayCliLab {
  LabNet net;
  NatLab::Host server_host, client_host;
  std::unique_ptr<NodeChild> relay;
  std::string relay_key;
  std::string start(NatKind server_nat, NatKind client_nat) {
    auto why = net.start(150);
    if (!net.skip.empty() || !why.empty()) return why;
    server_host = net.lab->add_nat_host(server_nat);
    client_host = net.lab->add_nat_host(client_nat);
    if (!net.lab->ok()) return "lab: " + net.lab->error();
    relay = std::make_unique<NodeChild>(NatLab::command(
        net.lab->public_ns(),
        {BEE_CLI_PATH, "relay", "--bootstrap", net.bootstrap, "--host", NatLab::kPublicHost, "--seconds", "120", "--json"}));
    if (!relay->read_line(Clock::now() + 30s)) return "relay: " + relay->buffer;
    relay_key = json_field(relay->line(), "publicKey");
    return relay_key.size() == 64 ? "" : "relay: " + relay->buffer;
  }
};

#define RELAY_CLI_LAB(server_nat, client_nat)                         \
  RelayCliLab lab;                                                    \
  auto why = lab.start(server_nat, client_nat);                       \
  if (!lab.net.skip.empty()) GTEST_SKIP() << lab.net.skip;            \
  ASSERT_EQ(why, "");                                                 \
  auto& net = lab.net;                                                \
  const std::string relay_key = lab.relay_key

}  // namespace

TEST(BlindRelayCliNat, QueryAndCloneReachBeeServeThroughBeeRelayAcrossRandomNats) {
  RELAY_CLI_LAB(NatKind::random, NatKind::random);
  const auto& server_host = lab.server_host;
  const auto& client_host = lab.client_host;

  bee_test::TempDir tmp;
  const std::string db = tmp / "db";
  const std::string clone = tmp / "clone";
  const std::string key = bee_create(net.lab->public_ns(), db);
  ASSERT_EQ(key.size(), 64u) << key;
  for (int i = 0; i < 50; i++) {
    auto put = bee_in(net.lab->public_ns(), "put " + db + " key" + std::to_string(100 + i) + " value" + std::to_string(i));
    ASSERT_NE(put.find("exit=0"), std::string::npos) << put;
  }

  NodeChild server(NatLab::command(server_host.ns, {BEE_CLI_PATH, "serve", db, "--swarm", "--bootstrap", net.bootstrap,
                                                    "--relay", relay_key, "--seconds", "100"}));
  ASSERT_TRUE(server.read_line(Clock::now() + 30s)) << server.buffer;

  const std::string swarm = " --swarm --bootstrap " + net.bootstrap + " --timeout 40000";
  const auto asked = Clock::now();
  auto got = bee_in(client_host.ns, "query " + key + " get key120" + swarm);
  EXPECT_NE(got.find("value20\nexit=0"), std::string::npos) << got;
  // It exits once answered: a punch begun beside the relay after the close kept its loop
  // busy until --timeout (40 s) + 10 s.
  EXPECT_LT(Clock::now() - asked, 30s) << got;
  auto cloned = bee_in(client_host.ns, "clone " + key + " " + clone + swarm);
  EXPECT_NE(cloned.find("exit=0"), std::string::npos) << cloned;
  // The clone says how it got through: the relay, at the relay's address.
  EXPECT_NE(cloned.find("connected by key (relay, " + std::string(NatLab::kPublicHost) + ":"), std::string::npos) << cloned;
  auto read = bee_in(client_host.ns, "get " + clone + " key149");
  EXPECT_EQ(read, "value49\nexit=0\n");
}

// `bee dht connect --relay R --wait-upgrade MS`, the first thing a person runs when two
// peers do not see each other: from behind a random NAT to a Node echo server behind a
// consistent one, it opens through `bee relay`, then reports the move to the holepunch that
// got through beside it (a birthday search, so after the relay).
TEST(BlindRelayCliNat, DhtConnectReportsTheMoveFromTheRelayToAHolepunch) {
  RELAY_CLI_LAB(NatKind::consistent, NatKind::random);
  const auto& server_host = lab.server_host;
  const auto& client_host = lab.client_host;
  NodeChild server(NatLab::command(server_host.ns, {"node", bee_test::interop_script("blind_relay_peer.js"), "listen",
                                                    "--bootstrap", net.bootstrap, "--seed", std::string(64, '6'),
                                                    "--host", "0.0.0.0", "--seconds", "100"}));
  ASSERT_TRUE(server.read_line(Clock::now() + 30s)) << server.buffer;
  const std::string server_key = json_field(server.line(), "publicKey");
  ASSERT_EQ(server_key.size(), 64u) << server.buffer;

  const std::string command = "dht connect " + server_key + " --bootstrap " + net.bootstrap + " --relay " + relay_key +
                              " --wait-upgrade 60000 --json";
  auto out = bee_in(client_host.ns, command, 120s);
  // The birthday search can miss (see DhtPeerNat's random-NAT tests): one more try then.
  if (out.find("upgradedPath") == std::string::npos) {
    std::fprintf(stderr, "first attempt: %s; trying again\n", out.c_str());
    out = bee_in(client_host.ns, command, 120s);
  }
  ASSERT_NE(out.find("exit=0"), std::string::npos) << out;
  EXPECT_EQ(json_field(out, "path"), "relay") << out;
  EXPECT_EQ(json_field(out, "upgradedPath"), "holepunch") << out << "\nserver: " << server.buffer;
  EXPECT_EQ(json_field(out, "upgradedRemote").rfind(std::string(NatLab::kPublicHost) + ":", 0), std::string::npos) << out;
  // The Node server's raw stream moved too.
  EXPECT_TRUE(server.wait_for("\"upgraded\"", 5s)) << server.buffer;
}
