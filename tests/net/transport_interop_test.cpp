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

#include "net/transport/event_loop.hpp"
#include "net/transport/tcp_transport.hpp"
#include "tests/net/replication_test_util.hpp"
#include "tests/net/node_child.hpp"
#include "tests/support/oracle.hpp"

namespace {

using Child = repl_test::NodeChild;

using namespace repl_test;
using hypercore::to_hex;
using namespace std::chrono_literals;


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
