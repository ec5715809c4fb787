// A child process appends in a loop and is killed with SIGKILL at random moments; after
// each kill the store must reopen, verify, and hold every block the child had reported as
// appended, intact.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "hypercore/core.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hypercore;

namespace {

Bytes block_content(uint64_t i) {
  Bytes b(17 + (i * 31) % 700);
  for (size_t k = 0; k < b.size(); k++) b[k] = static_cast<uint8_t>(i * 7 + k);
  return b;
}

// Runs the writer for about `ms` milliseconds, kills it, returns the last length it reported.
uint64_t run_and_kill(const std::string& dir, const char* durability, int ms) {
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execl(CRASH_WRITER_PATH, CRASH_WRITER_PATH, dir.c_str(), durability, static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    poll(&p, 1, 2);
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n > 0) seen.append(buf, static_cast<size_t>(n));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  // Whatever the child wrote before it died is acknowledged too.
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) seen.append(buf, static_cast<size_t>(n));
  close(out[0]);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the writer exited on its own with status " << WEXITSTATUS(status);
  uint64_t last = 0;
  size_t end = seen.rfind('\n');
  if (end != std::string::npos) {
    size_t begin = seen.rfind('\n', end - 1);
    begin = begin == std::string::npos ? 0 : begin + 1;
    last = std::stoull(seen.substr(begin, end - begin));
  }
  return last;
}

void check_store(const std::string& dir, uint64_t acknowledged, int kill_number) {
  auto storage = open_directory_storage(dir);
  ASSERT_TRUE(storage);
  auto core = Core::open(*storage);
  // Killed before its first append returned (a slow start): nothing was promised yet.
  if (!core && core.error().code == errc::not_found && acknowledged == 0) return;
  ASSERT_TRUE(core) << "after kill " << kill_number << ": " << core.error().to_string();
  ASSERT_GE((*core)->length(), acknowledged) << "after kill " << kill_number << ": acknowledged blocks lost";
  auto verified = (*core)->verify();
  ASSERT_TRUE(verified) << "after kill " << kill_number << ": " << verified.error().to_string();
  for (uint64_t i = 0; i < (*core)->length(); i++) {
    auto b = (*core)->get(i);
    ASSERT_TRUE(b) << "block " << i << ": " << b.error().to_string();
    ASSERT_EQ(*b, block_content(i)) << "after kill " << kill_number << ": block " << i;
  }
}

TEST(CoreCrash, KilledWriterLosesNothingAcknowledged) {
  for (const char* durability : {"os", "sync"}) {
    bee_test::TempDir dir;
    std::mt19937 rng(42);
    uint64_t most = 0;
    for (int kill_number = 0; kill_number < 30; kill_number++) {
      uint64_t acknowledged = run_and_kill(dir.path(), durability, 5 + static_cast<int>(rng() % 60));
      check_store(dir.path(), acknowledged, kill_number);
      if (::testing::Test::HasFatalFailure()) return;
      most = std::max(most, acknowledged);
    }
    // The writer must have got somewhere, or the kills tested nothing.
    EXPECT_GT(most, 0u) << durability << ": no append was ever acknowledged";
  }
}

}  // namespace
