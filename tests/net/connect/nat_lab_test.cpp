// Proves the NAT lab (tests/support/nat_lab.hpp) with stock Node peers (hyperdht 6.34.0):
// behind consistent NATs they connect (Node holepunches), consistent to random connects
// (the random punch), and random to random fails, as the reference says it must.
// Skipped only without root; a missing Node reference or iptables failure fails.
#include <gtest/gtest.h>

#include "tests/net/connect/nat_lab_peers.hpp"

using namespace nat_test;

namespace {

constexpr const char* kSeed = "0101010101010101010101010101010101010101010101010101010101010101";

// Node server on `server_host`, Node client on `client_host`: the client's line (empty
// when it failed: it prints only on success).
std::string node_to_node(LabNet& net, const NatLab::Host& server_host, const NatLab::Host& client_host) {
  EXPECT_TRUE(net.lab->ok()) << net.lab->error();
  std::unique_ptr<NodeChild> server;
  std::string key = net.node_listen(server, server_host.ns, kSeed);
  EXPECT_EQ(key.size(), 64u) << server->buffer;
  auto client = net.node_connect(client_host.ns, key, 50);
  client->read_line(Clock::now() + 55s);
  return client->line();
}

// The same, each behind a NAT of its own.
std::string node_to_node(LabNet& net, NatKind server_nat, NatKind client_nat) {
  auto server_host = net.lab->add_nat_host(server_nat);
  auto client_host = net.lab->add_nat_host(client_nat);
  return node_to_node(net, server_host, client_host);
}

}  // namespace

TEST(NatLab, NodePeersBehindConsistentNatsConnect) {
  LabNet net;
  auto why = net.start();
  if (!net.skip.empty()) GTEST_SKIP() << net.skip;
  ASSERT_EQ(why, "");
  auto line = node_to_node(net, NatKind::consistent, NatKind::consistent);
  EXPECT_EQ(json_field(line, "echo"), "68656c6c6f") << line;
  // The stream runs between the two NATs' public addresses: no shortcut around them.
  EXPECT_EQ(json_field(line, "remote").rfind("10.77.1.1:", 0), 0u) << line;
}

TEST(NatLab, NodeConsistentServerAndRandomClientConnect) {
  LabNet net;
  auto why = net.start();
  if (!net.skip.empty()) GTEST_SKIP() << net.skip;
  ASSERT_EQ(why, "");
  auto line = node_to_node(net, NatKind::consistent, NatKind::random);
  EXPECT_EQ(json_field(line, "echo"), "68656c6c6f") << line;
}

TEST(NatLab, NodePeersBehindRandomNatsCannotConnect) {
  LabNet net;
  auto why = net.start();
  if (!net.skip.empty()) GTEST_SKIP() << net.skip;
  ASSERT_EQ(why, "");
  auto line = node_to_node(net, NatKind::random, NatKind::random);
  EXPECT_EQ(line, "");
}

// Two Node peers behind one NAT that does not hairpin: the reference's LAN shortcut (both
// seen at the same public address by the relay) connects them over their LAN.
TEST(NatLab, NodeNeighboursBehindOneNatConnectOverTheirLan) {
  LabNet net;
  auto why = net.start();
  if (!net.skip.empty()) GTEST_SKIP() << net.skip;
  ASSERT_EQ(why, "");
  auto server_host = net.lab->add_nat_host(NatKind::consistent);
  auto client_host = net.lab->add_lan_neighbour(server_host);
  auto line = node_to_node(net, server_host, client_host);
  EXPECT_EQ(json_field(line, "echo"), "68656c6c6f") << line;
  EXPECT_EQ(json_field(line, "remote").rfind(server_host.address + ":", 0), 0u) << line;
}
