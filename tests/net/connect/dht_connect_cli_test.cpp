// `bee dht connect PUBLICKEY` against a stock Node hyperdht server (an echo server of
// tests/interop/hyperswarm_peer.js) on a Node testnet, in a network namespace of the
// test's own: it reports the path, the relay and the times, in text and JSON; a key
// nobody announced fails with connect_failed naming why; through `bee relay` the path is
// relay. Skipped only without root.
#include <gtest/gtest.h>

#include <chrono>

#include "tests/net/node_child.hpp"
#include "tests/support/oracle.hpp"
#include "tests/support/private_netns.hpp"

using namespace repl_test;
using namespace std::chrono_literals;

namespace {

std::string first_line_field(const std::string& buffer, const std::string& name) {
  auto at = buffer.find("\"" + name + "\":\"");
  if (at == std::string::npos) return "";
  at += name.size() + 4;
  return buffer.substr(at, buffer.find('"', at) - at);
}

}  // namespace

TEST(DhtConnectCli, ReachesANodeServerAndSaysHow) {
  if (auto why = test_support::enter_private_netns(); !why.empty()) GTEST_SKIP() << why;
  NodeChild testnet({"node", bee_test::oracle_dir() + "/dht-testnet.js", "--nodes", "3", "--seconds", "60"});
  ASSERT_TRUE(testnet.read_line(Clock::now() + 30s)) << testnet.buffer;
  auto at = testnet.buffer.find("\"bootstrapStrings\":[\"");
  ASSERT_NE(at, std::string::npos) << testnet.buffer;
  at += 21;
  std::string bootstrap = testnet.buffer.substr(at, testnet.buffer.find('"', at) - at);

  NodeChild server({"node", bee_test::interop_script("hyperswarm_peer.js"), "dht-listen", "--bootstrap", bootstrap,
                    "--seed", std::string(64, '7'), "--seconds", "50"});
  ASSERT_TRUE(server.read_line(Clock::now() + 30s)) << server.buffer;
  std::string key = first_line_field(server.buffer, "publicKey");
  ASSERT_EQ(key.size(), 64u) << server.buffer;

  auto text = bee_test::run_process({BEE_CLI_PATH, "dht", "connect", key, "--bootstrap", bootstrap, "--host", "127.0.0.1"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("connected to " + key), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  path "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("handshake through 127.0.0.1:"), std::string::npos) << text.out;

  auto json = bee_test::run_process(
      {BEE_CLI_PATH, "dht", "connect", key, "--bootstrap", bootstrap, "--host", "127.0.0.1", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(first_line_field(json.out, "publicKey"), key) << json.out;
  std::string path = first_line_field(json.out, "path");
  EXPECT_TRUE(path == "direct" || path == "open_server" || path == "relayed_address") << json.out;
  EXPECT_NE(json.out.find("\"openMs\":"), std::string::npos) << json.out;
  // The echo server saw both connections, from our key.
  ASSERT_TRUE(server.read_until([](const std::string& b) { return b.find("connection") != std::string::npos; },
                                Clock::now() + 10s))
      << server.buffer;

  auto missing = bee_test::run_process({BEE_CLI_PATH, "dht", "connect", std::string(64, '2'), "--bootstrap",
                                        bootstrap, "--host", "127.0.0.1", "--timeout", "5000"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("connect_failed: peer not found"), std::string::npos) << missing.err;
  auto bad = bee_test::run_process({BEE_CLI_PATH, "dht", "connect", "xyz", "--bootstrap", bootstrap});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("PUBLICKEY needs 64 hex digits"), std::string::npos) << bad.err;
}

// `bee relay` runs a blind relay on the testnet and prints its key; `bee dht connect --relay`
// reaches a firewalled Node server through it (path relay); bad keys fail before any work.
TEST(DhtConnectCli, ReachesANodeServerThroughBeeRelay) {
  if (auto why = test_support::enter_private_netns(); !why.empty()) GTEST_SKIP() << why;
  NodeChild testnet({"node", bee_test::oracle_dir() + "/dht-testnet.js", "--nodes", "3", "--seconds", "60"});
  ASSERT_TRUE(testnet.read_line(Clock::now() + 30s)) << testnet.buffer;
  auto at = testnet.buffer.find("\"bootstrapStrings\":[\"");
  ASSERT_NE(at, std::string::npos) << testnet.buffer;
  at += 21;
  std::string bootstrap = testnet.buffer.substr(at, testnet.buffer.find('"', at) - at);

  // A short run first (its announcement is then replaced by the long one's): the same seed,
  // the same key, which is what a person puts in a config file.
  auto first = bee_test::run_process({BEE_CLI_PATH, "relay", "--bootstrap", bootstrap, "--host", "127.0.0.1", "--seed",
                                      std::string(64, '5'), "--seconds", "1", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::string first_key = first_line_field(first.out, "publicKey");
  NodeChild relay({BEE_CLI_PATH, "relay", "--bootstrap", bootstrap, "--host", "127.0.0.1", "--seed",
                   std::string(64, '5'), "--seconds", "50", "--json"});
  ASSERT_TRUE(relay.read_line(Clock::now() + 30s)) << relay.buffer;
  std::string relay_key = first_line_field(relay.buffer, "publicKey");
  ASSERT_EQ(relay_key.size(), 64u) << relay.buffer;
  EXPECT_EQ(relay_key, first_key) << "the same seed gives the same key";

  // Firewalled: on loopback the Node server would soon find itself reachable and answer
  // OPEN, and an open server is dialled directly, relay or not.
  NodeChild server({"node", bee_test::interop_script("hyperswarm_peer.js"), "dht-listen", "--bootstrap", bootstrap,
                    "--seed", std::string(64, '7'), "--firewalled", "1", "--seconds", "50"});
  ASSERT_TRUE(server.read_line(Clock::now() + 30s)) << server.buffer;
  std::string key = first_line_field(server.buffer, "publicKey");
  ASSERT_EQ(key.size(), 64u) << server.buffer;

  auto json = bee_test::run_process({BEE_CLI_PATH, "dht", "connect", key, "--bootstrap", bootstrap, "--host",
                                     "127.0.0.1", "--relay", relay_key, "--relay-only", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(first_line_field(json.out, "path"), "relay") << json.out;
  EXPECT_NE(json.out.find("\"openMs\":"), std::string::npos) << json.out;
  ASSERT_TRUE(server.read_until([](const std::string& b) { return b.find("connection") != std::string::npos; },
                                Clock::now() + 10s))
      << server.buffer;

  auto bad_seed = bee_test::run_process({BEE_CLI_PATH, "relay", "--seed", "xyz"});
  EXPECT_EQ(bad_seed.exit_code, 64);
  EXPECT_NE(bad_seed.err.find("--seed needs 64 hex digits"), std::string::npos) << bad_seed.err;
  auto bad_relay = bee_test::run_process({BEE_CLI_PATH, "dht", "connect", key, "--relay", "zz"});
  EXPECT_EQ(bad_relay.exit_code, 64);
  EXPECT_NE(bad_relay.err.find("--relay needs a public key of 64 hex digits"), std::string::npos) << bad_relay.err;
}
