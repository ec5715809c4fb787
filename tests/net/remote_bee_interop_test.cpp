// Sparse remote queries against the Node reference over loopback TCP: `peer.js serve --bee`
// holds a 20,000-entry bee; our PeerSession (Noise initiator) opens a sparse replica by key
// and RemoteBee answers gets and ranges, which must equal what `peer.js clone --get/--range`
// prints, with no more blocks stored locally than Node's clone stores (its localBlocks).
// Test-only blocking POSIX sockets; every wait is bounded and the children are killed.
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
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "bee/bee.hpp"
#include "bee/messages.hpp"
#include "net/remote/remote_bee.hpp"
#include "tests/net/replication_test_util.hpp"
#include "tests/net/node_child.hpp"
#include "tests/support/oracle.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using Child = repl_test::NodeChild;

using namespace repl_test;

constexpr auto kWait = std::chrono::seconds(60);
constexpr uint64_t kEntries = 20000;



std::string key_text(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key%05llu", static_cast<unsigned long long>(i));
  return buf;
}
std::string value_text(uint64_t i) { return "value-" + std::to_string(i * 7919); }
Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string text_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

// The same 20 batches as remote_bee_test.cpp, as peer.js ops.
void write_ops(const std::string& path) {
  std::ofstream f(path);
  for (uint64_t start = 0; start < kEntries; start += 1000) {
    f << "{\"op\":\"batch\",\"ops\":[";
    for (uint64_t i = start; i < start + 1000; i++) {
      uint64_t k = (i * 7919) % kEntries;
      f << (i == start ? "" : ",") << "{\"op\":\"put\",\"key\":\"" << key_text(k) << "\",\"value\":\""
        << value_text(k) << "\"}";
    }
    f << "]}\n";
  }
}

struct Server {
  std::unique_ptr<Child> child;
  int64_t port = 0;
  std::string key_hex;
  uint64_t length = 0;
};

// One connection to the server with a fresh sparse replica, driven by a blocking loop.
struct Connection {
  std::shared_ptr<Core> replica;
  std::unique_ptr<bee::Bee> bee;
  PeerSession session{NoiseRole::initiator};
  size_t index = 0;
  std::unique_ptr<net::RemoteBee> remote;
  int fd = -1;

  ~Connection() {
    if (fd >= 0) close(fd);
  }

  // Connects and waits for the upgrade to the server's length.
  bool open(const Server& server) {
    auto key = hypercore::hash_from_hex(server.key_hex).value();
    replica = Core::open_replica(hypercore::make_memory_storage(), key).value();
    bee = bee::Bee::open(replica).value();
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server.port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
    index = session.add_core(*replica, {}, Clock::now());
    remote = std::make_unique<net::RemoteBee>(*bee, session.replicator(index));
    return drive([&] { return replica->length() == server.length; });
  }

  bool drive(const std::function<bool()>& done) {
    auto deadline = Clock::now() + kWait;
    uint8_t buf[65536];
    while (Clock::now() < deadline) {
      if (!write_all(fd, session.take_output())) return false;
      for (auto& e : session.take_events()) {
        if (e.core == index) remote->on_event(e.event);
      }
      if (session.failed()) return false;
      if (done()) return true;
      pollfd p{fd, POLLIN, 0};
      int r = poll(&p, 1, 50);
      if (r < 0 && errno != EINTR) return false;
      if (r > 0) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return false;
        session.feed(ByteSpan(buf, static_cast<size_t>(n)), Clock::now());
      }
      session.tick(Clock::now());
    }
    return false;
  }

  std::expected<net::RemoteQuery::State, net::RemoteQueryError> run(net::RemoteQuery& q) {
    std::expected<net::RemoteQuery::State, net::RemoteQueryError> last = net::RemoteQuery::State::waiting;
    bool ok = drive([&] {
      last = q.step(Clock::now());
      return !last || *last == net::RemoteQuery::State::done;
    });
    if (!ok && last && *last != net::RemoteQuery::State::done) {
      return std::unexpected(net::RemoteQueryError{net::RemoteQueryErrc::request_timeout, "connection"});
    }
    return last;
  }

  // Tree levels on the root's path (the root block wrote one node per level).
  size_t depth() const {
    auto root = replica->get(replica->length() - 1);
    if (!root) return 0;
    auto node = bee::decode_node(*root);
    return node ? node->levels.size() : 0;
  }

  size_t held() const {
    size_t n = 0;
    for (uint64_t i = 0; i < replica->length(); i++) n += replica->has(i);
    return n;
  }
};

// `peer.js clone` with `args`, its one line of JSON parsed into `doc`.
bool node_clone(const Server& server, const std::vector<std::string>& args, simdjson::dom::parser& parser,
                simdjson::dom::element& doc, std::string& raw) {
  std::vector<std::string> argv{"node", bee_test::oracle_dir() + "/peer.js", "clone", "--key", server.key_hex,
                                "--port", std::to_string(server.port), "--encoding", "utf-8"};
  argv.insert(argv.end(), args.begin(), args.end());
  Child c(argv);
  if (!c.read_until([](const std::string& b) { return b.find('\n') != std::string::npos; }, Clock::now() + kWait)) {
    raw = c.buffer;
    return false;
  }
  raw = c.buffer.substr(0, c.buffer.find('\n'));
  return parser.parse(raw).get(doc) == simdjson::SUCCESS;
}

class RemoteBeeInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new bee_test::TempDir();
    std::string ops = *dir_ / "ops.jsonl";
    write_ops(ops);
    server_ = new Server();
    server_->child = std::make_unique<Child>(std::vector<std::string>{
        "node", bee_test::oracle_dir() + "/peer.js", "serve", "--seed", std::string(64, '4'), "--port", "0", "--bee",
        ops, "--encoding", "utf-8", "--seconds", "240"});
    if (!server_->child->read_until([](const std::string& b) { return b.find('\n') != std::string::npos; },
                                    Clock::now() + kWait)) {
      return;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element info;
    if (parser.parse(server_->child->buffer.substr(0, server_->child->buffer.find('\n'))).get(info) !=
        simdjson::SUCCESS) {
      return;
    }
    server_->port = info["port"].get_int64().value();
    server_->key_hex = std::string(info["key"].get_string().value());
    server_->length = info["length"].get_uint64().value();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_->port, 0) << "peer.js serve printed: " << server_->child->buffer;
    ASSERT_EQ(server_->length, kEntries + 1);
  }
  static bee_test::TempDir* dir_;
  static Server* server_;
};
bee_test::TempDir* RemoteBeeInterop::dir_ = nullptr;
Server* RemoteBeeInterop::server_ = nullptr;

TEST_F(RemoteBeeInterop, GetsMatchNodeWithNoMoreBlocks) {
  size_t ours_total = 0, node_total = 0;
  for (uint64_t k : {42u, 7840u, 13525u, 19999u, 0u}) {
    SCOPED_TRACE(key_text(k));
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string raw;
    ASSERT_TRUE(node_clone(*server_, {"--get", key_text(k)}, parser, doc, raw)) << raw;
    std::string node_value(doc["result"]["value"].get_string().value());
    uint64_t node_seq = doc["result"]["seq"].get_uint64().value();
    uint64_t node_blocks = doc["localBlocks"].get_uint64().value();

    Connection conn;
    ASSERT_TRUE(conn.open(*server_));
    auto q = conn.remote->get(bytes_of(key_text(k)));
    auto s = conn.run(*q);
    ASSERT_TRUE(s) << s.error().to_string();
    ASSERT_TRUE(q->entry());
    EXPECT_EQ(text_of(*q->entry()->value), node_value);
    EXPECT_EQ(q->entry()->seq, node_seq);
    EXPECT_LE(conn.held(), node_blocks);
    // The hyperbee extension brings the path in about one round trip; with the node-by-
    // node fetching when its answer is late, never more than one per tree level.
    EXPECT_TRUE(q->stats().extension_asked);
    EXPECT_GT(conn.remote->extension_blocks(), 0u);
    EXPECT_LE(q->stats().round_trips, conn.depth());
    std::printf("[ figures ] Node peer, get %s: ours %zu blocks, %llu round trips (tree depth %zu); Node "
                "localBlocks %llu\n",
                key_text(k).c_str(), conn.held(), static_cast<unsigned long long>(q->stats().round_trips),
                conn.depth(), static_cast<unsigned long long>(node_blocks));
    ours_total += conn.held();
    node_total += node_blocks;
  }
  std::printf("[ figures ] Node peer, 5 gets: ours %zu blocks, Node %zu\n", ours_total, node_total);
}

TEST_F(RemoteBeeInterop, RangesMatchNodeWithNoMoreBlocks) {
  struct Case {
    std::vector<std::string> args;
    bee::Range range;
  };
  std::vector<Case> cases;
  {
    Case c{{"--range", key_text(5000) + "," + key_text(5100)}, {}};
    c.range.gte = bytes_of(key_text(5000));
    c.range.lt = bytes_of(key_text(5100));
    cases.push_back(c);
  }
  {
    Case c{{"--range", key_text(12000) + "," + key_text(12040), "--reverse", "--limit", "25"}, {}};
    c.range.gte = bytes_of(key_text(12000));
    c.range.lt = bytes_of(key_text(12040));
    c.range.reverse = true;
    c.range.limit = 25;
    cases.push_back(c);
  }
  {
    Case c{{"--gt", key_text(19950), "--lte", key_text(19999)}, {}};
    c.range.gt = bytes_of(key_text(19950));
    c.range.lte = bytes_of(key_text(19999));
    cases.push_back(c);
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args[1]);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string raw;
    ASSERT_TRUE(node_clone(*server_, c.args, parser, doc, raw)) << raw;
    std::vector<std::pair<std::string, std::string>> node_result;
    for (auto e : doc["result"].get_array()) {
      node_result.emplace_back(std::string(e["key"].get_string().value()), std::string(e["value"].get_string().value()));
    }
    uint64_t node_blocks = doc["localBlocks"].get_uint64().value();

    Connection conn;
    ASSERT_TRUE(conn.open(*server_));
    auto q = conn.remote->range(c.range);
    auto s = conn.run(*q);
    ASSERT_TRUE(s) << s.error().to_string();
    std::vector<std::pair<std::string, std::string>> ours;
    for (const auto& e : q->entries()) ours.emplace_back(text_of(e.key), text_of(*e.value));
    EXPECT_EQ(ours, node_result);
    EXPECT_FALSE(ours.empty());
    // Node's count varies from run to run with the hyperbee extension's timing (the
    // reverse limit-25 case: 43 to 84). Its best is the blocks its iterator reads; ours
    // adds at most a block or two of prefetch past a limit (remote_bee_test's figures).
    EXPECT_LE(conn.held(), node_blocks + 2);
    std::printf("[ figures ] Node peer, range %s (%zu entries): ours %zu blocks, %llu round trips; Node "
                "localBlocks %llu\n",
                c.args[1].c_str(), ours.size(), conn.held(), static_cast<unsigned long long>(q->stats().round_trips),
                static_cast<unsigned long long>(node_blocks));
  }
}

}  // namespace
