// The Swarm checks whom it reached: discovery says "key K at address A", but only the
// Noise handshake proves who answers at A. A record naming a key that is not the one
// listening there (stale, or another's) must not count as that peer: the connection is
// stopped and reported as peer_rejected, before any block is taken from it, whether or
// not the peer there opens a channel.
//
// Runs in a private network namespace with a multicast loopback
// (tests/support/private_netns.hpp; needs root, fails loudly without).
#include <gtest/gtest.h>

#include <optional>

#include "hypercore/core.hpp"
#include "hypercore/storage.hpp"
#include "net/transport/event_loop.hpp"
#include "net/swarm/swarm.hpp"
#include "net/swarm/swarm_discovery.hpp"
#include "tests/support/private_netns.hpp"

using namespace std::chrono_literals;
using net::swarm::SwarmEvent;

namespace {

struct Outcome {
  net::swarm::PeerKey claimed{};      // the key the lying record names
  net::swarm::PeerKey server_key{};   // the key of whoever listens there
  std::optional<SwarmEvent> found, rejected;
  bool block_taken = false;
  size_t connections_after = 0;
};

// A server listening (announcing nothing), a record that claims the server's address and
// port for another key, and a client that looks the topic up and dials that record.
// `server_serves_the_core`: false makes the server one that never opens the client's channel.
Outcome dial_a_false_record(bool server_serves_the_core) {
  Outcome out;
  auto why = test_support::enter_private_netns();
  EXPECT_EQ(why, "") << why;
  if (!why.empty()) return out;

  auto writer_core = hypercore::Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::random());
  EXPECT_TRUE(writer_core);
  hypercore::Bytes payload(100, 7);
  EXPECT_TRUE((*writer_core)->append({hypercore::ByteSpan(payload)}));
  hypercore::Hash topic = (*writer_core)->discovery_key();
  auto replica = hypercore::Core::open_replica(hypercore::make_memory_storage(), (*writer_core)->key());
  EXPECT_TRUE(replica);

  net::EventLoop loop;
  const std::vector<net::swarm::Ipv4> kLoopback{{127, 0, 0, 1}};

  net::swarm::SwarmOptions server_options;
  server_options.host = "127.0.0.1";
  server_options.interfaces = kLoopback;
  if (server_serves_the_core) server_options.setup.cores = {writer_core->get()};
  auto server = net::swarm::Swarm::open(loop.context(), std::move(server_options));
  EXPECT_TRUE(server);
  out.server_key = (*server)->public_key();

  out.claimed = hypercore::KeyPair::random().public_key;
  net::swarm::MdnsDiscoveryOptions liar_options;
  liar_options.public_key = out.claimed;
  liar_options.port = (*server)->port();
  liar_options.interfaces = kLoopback;
  auto liar = net::swarm::open_mdns_discovery(loop.context(), liar_options, {});
  EXPECT_TRUE(liar);
  EXPECT_TRUE((*liar)->join(topic, {.announce = true, .lookup = false}));

  net::swarm::SwarmOptions client_options;
  client_options.host = "127.0.0.1";
  client_options.interfaces = kLoopback;
  client_options.setup.cores = {replica->get()};
  client_options.setup.replicator.download_all = true;
  client_options.on_event = [&](const SwarmEvent& e) {
    if (e.kind == SwarmEvent::Kind::peer_found && !out.found) out.found = e;
    if (e.kind == SwarmEvent::Kind::peer_rejected && !out.rejected) {
      out.rejected = e;
      loop.stop();
    }
  };
  auto client = net::swarm::Swarm::open(loop.context(), std::move(client_options));
  EXPECT_TRUE(client);
  EXPECT_TRUE((*client)->join(topic, {.announce = false, .lookup = true}));
  loop.run_for(15s);  // bounded: stops at the first rejection
  loop.run_for(300ms);
  out.block_taken = (*replica)->has(0);
  out.connections_after = (*client)->connection_count();

  (*client)->close();
  (*server)->close();
  (*liar)->close();
  loop.run_for(300ms);
  return out;
}

void expect_rejected(const Outcome& out) {
  ASSERT_TRUE(out.found) << "the client never found the record by mDNS";
  EXPECT_EQ(out.found->key, out.claimed);
  ASSERT_TRUE(out.rejected) << "the client kept a connection whose handshake proved another key";
  EXPECT_EQ(out.rejected->key, out.server_key);
  EXPECT_TRUE(out.rejected->initiator);
  EXPECT_FALSE(out.block_taken);
  EXPECT_EQ(out.connections_after, 0u);
}

}  // namespace

TEST(SwarmIdentity, APeerAnsweringWithAnotherKeyIsRejected) {
  expect_rejected(dial_a_false_record(/*server_serves_the_core=*/true));
}

// A stale record: another process now listens at the address and shares no core with us,
// so no channel ever opens (it rejects ours); the connection is rejected all the same.
TEST(SwarmIdentity, AStaleRecordIsRejectedEvenIfNoChannelOpens) {
  expect_rejected(dial_a_false_record(/*server_serves_the_core=*/false));
}
