// A child process the tests and benchmarks run beside them (a Node peer, the bee tool): its
// stdout piped to us, its stdin too when asked. It dies with us (PR_SET_PDEATHSIG: a crashed
// test must not leave it holding ctest's output pipe) and is killed and reaped when this
// object goes, so nothing is left behind.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace bee_test {

struct ChildProcess {
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::vector<std::string> env;  // NAME=value, added to ours
    bool pipe_stdin = false;       // else the child shares our stdin
    bool nonblocking_stdout = false;
  };

  ChildProcess(const std::vector<std::string>& argv, Options options) {
    int to[2] = {-1, -1}, from[2] = {-1, -1};
    if (pipe(from) != 0) return;
    if (options.pipe_stdin && pipe(to) != 0) {
      close(from[0]);
      close(from[1]);
      return;
    }
    pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (options.pipe_stdin) dup2(to[0], 0);
      dup2(from[1], 1);
      for (int fd : {to[0], to[1], from[0], from[1]}) {
        if (fd >= 0) close(fd);
      }
      for (auto& kv : options.env) putenv(kv.data());
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(from[1]);
    out = from[0];
    if (options.pipe_stdin) {
      close(to[0]);
      in = to[1];
    }
    if (options.nonblocking_stdout) fcntl(out, F_SETFL, O_NONBLOCK);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    kill_now();
    close_stdin();
    if (out >= 0) close(out);
  }

  bool started() const { return pid > 0; }
  std::string line() const { return buffer.substr(0, buffer.find('\n')); }

  void close_stdin() {
    if (in >= 0) close(in);
    in = -1;
  }
  bool write(const std::string& text) { return ::write(in, text.data(), text.size()) == ssize_t(text.size()); }
  void kill_now() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    pid = -1;
  }

  // Reads until `done(buffer)`, EOF or the deadline; whether `done` held.
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
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return done(buffer);
      buffer.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  bool wait_for(const std::string& needle, std::chrono::milliseconds limit) {
    return read_until([&](const std::string& b) { return b.find(needle) != std::string::npos; }, Clock::now() + limit);
  }
  bool read_line(Clock::time_point deadline) {
    return read_until([](const std::string& b) { return b.find('\n') != std::string::npos; }, deadline);
  }
  // Reads what is there without waiting; true once a full line arrived.
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

  pid_t pid = -1;
  int in = -1;         // our end of its stdin (Options::pipe_stdin)
  int out = -1;        // our end of its stdout
  std::string buffer;  // what was read from stdout so far
};

}  // namespace bee_test
