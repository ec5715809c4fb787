// The blind relay end to end, ours only (net/connect/blind_relay_server.hpp): a testnet of
// our DHT nodes on 127.0.0.1 in a private network namespace, a BlindRelayServer on its own
// DhtPeer, and two DhtPeers whose connection goes through it (relay_through on the client,
// on the server, or on both), then replicates a core over the relayed UDX stream keyed by
// the original handshake. Every wait is bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "net/connect/blind_relay_server.hpp"
#include "net/connect/dht_peer.hpp"
#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "net/transport/event_loop.hpp"
#include "tests/net/local_dht_node.hpp"
#include "tests/net/loop_pump.hpp"
#include "tests/net/replication_test_util.hpp"
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

std::unique_ptr<DhtPeer> open_peer(net::EventLoop& loop, const net_test::LocalTestnet& net, bool& ready,
                                   std::optional<hypercore::PublicKey> relay = std::nullopt) {
  DhtPeerOptions options;
  options.host = "127.0.0.1";
  options.bootstrap = net.bootstrap;
  options.relay_through = relay;
  options.punch_beside_relay = false;  // on loopback the server's address always answers
  auto peer = DhtPeer::open(loop.context(), options, [&ready] { ready = true; });
  EXPECT_TRUE(peer) << (peer ? "" : peer.error().message);
  return peer ? std::move(*peer) : nullptr;
}

// Only values: a ConnectInfo holds its socket, which must not outlive the test's loop.
struct Outcome {
  ConnectPath client_path = ConnectPath::direct;
  std::optional<ConnectPath> server_path;
  net::connect::BlindRelayStats relay_stats;
};

// relay on: 1 = the client names the relay, 2 = the server, 3 = both.
void relayed_replication(int who, Outcome& out) {
  if (auto why = test_support::enter_private_netns(); !why.empty()) GTEST_FAIL() << why;
  net::EventLoop loop;
  net_test::LocalTestnet testnet(loop);
  ASSERT_TRUE(testnet.ok());
  bool relay_ready = false, server_ready = false, client_ready = false;
  auto relay_dht = open_peer(loop, testnet, relay_ready);
  ASSERT_TRUE(relay_dht);
  auto relay_keys = hypercore::KeyPair::random();
  auto relay = BlindRelayServer::start(*relay_dht, relay_keys);
  std::optional<hypercore::PublicKey> relay_key = relay_keys.public_key;
  auto server = open_peer(loop, testnet, server_ready, (who & 2) ? relay_key : std::nullopt);
  auto client = open_peer(loop, testnet, client_ready, (who & 1) ? relay_key : std::nullopt);
  ASSERT_TRUE(server && client);
  ASSERT_TRUE(pump(loop, [&] { return relay_ready && server_ready && client_ready; }, 20s));
  ASSERT_TRUE(pump(loop, [&] { return !relay_dht->relays(relay_keys.public_key).empty(); }, 20s));

  auto writer = make_writer(200, 0x61);
  auto replica = make_replica(*writer);
  auto server_keys = hypercore::KeyPair::random();
  PeerSetup server_setup;
  server_setup.cores = {writer.get()};
  server->listen(server_keys, server_setup, [&](std::shared_ptr<Peer>, const ConnectInfo& info) { out.server_path = info.path; });
  ASSERT_TRUE(pump(loop, [&] { return !server->relays(server_keys.public_key).empty(); }, 20s));

  PeerSetup setup;
  setup.cores = {replica.get()};
  setup.replicator.download_all = true;
  bool client_closed = false;
  setup.handlers.on_event = [&](Peer& peer, const SessionEvent&) {
    auto remote = peer.session().replicator(0).remote_sync();
    if (remote && replica->length() == remote->length && replica->contiguous_length() == replica->length()) peer.close();
  };
  setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) {
    client_closed = true;
    EXPECT_FALSE(e) << e->to_string();
  };
  std::optional<TransportResult<std::shared_ptr<Peer>>> connected;
  client->connect(server_keys.public_key, {}, setup, [&](TransportResult<std::shared_ptr<Peer>> r, const ConnectInfo& i) {
    connected = std::move(r);
    out.client_path = i.path;
  });
  ASSERT_TRUE(pump(loop, [&] { return connected.has_value(); }, 30s));
  ASSERT_TRUE(*connected) << connected->error().to_string();
  ASSERT_TRUE(pump(loop, [&] { return client_closed; }, 30s)) << "replica " << replica->contiguous_length();
  EXPECT_EQ(replica->length(), 200u);
  EXPECT_EQ(replica->tree_hash(), writer->tree_hash());
  EXPECT_TRUE(replica->verify());
  out.relay_stats = relay->stats();
  relay->close();
  server->close();
  client->close();
  relay_dht->close();
}

void expect_relayed(const Outcome& out) {
  EXPECT_EQ(out.client_path, ConnectPath::relay) << net::connect::path_name(out.client_path);
  ASSERT_TRUE(out.server_path);
  EXPECT_EQ(*out.server_path, ConnectPath::relay);
  EXPECT_EQ(out.relay_stats.pairings.matched, 1u);
  // The relayed connection closed, and with it the connections to the relay: the link ended.
  EXPECT_EQ(out.relay_stats.pairings.active, 0u);
  EXPECT_GT(out.relay_stats.relayed_packets, 20u);  // 200 blocks crossed it
}

}  // namespace

TEST(BlindRelay, ClientsRelayCarriesTheConnection) {
  Outcome out;
  relayed_replication(1, out);
  if (HasFatalFailure()) return;
  expect_relayed(out);
}

TEST(BlindRelay, ServersRelayCarriesTheConnection) {
  Outcome out;
  relayed_replication(2, out);
  if (HasFatalFailure()) return;
  expect_relayed(out);
}

TEST(BlindRelay, BothNameItAndTheServersChoiceWins) {
  Outcome out;
  relayed_replication(3, out);
  if (HasFatalFailure()) return;
  expect_relayed(out);
}
