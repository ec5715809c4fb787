// `bee serve`, `bee clone` and `bee query` end to end on 127.0.0.1: a server in the
// background, clones into temp dirs (TCP, WebSocket, sparse then resumed), `bee core
// verify` on the clone, the server stopping by itself (--seconds) or on SIGTERM; remote
// queries that must print what the local read commands print on the served directory, and
// what the Node reference's `peer.js clone` answers (with no more blocks) when Node serves
// the same bee. Every child is killed and reaped; every clone and query has a --timeout.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/cli/cli_support.hpp"

namespace {

using namespace cli_test;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A server in the background (`bee serve ARGS...`, or any command); stdout captured.
struct ServeProcess {
  pid_t pid = -1;
  int out = -1;
  std::string buffer;
  int status = -1;

  explicit ServeProcess(std::vector<std::string> args) : ServeProcess(with_serve(std::move(args)), {}) {}
  // argv[0] is looked up in PATH; `env` entries ("NAME=VALUE") are added to the child's.
  ServeProcess(std::vector<std::string> argv, std::vector<std::string> env) {
    int p[2];
    if (pipe(p) != 0) return;
    pid = fork();
    if (pid == 0) {
      // Dies with the test: a crashed test must not leave it holding ctest's output pipe.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      dup2(p[1], 1);
      close(p[0]);
      close(p[1]);
      for (auto& e : env) putenv(e.data());
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(p[1]);
    out = p[0];
  }
  static std::vector<std::string> with_serve(std::vector<std::string> args) {
    args.insert(args.begin(), {BEE_CLI_PATH, "serve"});
    return args;
  }
  ~ServeProcess() {
    if (pid > 0 && status < 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out >= 0) close(out);
  }
  // The JSON line printed once listening.
  bool read_line(Clock::time_point deadline) {
    char buf[4096];
    while (buffer.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd fd{out, POLLIN, 0};
      int r = poll(&fd, 1, static_cast<int>(std::min<long long>(left, 200)));
      if (r < 0 && errno != EINTR) return false;
      if (r <= 0) continue;
      ssize_t n = read(out, buf, sizeof buf);
      if (n <= 0) return false;
      buffer.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // Waits (bounded) for the process to exit by itself; its exit status, or -1.
  int wait_exit(std::chrono::milliseconds limit) {
    auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      int s = 0;
      pid_t r = waitpid(pid, &s, WNOHANG);
      if (r == pid) {
        status = WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
        return status;
      }
      usleep(20000);
    }
    return -1;
  }
};

struct Served {
  std::string key;
  std::string port;
  std::string ws_port;
};

Served parse_served(const std::string& line) {
  Json info(line);
  EXPECT_TRUE(info.ok()) << line;
  return {info.str("key"), std::to_string(info.num("port")), std::to_string(info.num("wsPort"))};
}

// A core of `n` blocks in `dir` (seed 0x01).
void make_core(const std::string& dir, int n) {
  ASSERT_OK(bee({"core", "create", dir, "--seed", seed01()}));
  std::vector<std::string> args{"core", "append", dir};
  for (int i = 0; i < n; i++) args.push_back("block-" + std::to_string(i));
  ASSERT_OK(bee(args));
}

TEST(NetCli, ServeThenCloneOverTcpAndWebSocket) {
  TempDir tmp;
  make_core(tmp / "src", 25);
  // Read before serving: the server holds the core's lock.
  auto source = bee({"core", "info", tmp / "src", "--json"});
  ASSERT_OK(source);
  Json source_info(source.out);
  ServeProcess serve({tmp / "src", "--port", "0", "--ws-port", "0", "--seconds", "30"});
  ASSERT_TRUE(serve.read_line(Clock::now() + 20s)) << serve.buffer;
  Json info(serve.buffer.substr(0, serve.buffer.find('\n')));
  ASSERT_TRUE(info.ok()) << serve.buffer;
  EXPECT_EQ(info.str("key"), kKey);
  EXPECT_EQ(info.str("discoveryKey"), kDiscoveryKey);
  EXPECT_EQ(info.str("host"), "127.0.0.1");
  EXPECT_EQ(info.num("length"), 25);
  auto served = parse_served(serve.buffer.substr(0, serve.buffer.find('\n')));

  auto r = bee({"clone", served.key, tmp / "tcp", "--peer", "127.0.0.1:" + served.port, "--timeout", "20000"});
  ASSERT_OK(r);
  Json out(r.out);
  ASSERT_TRUE(out.ok()) << r.out;
  EXPECT_EQ(out.num("length"), 25);
  EXPECT_EQ(out.num("blocks"), 25);
  EXPECT_EQ(out.str("treeHash"), source_info.str("treeHash"));
  auto verify = bee({"core", "verify", tmp / "tcp"});
  EXPECT_OK(verify);
  auto got = bee({"core", "get", tmp / "tcp", "24"});
  EXPECT_OK(got);
  EXPECT_EQ(got.out.substr(0, 8), "block-24");

  r = bee({"clone", served.key, tmp / "ws", "--peer", "127.0.0.1:" + served.ws_port, "--websocket", "--timeout",
           "20000"});
  ASSERT_OK(r);
  Json ws_out(r.out);
  EXPECT_EQ(ws_out.num("blocks"), 25);
  EXPECT_EQ(ws_out.str("treeHash"), source_info.str("treeHash"));
  EXPECT_OK(bee({"core", "verify", tmp / "ws"}));

  // SIGTERM: the server stops cleanly.
  kill(serve.pid, SIGTERM);
  EXPECT_EQ(serve.wait_exit(10s), 0);
}

TEST(NetCli, SparseCloneThenResume) {
  TempDir tmp;
  make_core(tmp / "src", 12);
  ServeProcess serve({tmp / "src", "--seconds", "30"});
  ASSERT_TRUE(serve.read_line(Clock::now() + 20s)) << serve.buffer;
  auto served = parse_served(serve.buffer.substr(0, serve.buffer.find('\n')));
  auto peer = "127.0.0.1:" + served.port;

  auto r = bee({"clone", served.key, tmp / "dst", "--peer", peer, "--sparse", "--timeout", "20000"});
  ASSERT_OK(r);
  Json sparse(r.out);
  EXPECT_EQ(sparse.num("length"), 12);
  EXPECT_EQ(sparse.num("blocks"), 0);
  auto missing = bee({"core", "get", tmp / "dst", "3"});
  EXPECT_NE(missing.exit_code, 0);

  // The second run continues into the same directory and fetches the blocks.
  r = bee({"clone", served.key, tmp / "dst", "--peer", peer, "--timeout", "20000"});
  ASSERT_OK(r);
  Json full(r.out);
  EXPECT_EQ(full.num("length"), 12);
  EXPECT_EQ(full.num("blocks"), 12);
  EXPECT_EQ(full.str("treeHash"), sparse.str("treeHash"));
  // A third run has nothing left to fetch.
  r = bee({"clone", served.key, tmp / "dst", "--peer", peer, "--timeout", "20000"});
  ASSERT_OK(r);
  EXPECT_EQ(Json(r.out).num("blocks"), 0);
  EXPECT_OK(bee({"core", "verify", tmp / "dst"}));
  kill(serve.pid, SIGINT);
  EXPECT_EQ(serve.wait_exit(10s), 0);
}

TEST(NetCli, ServeStopsAfterSeconds) {
  TempDir tmp;
  make_core(tmp / "src", 1);
  ServeProcess serve({tmp / "src", "--seconds", "1"});
  ASSERT_TRUE(serve.read_line(Clock::now() + 20s)) << serve.buffer;
  EXPECT_EQ(serve.wait_exit(10s), 0);
}

TEST(NetCli, CloneFailuresAreOneLine) {
  TempDir tmp;
  expect_failure(bee({"clone", "zz", tmp / "d", "--peer", "127.0.0.1:1"}), 64, "bee clone: ", "KEY");
  expect_failure(bee({"clone", kKey, tmp / "d"}), 64, "bee clone: ", "--peer");
  expect_failure(bee({"clone", kKey, tmp / "d", "--peer", "localhost"}), 64, "bee clone: ", "HOST:PORT");
  // Nobody listens on port 1: the connection is refused.
  expect_failure(bee({"clone", kKey, tmp / "d", "--peer", "127.0.0.1:1", "--timeout", "5000"}), 1, "bee clone: ",
                 "connect_failed");
  expect_failure(bee({"serve", tmp / "missing"}), 1, "bee serve: ", "no such directory");
}

// ---------------------------------------------------------------- bee query

constexpr uint64_t kQueryEntries = 3000;

std::string query_key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key%05llu", static_cast<unsigned long long>(i));
  return buf;
}

// A bee of kQueryEntries keys in batches of 1000 (a tree of several levels), a sub with
// 30 keys, 40 deletes and 20 single puts, as op lines for `bee batch` and `peer.js serve`.
std::string query_ops() {
  std::ostringstream f;
  for (uint64_t start = 0; start < kQueryEntries; start += 1000) {
    f << "{\"op\":\"batch\",\"ops\":[";
    for (uint64_t i = start; i < start + 1000; i++) {
      uint64_t k = (i * 7919) % kQueryEntries;
      f << (i == start ? "" : ",") << "{\"op\":\"put\",\"key\":\"" << query_key(k) << "\",\"value\":\"value-"
        << k * 7 << "\"}";
    }
    f << "]}\n";
  }
  f << "{\"op\":\"batch\",\"sub\":[\"users\"],\"ops\":[";
  for (int i = 0; i < 30; i++) f << (i ? "," : "") << "{\"op\":\"put\",\"key\":\"u" << i << "\",\"value\":\"n" << i << "\"}";
  f << "]}\n";
  for (uint64_t i = 0; i < 40; i++) f << "{\"op\":\"del\",\"key\":\"" << query_key(i * 71) << "\"}\n";
  for (uint64_t i = 0; i < 20; i++) {
    f << "{\"op\":\"put\",\"key\":\"" << query_key(i * 113) << "\",\"value\":\"again-" << i << "\"}\n";
  }
  f << "{\"op\":\"put\",\"key\":\"novalue\"}\n";
  return f.str();
}

// Command lines of a read: the local form (`bee get DIR K ...`) and the remote one
// (`bee query KEY get K --peer ...`) take the same arguments after the DIR / the query.
struct ReadCase {
  std::string command;  // get, range, history
  std::vector<std::string> args;
};

std::vector<ReadCase> read_cases() {
  return {
      {"get", {query_key(42)}},
      {"get", {query_key(42), "--json"}},
      {"get", {query_key(2999), "--json"}},
      {"get", {query_key(71)}},  // deleted: not_found, exit 1
      {"get", {"nokey", "--json"}},
      {"get", {"novalue"}},
      {"get", {"u7", "--sub", "users", "--json"}},
      {"get", {"6b65793030303432", "--key-encoding", "binary", "--json"}},
      {"range", {"--gte", query_key(1000), "--lt", query_key(1050)}},
      {"range", {"--gt", query_key(2900), "--reverse", "--limit", "7", "--json"}},
      {"range", {"--lte", query_key(30), "--json"}},
      {"range", {"--sub", "users", "--reverse"}},
      {"range", {"--gte", "u2", "--lt", "u3", "--sub", "users", "--json"}},
      {"range", {"--gte", "key", "--limit", "0"}},
      {"history", {"--gte", "-5"}},
      {"history", {"--lt", "20", "--reverse", "--json", "--limit", "4"}},
      {"history", {"--gt", "3000", "--limit", "10", "--json", "--sub", "users"}},
  };
}

std::vector<std::string> query_args(const std::string& key, const std::string& peer, const ReadCase& c,
                                    std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"query", key, c.command};
  args.insert(args.end(), c.args.begin(), c.args.end());
  args.insert(args.end(), {"--peer", peer, "--timeout", "20000"});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string case_text(const ReadCase& c) {
  std::string s = c.command;
  for (const auto& a : c.args) s += " " + a;
  return s;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(NetCli, QueryPrintsWhatTheLocalReadPrints) {
  TempDir tmp;
  std::string dir = tmp / "db";
  ASSERT_OK(bee({"batch", dir, "--seed", seed01()}, query_ops()));
  // The local answers first: the server locks the directory.
  auto cases = read_cases();
  std::vector<ProcessResult> local;
  for (const auto& c : cases) {
    std::vector<std::string> args{c.command, dir};
    args.insert(args.end(), c.args.begin(), c.args.end());
    local.push_back(bee(args));
  }
  auto info = bee({"core", "info", dir, "--json"});
  ASSERT_OK(info);
  int64_t length = Json(info.out).num("length");

  ServeProcess serve({dir, "--ws-port", "0", "--seconds", "120"});
  ASSERT_TRUE(serve.read_line(Clock::now() + 20s)) << serve.buffer;
  auto served = parse_served(serve.buffer.substr(0, serve.buffer.find('\n')));
  std::string peer = "127.0.0.1:" + served.port;

  for (size_t i = 0; i < cases.size(); i++) {
    SCOPED_TRACE(case_text(cases[i]));
    auto r = bee(query_args(served.key, peer, cases[i]));
    EXPECT_EQ(r.exit_code, local[i].exit_code) << describe(r);
    EXPECT_EQ(r.out, local[i].out) << describe(r);
    if (local[i].exit_code != 0) expect_failure(r, 1, "bee query: ", "not_found");
  }
  // Sanity of the cases themselves: they return something.
  EXPECT_EQ(split_lines(local[8].out).size(), 50u);
  EXPECT_EQ(split_lines(local[11].out).size(), 30u);

  // Over WebSocket.
  auto ws = bee(query_args(served.key, "127.0.0.1:" + served.ws_port, cases[1], {"--websocket"}));
  ASSERT_OK(ws);
  EXPECT_EQ(ws.out, local[1].out);

  // --stats: a last JSON line with --json, one stderr line in text.
  auto with_stats = bee(query_args(served.key, peer, cases[1], {"--stats"}));
  ASSERT_OK(with_stats);
  auto out_lines = split_lines(with_stats.out);
  ASSERT_EQ(out_lines.size(), 2u) << with_stats.out;
  EXPECT_EQ(out_lines[0] + "\n", local[1].out);
  Json stats_line(out_lines[1]);
  ASSERT_TRUE(stats_line.ok()) << out_lines[1];
  auto stats = stats_line.root()["stats"];
  EXPECT_EQ(stats["version"].get_int64().value(), length);
  int64_t blocks = stats["blocks"].get_int64().value();
  EXPECT_GT(blocks, 1);
  EXPECT_LT(blocks * 50, length);  // a sparse read: a root-to-leaf path and its probed keys
  EXPECT_GT(stats["bytes"].get_int64().value(), 0);
  EXPECT_GT(stats["roundTrips"].get_int64().value(), 0);
  EXPECT_LE(stats["roundTrips"].get_int64().value(), blocks);
  EXPECT_GE(stats["totalMs"].get_double().value(), stats["ms"].get_double().value());

  auto text_stats = bee(query_args(served.key, peer, cases[8], {"--stats"}));
  ASSERT_OK(text_stats);
  EXPECT_EQ(text_stats.out, local[8].out);
  EXPECT_EQ(std::count(text_stats.err.begin(), text_stats.err.end(), '\n'), 1) << text_stats.err;
  EXPECT_TRUE(text_stats.err.starts_with("bee query: version " + std::to_string(length) + ": ")) << text_stats.err;
  EXPECT_NE(text_stats.err.find(" round trips, "), std::string::npos) << text_stats.err;

  // A key the server does not have: it never opens the core, the deadline ends the wait.
  auto unknown = bee({"query", std::string(64, 'a'), "get", "x", "--peer", peer, "--timeout", "1500"});
  expect_failure(unknown, 1, "bee query: request_timeout: ", "open the core");

  kill(serve.pid, SIGTERM);
  EXPECT_EQ(serve.wait_exit(10s), 0);
}

// Node's `peer.js serve --bee` holds the same bee; every answer must equal what Node's own
// sparse clone (`peer.js clone --get/--range`) answers, and a get must not fetch more
// blocks than Node's clone stores.
TEST(NetCli, QueryAnswersAsNodeDoesFromANodePeer) {
  TempDir tmp;
  std::string ops = tmp / "ops.jsonl";
  std::ofstream(ops) << query_ops();
  std::string oracle = bee_test::oracle_dir();
  ServeProcess node({"node", oracle + "/peer.js", "serve", "--seed", std::string(64, '4'), "--port", "0", "--bee", ops,
                     "--encoding", "utf-8", "--seconds", "120"},
                    {"NODE_PATH=" + oracle + "/node_modules"});
  ASSERT_TRUE(node.read_line(Clock::now() + 60s)) << "peer.js serve printed: " << node.buffer;
  Json info(node.buffer.substr(0, node.buffer.find('\n')));
  ASSERT_TRUE(info.ok()) << node.buffer;
  std::string key = info.str("key");
  std::string port = std::to_string(info.num("port"));
  std::string peer = "127.0.0.1:" + port;

  // peer.js clone ARGS: its `result` (an entry, null, or a list) and `localBlocks`.
  auto node_clone = [&](std::vector<std::string> args, std::string& result, int64_t& local_blocks) {
    std::vector<std::string> argv{"clone", "--key", key, "--port", port, "--encoding", "utf-8"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto out = bee_test::run_node("peer.js", argv);
    ASSERT_TRUE(out) << out.error().to_string();
    Json doc(*out);
    ASSERT_TRUE(doc.ok()) << *out;
    result = simdjson::minify(doc.root()["result"]);
    local_blocks = doc.num("localBlocks");
  };

  uint64_t ours_total = 0, node_total = 0;
  for (uint64_t k : {42u, 1500u, 2999u, 0u, 71u}) {  // 71: deleted (null)
    SCOPED_TRACE(query_key(k));
    std::string node_result;
    int64_t node_blocks = -1;
    node_clone({"--get", query_key(k)}, node_result, node_blocks);
    auto r = bee({"query", key, "get", query_key(k), "--peer", peer, "--json", "--stats", "--timeout", "20000"});
    ASSERT_OK(r);
    auto out = split_lines(r.out);
    ASSERT_EQ(out.size(), 2u) << r.out;
    EXPECT_EQ(out[0], node_result);
    int64_t blocks = Json(out[1]).root()["stats"]["blocks"].get_int64().value();
    EXPECT_LE(blocks, node_blocks);
    ours_total += static_cast<uint64_t>(blocks);
    node_total += static_cast<uint64_t>(node_blocks);
  }
  std::printf("[ figures ] 5 gets from a Node peer: bee query fetched %llu blocks, Node's clone stored %llu\n",
              static_cast<unsigned long long>(ours_total), static_cast<unsigned long long>(node_total));

  struct RangeCase {
    std::vector<std::string> node_args;
    std::vector<std::string> our_args;
  };
  std::vector<RangeCase> ranges = {
      {{"--range", query_key(1000) + "," + query_key(1040)}, {"--gte", query_key(1000), "--lt", query_key(1040)}},
      {{"--range", query_key(2000) + "," + query_key(2100), "--reverse", "--limit", "9"},
       {"--gte", query_key(2000), "--lt", query_key(2100), "--reverse", "--limit", "9"}},
      {{"--gt", query_key(2950), "--lte", "z"}, {"--gt", query_key(2950), "--lte", "z"}},
  };
  for (const auto& c : ranges) {
    SCOPED_TRACE(c.node_args[1]);
    std::string node_result;
    int64_t node_blocks = -1;
    node_clone(c.node_args, node_result, node_blocks);
    std::vector<std::string> args{"query", key, "range", "--peer", peer, "--json", "--timeout", "20000"};
    args.insert(args.end(), c.our_args.begin(), c.our_args.end());
    auto r = bee(args);
    ASSERT_OK(r);
    std::string ours = "[";
    for (const auto& line : split_lines(r.out)) ours += (ours.size() > 1 ? "," : "") + line;
    ours += "]";
    EXPECT_EQ(ours, node_result);
    EXPECT_GT(ours.size(), 2u);
  }

  // A key Node does not serve: Node never opens the core either.
  auto unknown = bee({"query", std::string(64, 'b'), "get", "x", "--peer", peer, "--timeout", "1500"});
  expect_failure(unknown, 1, "bee query: request_timeout: ", "open the core");
}

TEST(NetCli, QueryFailuresAreOneLine) {
  std::string key(64, 'c');
  auto query = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "query");
    return bee(args);
  };
  expect_failure(query({"zz", "get", "k", "--peer", "127.0.0.1:1"}), 64, "bee query: ", "KEY");
  expect_failure(query({key, "get", "k"}), 64, "bee query: ", "--peer");
  expect_failure(query({key, "get", "k", "--peer", "localhost"}), 64, "bee query: ", "HOST:PORT");
  expect_failure(query({key, "get", "k", "--peer", "127.0.0.1:0"}), 64, "bee query: ", "HOST:PORT");
  expect_failure(query({key, "get", "k", "--peer", ":80"}), 64, "bee query: ", "HOST:PORT");
  expect_failure(query({key, "frob", "--peer", "127.0.0.1:1"}), 64, "bee query: ", "get, range or history");
  expect_failure(query({key, "get", "--peer", "127.0.0.1:1"}), 64, "bee query: ", "missing argument K");
  expect_failure(query({key, "range", "k", "--peer", "127.0.0.1:1"}), 64, "bee query: ", "unexpected argument 'k'");
  expect_failure(query({key, "get", "k", "--limit", "3", "--peer", "127.0.0.1:1"}), 64, "bee query: ", "--limit");
  expect_failure(query({key, "history", "--gt", "x", "--peer", "127.0.0.1:1"}), 64, "bee query: ", "--gt");
  expect_failure(query({key, "range", "--gt", "zz", "--key-encoding", "binary", "--peer", "127.0.0.1:1"}), 64,
                 "bee query: ", "hex");
  expect_failure(query({key, "get", "k", "--peer", "127.0.0.1:1", "--timeout", "0"}), 64, "bee query: ", "--timeout");
  expect_failure(query({key, "get", "k", "--peer", "127.0.0.1:1", "--timeout", "99999999999999"}), 64, "bee query: ",
                 "--timeout");
  expect_failure(query({key, "get", "k", "--peer", "127.0.0.1:1", "--version", "2"}), 64, "bee query: ", "--version");
  // Nobody listens on port 1: the connection is refused. A name that does not resolve.
  expect_failure(query({key, "get", "k", "--peer", "127.0.0.1:1", "--timeout", "5000"}), 1, "bee query: ",
                 "connect_failed");
  expect_failure(query({key, "get", "k", "--peer", "no-such-host.invalid:4000", "--timeout", "5000"}), 1,
                 "bee query: ", "connect_failed");
}

// --swarm / --lan / --bootstrap: the argument errors. Discovery itself is tested in
// namespaces (tests/net/swarm_netns_test.cpp: mDNS) and on loopback
// (tests/net/swarm_dht_cli_test.cpp: the DHT).
TEST(NetCli, SwarmOptionErrors) {
  TempDir tmp;
  std::string key(64, 'c');
  ASSERT_EQ(bee({"create", tmp / "db"}).exit_code, 0);
  for (const std::string command : {"serve", "clone", "query"}) {
    std::vector<std::string> base = {command};
    if (command == "serve") base.push_back(tmp / "db");
    if (command == "clone") base.insert(base.end(), {key, tmp / "c"});
    if (command == "query") base.insert(base.end(), {key, "get", "k"});
    auto with = [&](std::vector<std::string> extra) {
      auto args = base;
      args.insert(args.end(), extra.begin(), extra.end());
      return bee(args);
    };
    std::string prefix = "bee " + command + ": ";
    // Bootstrap nodes are IPv4 literals (or IPV4@NAME:PORT, as the reference writes them).
    expect_failure(with({"--swarm", "--bootstrap", "node.example:49737"}), 64, prefix, "IPV4:PORT");
    expect_failure(with({"--swarm", "--lan", "--bootstrap", "h:1"}), 64, prefix, "IPV4:PORT");
    expect_failure(with({"--swarm", "--bootstrap", "127.0.0.1:1", "--bootstrap", "127.0.0.1:0"}), 64, prefix,
                   "IPV4:PORT");
    expect_failure(with({"--lan"}), 64, prefix, "--lan needs --swarm");
    expect_failure(with({"--bootstrap", "h:1"}), 64, prefix, "--bootstrap needs --swarm");
    expect_failure(with({"--swarm", "--bootstrap", "nocolon"}), 64, prefix, "IPV4:PORT");
    if (command != "serve") {
      expect_failure(with({"--swarm", "--lan", "--peer", "127.0.0.1:1"}), 64, prefix, "--peer");
      expect_failure(with({"--swarm", "--lan", "--websocket"}), 64, prefix, "--websocket");
    }
  }
}

}  // namespace
