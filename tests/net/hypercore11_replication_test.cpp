// Replication with hypercore 11.39.5 / hyperbee 2.27.3 peers (tests/interop/peer11.js on
// tests/oracle11, installed by scripts/setup.sh into .cache/oracle11 or
// $BEE_ORACLE11_DIR) over loopback TCP: a Node 11 writer with a version 3 manifest
// (linked keys, user data) and a bee on it replicates to our reader, which verifies every
// block and reads the bee; our writer replicates to a Node 11 reader. Skipped when node or
// the install is missing. Every wait is bounded; the child is always killed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "bee/bee.hpp"
#include "tests/net/node_child.hpp"
#include "tests/net/replication_test_util.hpp"
#include "tests/support/oracle.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace repl_test;
using hypercore::to_hex;
using Child = repl_test::NodeChild;

constexpr auto kWait = std::chrono::seconds(40);

std::string oracle11_dir() {
  if (const char* env = std::getenv("BEE_ORACLE11_DIR"); env && *env) return env;
  return std::string(BEE_SOURCE_DIR) + "/.cache/oracle11";
}

// `node peer11.js args...` with the hypercore 11 modules (env overrides the NODE_PATH
// NodeChild sets for the hypercore 10 reference).
std::vector<std::string> peer11(std::vector<std::string> args) {
  std::vector<std::string> argv = {"env", "NODE_PATH=" + oracle11_dir() + "/node_modules", "node",
                                   bee_test::interop_script("peer11.js")};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

bool have_node11() {
  if (!std::filesystem::exists(oracle11_dir() + "/node_modules/hypercore")) return false;
  return bee_test::run_process({"node", "--version"}).exit_code == 0;
}

TEST(Hypercore11Replication, ReadAManifestV3BeeFromNode11) {
  if (!have_node11()) GTEST_SKIP() << "node or " << oracle11_dir() << " missing (scripts/setup.sh)";
  bee_test::TempDir dir;
  const uint64_t entries = 60;
  Child server(peer11({"serve", dir / "writer", std::to_string(entries), "60"}));
  auto deadline = Clock::now() + kWait;
  ASSERT_TRUE(server.read_line(deadline)) << "peer11.js serve printed: " << server.buffer;
  simdjson::dom::parser parser;
  simdjson::dom::element info;
  ASSERT_EQ(parser.parse(server.line()).get(info), simdjson::SUCCESS) << server.buffer;
  uint64_t n = info["length"].get_uint64().value();
  ASSERT_EQ(n, entries + 1);  // the header block, then one block per put

  // The manifest: version 3 with linked and userData; its hash is the key.
  auto manifest = hypercore::Manifest::decode(*hypercore::from_hex(std::string(info["manifest"].get_string().value())));
  ASSERT_TRUE(manifest) << manifest.error().to_string();
  EXPECT_EQ(manifest->version, 3u);
  ASSERT_TRUE(manifest->linked && manifest->user_data);
  EXPECT_EQ(to_hex(manifest->hash()), std::string(info["key"].get_string().value()));

  auto key = hypercore::hash_from_hex(std::string(info["key"].get_string().value())).value();
  std::shared_ptr<Core> replica = Core::open_replica(hypercore::make_memory_storage(), key).value();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(info["port"].get_int64().value()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);

  PeerSession session(NoiseRole::initiator);
  ReplicatorOptions all;
  all.download_all = true;
  session.add_core(*replica, all, Clock::now());
  bool ok = drive(session, fd, [&] { return replica->contiguous_length() == n; }, deadline);
  close(fd);
  ASSERT_TRUE(ok) << (session.error() ? session.error()->to_string() : "timeout") << " length " << replica->length()
                  << " contiguous " << replica->contiguous_length();
  ASSERT_TRUE(replica->identity().manifest());
  EXPECT_EQ(*replica->identity().manifest(), *manifest);
  EXPECT_EQ(to_hex(replica->tree_hash()), std::string(info["treeHash"].get_string().value()));
  EXPECT_EQ(to_hex(replica->signature()), std::string(info["signature"].get_string().value()));
  uint64_t i = 0;
  for (auto b : info["blocks"].get_array()) {
    EXPECT_EQ(to_hex(replica->get(i).value()), std::string(b.get_string().value())) << i;
    i++;
  }
  EXPECT_EQ(i, n);
  auto verified = replica->verify();
  EXPECT_TRUE(verified) << verified.error().to_string();

  // The bee hyperbee 2.27.3 wrote on it.
  auto bee = bee::Bee::open(replica);
  ASSERT_TRUE(bee) << bee.error().to_string();
  for (uint64_t k : {0u, 17u, 59u}) {
    char name[16];
    std::snprintf(name, sizeof name, "key-%04llu", static_cast<unsigned long long>(k));
    auto e = (*bee)->get(hypercore::as_bytes(std::string_view(name)));
    ASSERT_TRUE(e && *e && (*e)->value) << name;
    std::string value((*e)->value->begin(), (*e)->value->end());
    EXPECT_EQ(value, "value " + std::to_string(k));
  }
}

TEST(Hypercore11Replication, Node11ReadsFromUs) {
  if (!have_node11()) GTEST_SKIP() << "node or " << oracle11_dir() << " missing (scripts/setup.sh)";
  bee_test::TempDir dir;
  const uint64_t n = 25;
  auto writer = make_writer(n, 0x45);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  Child client(peer11({"clone", dir / "reader", to_hex(writer->key()), std::to_string(ntohs(addr.sin_port)),
                       std::to_string(n)}));
  auto deadline = Clock::now() + kWait;
  pollfd p{listener, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 30000), 1) << "peer11.js clone never connected";
  int fd = accept(listener, nullptr, nullptr);
  close(listener);
  ASSERT_GE(fd, 0);

  PeerSession session(NoiseRole::responder);
  session.add_core(*writer, {}, Clock::now());
  drive(session, fd, [&] { return client.poll_line(); }, deadline);
  close(fd);
  ASSERT_TRUE(client.read_line(deadline)) << "peer11.js clone printed: " << client.buffer;
  EXPECT_FALSE(session.failed()) << session.error()->to_string();
  simdjson::dom::parser parser;
  simdjson::dom::element out;
  ASSERT_EQ(parser.parse(client.line()).get(out), simdjson::SUCCESS) << client.buffer;
  ASSERT_EQ(out["length"].get_uint64().value(), n) << client.buffer;
  EXPECT_EQ(std::string(out["treeHash"].get_string().value()), to_hex(writer->tree_hash()));
  uint64_t i = 0;
  for (auto b : out["blocks"].get_array()) {
    EXPECT_EQ(std::string(b.get_string().value()), to_hex(content(i))) << i;
    i++;
  }
  EXPECT_EQ(i, n);
}

}  // namespace
