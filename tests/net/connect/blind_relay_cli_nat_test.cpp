// `--relay` on the swarm commands where the relay is the only way through: `bee relay` on
// the NAT lab's public network, `bee serve DIR --swarm --relay R` behind one random NAT,
// `bee query KEY --swarm` and `bee clone KEY --swarm` behind another (a punch between two
// random NATs cannot work), a Node testnet as the DHT. Skipped only without root; a missing
// Node reference or iptables failure fails.
#include <gtest/gtest.h>

#include "tests/net/connect/nat_lab_peers.hpp"
#include "tests/support/temp_dir.hpp"

using namespace nat_test;

namespace {

// Runs the bee tool in `ns` to its end; its stdout and stderr, then "exit=N".
std::string bee_in(const std::string& ns, const std::string& args, std::chrono::seconds limit = 60s) {
  NodeChild child(NatLab::command(ns, {"sh", "-c", std::string(BEE_CLI_PATH) + " " + args + " 2>&1; echo exit=$?"}));
  child.wait_for("exit=", limit);
  child.read_line(Clock::now() + 1s);  // the rest of the exit line
  return child.buffer;
}

}  // namespace

TEST(BlindRelayCliNat, QueryAndCloneReachBeeServeThroughBeeRelayAcrossRandomNats) {
  LabNet net;
  auto why = net.start(150);
  if (!net.skip.empty()) GTEST_SKIP() << net.skip;
  ASSERT_EQ(why, "");
  auto server_host = net.lab->add_nat_host(NatKind::random);
  auto client_host = net.lab->add_nat_host(NatKind::random);
  ASSERT_TRUE(net.lab->ok()) << net.lab->error();

  NodeChild relay(NatLab::command(net.lab->public_ns(), {BEE_CLI_PATH, "relay", "--bootstrap", net.bootstrap, "--host",
                                                         NatLab::kPublicHost, "--seconds", "120", "--json"}));
  ASSERT_TRUE(relay.read_line(Clock::now() + 30s)) << relay.buffer;
  const std::string relay_key = json_field(relay.line(), "publicKey");
  ASSERT_EQ(relay_key.size(), 64u) << relay.buffer;

  bee_test::TempDir tmp;
  const std::string db = tmp / "db";
  const std::string clone = tmp / "clone";
  auto created = bee_in(net.lab->public_ns(), "create " + db);
  ASSERT_NE(created.find("exit=0"), std::string::npos) << created;
  const std::string key = created.substr(0, 64);
  for (int i = 0; i < 50; i++) {
    auto put = bee_in(net.lab->public_ns(), "put " + db + " key" + std::to_string(100 + i) + " value" + std::to_string(i));
    ASSERT_NE(put.find("exit=0"), std::string::npos) << put;
  }

  NodeChild server(NatLab::command(server_host.ns, {BEE_CLI_PATH, "serve", db, "--swarm", "--bootstrap", net.bootstrap,
                                                    "--relay", relay_key, "--seconds", "100"}));
  ASSERT_TRUE(server.read_line(Clock::now() + 30s)) << server.buffer;

  const std::string swarm = " --swarm --bootstrap " + net.bootstrap + " --timeout 40000";
  auto got = bee_in(client_host.ns, "query " + key + " get key120" + swarm);
  EXPECT_NE(got.find("value20\nexit=0"), std::string::npos) << got;
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
  LabNet net;
  auto why = net.start(150);
  if (!net.skip.empty()) GTEST_SKIP() << net.skip;
  ASSERT_EQ(why, "");
  auto server_host = net.lab->add_nat_host(NatKind::consistent);
  auto client_host = net.lab->add_nat_host(NatKind::random);
  ASSERT_TRUE(net.lab->ok()) << net.lab->error();

  NodeChild relay(NatLab::command(net.lab->public_ns(), {BEE_CLI_PATH, "relay", "--bootstrap", net.bootstrap, "--host",
                                                         NatLab::kPublicHost, "--seconds", "120", "--json"}));
  ASSERT_TRUE(relay.read_line(Clock::now() + 30s)) << relay.buffer;
  const std::string relay_key = json_field(relay.line(), "publicKey");
  ASSERT_EQ(relay_key.size(), 64u) << relay.buffer;
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
