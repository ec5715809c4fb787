// The blind relay against Node (hyperdht 6.34.0, blind-relay 1.6.1) on a Node testnet, in a
// private network namespace (tests/interop/blind_relay_peer.js plays the Node roles):
//   - a Node blind relay pairs our client with a Node server (our client names it);
//   - our client follows a Node server's relayThrough to our relay.
// Skipped only without root (for the namespace); a missing Node reference fails.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "net/connect/blind_relay_server.hpp"
#include "net/connect/dht_peer.hpp"
#include "net/transport/event_loop.hpp"
#include "tests/net/loop_pump.hpp"
#include "tests/net/node_child.hpp"
#include "tests/net/replication_test_util.hpp"
#include "tests/support/oracle.hpp"
#include "tests/support/private_netns.hpp"

using namespace repl_test;
using namespace std::chrono_literals;
using net::connect::BlindRelayServer;
using net::connect::ConnectInfo;
using net::connect::ConnectPath;
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

const std::string kSeedA(64, 'a');
const std::string kSeedB(64, 'b');

struct Fixture {
  std::string skip;
  net::EventLoop loop;
  std::unique_ptr<NodeChild> testnet;
  std::string bootstrap;

  Fixture() {
    if (auto why = test_support::enter_private_netns(); !why.empty()) {
      skip = why;
      return;
    }
    testnet = std::make_unique<NodeChild>(std::vector<std::string>{
        "node", bee_test::oracle_dir() + "/dht-testnet.js", "--nodes", "3", "--seconds", "120"});
    if (!testnet->read_line(Clock::now() + 30s)) {
      ADD_FAILURE() << "the Node testnet did not start";
      return;
    }
    auto strings = testnet->buffer.find("\"bootstrapStrings\":[\"");
    if (strings == std::string::npos) return;
    strings += 21;
    bootstrap = testnet->buffer.substr(strings, testnet->buffer.find('"', strings) - strings);
  }

  std::unique_ptr<DhtPeer> open_peer(std::optional<hypercore::PublicKey> relay = std::nullopt) {
    DhtPeerOptions options;
    options.host = "127.0.0.1";
    options.bootstrap = {bootstrap};
    options.relay_through = relay;
    bool ready = false;
    auto opened = DhtPeer::open(loop.context(), options, [&ready] { ready = true; });
    EXPECT_TRUE(opened);
    if (!opened) return nullptr;
    EXPECT_TRUE(pump(loop, [&] { return ready; }, 20s));
    return std::move(*opened);
  }

  std::unique_ptr<NodeChild> node_role(std::vector<std::string> args) {
    args.insert(args.begin(), {"node", bee_test::interop_script("blind_relay_peer.js")});
    args.insert(args.end(), {"--bootstrap", bootstrap, "--seconds", "90"});
    return std::make_unique<NodeChild>(args);
  }
};

std::optional<hypercore::PublicKey> key_of(const std::string& line) {
  return hypercore::hash_from_hex(json_field(line, "publicKey"));
}

}  // namespace

// Our client names the Node relay; the Node server (firewalled, its handshake relayed)
// pairs there too. (Two of ours through a Node relay would need our server firewalled: on
// this testnet our DhtPeer is OPEN and the client rightly dials it directly.)
TEST(BlindRelayInterop, ANodeRelayPairsOurClientWithANodeServer) {
  Fixture f;
  if (!f.skip.empty()) GTEST_SKIP() << f.skip;
  ASSERT_FALSE(f.bootstrap.empty());
  auto relay = f.node_role({"relay", "--seed", kSeedA});
  ASSERT_TRUE(relay->read_line(Clock::now() + 30s)) << relay->buffer;
  auto relay_key = key_of(relay->line());
  ASSERT_TRUE(relay_key) << relay->buffer;
  auto server = f.node_role({"listen", "--seed", kSeedB});
  ASSERT_TRUE(server->read_line(Clock::now() + 30s)) << server->buffer;
  auto server_key = key_of(server->line());
  ASSERT_TRUE(server_key) << server->buffer;

  auto client = f.open_peer(relay_key);
  ASSERT_TRUE(client);
  PeerSetup setup;
  bool open = false;
  setup.handlers.on_event = [&](Peer& peer, const SessionEvent& e) {
    if (e.core == SessionEvent::kSessionEvent && e.event.kind == ReplicatorEvent::Kind::connected) {
      open = true;
      peer.close();
    }
  };
  std::optional<TransportResult<std::shared_ptr<Peer>>> connected;
  ConnectInfo info;
  client->connect(*server_key, {}, setup, [&](TransportResult<std::shared_ptr<Peer>> r, const ConnectInfo& i) {
    connected = std::move(r);
    info = i;
  });
  ASSERT_TRUE(pump(f.loop, [&] { return connected.has_value(); }, 40s));
  ASSERT_TRUE(*connected) << connected->error().to_string();
  EXPECT_EQ(info.path, ConnectPath::relay) << net::connect::path_name(info.path);
  ASSERT_TRUE(pump(f.loop, [&] { return open; }, 20s));
  relay->poll_line();
  EXPECT_NE(relay->buffer.find("\"isInitiator\":true"), std::string::npos) << relay->buffer;
  EXPECT_NE(relay->buffer.find("\"isInitiator\":false"), std::string::npos) << relay->buffer;
  client->close();
}

TEST(BlindRelayInterop, OurClientFollowsANodeServersRelayThroughToOurRelay) {
  Fixture f;
  if (!f.skip.empty()) GTEST_SKIP() << f.skip;
  ASSERT_FALSE(f.bootstrap.empty());
  auto relay_dht = f.open_peer();
  ASSERT_TRUE(relay_dht);
  auto relay_keys = hypercore::KeyPair::random();
  auto relay = BlindRelayServer::start(*relay_dht, relay_keys);
  ASSERT_TRUE(pump(f.loop, [&] { return !relay_dht->relays(relay_keys.public_key).empty(); }, 20s));
  auto server = f.node_role({"listen", "--seed", kSeedB, "--relay-through", hypercore::to_hex(relay_keys.public_key)});
  ASSERT_TRUE(pump(f.loop, [&] { return server->poll_line(); }, 30s)) << server->buffer;
  auto server_key = key_of(server->line());
  ASSERT_TRUE(server_key) << server->buffer;

  auto client = f.open_peer();
  ASSERT_TRUE(client);
  PeerSetup setup;
  bool open = false;
  // The Node echo server's first bytes (its secret-stream header) prove the relayed path.
  setup.handlers.on_event = [&](Peer& peer, const SessionEvent& e) {
    if (e.core == SessionEvent::kSessionEvent && e.event.kind == ReplicatorEvent::Kind::connected) {
      open = true;
      peer.close();
    }
  };
  std::optional<TransportResult<std::shared_ptr<Peer>>> connected;
  ConnectInfo info;
  client->connect(*server_key, {}, setup, [&](TransportResult<std::shared_ptr<Peer>> r, const ConnectInfo& i) {
    connected = std::move(r);
    info = i;
  });
  ASSERT_TRUE(pump(f.loop, [&] { return connected.has_value(); }, 40s));
  ASSERT_TRUE(*connected) << connected->error().to_string();
  EXPECT_EQ(info.path, ConnectPath::relay) << net::connect::path_name(info.path);
  ASSERT_TRUE(pump(f.loop, [&] { return open; }, 20s));
  EXPECT_EQ(relay->stats().pairings.matched, 1u);
  client->close();
  relay->close();
  relay_dht->close();
}
