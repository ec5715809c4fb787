// DhtPeer against stock Node peers (hyperdht 6.34.0, hyperswarm 4.17.2, udx-native 1.21.3)
// on a Node HyperDHT testnet, inside a network namespace of the test's own (HyperDHT peers
// advertise every interface address; nothing here leaves the namespace's loopback):
//   - our client finds a Node Hyperswarm server by topic, connects to its key through its
//     relays and clones its Hyperbee's core, verifying every block;
//   - a Node Hyperswarm client finds our server by topic and reads keys of a bee we serve.
// Skipped only without root (for the namespace); a missing Node reference fails.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "bee/bee.hpp"
#include "net/connect/dht_peer.hpp"
#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "net/transport/event_loop.hpp"
#include "tests/net/loop_pump.hpp"
#include "tests/net/node_child.hpp"
#include "tests/support/oracle.hpp"
#include "tests/support/private_netns.hpp"

using namespace repl_test;
using namespace std::chrono_literals;
using net::connect::ConnectInfo;
using net::connect::DhtPeer;
using net::connect::DhtPeerOptions;
using net_test::pump;

namespace {

std::string json_field(const std::string& line, const std::string& name) {
  auto at = line.find("\"" + name + "\":");
  if (at == std::string::npos) return "";
  at += name.size() + 3;
  if (line[at] == '"') {
    auto end = line.find('"', at + 1);
    return line.substr(at + 1, end - at - 1);
  }
  auto end = line.find_first_of(",}", at);
  return line.substr(at, end - at);
}

hypercore::Bytes unhex(const std::string& h) {
  hypercore::Bytes out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

template <size_t N>
std::array<uint8_t, N> unhex_array(const std::string& h) {
  std::array<uint8_t, N> out{};
  auto b = unhex(h);
  if (b.size() == N) std::copy(b.begin(), b.end(), out.begin());
  return out;
}

// The namespace, the Node testnet and our DhtPeer on it.
struct Fixture {
  std::string skip;
  net::EventLoop loop;
  std::unique_ptr<NodeChild> testnet;
  std::string bootstrap;
  std::unique_ptr<DhtPeer> peer;

  Fixture() {
    if (auto why = test_support::enter_private_netns(); !why.empty()) {
      skip = why;
      return;
    }
    testnet = std::make_unique<NodeChild>(std::vector<std::string>{
        "node", bee_test::oracle_dir() + "/dht-testnet.js", "--nodes", "3", "--seconds", "90"});
    if (!testnet->read_until([](const std::string& b) { return b.find('\n') != std::string::npos; },
                             Clock::now() + 30s)) {
      ADD_FAILURE() << "the Node testnet did not start";
      return;
    }
    auto strings = testnet->buffer.find("\"bootstrapStrings\":[\"");
    if (strings == std::string::npos) return;
    strings += 21;
    bootstrap = testnet->buffer.substr(strings, testnet->buffer.find('"', strings) - strings);
    DhtPeerOptions options;
    options.host = "127.0.0.1";
    options.bootstrap = {bootstrap};
    bool ready = false;
    auto opened = DhtPeer::open(loop.context(), options, [&ready] { ready = true; });
    EXPECT_TRUE(opened);
    if (!opened) return;
    peer = std::move(*opened);
    EXPECT_TRUE(pump(loop, [&] { return ready; }, 20s));
  }
  ~Fixture() {
    if (peer) peer->close();
  }
};

}  // namespace

TEST(DhtPeerInterop, OurClientClonesANodeHyperswarmServer) {
  Fixture f;
  if (!f.skip.empty()) GTEST_SKIP() << f.skip;
  ASSERT_TRUE(f.peer);
  NodeChild server({"node", bee_test::interop_script("hyperswarm_peer.js"), "swarm-serve", "--bootstrap", f.bootstrap,
                    "--entries", "500", "--seconds", "60"});
  ASSERT_TRUE(server.read_until([](const std::string& b) { return b.find('\n') != std::string::npos; },
                                Clock::now() + 30s))
      << server.buffer;
  std::string line = server.buffer.substr(0, server.buffer.find('\n'));
  auto key = unhex_array<32>(json_field(line, "key"));
  auto topic = unhex_array<32>(json_field(line, "discoveryKey"));
  uint64_t length = std::stoull(json_field(line, "length"));
  ASSERT_GT(length, 500u);

  // The topic's records name the server's key and its relays (what Hyperswarm announces).
  std::optional<net::dht::PeerRecord> record;
  bool lookup_done = false;
  f.peer->hyperdht().lookup(
      topic, [&](const net::dht::PeerReply& reply) { if (!reply.peers.empty() && !record) record = reply.peers[0]; },
      [&](const net::dht::QueryResult&) { lookup_done = true; }, f.peer->udp().now());
  f.peer->udp().reschedule();
  ASSERT_TRUE(pump(f.loop, [&] { return lookup_done; }, 20s));
  ASSERT_TRUE(record) << "the lookup found no record for the topic";

  auto replica = Core::open_replica(hypercore::make_memory_storage(), key);
  ASSERT_TRUE(replica);
  PeerSetup setup;
  setup.cores = {replica->get()};
  setup.replicator.download_all = true;
  bool done = false;
  setup.handlers.on_event = [&](Peer& peer, const SessionEvent&) {
    if ((*replica)->length() >= length && (*replica)->contiguous_length() == (*replica)->length() && !done) {
      done = true;
      peer.close();
    }
  };
  std::optional<TransportResult<std::shared_ptr<Peer>>> connected;
  ConnectInfo info;
  f.peer->connect(record->public_key, record->relay_addresses, setup,
                  [&](TransportResult<std::shared_ptr<Peer>> r, const ConnectInfo& i) {
                    connected = std::move(r);
                    info = i;
                  });
  ASSERT_TRUE(pump(f.loop, [&] { return connected.has_value(); }, 20s));
  ASSERT_TRUE(*connected) << connected->error().to_string();
  ASSERT_TRUE(pump(f.loop, [&] { return done; }, 30s))
      << "replica " << (*replica)->contiguous_length() << "/" << length << " over " << info.remote << " ("
      << net::connect::path_name(info.path) << ")";
  EXPECT_TRUE((*replica)->verify());
  auto bee = bee::Bee::open(std::shared_ptr<hypercore::Core>(std::move(*replica)));
  ASSERT_TRUE(bee);
  auto entry = (*bee)->get(hypercore::as_bytes("key000123"));
  ASSERT_TRUE(entry && *entry);
  ASSERT_TRUE((*entry)->value);
  EXPECT_EQ(std::string((*entry)->value->begin(), (*entry)->value->end()), "value000123");
}

TEST(DhtPeerInterop, ANodeHyperswarmClientReadsOurServer) {
  Fixture f;
  if (!f.skip.empty()) GTEST_SKIP() << f.skip;
  ASSERT_TRUE(f.peer);
  auto core = Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::random());
  ASSERT_TRUE(core);
  std::shared_ptr<hypercore::Core> shared(std::move(*core));
  auto bee = bee::Bee::open(shared);
  ASSERT_TRUE(bee);
  auto batch = (*bee)->batch();
  for (int i = 0; i < 300; i++) {
    char k[16], v[16];
    std::snprintf(k, sizeof k, "key%06d", i);
    std::snprintf(v, sizeof v, "value%06d", i);
    ASSERT_TRUE(batch.put(hypercore::as_bytes(k), hypercore::as_bytes(v)));
  }
  ASSERT_TRUE(batch.flush());

