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
#include "tests/support/child_process.hpp"
#include "tests/support/oracle.hpp"

namespace repl_test {

// Starts argv (node with NODE_PATH set to the reference's modules) with stdout piped here.
struct NodeChild : bee_test::ChildProcess {
  explicit NodeChild(const std::vector<std::string>& argv) : ChildProcess(argv, node_options()) {}
  static Options node_options() {
    Options o;
    o.env.push_back("NODE_PATH=" + bee_test::oracle_dir() + "/node_modules");
    return o;
  }
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
