// The hyperbee replication extension, our answering side against the Node reference:
// `peer.js clone --get/--range` (hyperbee 2.27.3, extension on by default) queries a bee
// we serve over TCP with a BeeExtensionResponder per connection. Node's answers must equal
// our local reads, and our responder must have answered its asks (Node sends a get ask
// when its first block is missing, an iterator ask for scans).
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "bee/bee.hpp"
#include "net/remote/bee_extension.hpp"
#include "net/transport/event_loop.hpp"
#include "net/transport/tcp_transport.hpp"
#include "tests/net/node_child.hpp"
#include "tests/net/replication_test_util.hpp"
#include "tests/support/oracle.hpp"

namespace {

using namespace repl_test;
using Child = repl_test::NodeChild;
using hypercore::to_hex;
using namespace std::chrono_literals;

std::string key_text(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key%05llu", static_cast<unsigned long long>(i));
  return buf;
}
Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string text_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

constexpr uint64_t kEntries = 5000;

struct Served {
  std::shared_ptr<Core> core;
  std::unique_ptr<bee::Bee> bee;
  EventLoop loop;
  std::unique_ptr<Server> server;
  std::map<Peer*, std::unique_ptr<net::BeeExtensionResponder>> responders;
  uint64_t asks_answered = 0;
  uint64_t blocks_offered = 0;

  Served() {
    hypercore::Seed seed;
    seed.fill(0x5a);
    core = std::move(*Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::from_seed(seed)));
    bee = std::move(*bee::Bee::open(core));
    for (uint64_t start = 0; start < kEntries; start += 500) {
      auto batch = bee->batch();
      for (uint64_t i = start; i < start + 500; i++) {
        uint64_t k = (i * 7919) % kEntries;
        EXPECT_TRUE(batch.put(bytes_of(key_text(k)), ByteSpan(bytes_of("v" + std::to_string(k)))));
      }
      EXPECT_TRUE(batch.flush());
    }
    ServerOptions so;
    so.setup.cores = {core.get()};
    so.setup.handlers.on_open = [this](Peer& peer) {
      responders[&peer] = std::make_unique<net::BeeExtensionResponder>(*core);
    };
    so.setup.handlers.on_event = [this](Peer& peer, const SessionEvent& e) {
      auto it = responders.find(&peer);
      if (it == responders.end() || e.core == SessionEvent::kSessionEvent) return;
      it->second->on_event(e.event, peer.session().replicator(e.core), Clock::now());
    };
    so.setup.handlers.on_close = [this](Peer& peer, const std::optional<TransportError>&) {
      auto it = responders.find(&peer);
      if (it == responders.end()) return;
      asks_answered += it->second->asks_answered();
      blocks_offered += it->second->blocks_offered();
      responders.erase(it);
    };
    auto s = listen_tcp(loop.context(), so);
    EXPECT_TRUE(s) << s.error().to_string();
    if (s) server = std::move(*s);
  }

  // Runs `peer.js clone` with `args` against us until it prints its line.
  bool node_query(const std::vector<std::string>& args, simdjson::dom::parser& parser, simdjson::dom::element& out,
                  std::string& raw) {
    std::vector<std::string> argv{"node", bee_test::oracle_dir() + "/peer.js", "clone", "--key", to_hex(core->key()),
                                  "--port", std::to_string(server->port()), "--encoding", "utf-8",
                                  "--timeout", "20000"};
    argv.insert(argv.end(), args.begin(), args.end());
    Child client(argv);
    auto deadline = Clock::now() + 30s;
    while (!client.poll_line() && Clock::now() < deadline) loop.run_for(20ms);
    // Let the connection's close reach on_close (the responder's figures).
    for (int i = 0; i < 50 && !responders.empty(); i++) loop.run_for(20ms);
    if (!client.read_line(Clock::now() + 5s)) {
      raw = client.buffer;
      return false;
    }
    raw = client.line();
    return parser.parse(raw).get(out) == simdjson::SUCCESS;
  }
};

TEST(BeeExtensionInterop, NodeGetsAreAnsweredByOurResponder) {
  Served s;
  ASSERT_TRUE(s.server);
  for (uint64_t k : {42u, 2500u, 4999u, 123456u}) {
    SCOPED_TRACE(key_text(k));
    uint64_t asks_before = s.asks_answered;
    simdjson::dom::parser parser;
    simdjson::dom::element out;
    std::string raw;
    ASSERT_TRUE(s.node_query({"--get", key_text(k)}, parser, out, raw)) << raw;
    auto local = s.bee->get(bytes_of(key_text(k)));
    ASSERT_TRUE(local);
    simdjson::dom::element result = out["result"];
    if (!*local) {
      EXPECT_TRUE(result.is_null()) << raw;
    } else {
      EXPECT_EQ(std::string(result["value"].get_string().value()), text_of(*(*local)->value)) << raw;
      EXPECT_EQ(result["seq"].get_uint64().value(), (*local)->seq) << raw;
    }
    EXPECT_GT(s.asks_answered, asks_before) << "Node's get ask was not answered";
    std::printf("[ figures ] Node get %s from our server: localBlocks %llu\n", key_text(k).c_str(),
                static_cast<unsigned long long>(out["localBlocks"].get_uint64().value()));
  }
  EXPECT_GT(s.blocks_offered, 0u);
}

TEST(BeeExtensionInterop, NodeRangesAreAnsweredByOurResponder) {
  Served s;
  ASSERT_TRUE(s.server);
  struct Case {
    std::vector<std::string> args;
    bee::Range range;
  };
  Case forward{{"--range", key_text(1000) + "," + key_text(1100)}, {}};
  forward.range.gte = bytes_of(key_text(1000));
  forward.range.lt = bytes_of(key_text(1100));
  Case reverse{{"--range", key_text(3000) + "," + key_text(3400), "--reverse", "--limit", "30"}, {}};
  reverse.range.gte = bytes_of(key_text(3000));
  reverse.range.lt = bytes_of(key_text(3400));
  reverse.range.reverse = true;
  reverse.range.limit = 30;
  for (const Case& c : {forward, reverse}) {
    SCOPED_TRACE(c.args[1]);
    uint64_t asks_before = s.asks_answered;
    simdjson::dom::parser parser;
    simdjson::dom::element out;
    std::string raw;
    ASSERT_TRUE(s.node_query(c.args, parser, out, raw)) << raw;
    std::vector<std::string> expected, got;
    auto it = s.bee->snapshot().range(c.range);
    while (auto e = *it.next()) expected.push_back(text_of(e->key) + "=" + text_of(*e->value));
    for (auto e : out["result"].get_array()) {
      got.push_back(std::string(e["key"].get_string().value()) + "=" + std::string(e["value"].get_string().value()));
    }
    EXPECT_EQ(got, expected);
    EXPECT_FALSE(got.empty());
    EXPECT_GT(s.asks_answered, asks_before) << "Node's iterator ask was not answered";
    std::printf("[ figures ] Node range %s from our server: %zu entries, localBlocks %llu\n", c.args[1].c_str(),
                got.size(), static_cast<unsigned long long>(out["localBlocks"].get_uint64().value()));
  }
}

}  // namespace
