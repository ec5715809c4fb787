// The Swarm's DHT discovery end to end on loopback (the discovery issue's test): two `bee`
// processes, `serve --swarm --bootstrap` and `query --swarm --bootstrap`, find each other
// (and connect by key over UDX, HyperDHT's connect protocol) through a local HyperDHT
// testnet of Node nodes (../shared/oracle/dht-testnet.js) and
// through our own `bee dht bootstrap` node (no Node at all), with `bee dht lookup` showing
// the served record. Also the announce/lookup latency on the local testnet (a figure).
// Every child is killed and reaped by NodeChild; every wait is bounded.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <thread>
#include <boost/asio/io_context.hpp>

#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "net/swarm/swarm.hpp"
#include "tests/cli/cli_support.hpp"
#include "tests/net/node_child.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using cli_test::bee;
using cli_test::describe;
using cli_test::Json;
using repl_test::NodeChild;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// `bee create DIR` + puts; returns the key.
std::string make_bee(const std::string& dir) {
  auto created = bee({"create", dir, "--json"});
  EXPECT_EQ(created.exit_code, 0) << describe(created);
  for (auto [k, v] : {std::pair{"hello", "world"}, {"k2", "v2"}, {"hello", "again"}}) {
    auto put = bee({"put", dir, k, v});
    EXPECT_EQ(put.exit_code, 0) << describe(put);
  }
  return Json(created.out).str("key");
}

struct Served {
  std::unique_ptr<NodeChild> process;
  std::string key, discovery_key, peer_key, swarm;
  int64_t port = -1;
};

