// Three `bee` processes writing one group, as users run them: on loopback (a device
// serving, the others syncing by address) and on a LAN between two network namespaces
// (finding each other by the group's key alone, mDNS); concurrent writes during a
// partition, healing, and the same `bee group range` on every device. Then the todo
// example, three devices end to end. Every child bounds itself (--seconds, --timeout) and
// every wait here has a deadline.
#include <gtest/gtest.h>

#include "tests/net/mdns/netns.hpp"
#include "tests/support/temp_dir.hpp"

using namespace mdns_test;

namespace {

const std::string kBee = BEE_CLI_PATH;
const std::string kTodo = TODO_PATH;

std::pair<int, std::string> run(std::vector<std::string> argv) {
  Child child(argv);
  auto code = child.wait_exit(60s);
  return {code.value_or(-1), child.output()};
}

std::string bee_ok(std::vector<std::string> args) {
  args.insert(args.begin(), kBee);
  auto [code, out] = run(args);
  EXPECT_EQ(code, 0) << out;
  return out;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// The "port" of a serve's JSON line.
std::string port_of(const std::string& out) {
  auto at = out.find("\"port\":");
  if (at == std::string::npos) return "";
  at += 7;
  return out.substr(at, out.find_first_not_of("0123456789", at) - at);
}

// A group of three devices in `tmp`: A (root) created, B and C joined and invited.
std::vector<std::string> three_devices(const bee_test::TempDir& tmp) {
  std::vector<std::string> dirs = {tmp / "a", tmp / "b", tmp / "c"};
  std::string key = first_line(bee_ok({"group", "create", dirs[0]}));
  for (int i = 1; i < 3; ++i) {
    std::string writer = first_line(bee_ok({"group", "join", key, dirs[i]}));
    bee_ok({"group", "invite", dirs[0], writer});
  }
  return dirs;
}

// Each device writes while partitioned: the same keys and its own.
void partitioned_writes(const std::vector<std::string>& dirs) {
  for (int i = 0; i < 3; ++i) {
    bee_ok({"group", "put", dirs[i], "shared", "from " + std::to_string(i)});
    bee_ok({"group", "put", dirs[i], "own" + std::to_string(i), "x"});
    if (i == 1) bee_ok({"group", "del", dirs[i], "own1"});
  }
}

TEST(GroupCli, ThreeProcessesOnLoopbackConvergeAfterAPartition) {
  bee_test::TempDir tmp;
  auto dirs = three_devices(tmp);
  auto sync_all = [&] {
    Child serve({kBee, "group", "serve", dirs[0], "--seconds", "60"});
    ASSERT_TRUE(serve.wait_for("\"port\":", 10s)) << serve.output();
    std::string peer = "127.0.0.1:" + port_of(serve.output());
    // B, C, then B again: B gets C's log through A.
    for (const auto& dir : {dirs[1], dirs[2], dirs[1]}) {
      auto [code, out] = run({kBee, "group", "sync", dir, "--peer", peer, "--timeout", "20000"});
      ASSERT_EQ(code, 0) << out << "\nserve: " << serve.output();
    }
    serve.terminate();
  };
  sync_all();  // B and C learn they are members
  partitioned_writes(dirs);
  sync_all();
  std::string range = bee_ok({"group", "range", dirs[0]});
  EXPECT_NE(range.find("own0\tx\n"), std::string::npos) << range;
  EXPECT_EQ(range.find("own1"), std::string::npos) << range;
  EXPECT_NE(range.find("own2\tx\n"), std::string::npos) << range;
  for (const auto& dir : dirs) EXPECT_EQ(bee_ok({"group", "range", dir}), range) << dir;
  std::string status = bee_ok({"group", "status", dirs[2], "--json"});
  EXPECT_NE(status.find("\"caughtUp\":true"), std::string::npos) << status;
  EXPECT_NE(status.find("\"writable\":true"), std::string::npos) << status;
}

TEST(GroupCli, ThreeProcessesOnALanFindEachOtherByTheKey) {
  NetnsPair net;
  REQUIRE_NETNS(net);
  bee_test::TempDir tmp;
  auto dirs = three_devices(tmp);
  auto sync_all = [&] {
    Child serve(NetnsPair::in(net.ns_a, {kBee, "group", "serve", dirs[0], "--swarm", "--lan", "--seconds", "60"}));
    ASSERT_TRUE(serve.wait_for("\"swarm\":\"lan\"", 10s)) << serve.output();
    for (const auto& dir : {dirs[1], dirs[2], dirs[1]}) {
      Child sync(NetnsPair::in(net.ns_b, {kBee, "group", "sync", dir, "--swarm", "--lan", "--timeout", "20000"}));
      ASSERT_EQ(sync.wait_exit(30s), 0) << sync.output() << "\nserve: " << serve.output();
    }
    serve.terminate();
  };
  sync_all();
  partitioned_writes(dirs);
  sync_all();
  std::string range = bee_ok({"group", "range", dirs[0]});
  EXPECT_NE(range.find("shared\t"), std::string::npos) << range;
  for (const auto& dir : dirs) EXPECT_EQ(bee_ok({"group", "range", dir}), range) << dir;
}

// Through the DHT: a `bee dht bootstrap` node on 127.0.0.1, the serving device announcing
// the group's discovery key there, the others finding it by that key alone.
TEST(GroupCli, ThreeProcessesFindEachOtherThroughTheDht) {
  bee_test::TempDir tmp;
  auto dirs = three_devices(tmp);
  Child dht({kBee, "dht", "bootstrap", "--host", "127.0.0.1", "--port", "0", "--seconds", "60"});
  ASSERT_TRUE(dht.wait_for("\"bootstrap\":\"", 10s)) << dht.output();
  std::string out = dht.output();
  auto at = out.find("\"bootstrap\":\"") + 13;
  std::string bootstrap = out.substr(at, out.find('"', at) - at);
  auto sync_all = [&] {
    Child serve({kBee, "group", "serve", dirs[0], "--swarm", "--host", "127.0.0.1", "--bootstrap", bootstrap, "--seconds", "60"});
    ASSERT_TRUE(serve.wait_for("\"swarm\":\"dht\"", 10s)) << serve.output();
    for (const auto& dir : {dirs[1], dirs[2], dirs[1]}) {
      auto [code, sync] = run({kBee, "group", "sync", dir, "--swarm", "--bootstrap", bootstrap, "--timeout", "20000"});
      ASSERT_EQ(code, 0) << sync << "\nserve: " << serve.output();
    }
    serve.terminate();
  };
  sync_all();
  partitioned_writes(dirs);
  sync_all();
  std::string range = bee_ok({"group", "range", dirs[0]});
  EXPECT_NE(range.find("own2\tx\n"), std::string::npos) << range;
  for (const auto& dir : dirs) EXPECT_EQ(bee_ok({"group", "range", dir}), range) << dir;
}

TEST(GroupCli, TheTodoExampleOnThreeDevices) {
  bee_test::TempDir tmp;
  std::string t1 = tmp / "t1", t2 = tmp / "t2", t3 = tmp / "t3";
  auto todo = [&](std::vector<std::string> args) {
    args.insert(args.begin(), kTodo);
    auto [code, out] = run(args);
    EXPECT_EQ(code, 0) << out;
    return first_line(out);
  };
  std::string key = todo({"new", t1});
  todo({"invite", t1, todo({"join", t2, key})});
  todo({"invite", t1, todo({"join", t3, key})});
  auto sync_all = [&] {
    Child serve({kTodo, "serve", t1, "0", "60"});
    ASSERT_TRUE(serve.wait_for("serving on port ", 10s)) << serve.output();
    std::string out = serve.output();
    auto at = out.find("serving on port ") + 16;
    std::string peer = "127.0.0.1:" + out.substr(at, out.find('\n', at) - at);
    for (const auto& dir : {t2, t3, t2}) todo({"sync", dir, peer});
    serve.terminate();
  };
  sync_all();
  std::string milk = todo({"add", t2, "milk"});
  std::string eggs = todo({"add", t3, "eggs"});
  todo({"add", t1, "bread"});
  sync_all();
  todo({"done", t3, milk});  // C ticks off B's item
  sync_all();
  auto [code, list] = run({kTodo, "list", t1});
  ASSERT_EQ(code, 0) << list;
  EXPECT_NE(list.find("[x] " + milk + " milk"), std::string::npos) << list;
  EXPECT_NE(list.find("[ ] " + eggs + " eggs"), std::string::npos) << list;
  EXPECT_NE(list.find(" bread"), std::string::npos) << list;
  for (const auto& dir : {t2, t3}) EXPECT_EQ(run({kTodo, "list", dir}).second, list) << dir;
}

}  // namespace