  auto server_keys = hypercore::KeyPair::random();
  PeerSetup setup;
  setup.cores = {shared.get()};
  size_t accepted = 0;
  f.peer->listen(server_keys, setup, [&](std::shared_ptr<Peer>, const ConnectInfo&) { accepted++; });
  ASSERT_TRUE(pump(f.loop, [&] { return !f.peer->relays(server_keys.public_key).empty(); }, 20s));
  // Announce the core's discovery key with our relays, as Hyperswarm's server does.
  bool announced = false;
  f.peer->hyperdht().announce(
      shared->discovery_key(), server_keys, f.peer->relays(server_keys.public_key),
      [&](const net::dht::QueryResult& r) { announced = r.commits_ok > 0; }, f.peer->udp().now());
  f.peer->udp().reschedule();
  ASSERT_TRUE(pump(f.loop, [&] { return announced; }, 20s));

  std::string key_hex;
  for (uint8_t b : shared->key()) {
    char h[3];
    std::snprintf(h, sizeof h, "%02x", b);
    key_hex += h;
  }
  NodeChild client({"node", bee_test::interop_script("hyperswarm_peer.js"), "swarm-get", "--bootstrap", f.bootstrap,
                    "--key", key_hex, "--get", "key000007,key000299,missing", "--min-length",
                    std::to_string(shared->length()), "--seconds", "40"});
  // Our loop must run for the Node client to be served.
  ASSERT_TRUE(pump(f.loop, [&] { return client.poll_line(); }, 45s)) << client.buffer;
  EXPECT_NE(client.buffer.find("\"key000007\":\"value000007\""), std::string::npos) << client.buffer;
  EXPECT_NE(client.buffer.find("\"key000299\":\"value000299\""), std::string::npos) << client.buffer;
  EXPECT_NE(client.buffer.find("\"missing\":null"), std::string::npos) << client.buffer;
  EXPECT_GE(accepted, 1u);
}
