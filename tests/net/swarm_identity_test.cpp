// The Swarm checks whom it reached: discovery says "key K at address A", but only the
// Noise handshake proves who answers at A. A record naming a key that is not the one
// listening there (stale, or another's) must not count as that peer: the connection is
// stopped and reported as peer_rejected, before any block is taken from it.
//
// Runs in a private network namespace with a multicast loopback
// (tests/support/private_netns.hpp; needs root, fails loudly without).
#include <gtest/gtest.h>

#include <optional>

#include "hypercore/core.hpp"
#include "hypercore/storage.hpp"
#include "net/event_loop.hpp"
#include "net/swarm.hpp"
#include "net/swarm_discovery.hpp"
#include "tests/support/private_netns.hpp"

using namespace std::chrono_literals;
using net::swarm::SwarmEvent;

TEST(SwarmIdentity, APeerAnsweringWithAnotherKeyIsRejected) {
  auto why = test_support::enter_private_netns();
  ASSERT_EQ(why, "") << why;

  auto writer_core = hypercore::Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::random());
  ASSERT_TRUE(writer_core) << writer_core.error().message;
  hypercore::Bytes payload(100, 7);
  ASSERT_TRUE((*writer_core)->append({hypercore::ByteSpan(payload)}));
  hypercore::Hash topic = (*writer_core)->discovery_key();
  auto replica = hypercore::Core::open_replica(hypercore::make_memory_storage(), (*writer_core)->key());
  ASSERT_TRUE(replica) << replica.error().message;

  net::EventLoop loop;
  const std::vector<net::swarm::Ipv4> kLoopback{{127, 0, 0, 1}};

  // The real server: it listens and serves the core, announcing nothing itself.
  net::swarm::SwarmOptions server_options;
  server_options.host = "127.0.0.1";
  server_options.interfaces = kLoopback;
  server_options.setup.cores = {writer_core->get()};
  auto server = net::swarm::Swarm::open(loop.context(), std::move(server_options));
  ASSERT_TRUE(server) << server.error().message;

  // A record claiming the server's address and port for a key that is not the server's.
  net::swarm::PeerKey claimed = hypercore::KeyPair::random().public_key;
  ASSERT_NE(claimed, (*server)->public_key());
  net::swarm::MdnsDiscoveryOptions liar_options;
  liar_options.public_key = claimed;
  liar_options.port = (*server)->port();
  liar_options.interfaces = kLoopback;
  auto liar = net::swarm::open_mdns_discovery(loop.context(), liar_options, {});
  ASSERT_TRUE(liar) << liar.error().message;
  ASSERT_TRUE((*liar)->join(topic, {.announce = true, .lookup = false}));

  std::optional<SwarmEvent> found, rejected;
  net::swarm::SwarmOptions client_options;
  client_options.host = "127.0.0.1";
  client_options.interfaces = kLoopback;
  client_options.setup.cores = {replica->get()};
  client_options.setup.replicator.download_all = true;
  client_options.on_event = [&](const SwarmEvent& e) {
    if (e.kind == SwarmEvent::Kind::peer_found && !found) found = e;
    if (e.kind == SwarmEvent::Kind::peer_rejected && !rejected) {
      rejected = e;
      loop.stop();
    }
  };
  auto client = net::swarm::Swarm::open(loop.context(), std::move(client_options));
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE((*client)->join(topic, {.announce = false, .lookup = true}));
  loop.run_for(15s);  // bounded: stops at the first rejection

  ASSERT_TRUE(found) << "the client never found the record by mDNS";
  EXPECT_EQ(found->key, claimed);
  ASSERT_TRUE(rejected) << "the client kept a connection whose handshake proved another key";
  EXPECT_EQ(rejected->key, (*server)->public_key());
  EXPECT_TRUE(rejected->initiator);
  // The connection goes before replication: nothing was downloaded from it.
  loop.run_for(300ms);
  EXPECT_FALSE((*replica)->has(0));
  EXPECT_EQ((*client)->connection_count(), 0u);

  (*client)->close();
  (*server)->close();
  (*liar)->close();
  loop.run_for(300ms);
}
