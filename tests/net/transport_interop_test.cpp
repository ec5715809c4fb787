// The TCP transport against the Node reference on 127.0.0.1 (../shared/oracle/peer.js):
// connect_tcp cloning from `peer.js serve`, and listen_tcp serving `peer.js clone`. Every
// wait is bounded (the event loop runs for a limited time) and the child is always killed.
#include <signal.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "net/event_loop.hpp"
#include "net/tcp_transport.hpp"
#include "tests/net/replication_test_util.hpp"
#include "tests/support/oracle.hpp"

namespace {

using namespace repl_test;
using hypercore::to_hex;
using namespace std::chrono_literals;

// A child process whose stdout we read; killed and reaped on destruction.
struct Child {
  pid_t pid = -1;
  int out = -1;
  std::string buffer;

  explicit Child(const std::vector<std::string>& argv) {
    int p[2];
    if (pipe(p) != 0) return;
    pid = fork();
    if (pid == 0) {
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
  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out >= 0) close(out);
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
  bool read_line(Clock::time_point deadline) {
    while (!poll_line()) {
      if (Clock::now() > deadline) return false;
      pollfd fd{out, POLLIN, 0};
      if (poll(&fd, 1, 100) < 0 && errno != EINTR) return false;
      if (fd.revents & POLLHUP && !(fd.revents & POLLIN)) return poll_line();
    }
    return true;
  }
  std::string line() const { return buffer.substr(0, buffer.find('\n')); }
};

std::string json_blocks(uint64_t n) {
  std::string s = "[";
  for (uint64_t i = 0; i < n; i++) s += (i ? ",\"" : "\"") + to_hex(content(i)) + "\"";
  return s + "]";
}

TEST(TransportInterop, CloneFromNodeServer) {
  for (uint64_t n : {1u, 40u}) {
    SCOPED_TRACE("blocks " + std::to_string(n));
    Child server({"node", bee_test::oracle_dir() + "/peer.js", "serve", "--seed", std::string(64, '7'), "--port", "0",
                  "--blocks", json_blocks(n), "--seconds", "60"});
    ASSERT_TRUE(server.read_line(Clock::now() + 30s)) << "peer.js serve printed: " << server.buffer;
    simdjson::dom::parser parser;
    simdjson::dom::element info;
    ASSERT_EQ(parser.parse(server.line()).get(info), simdjson::SUCCESS);
    auto port = static_cast<uint16_t>(info["port"].get_int64().value());
    auto key = hypercore::hash_from_hex(std::string(info["key"].get_string().value())).value();
    auto replica = Core::open_replica(hypercore::make_memory_storage(), key).value();

    EventLoop loop;
    PeerSetup setup;
    setup.cores = {replica.get()};
    setup.replicator.download_all = true;
    std::optional<TransportError> closed_with;
    setup.handlers.on_event = [&](Peer& peer, const SessionEvent&) {
      if (replica->length() == n && replica->contiguous_length() == n) peer.close();
    };
    setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) { closed_with = e; };
    auto peer = connect_tcp(loop.context(), "127.0.0.1", port, setup);
    EXPECT_TRUE(loop.run_for(30s)) << "not done within 30 s";
    EXPECT_FALSE(closed_with) << closed_with->to_string();
    ASSERT_EQ(replica->contiguous_length(), n);
    EXPECT_EQ(to_hex(replica->tree_hash()), std::string(info["treeHash"].get_string().value()));
    EXPECT_EQ(to_hex(replica->signature()), std::string(info["signature"].get_string().value()));
    EXPECT_EQ(peer->counters().blocks_down, n);
    EXPECT_TRUE(replica->verify());
  }
}

TEST(TransportInterop, NodeClonesFromOurServer) {
  for (uint64_t n : {1u, 33u}) {
    SCOPED_TRACE("blocks " + std::to_string(n));
    auto writer = make_writer(n, 0x45);
    EventLoop loop;  // after the core it serves: destroyed first
    ServerOptions so;
    so.setup.cores = {writer.get()};
    auto server = listen_tcp(loop.context(), so);
    ASSERT_TRUE(server) << server.error().to_string();
    Child client({"node", bee_test::oracle_dir() + "/peer.js", "clone", "--key", to_hex(writer->key()), "--port",
                  std::to_string((*server)->port()), "--blocks", "--timeout", "20000"});
    // Serve until the child printed its result, then stop: the loop must end by itself.
    auto deadline = Clock::now() + 30s;
    while (!client.poll_line() && Clock::now() < deadline) loop.run_for(50ms);
    (*server)->stop();
    EXPECT_TRUE(loop.run_for(5s));
    ASSERT_TRUE(client.read_line(Clock::now() + 5s)) << "peer.js clone printed: " << client.buffer;
    simdjson::dom::parser parser;
    simdjson::dom::element out;
    ASSERT_EQ(parser.parse(client.line()).get(out), simdjson::SUCCESS) << client.buffer;
    ASSERT_EQ(out["length"].get_uint64().value(), n) << client.buffer;
    EXPECT_EQ(std::string(out["treeHash"].get_string().value()), to_hex(writer->tree_hash()));
    size_t i = 0;
    for (auto b : out["blocks"].get_array()) {
      ASSERT_LT(i, n);
      EXPECT_EQ(std::string(b.get_string().value()), to_hex(content(i))) << i;
      i++;
    }
    EXPECT_EQ(i, n);
  }
}

}  // namespace