Served serve(const std::string& dir, const std::vector<std::string>& extra) {
  std::vector<std::string> argv{BEE_CLI_PATH, "serve", dir, "--swarm", "--seconds", "120"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Served s;
  s.process = std::make_unique<NodeChild>(argv);
  EXPECT_TRUE(s.process->read_line(Clock::now() + 20s)) << "bee serve printed nothing: " << s.process->buffer;
  Json info(s.process->line());
  EXPECT_TRUE(info.ok()) << s.process->buffer;
  s.key = info.str("key");
  s.discovery_key = info.str("discoveryKey");
  s.peer_key = info.str("peerKey");
  s.swarm = info.str("swarm");
  s.port = info.num("port");
  return s;
}

std::string testnet_bootstrap(NodeChild& testnet) {
  EXPECT_TRUE(testnet.read_line(Clock::now() + 40s)) << "testnet did not start: " << testnet.buffer;
  Json info(testnet.line());
  EXPECT_TRUE(info.ok()) << testnet.buffer;
  std::string_view first;
  if (info.root()["bootstrapStrings"].at(0).get_string().get(first)) return "";
  return std::string(first);
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

TEST(SwarmDht, OpenNeedsBootstrapNodesForTheDht) {
  boost::asio::io_context io;
  net::swarm::SwarmOptions options;
  options.host = "127.0.0.1";
  options.mode = net::swarm::DiscoveryMode::dht;
  auto swarm = net::swarm::Swarm::open(io, options);
  ASSERT_ERRC(swarm, hypercore::errc::invalid_argument);
  options.bootstrap = {"not-an-address"};
  swarm = net::swarm::Swarm::open(io, options);
  ASSERT_ERRC(swarm, hypercore::errc::invalid_argument);
}

// serve --swarm and query --swarm through a Node testnet; then the announce/lookup figure.
TEST(SwarmDht, QueryFindsServeThroughNodeTestnet) {
  NodeChild testnet({"node", bee_test::oracle_dir() + "/dht-testnet.js", "--nodes", "3", "--seconds", "180"});
  std::string bootstrap = testnet_bootstrap(testnet);
  ASSERT_FALSE(bootstrap.empty());
  bee_test::TempDir tmp;
  std::string db = tmp / "db";
  std::string key = make_bee(db);
  auto local = bee({"get", db, "hello"});
  ASSERT_EQ(local.exit_code, 0) << describe(local);
  ASSERT_EQ(local.out, "again\n");

  Served s = serve(db, {"--bootstrap", bootstrap});
  ASSERT_EQ(s.key, key);
  EXPECT_EQ(s.swarm, "dht");
  auto started = Clock::now();
  auto query = bee({"query", key, "get", "hello", "--swarm", "--bootstrap", bootstrap, "--timeout", "30000"});
  double query_ms = ms_since(started);
  EXPECT_EQ(query.exit_code, 0) << describe(query) << "\nserve: " << s.process->buffer;
  EXPECT_EQ(query.out, local.out);

  // A key nobody serves: a bounded, named failure.
  started = Clock::now();
  auto missing = bee({"query", std::string(64, 'a'), "get", "hello", "--swarm", "--bootstrap", bootstrap,
                      "--timeout", "2500"});
  cli_test::expect_failure(missing, 1, "bee query: ", "request_timeout: no peer announcing discovery key");
  EXPECT_NE(missing.err.find("on the DHT"), std::string::npos) << missing.err;
  EXPECT_LT(Clock::now() - started, 10s);

  // The figure: our announce and lookup on this testnet, from a fresh client node.
  net::EventLoop loop;
  net::dht::DhtNodeOptions options;
  options.bootstrap.push_back(*net::dht::Ipv4Address::parse(bootstrap));
  auto udp = net::dht::UdpDht::open(loop, "127.0.0.1", 0, options);
  ASSERT_TRUE(udp) << udp.error().to_string();
  net::dht::HyperDht dht((*udp)->node());
  auto pump = [&](const bool& flag) {
    auto deadline = Clock::now() + 30s;
    while (!flag && Clock::now() < deadline) loop.run_for(10ms);
    return flag;
  };
  bool ready = false;
  (*udp)->node().bootstrap((*udp)->now(), [&] { ready = true; });
  (*udp)->reschedule();
  ASSERT_TRUE(pump(ready));
  std::vector<double> announce_ms, lookup_ms;
  auto keys = hypercore::KeyPair::random();
  for (int i = 0; i < 10; i++) {
    auto topic = net::dht::hash_target(hypercore::as_bytes("swarm dht figure " + std::to_string(i)));
    bool done = false;
    size_t found = 0;
    // Timed in the callbacks: the pump's 10 ms slices would round the figure up.
    Clock::time_point t1;
    auto t0 = Clock::now();
    dht.announce(topic, keys, {*net::dht::Ipv4Address::parse("127.0.0.1:40000")},
                 [&](const net::dht::QueryResult& r) {
                   EXPECT_TRUE(r.ok);
                   t1 = Clock::now();
                   done = true;
                 },
                 (*udp)->now());
    (*udp)->reschedule();
    ASSERT_TRUE(pump(done));
    announce_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    done = false;
    t0 = Clock::now();
    dht.lookup(topic, [&](const net::dht::PeerReply& r) { found += r.peers.size(); },
               [&](const net::dht::QueryResult&) {
                 t1 = Clock::now();
                 done = true;
               },
               (*udp)->now());
    (*udp)->reschedule();
    ASSERT_TRUE(pump(done));
    lookup_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    EXPECT_GT(found, 0u);
  }
  std::sort(announce_ms.begin(), announce_ms.end());
  std::sort(lookup_ms.begin(), lookup_ms.end());
  std::printf("[ figures ] local testnet (3 Node nodes, loopback), 10 topics: announce median %.1f ms (max %.1f), "
              "lookup median %.1f ms (max %.1f); bee query --swarm (process start, bootstrap, lookup, connect, get) "
              "%.0f ms\n",
              announce_ms[5], announce_ms[9], lookup_ms[5], lookup_ms[9], query_ms);
  s.process.reset();
}

// Our own bootstrap node, no Node: `bee dht lookup` sees the served record (as Hyperswarm's:
// its relay address is the node holding the server's self-announcement, here the bootstrap
// node, the only one), and query --swarm connects to the server by key through it (UDX).
TEST(SwarmDht, OwnBootstrapNodeLookupAndQuery) {
  NodeChild boot({BEE_CLI_PATH, "dht", "bootstrap", "--port", "0", "--seconds", "120"});
  ASSERT_TRUE(boot.read_line(Clock::now() + 10s)) << boot.buffer;
  Json boot_info(boot.line());
  ASSERT_TRUE(boot_info.ok()) << boot.buffer;
  std::string bootstrap = boot_info.str("bootstrap");
  EXPECT_EQ(bootstrap, "127.0.0.1:" + std::to_string(boot_info.num("port")));

  bee_test::TempDir tmp;
  std::string db = tmp / "db";
  std::string key = make_bee(db);
  auto local = bee({"get", db, "hello"});  // before serving: the server holds the lock
  ASSERT_EQ(local.out, "again\n") << describe(local);
  Served s = serve(db, {"--host", "127.0.0.1", "--bootstrap", bootstrap});
  ASSERT_EQ(s.key, key);

  // The announce lands within a few seconds: poll the lookup (bounded).
  std::string expected_address = bootstrap;
  bool seen = false;
  std::string last;
  auto deadline = Clock::now() + 20s;
  while (!seen && Clock::now() < deadline) {
    auto lookup = bee({"dht", "lookup", s.discovery_key, "--bootstrap", bootstrap, "--json", "--timeout", "5000"});
    last = describe(lookup);
    if (lookup.exit_code == 0) {
      Json out(lookup.out);
      simdjson::dom::array peers;
      if (out.ok() && !out.root()["peers"].get_array().get(peers)) {
        for (auto p : peers) {
          std::string_view pk, first;
          if (p["publicKey"].get_string().get(pk) || p["relayAddresses"].at(0).get_string().get(first)) continue;
          seen |= pk == s.peer_key && first == expected_address;
        }
      }
    }
    if (!seen) std::this_thread::sleep_for(300ms);
  }
  EXPECT_TRUE(seen) << "last lookup: " << last << "\nserve: " << s.process->buffer;

  auto text = bee({"dht", "lookup", s.discovery_key, "--bootstrap", bootstrap, "--timeout", "5000"});
  EXPECT_EQ(text.exit_code, 0) << describe(text);
  EXPECT_NE(text.out.find(s.peer_key + " " + expected_address), std::string::npos) << describe(text);

  auto query = bee({"query", key, "get", "hello", "--swarm", "--bootstrap", bootstrap, "--timeout", "20000"});
  EXPECT_EQ(query.exit_code, 0) << describe(query) << "\nserve: " << s.process->buffer;
  EXPECT_EQ(query.out, local.out);

  // Usage errors of the dht commands.
  cli_test::expect_failure(bee({"dht", "lookup", "zz", "--bootstrap", bootstrap}), 64, "bee dht lookup: ", "TOPIC");
  cli_test::expect_failure(bee({"dht", "lookup", s.discovery_key, "--bootstrap", "nowhere"}), 64,
                           "bee dht lookup: ", "IPV4:PORT");
  cli_test::expect_failure(bee({"dht", "bootstrap"}), 64, "bee dht bootstrap: ", "--port");
  cli_test::expect_failure(bee({"dht", "bootstrap", "--port", "0", "--host", "0.0.0.0"}), 64, "bee dht bootstrap: ",
                           "0.0.0.0");
}
