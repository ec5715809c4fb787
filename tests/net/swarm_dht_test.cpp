// Two Swarms in DHT mode, in one process on a DHT of our own on 127.0.0.1: they find each
// other by topic and connect through HyperDHT's connect protocol over UDX (DhtPeer), not
// TCP; announced first and looked up together with no dial grace, both dial at once, and
// Hyperswarm's duplicate rule leaves the larger key's connection on both sides; the
// writer's blocks (and a live append) reach the replica over it; close() unannounces the
// topic records. Also mode both (mDNS + DHT) in a private network namespace: one
// connection per pair. Every wait is bounded.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>

#include "hypercore/core.hpp"
#include "hypercore/storage.hpp"
#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "net/swarm/swarm.hpp"
#include "net/transport/event_loop.hpp"
#include "tests/net/local_dht_node.hpp"
#include "tests/net/loop_pump.hpp"
#include "tests/support/private_netns.hpp"

using namespace std::chrono_literals;
using net::swarm::SwarmEvent;
using net_test::pump;

namespace {


struct Side {
  std::unique_ptr<net::swarm::Swarm> swarm;
  std::vector<SwarmEvent> events;
  size_t joined() const {
    size_t n = 0;
    for (const auto& e : events) n += e.kind == SwarmEvent::Kind::peer_joined;
    return n;
  }
};

std::unique_ptr<net::swarm::Swarm> open_swarm(net::EventLoop& loop, const net_test::LocalTestnet& net, hypercore::Core& core,
                                              bool download, Side& side,
                                              net::swarm::DiscoveryMode mode = net::swarm::DiscoveryMode::dht) {
  net::swarm::SwarmOptions o;
  o.mode = mode;
  o.interfaces = {{127, 0, 0, 1}};
  o.bootstrap = net.bootstrap;
  o.host = "127.0.0.1";
  o.setup.cores = {&core};
  o.setup.replicator.download_all = download;
  o.planner.dial_grace = 0ms;  // both dial as soon as they find each other: duplicates
  o.on_event = [&side](const SwarmEvent& e) { side.events.push_back(e); };
  auto swarm = net::swarm::Swarm::open(loop.context(), o);
  EXPECT_TRUE(swarm) << swarm.error().to_string();
  return swarm ? std::move(*swarm) : nullptr;
}

}  // namespace

