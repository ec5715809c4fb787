// A Node.js reference peer (../shared/oracle/peer.js) run as a child process by the interop
// tests: its stdout is captured, and it is killed and reaped on destruction, so no test
// leaves a process behind. Also the blocking socket write the tests drive sessions with.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <string>
#include <vector>

#include "tests/net/replication_test_util.hpp"
#include "tests/support/oracle.hpp"

namespace repl_test {

struct NodeChild {
  pid_t pid = -1;
  int out = -1;
  std::string buffer;

  // Starts argv (node with NODE_PATH set to the reference's modules) with stdout piped here.
  explicit NodeChild(const std::vector<std::string>& argv) {
    int p[2];
    if (pipe(p) != 0) return;
    pid = fork();
    if (pid == 0) {
      // Dies with the test: a crashed test must not leave it holding ctest's output pipe.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      dup2(p[1], 1);
      close(p[0]);
      close(p[1]);
      std::string node_path = "NODE_PATH=" + bee_test::oracle_dir() + "/node_modules";
      putenv(node_path.data());
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(p[1]);
    out = p[0];
  }
  NodeChild(const NodeChild&) = delete;
  NodeChild& operator=(const NodeChild&) = delete;
  ~NodeChild() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out >= 0) close(out);
  }

  // Reads until `done(buffer)` or EOF or the deadline. False on timeout.
  bool read_until(const std::function<bool(const std::string&)>& done, Clock::time_point deadline) {
    char buf[4096];
    while (!done(buffer)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd fd{out, POLLIN, 0};
      int r = poll(&fd, 1, static_cast<int>(std::min<long long>(left, 200)));
      if (r < 0 && errno != EINTR) return false;
      if (r <= 0) continue;
      ssize_t n = read(out, buf, sizeof buf);
      if (n <= 0) return done(buffer);
      buffer.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  // Reads what is available without blocking; true once a full line arrived.
  bool poll_line() {
    char buf[65536];
    pollfd fd{out, POLLIN, 0};
    while (poll(&fd, 1, 0) > 0) {
      ssize_t n = read(out, buf, sizeof buf);
      if (n <= 0) break;
      buffer.append(buf, static_cast<size_t>(n));
    }
    return buffer.find('\n') != std::string::npos;
  }

  // Waits (until the deadline) for a full line.
  bool read_line(Clock::time_point deadline) {
    return read_until([](const std::string& b) { return b.find('\n') != std::string::npos; }, deadline);
  }

  std::string line() const { return buffer.substr(0, buffer.find('\n')); }
};

// Sends all of `b` on a blocking socket; false when the peer is gone.
inline bool write_all(int fd, const Bytes& b) {
  size_t off = 0;
  while (off < b.size()) {
    ssize_t n = send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Runs `s` over the connected socket `fd` (what a transport does) until `done()`, EOF or
// the deadline; whether `done()` held.
inline bool drive(PeerSession& s, int fd, const std::function<bool()>& done, Clock::time_point deadline) {
  uint8_t buf[65536];
  while (Clock::now() < deadline) {
    if (!write_all(fd, s.take_output())) return done();
    if (s.failed()) return false;
    if (done()) return true;
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR) return false;
    if (r > 0) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return done();
      s.feed(ByteSpan(buf, static_cast<size_t>(n)), Clock::now());
    }
    s.tick(Clock::now());
  }
  return false;
}

}  // namespace repl_test
