// `bee serve` and `bee clone` end to end on 127.0.0.1: a server in the background, clones
// into temp dirs (TCP, WebSocket, sparse then resumed), `bee core verify` on the clone,
// and the server stopping by itself (--seconds) or on SIGTERM. Every child is killed and
// reaped; every clone has a --timeout.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "tests/cli/cli_support.hpp"

namespace {

using namespace cli_test;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// `bee serve ...` in the background; stdout and stderr captured.
struct ServeProcess {
  pid_t pid = -1;
  int out = -1;
  std::string buffer;
  int status = -1;

  explicit ServeProcess(std::vector<std::string> args) {
    args.insert(args.begin(), {BEE_CLI_PATH, "serve"});
    int p[2];
    if (pipe(p) != 0) return;
    pid = fork();
    if (pid == 0) {
      dup2(p[1], 1);
      close(p[0]);
      close(p[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(p[1]);
    out = p[0];
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

}  // namespace
