// DhtPeer (net/connect/dht_peer.hpp) ours to ours on 127.0.0.1: a testnet of our own DHT
// nodes, a server listening by key and a client that connects by key alone, through the
// relay holding the server's announcement, then replicates over the UDX stream keyed by
// the Noise IK handshake. Every wait is bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "net/connect/dht_peer.hpp"
#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "net/transport/event_loop.hpp"
#include "tests/net/local_dht_node.hpp"
#include "tests/net/loop_pump.hpp"
#include "tests/net/replication_test_util.hpp"
#include "tests/support/expect_errc.hpp"

using namespace repl_test;
using namespace std::chrono_literals;
using net::connect::ConnectInfo;
using net::connect::DhtPeer;
using net::connect::DhtPeerOptions;
using net_test::pump;

namespace {


std::unique_ptr<DhtPeer> open_peer(net::EventLoop& loop, const net_test::LocalTestnet& net, bool& ready) {
  DhtPeerOptions options;
  options.host = "127.0.0.1";
  options.bootstrap = net.bootstrap;
  auto peer = DhtPeer::open(loop.context(), options, [&ready] { ready = true; });
  EXPECT_TRUE(peer) << (peer ? "" : peer.error().message);
  return peer ? std::move(*peer) : nullptr;
}

}  // namespace

TEST(DhtPeer, ConnectsByKeyAloneAndReplicates) {
  net::EventLoop loop;
  net_test::LocalTestnet testnet(loop);
  ASSERT_TRUE(testnet.ok());
  bool server_ready = false, client_ready = false;
  auto server = open_peer(loop, testnet, server_ready);
  auto client = open_peer(loop, testnet, client_ready);
  ASSERT_TRUE(server && client);
  ASSERT_TRUE(pump(loop, [&] { return server_ready && client_ready; }, 20s));

  auto writer = make_writer(300, 0x51);
  auto replica = make_replica(*writer);
  auto server_keys = hypercore::KeyPair::random();
  PeerSetup server_setup;
  server_setup.cores = {writer.get()};
  std::optional<ConnectInfo> accepted;
  server->listen(server_keys, server_setup, [&](std::shared_ptr<Peer>, const ConnectInfo& info) { accepted = info; });
  // The announcement is stored once the relays list fills.
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
  ConnectInfo info;
  client->connect(server_keys.public_key, {}, setup, [&](TransportResult<std::shared_ptr<Peer>> r, const ConnectInfo& i) {
    connected = std::move(r);
    info = i;
  });
  ASSERT_TRUE(pump(loop, [&] { return connected.has_value(); }, 20s));
  ASSERT_TRUE(*connected) << connected->error().to_string();
  ASSERT_TRUE(pump(loop, [&] { return client_closed; }, 30s)) << "replica " << replica->contiguous_length();
  EXPECT_EQ(replica->length(), 300u);
  EXPECT_EQ(replica->tree_hash(), writer->tree_hash());
  EXPECT_TRUE(replica->verify());
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->remote_public_key, client->key_pair().public_key);
  EXPECT_EQ(info.remote_public_key, server_keys.public_key);
  EXPECT_GE(info.handshakes_sent, 1u);
  EXPECT_FALSE(info.relay.empty());
  server->close();
  client->close();
}

TEST(DhtPeer, AnUnknownKeyFailsWithPeerNotFound) {
  net::EventLoop loop;
  net_test::LocalTestnet testnet(loop);
  ASSERT_TRUE(testnet.ok());
  bool ready = false;
  auto client = open_peer(loop, testnet, ready);
  ASSERT_TRUE(client);
  ASSERT_TRUE(pump(loop, [&] { return ready; }, 20s));
  std::optional<TransportResult<std::shared_ptr<Peer>>> connected;
  client->connect(hypercore::KeyPair::random().public_key, {}, PeerSetup{},
                  [&](TransportResult<std::shared_ptr<Peer>> r, const ConnectInfo&) { connected = std::move(r); });
  ASSERT_TRUE(pump(loop, [&] { return connected.has_value(); }, 20s));
  ASSERT_FALSE(*connected);
  EXPECT_EQ(connected->error().code, TransportErrc::connect_failed);
  EXPECT_NE(connected->error().message.find("not found"), std::string::npos) << connected->error().message;
  client->close();
}
