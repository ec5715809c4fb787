// SwarmPlanner without sockets: who dials (the same answer on both sides of a pair), one
// dial per peer whatever the number of topics, bounded backoff, give-up and re-found.
#include "net/swarm/swarm_planner.hpp"

#include <gtest/gtest.h>

using namespace net::swarm;
using namespace std::chrono_literals;

namespace {

PeerKey key_of(uint8_t first) {
  PeerKey k{};
  k[0] = first;
  k[31] = 7;
  return k;
}

const Ipv4 kAddrB{10, 77, 0, 2};
const hypercore::Bytes kTopic1(32, 1);
const hypercore::Bytes kTopic2(32, 2);

PlannerOptions options_for(const PeerKey& local, bool announcing) {
  PlannerOptions o;
  o.local_key = local;
  o.announcing = announcing;
  return o;
}

std::vector<Dial> poll_at(SwarmPlanner& p, Time now, Time* next = nullptr) {
  std::vector<Dial> dials;
  Time n = p.poll(now, dials);
  if (next) *next = n;
  return dials;
}

}  // namespace

TEST(SwarmPlanner, LowerKeyDialsAtOnceHigherKeyWaits) {
  PeerKey low = key_of(1), high = key_of(2);
  SwarmPlanner a(options_for(low, true)), b(options_for(high, true));
  // Both sides agree: exactly one of them dials first.
  EXPECT_TRUE(a.dials_first(high));
  EXPECT_FALSE(b.dials_first(low));

  a.found(kTopic1, high, {kAddrB}, 4000, 0ms);
  auto dials = poll_at(a, 0ms);
  ASSERT_EQ(dials.size(), 1u);
  EXPECT_EQ(dials[0].key, high);
  EXPECT_EQ(dials[0].port, 4000);
  EXPECT_EQ(dials[0].attempt, 1u);

  Time next{};
  b.found(kTopic1, low, {Ipv4{10, 77, 0, 1}}, 4001, 0ms);
  EXPECT_TRUE(poll_at(b, 0ms, &next).empty());
  EXPECT_EQ(next, PlannerOptions{}.dial_grace);
  // The lower key's connection arrives within the grace: no second connection.
  b.inbound_opened(Ipv4{10, 77, 0, 1});
  b.inbound_identified(Ipv4{10, 77, 0, 1}, low);
  EXPECT_TRUE(poll_at(b, 10s).empty());
}

TEST(SwarmPlanner, HigherKeyDialsAfterGraceWhenNobodyCame) {
  // The lower-key peer may announce without looking up: after the grace we dial it.
  SwarmPlanner b(options_for(key_of(2), true));
  b.found(kTopic1, key_of(1), {kAddrB}, 4000, 0ms);
  EXPECT_TRUE(poll_at(b, 2999ms).empty());
  EXPECT_EQ(poll_at(b, 3000ms).size(), 1u);
}

TEST(SwarmPlanner, LookupOnlyAlwaysDials) {
  // Nobody can find a swarm that does not announce, so it dials even a lower key.
  SwarmPlanner p(options_for(key_of(9), false));
  EXPECT_TRUE(p.dials_first(key_of(1)));
  p.found(kTopic1, key_of(1), {kAddrB}, 4000, 0ms);
  EXPECT_EQ(poll_at(p, 0ms).size(), 1u);
}

TEST(SwarmPlanner, OnePeerOnTwoTopicsIsDialledOnce) {
  SwarmPlanner p(options_for(key_of(1), true));
  p.found(kTopic1, key_of(2), {kAddrB}, 4000, 0ms);
  p.found(kTopic2, key_of(2), {kAddrB}, 4000, 0ms);
  EXPECT_EQ(poll_at(p, 0ms).size(), 1u);
  // Found again while the dial is in flight: still one.
  p.found(kTopic1, key_of(2), {kAddrB}, 4000, 5ms);
  EXPECT_TRUE(poll_at(p, 5ms).empty());
  EXPECT_EQ(p.known_peers(), 1u);
}

TEST(SwarmPlanner, OwnKeyIsIgnored) {
  SwarmPlanner p(options_for(key_of(1), true));
  p.found(kTopic1, key_of(1), {kAddrB}, 4000, 0ms);
  EXPECT_TRUE(poll_at(p, 0ms).empty());
  EXPECT_EQ(p.known_peers(), 0u);
}

