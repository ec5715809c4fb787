// One UDP socket for the DHT and UDX at once, as HyperDHT shares its server socket: a
// UdpDht whose server socket is a UdxSocket answers and sends PINGs (a second DhtNode on
// its own sockets at the other end) while several UDX streams on the same socket move data
// both ways. On 127.0.0.1; every wait bounded.
#include <gtest/gtest.h>

#include <chrono>

#include "net/dht/udp_dht.hpp"
#include "tests/net/loop_pump.hpp"
#include "tests/net/udx/udx_socket_util.hpp"

using namespace udx_test;
using namespace std::chrono_literals;
using net::dht::DhtNodeOptions;
using net::dht::Ipv4Address;
using net::dht::QueryReply;
using net::dht::UdpDht;
using net_test::pump;

namespace {

DhtNodeOptions persistent_at(uint16_t port) {
  DhtNodeOptions o;
  o.ephemeral = false;
  o.firewalled = false;
  o.known_address = Ipv4Address{{127, 0, 0, 1}, port};
  return o;
}

}  // namespace

TEST(UdxDhtShare, PingsAndStreamsOnOneSocket) {
  net::EventLoop loop;
  auto shared = UdxSocket::open(loop.context(), "127.0.0.1", 0);
  ASSERT_TRUE(shared) << shared.error().to_string();
  auto streams_peer = *UdxSocket::open(loop.context(), "127.0.0.1", 0);
  const uint16_t port = (*shared)->port();

  auto a = UdpDht::open(*shared, persistent_at(port));
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ((*a)->server_port(), port);
  EXPECT_NE((*a)->client_port(), port);
  auto b = UdpDht::open(loop, "127.0.0.1", 0, persistent_at(0));
  ASSERT_TRUE(b) << b.error().to_string();
  // b's known address needs its port: reopen it with the port it got.
  const uint16_t b_port = (*b)->server_port();
  b->reset();
  b = UdpDht::open(loop, "127.0.0.1", b_port, persistent_at(b_port));
  ASSERT_TRUE(b) << b.error().to_string();
  const Ipv4Address a_addr{{127, 0, 0, 1}, port}, b_addr{{127, 0, 0, 1}, b_port};

  // Four stream pairs between the shared socket and another one, 1 MB each way each.
  constexpr int kStreams = 4;
  constexpr uint64_t kBytes = 1024 * 1024;
  std::vector<std::unique_ptr<Endpoint>> ours, theirs;
  for (int i = 0; i < kStreams; i++) {
    auto e = Endpoint::create(*shared, 10 + i);
    auto f = Endpoint::create(streams_peer, 20 + i);
    ASSERT_TRUE(e && f);
    e->connect(20 + i, streams_peer->local_address());
    f->connect(10 + i, (*shared)->local_address());
    e->start_sending(kBytes, 100 + i);
    f->start_sending(kBytes, 200 + i);
    ours.push_back(std::move(e));
    theirs.push_back(std::move(f));
  }

  // PINGs both ways while the streams run: b -> a lands on the shared socket and goes
  // to a's node through the hook; a's replies and a's own PINGs leave through it.
  int a_answers = 0, b_answers = 0, failures = 0;
  for (int i = 0; i < 10; i++) {
    (*b)->node().ping(
        a_addr,
        [&](const QueryReply& r) {
          b_answers++;
          EXPECT_EQ(r.from_id, net::dht::node_id(a_addr)) << "a answers from the shared socket with its id";
        },
        [&] { failures++; }, (*b)->now());
    (*a)->node().ping(
        b_addr,
        [&](const QueryReply& r) {
          a_answers++;
          EXPECT_EQ(r.to, a_addr) << "a's PING left from the shared socket";
        },
        [&] { failures++; }, (*a)->now());
  }
  (*a)->reschedule();
  (*b)->reschedule();
  auto streams_done = [&] {
    for (int i = 0; i < kStreams; i++)
      if (!ours[i]->closed || !theirs[i]->closed) return false;
    return true;
  };
  ASSERT_TRUE(pump(loop, [&] { return streams_done() && a_answers + b_answers + failures == 20; }, 30s))
      << "a answers " << a_answers << ", b answers " << b_answers << ", failures " << failures;
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(a_answers, 10);
  EXPECT_EQ(b_answers, 10);
  for (int i = 0; i < kStreams; i++) {
    SCOPED_TRACE("stream " + std::to_string(i));
    EXPECT_TRUE(ours[i]->clean_close()) << ours[i]->close_text();
    EXPECT_TRUE(theirs[i]->clean_close()) << theirs[i]->close_text();
    EXPECT_EQ(theirs[i]->received_sha256, pattern_sha256(100 + i, kBytes));
    EXPECT_EQ(ours[i]->received_sha256, pattern_sha256(200 + i, kBytes));
  }
  EXPECT_GE((*shared)->stats().to_hook, 20u);  // 10 requests and 10 responses at least
  EXPECT_GT((*a)->node().stats().requests_received, 0u);

  // Closing the DHT lets go of the socket: its streams keep working, DHT datagrams drop.
  (*a)->close();
  auto e = Endpoint::create(*shared, 50);
  auto f = Endpoint::create(streams_peer, 60);
  e->connect(60, streams_peer->local_address());
  f->connect(50, (*shared)->local_address());
  e->start_sending(100000, 7);
  f->start_sending(100000, 8);
  bool late_failed = false;
  (*b)->node().ping(a_addr, [&](const QueryReply&) { ADD_FAILURE() << "a closed its DHT"; }, [&] { late_failed = true; },
                    (*b)->now());
  (*b)->reschedule();
  ASSERT_TRUE(pump(loop, [&] { return e->closed && f->closed && late_failed; }, 30s));
  EXPECT_EQ(f->received_sha256, pattern_sha256(7, 100000));
  a->reset();
  b->reset();
  (*shared)->close();
  streams_peer->close();
}

TEST(UdxDhtShare, PlainOpenStillOwnsTwoSockets) {
  net::EventLoop loop;
  auto a = UdpDht::open(loop, "127.0.0.1", 0, {});
  ASSERT_TRUE(a);
  EXPECT_NE((*a)->server_port(), 0);
  EXPECT_NE((*a)->client_port(), (*a)->server_port());
}
