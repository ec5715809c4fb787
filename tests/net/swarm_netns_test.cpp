// The Swarm on a real link, end to end with the `bee` tool: two network namespaces joined
// by a veth pair (tests/net/mdns/netns.hpp: created and removed by each test, even when
// it fails), a `bee serve DIR --swarm --lan` in one and `bee query|clone KEY --swarm
// --lan` or a second `bee serve --swarm --lan` in the other. The peers know only the key:
// they find each other through mDNS (no DHT, no --peer) and replicate over TCP.
//
// Needs root (ip netns) and iproute2; without them the tests FAIL with a message saying
// what is missing. Every wait is bounded (the children bound themselves with --timeout or
// --seconds, and the test's waits have deadlines).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "tests/net/mdns/netns.hpp"
#include "tests/support/temp_dir.hpp"

using namespace mdns_test;

namespace {

const std::string kBee = BEE_CLI_PATH;

// `bee ARGS...` in this (the host's) namespace, on local directories: exit code and
// output (stdout and stderr together).
std::pair<int, std::string> bee_local(std::vector<std::string> args) {
  args.insert(args.begin(), kBee);
  Child child(args);
  auto code = child.wait_exit(30s);
  return {code.value_or(-1), child.output()};
}

// A bee in `dir` with the given puts; returns its key (hex).
std::string make_bee(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& puts) {
  auto [code, out] = bee_local({"create", dir});
  EXPECT_EQ(code, 0) << out;
  for (const auto& [k, v] : puts) {
    auto [c, o] = bee_local({"put", dir, k, v});
    EXPECT_EQ(c, 0) << o;
  }
  return out.substr(0, std::min<size_t>(out.find('\n'), 64));
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) n++;
  return n;
}

}  // namespace

// The end-to-end test: `serve --swarm --lan` in A, `query --swarm --lan` in B.
TEST(SwarmNetns, QueryFindsServeByKeyAlone) {
  NetnsPair net;
  REQUIRE_NETNS(net);
  bee_test::TempDir tmp;
  std::string db = tmp / "db";
  std::string key = make_bee(db, {{"hello", "world"}, {"k2", "v2"}, {"hello", "again"}});
  ASSERT_EQ(key.size(), 64u);
  auto [local_code, local] = bee_local({"get", db, "hello"});
  ASSERT_EQ(local_code, 0) << local;
  ASSERT_EQ(local, "again\n");

  Child serve(NetnsPair::in(net.ns_a, {kBee, "serve", db, "--swarm", "--lan", "--seconds", "60"}));
  ASSERT_TRUE(serve.wait_for("\"swarm\":\"lan\"", 10s)) << serve.output();
  EXPECT_NE(serve.output().find("\"host\":\"0.0.0.0\""), std::string::npos) << serve.output();

  Child query(NetnsPair::in(net.ns_b, {kBee, "query", key, "get", "hello", "--swarm", "--lan", "--timeout", "15000"}));
  auto code = query.wait_exit(25s);
  EXPECT_EQ(code, 0) << query.output() << "\nserve: " << serve.output();
  EXPECT_EQ(query.output(), local);

  // A second read, a missing key: answered as the local command answers.
  Child missing(NetnsPair::in(net.ns_b, {kBee, "query", key, "get", "nope", "--swarm", "--lan", "--timeout", "15000"}));
  EXPECT_EQ(missing.wait_exit(25s), 1) << missing.output();
  EXPECT_NE(missing.output().find("no key 'nope'"), std::string::npos) << missing.output();

  // Another key: nobody announces it; --timeout bounds the discovery.
  std::string other(64, 'a');
  auto started = Clock::now();
  Child lost(NetnsPair::in(net.ns_b, {kBee, "query", other, "get", "hello", "--swarm", "--lan", "--timeout", "2500"}));
  EXPECT_EQ(lost.wait_exit(15s), 1) << lost.output();
  EXPECT_LT(Clock::now() - started, 10s);
  EXPECT_NE(lost.output().find("request_timeout: no peer announcing discovery key"), std::string::npos)
      << lost.output();

  serve.terminate();
  EXPECT_NE(serve.output().find("connected"), std::string::npos) << serve.output();
  EXPECT_NE(serve.output().find("lookups answered 1"), std::string::npos) << serve.output();
}

// Two of our peers find each other and replicate a bee with no DHT: a clone by key, then
// two `serve --swarm --lan` (the writer, ahead, and the clone, behind) that connect to
// each other once (one connection for the pair, dialled by the lower key) and bring the
// clone up to date.
TEST(SwarmNetns, TwoServersReplicateOverOneConnection) {
  NetnsPair net;
  REQUIRE_NETNS(net);
  bee_test::TempDir tmp;
  std::string db = tmp / "db", copy = tmp / "copy";
  std::string key = make_bee(db, {{"a", "1"}, {"b", "2"}});
  ASSERT_EQ(key.size(), 64u);

  {
    Child serve(NetnsPair::in(net.ns_a, {kBee, "serve", db, "--swarm", "--lan", "--seconds", "60"}));
    ASSERT_TRUE(serve.wait_for("\"swarm\":\"lan\"", 10s)) << serve.output();
    Child clone(NetnsPair::in(net.ns_b, {kBee, "clone", key, copy, "--swarm", "--lan", "--timeout", "15000"}));
    EXPECT_EQ(clone.wait_exit(25s), 0) << clone.output() << "\nserve: " << serve.output();
    EXPECT_NE(clone.output().find("found a peer on the LAN at 10.77.0.1:"), std::string::npos) << clone.output();
    EXPECT_NE(clone.output().find("\"length\":3"), std::string::npos) << clone.output();
  }
  auto [c0, before] = bee_local({"get", copy, "c"});
  EXPECT_EQ(c0, 1) << before;

  // The writer moves ahead while the clone is offline.
  auto [c1, o1] = bee_local({"put", db, "c", "3"});
  ASSERT_EQ(c1, 0) << o1;
  auto [c2, o2] = bee_local({"put", db, "a", "one"});
  ASSERT_EQ(c2, 0) << o2;

  Child writer(NetnsPair::in(net.ns_a, {kBee, "serve", db, "--swarm", "--lan", "--seconds", "8"}));
  Child replica(NetnsPair::in(net.ns_b, {kBee, "serve", copy, "--swarm", "--lan", "--seconds", "8"}));
  EXPECT_EQ(writer.wait_exit(20s), 0) << writer.output();
  EXPECT_EQ(replica.wait_exit(20s), 0) << replica.output();
  // One connection for the pair, seen from both sides.
  EXPECT_EQ(count(writer.output(), " connected"), 1u) << writer.output();
  EXPECT_EQ(count(replica.output(), " connected"), 1u) << replica.output();
  EXPECT_NE(replica.output().find("blocks down 2"), std::string::npos) << replica.output();

  for (const char* k : {"a", "b", "c"}) {
    auto [lc, local] = bee_local({"get", db, k});
    auto [rc, remote] = bee_local({"get", copy, k});
    EXPECT_EQ(lc, 0) << local;
    EXPECT_EQ(rc, 0) << remote;
    EXPECT_EQ(remote, local) << "key " << k;
  }
}
