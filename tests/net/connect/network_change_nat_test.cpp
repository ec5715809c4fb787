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

namespace {

// Runs the bee tool in `ns` to its end; its stdout and stderr, then "exit=N".
std::string bee_in(const std::string& ns, const std::string& args, std::chrono::seconds limit = 60s) {
  NodeChild child(NatLab::command(ns, {"sh", "-c", std::string(BEE_CLI_PATH) + " " + args + " 2>&1; echo exit=$?"}));
  child.wait_for("exit=", limit);
  child.read_line(Clock::now() + 1s);
  return child.buffer;
}

// A long-running bee command in `ns`, its stderr with its stdout.
std::unique_ptr<NodeChild> bee_running(const std::string& ns, const std::string& args) {
  return std::make_unique<NodeChild>(
      NatLab::command(ns, {"sh", "-c", "exec " + std::string(BEE_CLI_PATH) + " " + args + " 2>&1"}));
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) n++;
  return n;
}

}  // namespace

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
  auto created = bee_in(net.lab->public_ns(), "create " + db);
  ASSERT_NE(created.find("exit=0"), std::string::npos) << created;
  const std::string key = created.substr(0, 64);
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
      [](const std::string& b) { return count(b, " connected\n") >= 2; }, Clock::now() + 90s);
  EXPECT_TRUE(again) << replica->buffer << "\nwriter: " << writer->buffer;
}
