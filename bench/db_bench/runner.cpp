#include "runner.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hypercore/crypto.hpp"

namespace db_bench {
namespace fs = std::filesystem;

namespace {

std::string first_line_with(const std::string& file, const std::string& prefix) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(prefix)) return line;
  }
  return "";
}

void parse_result(const std::string& out, RunResult& r) {
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("result ")) continue;
    std::istringstream fields(line.substr(7));
    std::string field;
    while (fields >> field) {
      auto eq = field.find('=');
      if (eq == std::string::npos) continue;
      std::string name = field.substr(0, eq), value = field.substr(eq + 1);
      if (name == "ops") {
        r.measured.ops = std::stoull(value);
      } else if (name == "seconds") {
        r.measured.seconds = std::stod(value);
      } else if (name == "user") {
        r.measured.user_seconds = std::stod(value);
      } else if (name == "sys") {
        r.measured.sys_seconds = std::stod(value);
      } else {
        r.measured.counters.emplace_back(name, std::stoull(value));
      }
    }
    r.ok = true;
    return;
  }
  r.error = "no result line";
}

}  // namespace

RunResult run_child(const std::vector<std::string>& argv) {
  RunResult r;
  int fds[2];
  if (pipe(fds) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "db_bench: exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    r.error = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  r.peak_rss_kb = static_cast<uint64_t>(usage.ru_maxrss);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    r.error = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                : "killed by signal " + std::to_string(WTERMSIG(status));
    return r;
  }
  parse_result(out, r);
  return r;
}

uint64_t disk_usage(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  if (!fs::exists(dir, ec)) return 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    struct stat st {};
    if (lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

void evict_from_page_cache(const std::string& dir) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    int fd = ::open(it->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    fdatasync(fd);  // dirty pages cannot be dropped
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

Calibration calibrate(const std::string& work_dir) {
  using clock = std::chrono::steady_clock;
  Calibration c;
  auto kp = hypercore::KeyPair::from_seed(hypercore::Seed{});
  std::vector<uint8_t> message(100, 1);
  const int signs = 2000;
  auto t0 = clock::now();
  for (int i = 0; i < signs; i++) {
    message[0] = static_cast<uint8_t>(i);
    auto s = hypercore::sign(kp.secret_key, message);
    message[1] ^= s[0];
  }
  c.sign_us = std::chrono::duration<double, std::micro>(clock::now() - t0).count() / signs;

  // Short inputs, like the tree's leaves (9 + a block) and parents (73 bytes).
  std::vector<uint8_t> small(128, 2);
  const int hashes = 200000;
  t0 = clock::now();
  for (int i = 0; i < hashes; i++) {
    small[0] = static_cast<uint8_t>(i);
    auto h = hypercore::blake2b({hypercore::ByteSpan(small)});
    small[1] ^= h[0];
  }
  double s = std::chrono::duration<double>(clock::now() - t0).count();
  c.blake2b_mb_per_s = static_cast<double>(hashes) * static_cast<double>(small.size()) / s / 1e6;

  std::vector<uint8_t> block(4096, 2);
  std::string path = work_dir + "/fsync-probe";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    const int syncs = 50;
    t0 = clock::now();
    for (int i = 0; i < syncs; i++) {
      if (pwrite(fd, block.data(), block.size(), static_cast<off_t>(i) * 4096) < 0) break;
      fdatasync(fd);
    }
    c.fdatasync_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count() / syncs;
    ::close(fd);
    fs::remove(path);
  }
  return c;
}

std::string machine_description() {
  std::string cpu = first_line_with("/proc/cpuinfo", "model name");
  if (auto colon = cpu.find(':'); colon != std::string::npos) cpu = cpu.substr(colon + 2);
  std::string mem = first_line_with("/proc/meminfo", "MemTotal:");
  uint64_t kb = 0;
  std::sscanf(mem.c_str(), "MemTotal: %lu", &kb);
  utsname u{};
  uname(&u);
  std::ostringstream out;
  out << cpu << ", " << sysconf(_SC_NPROCESSORS_ONLN) << " cores, " << kb / 1024 / 1024 << " GiB RAM, Linux "
      << u.release;
  return out.str();
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return buf;
}

}  // namespace db_bench
