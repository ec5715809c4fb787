// A network change (docs/protocol/connect.md, "Network changes"): a writer's `bee serve
// --swarm` on an open host of the NAT lab moves to another address, as a laptop that joins
// another network. A replica's `bee serve --swarm` behind a NAT was connected to it; that
// connection dies (its keepalives go unanswered), the writer's network watch announces
// again, and the replica's swarm connects again. Skipped only without root; a missing Node
// reference or iptables failure fails.
#include <gtest/gtest.h>

#include "tests/net/connect/nat_lab_peers.hpp"
#include "tests/support/temp_dir.hpp"

using namespace nat_test;

TEST(NetworkChangeNat, ASwarmConnectsAgainAfterItsPeerMovedToAnotherAddress) {
  LabNet net;
  auto why = net.start(200);
  if (!net.skip.empty()) GTEST_SKIP() << net.skip;
  ASSERT_EQ(why, "");
  auto writer_host = net.lab->add_open_host();
  auto replica_host = net.lab->add_nat_host(NatKind::consistent);
  ASSERT_TRUE(net.lab->ok()) << net.lab->error();

  bee_test::TempDir tmp;
  const std::string db = tmp / "db";
  const std::string clone = tmp / "clone";
  const std::string key = bee_create(net.lab->public_ns(), db);
  ASSERT_EQ(key.size(), 64u) << key;
  auto put = bee_in(net.lab->public_ns(), "put " + db + " k v");
  ASSERT_NE(put.find("exit=0"), std::string::npos) << put;

  const std::string swarm = " --swarm --bootstrap " + net.bootstrap;
  auto writer = bee_running(writer_host.ns, "serve " + db + swarm + " --seconds 150");
  ASSERT_TRUE(writer->wait_for("\"key\"", 30s)) << writer->buffer;
  auto cloned = bee_in(replica_host.ns, "clone " + key + " " + clone + swarm + " --timeout 40000");
  ASSERT_NE(cloned.find("exit=0"), std::string::npos) << cloned;
  auto replica = bee_running(replica_host.ns, "serve " + clone + swarm + " --seconds 140");
  ASSERT_TRUE(replica->wait_for(" connected\n", 60s)) << replica->buffer << "\nwriter: " << writer->buffer;

  ASSERT_TRUE(net.lab->change_address(writer_host, "10.77.3.9"));
  // The old connection fails (keepalives unanswered: ~20 s), and a new one is made: the
  // writer's swarm announced again from its new address (its watch polls every 5 s).
  ASSERT_TRUE(replica->wait_for(" closed (", 60s)) << replica->buffer << "\nwriter: " << writer->buffer;
  const bool again = replica->read_until(
      [](const std::string& b) {
        const auto first = b.find(" connected\n");
        return first != std::string::npos && b.find(" connected\n", first + 1) != std::string::npos;
      },
      Clock::now() + 90s);
  EXPECT_TRUE(again) << replica->buffer << "\nwriter: " << writer->buffer;
}