TEST(SwarmDhtUdx, TwoSwarmsFindEachOtherAndReplicateOverOneConnection) {
  net::EventLoop loop;
  net_test::LocalTestnet net(loop);
  ASSERT_TRUE(net.ok());
  auto writer = hypercore::Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::random());
  ASSERT_TRUE(writer);
  for (int i = 0; i < 50; i++) ASSERT_TRUE((*writer)->append(hypercore::as_bytes("block " + std::to_string(i))));
  auto replica = hypercore::Core::open_replica(hypercore::make_memory_storage(), (*writer)->key());
  ASSERT_TRUE(replica);

  Side a, b;
  a.swarm = open_swarm(loop, net, **writer, false, a);
  b.swarm = open_swarm(loop, net, **replica, true, b);
  ASSERT_TRUE(a.swarm && b.swarm);
  auto topic = (*writer)->discovery_key();
  auto records_now = [&] {
    size_t records = 0;
    bool done = false;
    net.hyper[0]->lookup(
        topic, [&](const net::dht::PeerReply& reply) { records = std::max(records, reply.peers.size()); },
        [&](const net::dht::QueryResult&) { done = true; }, net.nodes[0]->now());
    net.nodes[0]->reschedule();
    EXPECT_TRUE(pump(loop, [&] { return done; }, 10s));
    return records;
  };
  // Announced first, looked up together: both find the other in the same turn and dial.
  ASSERT_TRUE(a.swarm->join(topic, {.announce = true, .lookup = false}));
  ASSERT_TRUE(b.swarm->join(topic, {.announce = true, .lookup = false}));
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (records_now() < 2 && std::chrono::steady_clock::now() < deadline) loop.run_for(100ms);
  ASSERT_EQ(records_now(), 2u);
  ASSERT_TRUE(a.swarm->join(topic, {.announce = true, .lookup = true}));
  ASSERT_TRUE(b.swarm->join(topic, {.announce = true, .lookup = true}));

  ASSERT_TRUE(pump(loop, [&] { return (*replica)->contiguous_length() == 50; }, 30s))
      << "replica " << (*replica)->contiguous_length() << "/50; connections " << a.swarm->connection_count() << ", "
      << b.swarm->connection_count();
  // Let any second connection (both dialled) meet the duplicate rule, then count.
  pump(loop, [] { return false; }, 2s);
  EXPECT_EQ(a.swarm->connection_count(), 1u);
  EXPECT_EQ(b.swarm->connection_count(), 1u);
  // The survivor is one connection seen from both ends: initiated by one, accepted by the
  // other (the duplicate rule chose the same one on both sides). In this setup both
  // dialled, so it is the larger key's.
  auto last_joined = [](const Side& side) {
    std::optional<SwarmEvent> last;
    for (const auto& e : side.events) {
      if (e.kind == SwarmEvent::Kind::peer_joined) last = e;
    }
    return last;
  };
  auto ja = last_joined(a), jb = last_joined(b);
  ASSERT_TRUE(ja && jb);
  EXPECT_NE(ja->initiator, jb->initiator);
  bool a_larger = a.swarm->public_key() > b.swarm->public_key();
  EXPECT_EQ(ja->initiator, a_larger) << "the connection kept is not the larger key's";
  // The connections ran over UDX: not the TCP listener's port.
  for (const auto* side : {&a, &b}) {
    for (const auto& e : side->events) {
      if (e.kind != SwarmEvent::Kind::peer_joined) continue;
      uint16_t other_tcp = side == &a ? b.swarm->port() : a.swarm->port();
      EXPECT_NE(e.remote, "127.0.0.1:" + std::to_string(other_tcp)) << "a TCP connection";
    }
  }
  EXPECT_TRUE((*replica)->verify());

  // Live: an append reaches the replica over the same connection (the session's tick).
  ASSERT_TRUE((*writer)->append(hypercore::as_bytes("live")));
  ASSERT_TRUE(pump(loop, [&] { return (*replica)->contiguous_length() == 51; }, 10s));
  auto live = (*replica)->get(50);
  ASSERT_TRUE(live);
  EXPECT_EQ(std::string(live->begin(), live->end()), "live");

  // close() unannounces the topic (as Hyperswarm's destroy): the record goes.
  a.swarm->close();
  b.swarm->close();
  pump(loop, [] { return false; }, 1s);
  EXPECT_EQ(records_now(), 0u);
}

// Mode both, in a private network namespace whose loopback carries multicast: each finds
// the other on mDNS and on the DHT, and they end up with one connection (the planner dials
// a peer once, over TCP when the LAN gave an address; a DHT duplicate meets the rule).
TEST(SwarmDhtUdx, ModeBothConnectsOncePerPair) {
  auto why = test_support::enter_private_netns();
  if (!why.empty()) GTEST_SKIP() << why;
  net::EventLoop loop;
  net_test::LocalTestnet net(loop);
  ASSERT_TRUE(net.ok());
  auto writer = hypercore::Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::random());
  ASSERT_TRUE(writer);
  for (int i = 0; i < 20; i++) ASSERT_TRUE((*writer)->append(hypercore::as_bytes("block " + std::to_string(i))));
  auto replica = hypercore::Core::open_replica(hypercore::make_memory_storage(), (*writer)->key());
  ASSERT_TRUE(replica);
  Side a, b;
  a.swarm = open_swarm(loop, net, **writer, false, a, net::swarm::DiscoveryMode::both);
  b.swarm = open_swarm(loop, net, **replica, true, b, net::swarm::DiscoveryMode::both);
  ASSERT_TRUE(a.swarm && b.swarm);
  auto topic = (*writer)->discovery_key();
  ASSERT_TRUE(a.swarm->join(topic, {.announce = true, .lookup = true}));
  ASSERT_TRUE(b.swarm->join(topic, {.announce = true, .lookup = true}));
  ASSERT_TRUE(pump(loop, [&] { return (*replica)->contiguous_length() == 20; }, 30s));
  // Both layers report the peer (found twice), one connection stays.
  auto dht_found = [](const Side& side) {
    return std::any_of(side.events.begin(), side.events.end(), [](const SwarmEvent& e) {
      return e.kind == SwarmEvent::Kind::peer_found && e.remote.starts_with("the DHT");
    });
  };
  ASSERT_TRUE(pump(loop, [&] { return dht_found(a) && dht_found(b); }, 20s));
  pump(loop, [] { return false; }, 2s);
  EXPECT_EQ(a.swarm->connection_count(), 1u);
  EXPECT_EQ(b.swarm->connection_count(), 1u);
  a.swarm->close();
  b.swarm->close();
  loop.run_for(500ms);
}
