// Helpers for tests that need a real link: child processes run inside network namespaces
// (killed and reaped on destruction, output captured) and a pair of namespaces joined by
// a veth pair (docs/protocol/mdns.md "Testing"), removed on destruction even when the
// test failed. Every wait takes a deadline.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mdns_test {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Runs `command` through sh with its output captured. The command bounds itself
// (callers prefix `timeout N`).
inline std::pair<int, std::string> shell(const std::string& command) {
  std::string out;
  FILE* f = popen((command + " 2>&1").c_str(), "r");
  if (!f) return {-1, "popen failed"};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int status = pclose(f);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class Child {
 public:
  // argv[0] is looked up in PATH; `env` entries ("NAME=value") are added to the environment.
  explicit Child(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
    int p[2];
    if (pipe(p) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      // Dies with the test: a crashed test must not leave it holding ctest's output pipe.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      dup2(p[1], 1);
      dup2(p[1], 2);
      close(p[0]);
      close(p[1]);
      setpgid(0, 0);  // its own group, so terminate() reaches what it starts too
      for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(p[1]);
    fd_ = p[0];
    fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    terminate();
    if (fd_ >= 0) close(fd_);
  }

  // Everything it printed so far.
  const std::string& output() {
    drain(0);
    return out_;
  }

  // Waits until the output contains `needle`; false at the deadline or once it exited
  // without printing it.
  bool wait_for(const std::string& needle, Clock::duration limit) {
    auto deadline = Clock::now() + limit;
    while (out_.find(needle) == std::string::npos) {
      if (Clock::now() >= deadline) return false;
      if (!drain(100) && exited()) return out_.find(needle) != std::string::npos;
    }
    return true;
  }

  // Waits for it to exit; its exit code, or nullopt at the deadline (it keeps running).
  std::optional<int> wait_exit(Clock::duration limit) {
    auto deadline = Clock::now() + limit;
    while (!exited()) {
      if (Clock::now() >= deadline) return std::nullopt;
      drain(100);
    }
    drain(0);
    return code_;
  }

  // SIGTERM to its process group, SIGKILL after 3 s; reaps it.
  void terminate() {
    if (pid_ <= 0 || exited()) return;
    kill(-pid_, SIGTERM);
    kill(pid_, SIGTERM);
    if (wait_exit(3s)) return;
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
  }

  pid_t pid() const { return pid_; }

 private:
  // Reads what is available, waiting up to `ms` for something; true if it read bytes.
  bool drain(int ms) {
    if (fd_ < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return false;
    bool any = false;
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      out_.append(buf, static_cast<size_t>(n));
      any = true;
    }
    return any;
  }

  bool exited() {
    if (reaped_ || pid_ <= 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return reaped_;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string out_;
  bool reaped_ = false;
  int code_ = -1;
};

// Two namespaces joined by a veth pair: side A 10.77.0.1/24, side B 10.77.0.2/24. Names
// carry the pid and a counter, so parallel runs and leftovers never collide.
class NetnsPair {
 public:
  NetnsPair() {
    static std::atomic<int> counter{0};
    std::string id = std::to_string(getpid() % 100000) + std::to_string(counter++ % 10);
    ns_a = "bmdA" + id, ns_b = "bmdB" + id;
    veth_a = "bmvA" + id, veth_b = "bmvB" + id;  // ≤ 15 characters (IFNAMSIZ)
  }
  NetnsPair(const NetnsPair&) = delete;
  NetnsPair& operator=(const NetnsPair&) = delete;
  ~NetnsPair() {
    // Deleting a namespace destroys the veth end inside it (and its peer); the link
    // delete covers a failure half-way through setup.
    shell("timeout 10 ip netns del " + ns_a);
    shell("timeout 10 ip netns del " + ns_b);
    shell("timeout 10 ip link del " + veth_a);
  }

  // Empty on success, else what failed (with the command's output).
  std::string setup() {
    const std::vector<std::string> steps = {
        "ip netns add " + ns_a,
        "ip netns add " + ns_b,
        "ip link add " + veth_a + " type veth peer name " + veth_b,
        "ip link set " + veth_a + " netns " + ns_a,
        "ip link set " + veth_b + " netns " + ns_b,
        "ip -n " + ns_a + " addr add 10.77.0.1/24 dev " + veth_a,
        "ip -n " + ns_a + " link set " + veth_a + " up",
        "ip -n " + ns_a + " link set lo up",
        "ip -n " + ns_b + " addr add 10.77.0.2/24 dev " + veth_b,
        "ip -n " + ns_b + " link set " + veth_b + " up",
        "ip -n " + ns_b + " link set lo up",
    };
    for (const auto& step : steps) {
      auto [code, out] = shell("timeout 10 " + step);
      if (code != 0) return "`" + step + "` failed (exit " + std::to_string(code) + "): " + out;
    }
    // IPv6 duplicate address detection and link-up take a moment; wait until both ends
    // report the carrier (bounded).
    for (int i = 0; i < 50; i++) {
      auto [ca, a] = shell("timeout 5 ip -n " + ns_a + " link show " + veth_a);
      auto [cb, b] = shell("timeout 5 ip -n " + ns_b + " link show " + veth_b);
      if (a.find("LOWER_UP") != std::string::npos && b.find("LOWER_UP") != std::string::npos) return "";
      usleep(100000);
    }
    return "veth pair did not come up within 5 s";
  }

  // argv run inside a namespace: ip netns exec <ns> argv...
  static std::vector<std::string> in(const std::string& ns, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"ip", "netns", "exec", ns});
    return argv;
  }

  std::string ns_a, ns_b, veth_a, veth_b;
};

// Why this machine cannot create namespaces, "" if it can: the netns tests fail on it
// (they do not skip), with this as the message.
inline std::string netns_unavailable() {
  if (geteuid() != 0) return "netns tests need root for `ip netns` (run as root or with CAP_SYS_ADMIN+CAP_NET_ADMIN)";
  if (shell("command -v ip").first != 0) return "netns tests need iproute2 (`ip`)";
  return "";
}

}  // namespace mdns_test

// In a test: fails it unless namespaces can be made and `pair` was set up.
#define REQUIRE_NETNS(pair)                                                     \
  do {                                                                          \
    auto why_ = mdns_test::netns_unavailable();                                 \
    ASSERT_EQ(why_, "") << why_;                                                \
    auto setup_ = (pair).setup();                                               \
    ASSERT_EQ(setup_, "") << "ip netns not usable: " << setup_;                 \
  } while (0)