TEST(SwarmPlanner, BackoffDoublesIsBoundedAndGivesUp) {
  PlannerOptions o = options_for(key_of(1), false);
  o.backoff_initial = 1000ms;
  o.backoff_max = 4000ms;
  o.max_attempts = 5;
  SwarmPlanner p(o);
  PeerKey peer = key_of(2);
  p.found(kTopic1, peer, {kAddrB}, 4000, 0ms);
  Time now = 0ms;
  ASSERT_EQ(poll_at(p, now).size(), 1u);
  // Failures 1..4 wait 1 s, 2 s, 4 s, 4 s (capped); the 5th gives up.
  const Time waits[] = {1000ms, 2000ms, 4000ms, 4000ms};
  unsigned attempt = 1;
  for (Time wait : waits) {
    p.dial_ended(peer, now);
    EXPECT_TRUE(poll_at(p, now + wait - 1ms).empty()) << "redialled before " << wait.count() << " ms";
    now += wait;
    auto dials = poll_at(p, now);
    ASSERT_EQ(dials.size(), 1u);
    EXPECT_EQ(dials[0].attempt, ++attempt);
  }
  p.dial_ended(peer, now);
  EXPECT_TRUE(p.given_up(peer));
  Time next{};
  EXPECT_TRUE(poll_at(p, now + 1h, &next).empty());
  EXPECT_EQ(next, kNever);
  // Discovery reports it again: a fresh budget, dialled at once.
  p.found(kTopic1, peer, {kAddrB}, 4000, now + 1h);
  EXPECT_FALSE(p.given_up(peer));
  EXPECT_EQ(poll_at(p, now + 1h).size(), 1u);
}

TEST(SwarmPlanner, WorkingConnectionResetsTheBackoff) {
  SwarmPlanner p(options_for(key_of(1), false));
  PeerKey peer = key_of(2);
  p.found(kTopic1, peer, {kAddrB}, 4000, 0ms);
  poll_at(p, 0ms);
  p.dial_ended(peer, 0ms);
  poll_at(p, 1s);
  p.dial_ended(peer, 1s);
  EXPECT_EQ(p.failures(peer), 2u);
  poll_at(p, 3s);
  p.dial_succeeded(peer);
  EXPECT_EQ(p.failures(peer), 0u);
  // The connection drops later: reconnect after the first backoff step, not the third.
  p.dial_ended(peer, 100s);
  EXPECT_EQ(poll_at(p, 101s).size(), 1u);
}

TEST(SwarmPlanner, GonePeerIsNotRedialled) {
  SwarmPlanner p(options_for(key_of(1), false));
  PeerKey peer = key_of(2);
  p.found(kTopic1, peer, {kAddrB}, 4000, 0ms);
  poll_at(p, 0ms);
  p.gone(kTopic1, peer);  // goodbye while connected: the connection is left alone
  EXPECT_EQ(p.known_peers(), 1u);
  p.dial_ended(peer, 5s);  // then it closes: forgotten, no retry
  EXPECT_EQ(p.known_peers(), 0u);
  EXPECT_TRUE(poll_at(p, 1h).empty());
}

TEST(SwarmPlanner, PeerStillOnAnotherTopicStays) {
  SwarmPlanner p(options_for(key_of(1), false));
  PeerKey peer = key_of(2);
  p.found(kTopic1, peer, {kAddrB}, 4000, 0ms);
  p.found(kTopic2, peer, {kAddrB}, 4000, 0ms);
  p.forget_topic(kTopic1);
  EXPECT_EQ(p.known_peers(), 1u);
  p.forget_topic(kTopic2);
  EXPECT_EQ(p.known_peers(), 0u);
}

TEST(SwarmPlanner, InboundCloseGivesTheLowerKeyTheGraceAgain) {
  SwarmPlanner b(options_for(key_of(2), true));
  b.found(kTopic1, key_of(1), {kAddrB}, 4000, 0ms);
  b.inbound_opened(kAddrB);
  b.inbound_identified(kAddrB, key_of(1));
  EXPECT_TRUE(poll_at(b, 10s).empty());
  b.inbound_closed(kAddrB, key_of(1), 10s);
  EXPECT_TRUE(poll_at(b, 12s).empty());
  EXPECT_EQ(poll_at(b, 13s).size(), 1u);
}

// Inbound connections are matched by the Noise key their handshake proved, not by source
// address: two peers behind one address (here two swarms on one host) stay two peers.
// With address matching, A's connection would have stopped the dial of C as well.
TEST(SwarmPlanner, TwoPeersBehindOneAddressAreNotMerged) {
  const Ipv4 kHost{127, 0, 0, 1};
  PeerKey a = key_of(1), c = key_of(3);
  SwarmPlanner b(options_for(key_of(5), true));  // the higher key: waits for both to dial
  b.found(kTopic1, a, {kHost}, 4001, 0ms);
  b.found(kTopic1, c, {kHost}, 4003, 0ms);
  EXPECT_TRUE(poll_at(b, 0ms).empty());
  // A dials us; C does not (say it only announces).
  b.inbound_opened(kHost);
  b.inbound_identified(kHost, a);
  auto dials = poll_at(b, 3000ms);
  ASSERT_EQ(dials.size(), 1u);
  EXPECT_EQ(dials[0].key, c);
  EXPECT_EQ(dials[0].port, 4003);
  EXPECT_TRUE(poll_at(b, 1h).empty());  // A stays connected to us: never dialled
  // A's connection ends: A (and only A) gets the grace again; C's dial is untouched.
  b.dial_succeeded(c);
  b.inbound_closed(kHost, a, 1h);
  EXPECT_TRUE(poll_at(b, 1h + 2999ms).empty());
  dials = poll_at(b, 1h + 3000ms);
  ASSERT_EQ(dials.size(), 1u);
  EXPECT_EQ(dials[0].key, a);
}

