// Replication against the Node reference over loopback TCP (../shared/oracle/peer.js):
// our PeerSession as Noise initiator cloning a core `peer.js serve` holds, and as Noise
// responder serving a core to `peer.js clone --blocks`. Test-only blocking POSIX sockets
// on 127.0.0.1; every wait is bounded and the child process is always killed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "tests/net/replication_test_util.hpp"
#include "tests/net/node_child.hpp"
#include "tests/support/oracle.hpp"

namespace {

using Child = repl_test::NodeChild;

using namespace repl_test;
using hypercore::to_hex;

constexpr auto kWait = std::chrono::seconds(30);

std::vector<std::string> block_hex(uint64_t n) {
  std::vector<std::string> out;
  for (uint64_t i = 0; i < n; i++) out.push_back(to_hex(content(i)));
  return out;
}

std::string json_list(const std::vector<std::string>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); i++) s += (i ? ",\"" : "\"") + items[i] + "\"";
  return s + "]";
}

TEST(ReplicatorInterop, CloneFromNodeServer) {
  for (uint64_t n : {3u, 11u, 40u}) {
    SCOPED_TRACE("blocks " + std::to_string(n));
    auto blocks = block_hex(n);
    std::string seed(64, '5');
    Child server({"node", bee_test::oracle_dir() + "/peer.js", "serve", "--seed", seed, "--port", "0", "--blocks",
                  json_list(blocks), "--seconds", "60"});
    auto deadline = Clock::now() + kWait;
    ASSERT_TRUE(server.read_until([](const std::string& b) { return b.find('\n') != std::string::npos; }, deadline))
        << "peer.js serve printed: " << server.buffer;
    simdjson::dom::parser parser;
    simdjson::dom::element info;
    ASSERT_EQ(parser.parse(server.buffer.substr(0, server.buffer.find('\n'))).get(info), simdjson::SUCCESS);
    int64_t port = info["port"].get_int64().value();
    std::string key_hex(info["key"].get_string().value());
    std::string tree_hash(info["treeHash"].get_string().value());
    std::string signature(info["signature"].get_string().value());
    ASSERT_EQ(info["length"].get_uint64().value(), n);

    auto key = hypercore::hash_from_hex(key_hex).value();
    auto replica = Core::open_replica(hypercore::make_memory_storage(), key).value();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);

    PeerSession session(NoiseRole::initiator);
    ReplicatorOptions all;
    all.download_all = true;
    session.add_core(*replica, all, Clock::now());
    bool ok = drive(session, fd, [&] { return replica->length() == n && replica->contiguous_length() == n; },
                    deadline);
    close(fd);
    ASSERT_TRUE(ok) << (session.error() ? session.error()->to_string() : "timeout") << " length "
                    << replica->length() << " contiguous " << replica->contiguous_length();
    EXPECT_EQ(to_hex(replica->tree_hash()), tree_hash);
    EXPECT_EQ(to_hex(replica->signature()), signature);
    for (uint64_t i = 0; i < n; i++) EXPECT_EQ(to_hex(replica->get(i).value()), blocks[i]);
    auto verified = replica->verify();
    EXPECT_TRUE(verified) << verified.error().to_string();
  }
}

TEST(ReplicatorInterop, SparseFromNodeServer) {
  const uint64_t n = 20;
  auto blocks = block_hex(n);
  Child server({"node", bee_test::oracle_dir() + "/peer.js", "serve", "--seed", std::string(64, '6'), "--port", "0",
                "--blocks", json_list(blocks), "--seconds", "60"});
  auto deadline = Clock::now() + kWait;
  ASSERT_TRUE(server.read_until([](const std::string& b) { return b.find('\n') != std::string::npos; }, deadline))
      << "peer.js serve printed: " << server.buffer;
  simdjson::dom::parser parser;
  simdjson::dom::element info;
  ASSERT_EQ(parser.parse(server.buffer.substr(0, server.buffer.find('\n'))).get(info), simdjson::SUCCESS);
  auto key = hypercore::hash_from_hex(std::string(info["key"].get_string().value())).value();
  auto replica = Core::open_replica(hypercore::make_memory_storage(), key).value();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(info["port"].get_int64().value()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
  PeerSession session(NoiseRole::initiator);
  size_t c = session.add_core(*replica, {}, Clock::now());
  for (uint64_t i : {3u, 17u, 0u}) ASSERT_TRUE(session.replicator(c).request_block(i, Clock::now()));
  bool ok = drive(session, fd, [&] { return replica->has(3) && replica->has(17) && replica->has(0); }, deadline);
  close(fd);
  ASSERT_TRUE(ok) << (session.error() ? session.error()->to_string() : "timeout");
  EXPECT_EQ(replica->length(), n);
  EXPECT_EQ(to_hex(replica->tree_hash()), std::string(info["treeHash"].get_string().value()));
  for (uint64_t i = 0; i < n; i++) EXPECT_EQ(replica->has(i), i == 3 || i == 17 || i == 0) << i;
  EXPECT_EQ(to_hex(replica->get(17).value()), blocks[17]);
  auto verified = replica->verify();
  EXPECT_TRUE(verified) << verified.error().to_string();
}

TEST(ReplicatorInterop, NodeClonesFromUs) {
  for (uint64_t n : {1u, 5u, 33u}) {
    SCOPED_TRACE("blocks " + std::to_string(n));
    auto writer = make_writer(n, 0x44);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(listener, 1), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    int port = ntohs(addr.sin_port);

    Child client({"node", bee_test::oracle_dir() + "/peer.js", "clone", "--key", to_hex(writer->key()), "--port",
                  std::to_string(port), "--blocks", "--timeout", "20000"});
    auto deadline = Clock::now() + kWait;
    pollfd p{listener, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 20000), 1) << "peer.js clone never connected";
    int fd = accept(listener, nullptr, nullptr);
    close(listener);
    ASSERT_GE(fd, 0);

    PeerSession session(NoiseRole::responder);
    session.add_core(*writer, {}, Clock::now());
    // Serve until the child has printed its result (it then closes the connection).
    auto printed = [&] {
      pollfd c{client.out, POLLIN, 0};
      if (poll(&c, 1, 0) > 0) {
        char buf[65536];
        ssize_t r = read(client.out, buf, sizeof buf);
        if (r > 0) client.buffer.append(buf, static_cast<size_t>(r));
      }
      return client.buffer.find('\n') != std::string::npos;
    };
    drive(session, fd, printed, deadline);
    close(fd);
    ASSERT_TRUE(client.read_until([](const std::string& b) { return b.find('\n') != std::string::npos; }, deadline))
        << "peer.js clone printed: " << client.buffer;
    EXPECT_FALSE(session.failed()) << session.error()->to_string();
    simdjson::dom::parser parser;
    simdjson::dom::element out;
    ASSERT_EQ(parser.parse(client.buffer.substr(0, client.buffer.find('\n'))).get(out), simdjson::SUCCESS)
        << client.buffer;
    ASSERT_EQ(out["length"].get_uint64().value(), n) << client.buffer;
    auto blocks = block_hex(n);
    size_t i = 0;
    for (auto b : out["blocks"].get_array()) {
      ASSERT_LT(i, n);
      EXPECT_EQ(std::string(b.get_string().value()), blocks[i]) << i;
      i++;
    }
    EXPECT_EQ(i, n);
    EXPECT_EQ(std::string(out["treeHash"].get_string().value()), to_hex(writer->tree_hash()));
  }
}

}  // namespace
