// The example ladder's network rungs, run as a user runs them: serve_db in the background on
// a fresh folder, remote_query against it on 127.0.0.1, and their output is what the
// examples promise. Bounded: serve_db stops by itself (--seconds, and SIGTERM at the end),
// remote_query has its own deadlines, every read of output has one.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/net/node_child.hpp"
#include "tests/support/oracle.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using repl_test::NodeChild;

// The value after "NAME " on its own line of `out`, or "".
std::string line_value(const std::string& out, const std::string& name) {
  size_t at = out.find("\n" + name + " ");
  size_t start = at == std::string::npos ? (out.rfind(name + " ", 0) == 0 ? 0 : std::string::npos) : at + 1;
  if (start == std::string::npos) return "";
  start += name.size() + 1;
  return out.substr(start, out.find('\n', start) - start);
}

// Waits (bounded) for `child` to exit; its exit code, or -1 if it did not.
int wait_exit(NodeChild& child, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(child.pid, &status, WNOHANG) == child.pid) {
      child.pid = -1;  // reaped: nothing left for the destructor to kill
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(20ms);
  }
  return -1;
}

TEST(Examples, ServeDbThenRemoteQueryOnLoopback) {
  bee_test::TempDir dir;
  NodeChild serve({SERVE_DB_PATH, dir / "db", "--seconds", "60"});
  ASSERT_GT(serve.pid, 0);
  ASSERT_TRUE(serve.read_until([](const std::string& b) { return b.find("\ntry: ") != std::string::npos; },
                               std::chrono::steady_clock::now() + 20s))
      << "serve_db printed: " << serve.buffer;
  std::string key = line_value(serve.buffer, "key");
  std::string port = line_value(serve.buffer, "port");
  ASSERT_EQ(key.size(), 64u) << serve.buffer;
  ASSERT_FALSE(port.empty()) << serve.buffer;
  EXPECT_NE(serve.buffer.find("(version 5)"), std::string::npos) << serve.buffer;  // 4 entries + header

  // remote_query bounds itself: 10 s to open, 20 s per read.
  auto query = bee_test::run_process({REMOTE_QUERY_PATH, key, "127.0.0.1:" + port});
  EXPECT_EQ(query.exit_code, 0) << query.err;
  EXPECT_NE(query.out.find("version 5\n"), std::string::npos) << query.out;
  EXPECT_NE(query.out.find("hello = world\n"), std::string::npos) << query.out;
  const std::string listing =
      "first 4 entries:\n  apple = red\n  banana = yellow\n  cherry = dark red\n  hello = world\n";
  EXPECT_NE(query.out.find(listing), std::string::npos) << query.out;
  EXPECT_NE(query.out.find("(fetched "), std::string::npos) << query.out;

  auto missing = bee_test::run_process({REMOTE_QUERY_PATH, key, "127.0.0.1:" + port, "nope"});
  EXPECT_EQ(missing.exit_code, 0) << missing.err;
  EXPECT_NE(missing.out.find("nope: no such key\n"), std::string::npos) << missing.out;

  // A stopped server: remote_query fails at once, naming the address.
  kill(serve.pid, SIGTERM);
  EXPECT_EQ(wait_exit(serve, 10s), 0);
  auto refused = bee_test::run_process({REMOTE_QUERY_PATH, key, "127.0.0.1:" + port});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("remote_query: io_error: "), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("127.0.0.1:" + port), std::string::npos) << refused.err;
}

}  // namespace
