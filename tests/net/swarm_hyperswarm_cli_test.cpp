// `bee query|clone|serve --swarm` against stock Node Hyperswarm apps (hyperswarm 4.17.2,
// hyperdht 6.34.0) on a Node HyperDHT testnet: the Swarm's DHT mode connects through
// HyperDHT's connect protocol over UDX (net/connect/dht_peer.hpp), in both roles:
//   - a Node `hyperswarm_peer.js swarm-serve` bee is read by `bee query ... --swarm` and
//     cloned by `bee clone --swarm`; entries the Node server appends afterwards reach the
//     next query and a second clone into the same directory (the CLI has no live mode);
//   - a Node `swarm-get` client reads a bee served by `bee serve DIR --swarm`.
// HyperDHT peers advertise every interface address, so everything runs inside a network
// namespace of the test's own (its loopback only). Skipped only without root; a missing
// Node reference fails. Every child is killed and reaped; every wait is bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/cli_support.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/oracle.hpp"
#include "tests/support/private_netns.hpp"

namespace {

using cli_test::bee;
using cli_test::describe;
using cli_test::Json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A child with stdin and stdout piped (NODE_PATH set to the reference's modules); killed
// and reaped on destruction.
struct Child : bee_test::ChildProcess {
  explicit Child(const std::vector<std::string>& argv) : ChildProcess(argv, options()) {}
  static Options options() {
    Options o;
    o.env.push_back("NODE_PATH=" + bee_test::oracle_dir() + "/node_modules");
    o.pipe_stdin = true;
    return o;
  }
};

// The namespace and a Node testnet of 3 nodes in it.
struct Net {
  std::string skip;
  std::unique_ptr<Child> testnet;
  std::string bootstrap;

  Net() {
    if (auto why = test_support::enter_private_netns(); !why.empty()) {
      skip = why;
      return;
    }
    testnet = std::make_unique<Child>(std::vector<std::string>{
        "node", bee_test::oracle_dir() + "/dht-testnet.js", "--nodes", "3", "--seconds", "170"});
    if (!testnet->wait_for("\n", 40s)) {
      ADD_FAILURE() << "the Node testnet did not start: " << testnet->buffer;
      return;
    }
    Json info(testnet->line());
    std::string_view first;
    if (!info.ok() || info.root()["bootstrapStrings"].at(0).get_string().get(first)) {
      ADD_FAILURE() << "no bootstrap in " << testnet->buffer;
      return;
    }
    bootstrap = std::string(first);
  }
};

}  // namespace

// (a) and (c): a Node Hyperswarm server's bee, read and cloned by `bee --swarm`.
TEST(SwarmHyperswarmCli, BeeQueriesAndClonesANodeHyperswarmServer) {
  Net net;
  if (!net.skip.empty()) GTEST_SKIP() << net.skip;
  ASSERT_FALSE(net.bootstrap.empty());
  Child server({"node", bee_test::interop_script("hyperswarm_peer.js"), "swarm-serve", "--bootstrap", net.bootstrap,
                "--entries", "500", "--seconds", "150"});
  ASSERT_TRUE(server.wait_for("\n", 40s)) << server.buffer;
  Json info(server.line());
  ASSERT_TRUE(info.ok()) << server.buffer;
  std::string key = info.str("key");
  int64_t length = info.num("length");
  ASSERT_GT(length, 500);

  auto started = Clock::now();
  auto query = bee({"query", key, "get", "key000123", "--swarm", "--bootstrap", net.bootstrap, "--timeout", "30000"});
  auto query_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  ASSERT_EQ(query.exit_code, 0) << describe(query);
  EXPECT_EQ(query.out, "value000123\n");
  auto missing = bee({"query", key, "get", "nope", "--swarm", "--bootstrap", net.bootstrap, "--timeout", "30000"});
  cli_test::expect_failure(missing, 1, "bee query: ", "not_found: no key 'nope'");

  bee_test::TempDir tmp;
  std::string dir = tmp / "clone";
  started = Clock::now();
  auto clone = bee({"clone", key, dir, "--swarm", "--bootstrap", net.bootstrap, "--timeout", "30000"});
  auto clone_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  ASSERT_EQ(clone.exit_code, 0) << describe(clone);
  EXPECT_NE(clone.err.find("found a peer on the DHT by key"), std::string::npos) << clone.err;
  Json cloned(clone.out);
  ASSERT_TRUE(cloned.ok()) << clone.out;
  EXPECT_EQ(cloned.num("length"), length);
  auto got = bee({"get", dir, "key000499"});
  EXPECT_EQ(got.out, "value000499\n") << describe(got);

  // Appends on the Node server after that: the next query and a second clone see them.
  ASSERT_TRUE(server.write("put key999999 live-value\n"));
  ASSERT_TRUE(server.wait_for("{\"length\":", 20s)) << server.buffer;
  auto live = bee({"query", key, "get", "key999999", "--swarm", "--bootstrap", net.bootstrap, "--timeout", "30000"});
  EXPECT_EQ(live.exit_code, 0) << describe(live);
  EXPECT_EQ(live.out, "live-value\n");
  auto again = bee({"clone", key, dir, "--swarm", "--bootstrap", net.bootstrap, "--timeout", "30000"});
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  Json grown(again.out);
  EXPECT_EQ(grown.num("length"), length + 1) << again.out;
  got = bee({"get", dir, "key999999"});
  EXPECT_EQ(got.out, "live-value\n") << describe(got);
  std::printf("[ figures ] Node testnet in a netns: bee query --swarm of a Node Hyperswarm server %lld ms, "
              "bee clone --swarm (%lld blocks) %lld ms\n",
              static_cast<long long>(query_ms), static_cast<long long>(length), static_cast<long long>(clone_ms));
}

// (b): a Node Hyperswarm client reads a bee served by `bee serve DIR --swarm`.
TEST(SwarmHyperswarmCli, ANodeHyperswarmClientReadsBeeServe) {
  Net net;
  if (!net.skip.empty()) GTEST_SKIP() << net.skip;
  ASSERT_FALSE(net.bootstrap.empty());
  bee_test::TempDir tmp;
  std::string db = tmp / "db";
  auto created = bee({"create", db, "--json"});
  ASSERT_EQ(created.exit_code, 0) << describe(created);
  std::string key = Json(created.out).str("key");
  for (auto [k, v] : {std::pair{"hello", "world"}, {"k2", "v2"}, {"hello", "again"}}) {
    auto put = bee({"put", db, k, v});
    ASSERT_EQ(put.exit_code, 0) << describe(put);
  }
  Child serve({BEE_CLI_PATH, "serve", db, "--swarm", "--bootstrap", net.bootstrap, "--seconds", "90"});
  ASSERT_TRUE(serve.wait_for("\n", 20s)) << serve.buffer;
  Json info(serve.line());
  ASSERT_TRUE(info.ok()) << serve.buffer;
  EXPECT_EQ(info.str("swarm"), "dht");
  int64_t length = info.num("length");
  // A Hyperswarm client looks a topic up once and then every 10 minutes: start it once our
  // record is on the DHT (serve prints its line before its first announce lands).
  bool announced = false;
  std::string last;
  auto deadline = Clock::now() + 20s;
  while (!announced && Clock::now() < deadline) {
    auto lookup = bee({"dht", "lookup", info.str("discoveryKey"), "--bootstrap", net.bootstrap, "--timeout", "5000"});
    last = describe(lookup);
    announced = lookup.out.find(info.str("peerKey")) != std::string::npos;
    if (!announced) std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(announced) << "last lookup: " << last;

  Child client({"node", bee_test::interop_script("hyperswarm_peer.js"), "swarm-get", "--bootstrap", net.bootstrap,
                "--key", key, "--get", "hello,k2,missing", "--min-length", std::to_string(length), "--seconds", "45"});
  ASSERT_TRUE(client.wait_for("\n", 50s)) << "client: " << client.buffer << "\nserve: " << serve.buffer;
  EXPECT_NE(client.buffer.find("\"hello\":\"again\""), std::string::npos) << client.buffer;
  EXPECT_NE(client.buffer.find("\"k2\":\"v2\""), std::string::npos) << client.buffer;
  EXPECT_NE(client.buffer.find("\"missing\":null"), std::string::npos) << client.buffer;
}