// Until its handshake is done an inbound connection is known only by its address: it
// holds back the dial of the peers there (rechecked every inbound_recheck), no more.
TEST(SwarmPlanner, UnidentifiedInboundDefersByAddressUntilItsKeyIsKnown) {
  const Ipv4 kHost{127, 0, 0, 1};
  PeerKey a = key_of(1), c = key_of(3);
  SwarmPlanner b(options_for(key_of(5), true));
  b.found(kTopic1, a, {kHost}, 4001, 0ms);
  b.found(kTopic1, c, {kHost}, 4003, 0ms);
  b.inbound_opened(kHost);  // TCP up, Noise handshake in flight
  Time next{};
  EXPECT_TRUE(poll_at(b, 3000ms, &next).empty());
  EXPECT_EQ(next, 3000ms + PlannerOptions{}.inbound_recheck);
  b.inbound_identified(kHost, c);  // it was C
  auto dials = poll_at(b, next);
  ASSERT_EQ(dials.size(), 1u);
  EXPECT_EQ(dials[0].key, a);
}

// A connection that closes before its handshake named it says nothing about who it was:
// every peer at its address waits the grace again (a delay, never a merge).
TEST(SwarmPlanner, UnidentifiedInboundCloseDelaysThePeersAtItsAddress) {
  SwarmPlanner b(options_for(key_of(5), true));
  b.found(kTopic1, key_of(1), {kAddrB}, 4001, 0ms);
  b.inbound_opened(kAddrB);
  b.inbound_closed(kAddrB, std::nullopt, 2s);
  EXPECT_TRUE(poll_at(b, 4999ms).empty());
  EXPECT_EQ(poll_at(b, 5s).size(), 1u);
}

// A peer found on the DHT is dialled by key with its record's relays; one also found on
// the LAN is dialled over TCP; a DHT connection it made to us holds our dial back.
TEST(SwarmPlanner, DhtPeersAreDialledByKeyWithTheirRelays) {
  PeerKey local = key_of(1), remote = key_of(2), other = key_of(3);
  SwarmPlanner p(options_for(local, false));
  std::vector<net::dht::Ipv4Address> relays{*net::dht::Ipv4Address::parse("10.0.0.1:49737")};
  p.found_dht(kTopic1, remote, relays, 0ms);
  auto dials = poll_at(p, 0ms);
  ASSERT_EQ(dials.size(), 1u);
  EXPECT_TRUE(dials[0].dht);
  EXPECT_EQ(dials[0].relays, relays);
  EXPECT_EQ(dials[0].port, 0);

  // No relays in the record: still dialled (the connect finds them with FIND_PEER).
  p.found_dht(kTopic1, other, {}, 0ms);
  p.found(kTopic2, other, {kAddrB}, 4000, 0ms);
  dials = poll_at(p, 0ms);
  ASSERT_EQ(dials.size(), 1u);
  EXPECT_FALSE(dials[0].dht);
  EXPECT_EQ(dials[0].port, 4000);

  // The failed DHT dial backs off; a connection from that key accepted meanwhile holds
  // the retry back until it ends.
  p.dial_ended(remote, 0ms);
  EXPECT_EQ(p.failures(remote), 1u);
  const Ipv4 udx_source{10, 0, 0, 9};
  p.inbound_opened(udx_source);
  p.inbound_identified(udx_source, remote);
  EXPECT_TRUE(poll_at(p, 60s).empty());
  p.inbound_closed(udx_source, remote, 60s);
  dials = poll_at(p, 60s + PlannerOptions{}.dial_grace);
  ASSERT_EQ(dials.size(), 1u);
  EXPECT_TRUE(dials[0].dht);
}

// Hyperswarm's duplicate rule: both ends keep the connection the larger key initiated,
// unless the existing one already moved bytes both ways.
TEST(SwarmPlanner, DuplicateRuleKeepsTheLargerKeysConnectionOnBothSides) {
  PeerKey small = key_of(1), large = key_of(2);
  // Both dialled: at `large`, the new one is `small`'s: dropped (its own dial stays); at
  // `small`, the new one is `large`'s: kept (its own dial goes). Both keep large -> small.
  EXPECT_FALSE(keep_incoming_duplicate(large, small, false));
  EXPECT_TRUE(keep_incoming_duplicate(small, large, false));
  // An existing connection that moved bytes both ways is outdated: the peer reconnects.
  EXPECT_TRUE(keep_incoming_duplicate(large, small, true));
  EXPECT_TRUE(keep_incoming_duplicate(small, large, true));
}
