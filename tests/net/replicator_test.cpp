// C++ to C++ replication over an in-memory duplex (two PeerSessions, bytes moved in
// random-sized chunks): full clone, sparse download, live growth, a replica serving a
// third peer, and blocks the peer does not have.
#include <gtest/gtest.h>

#include "net/replication/internal/range_set.hpp"
#include "tests/net/replication_test_util.hpp"

namespace {

using namespace repl_test;
using Kind = ReplicatorEvent::Kind;

struct Link {
  TimePoint now = Clock::now();
  PeerSession a{NoiseRole::responder};  // the serving side
  PeerSession b{NoiseRole::initiator};  // the downloading side
  Duplex duplex{endpoint(a, now), endpoint(b, now)};
  std::vector<SessionEvent> ea, eb;
  size_t ia = 0, ib = 0;

  Link(Core& server, Core& client, ReplicatorOptions client_options, uint32_t seed = 1) {
    ia = a.add_core(server, {}, now);
    ib = b.add_core(client, client_options, now);
    duplex.rng.seed(seed);
  }
  void run() {
    ASSERT_TRUE(duplex.run());
    drain(a, ea);
    drain(b, eb);
  }
};

void expect_same_head(const Core& writer, const Core& replica) {
  EXPECT_EQ(replica.length(), writer.length());
  EXPECT_EQ(replica.tree_hash(), writer.tree_hash());
  EXPECT_EQ(replica.signature(), writer.signature());
  EXPECT_EQ(replica.byte_length(), writer.byte_length());
}

TEST(Replicator, FullClone) {
  for (uint64_t n : {1u, 3u, 11u, 100u, 257u}) {
    auto writer = make_writer(n);
    auto replica = make_replica(*writer);
    ReplicatorOptions o;
    o.download_all = true;
    Link link(*writer, *replica, o, static_cast<uint32_t>(n));
    link.run();
    EXPECT_FALSE(link.a.failed());
    EXPECT_FALSE(link.b.failed()) << link.b.error()->to_string();
    expect_same_head(*writer, *replica);
    EXPECT_EQ(replica->contiguous_length(), n);
    for (uint64_t i = 0; i < n; i++) EXPECT_EQ(replica->get(i).value(), content(i)) << i;
    auto ok = replica->verify();
    EXPECT_TRUE(ok) << ok.error().to_string();
    EXPECT_EQ(count(link.eb, Kind::block_downloaded), n);
    EXPECT_EQ(count(link.eb, Kind::upgraded), 1u);
    EXPECT_LE(link.b.replicator(link.ib).inflight(), 0u);
  }
}

TEST(Replicator, SmallWindowAndByteAtATime) {
  auto writer = make_writer(40);
  auto replica = make_replica(*writer);
  ReplicatorOptions o;
  o.download_all = true;
  o.max_inflight = 1;
  Link link(*writer, *replica, o);
  link.duplex.max_chunk = 1;
  link.run();
  expect_same_head(*writer, *replica);
  EXPECT_EQ(replica->contiguous_length(), 40u);
}

TEST(Replicator, SparseBlocksOnly) {
  auto writer = make_writer(30);
  auto replica = make_replica(*writer);
  Link link(*writer, *replica, {});
  for (uint64_t i = 5; i < 10; i++) ASSERT_TRUE(link.b.replicator(link.ib).request_block(i, link.now));
  link.run();
  EXPECT_EQ(replica->length(), 30u);
  for (uint64_t i = 0; i < 30; i++) EXPECT_EQ(replica->has(i), i >= 5 && i < 10) << i;
  for (uint64_t i = 5; i < 10; i++) EXPECT_EQ(replica->get(i).value(), content(i));
  EXPECT_EQ(count(link.eb, Kind::block_downloaded), 5u);
  auto ok = replica->verify();
  EXPECT_TRUE(ok) << ok.error().to_string();
}

TEST(Replicator, BlockBeyondThePeersLengthFails) {
  auto writer = make_writer(10);
  auto replica = make_replica(*writer);
  Link link(*writer, *replica, {});
  ASSERT_TRUE(link.b.replicator(link.ib).request_block(25, link.now));
  link.run();
  ASSERT_EQ(count(link.eb, Kind::block_failed), 1u);
  for (auto& e : link.eb)
    if (e.event.kind == Kind::block_failed) {
      EXPECT_EQ(e.event.value, 25u);
      EXPECT_EQ(e.event.error->code, ReplicationErrc::block_not_available);
    }
  EXPECT_FALSE(link.b.failed());
}

// A block inside the peer's length that it does not hold fails as soon as the peer says
// so (noData to the one request sent before any announcement), not after want_timeout.
TEST(Replicator, UnheldBlockFailsAtOnce) {
  auto writer = make_writer(50);
  auto replica = make_replica(*writer);
  {
    Link first(*writer, *replica, {});
    ASSERT_TRUE(first.b.replicator(first.ib).request_block(7, first.now));
    first.run();
    ASSERT_TRUE(replica->has(7));
  }
  auto third = make_replica(*writer);
  Link second(*replica, *third, {});
  ASSERT_TRUE(second.b.replicator(second.ib).request_block(2, second.now));
  second.run();  // the clock does not move
  ASSERT_EQ(count(second.eb, Kind::block_failed), 1u);
  for (auto& e : second.eb)
    if (e.event.kind == Kind::block_failed) {
      EXPECT_EQ(e.event.value, 2u);
      EXPECT_EQ(e.event.error->code, ReplicationErrc::block_not_available);
    }
  EXPECT_FALSE(third->has(2));
  EXPECT_FALSE(second.b.failed());
  // A held block still arrives.
  ASSERT_TRUE(second.b.replicator(second.ib).request_block(7, second.now));
  second.run();
  EXPECT_TRUE(third->has(7));
}

TEST(Replicator, LiveGrowth) {
  auto writer = make_writer(10);
  auto replica = make_replica(*writer);
  Link link(*writer, *replica, {});
  link.run();
  EXPECT_EQ(replica->length(), 10u);
  for (uint64_t i = 10; i < 25; i++) ASSERT_TRUE(writer->append(content(i)));
  link.run();
  expect_same_head(*writer, *replica);
  EXPECT_GE(count(link.eb, Kind::upgraded), 2u);
  ASSERT_TRUE(link.b.replicator(link.ib).request_block(22, link.now));
  link.run();
  EXPECT_EQ(replica->get(22).value(), content(22));
  // Once more, with a whole-core download switched on: it follows the growth.
  link.b.replicator(link.ib).set_download_all(true, link.now);
  for (uint64_t i = 25; i < 40; i++) ASSERT_TRUE(writer->append(content(i)));
  link.run();
  expect_same_head(*writer, *replica);
  EXPECT_EQ(replica->contiguous_length(), 40u);
  auto ok = replica->verify();
  EXPECT_TRUE(ok) << ok.error().to_string();
}

TEST(Replicator, ReplicaServesAThirdPeer) {
  auto writer = make_writer(50);
  auto replica = make_replica(*writer);
  {
    Link first(*writer, *replica, {});
    for (uint64_t i = 5; i < 10; i++) ASSERT_TRUE(first.b.replicator(first.ib).request_block(i, first.now));
    first.run();
    ASSERT_EQ(count(first.eb, Kind::block_downloaded), 5u);
  }
  // The writer is gone; a third peer learns from the sparse replica what it holds.
  auto third = make_replica(*writer);
  Link second(*replica, *third, {});
  for (uint64_t i : {7u, 2u}) ASSERT_TRUE(second.b.replicator(second.ib).request_block(i, second.now));
  second.run();
  EXPECT_EQ(third->length(), 50u);
  EXPECT_EQ(third->tree_hash(), writer->tree_hash());
  EXPECT_EQ(third->get(7).value(), content(7));
  EXPECT_FALSE(third->has(2));
  // Block 2 was never announced: it fails once the want timeout passes.
  second.now += std::chrono::seconds(11);
  second.b.tick(second.now);
  second.run();
  bool failed_2 = false;
  for (auto& e : second.eb)
    if (e.event.kind == Kind::block_failed && e.event.value == 2) {
      failed_2 = true;
      EXPECT_EQ(e.event.error->code, ReplicationErrc::block_not_available);
    }
  EXPECT_TRUE(failed_2);

  // A full clone serves a full clone.
  auto full = make_replica(*writer);
  ReplicatorOptions all;
  all.download_all = true;
  {
    Link l(*writer, *full, all);
    l.run();
  }
  auto fourth = make_replica(*writer);
  Link l2(*full, *fourth, all);
  l2.run();
  expect_same_head(*writer, *fourth);
  EXPECT_EQ(fourth->contiguous_length(), 50u);
  auto ok = fourth->verify();
  EXPECT_TRUE(ok) << ok.error().to_string();
}

TEST(Replicator, TwoCoresOverOneConnection) {
  auto w1 = make_writer(12, 0x31);
  auto w2 = make_writer(7, 0x32);
  auto r1 = make_replica(*w1);
  auto r2 = make_replica(*w2);
  TimePoint now = Clock::now();
  PeerSession a(NoiseRole::responder), b(NoiseRole::initiator);
  a.add_core(*w1, {}, now);
  a.add_core(*w2, {}, now);
  ReplicatorOptions all;
  all.download_all = true;
  b.add_core(*r2, all, now);  // a different order on each side
  b.add_core(*r1, all, now);
  Duplex d{endpoint(a, now), endpoint(b, now)};
  ASSERT_TRUE(d.run());
  expect_same_head(*w1, *r1);
  expect_same_head(*w2, *r2);
  EXPECT_EQ(r1->contiguous_length(), 12u);
  EXPECT_EQ(r2->contiguous_length(), 7u);
}

TEST(Replicator, RequestTimeoutCancels) {
  auto writer = make_writer(10);
  auto replica = make_replica(*writer);
  Link link(*writer, *replica, {});
  link.run();
  ASSERT_TRUE(link.b.replicator(link.ib).request_block(3, link.now));
  // The request is sent but the answer never delivered.
  Bytes lost = link.b.take_output();
  EXPECT_FALSE(lost.empty());
  EXPECT_EQ(link.b.replicator(link.ib).inflight(), 1u);
  link.now += std::chrono::seconds(31);
  link.b.tick(link.now);
  drain(link.b, link.eb);
  ASSERT_EQ(count(link.eb, Kind::block_failed), 1u);
  EXPECT_EQ(link.eb.back().event.error->code, ReplicationErrc::request_timeout);
  EXPECT_EQ(link.b.replicator(link.ib).inflight(), 0u);
}

}  // namespace

namespace {

TEST(RangeSet, AddRemoveContainsNext) {
  net::internal::RangeSet s;
  s.add(10, 20);
  s.add(30, 40);
  s.add(20, 30);  // joins the two
  EXPECT_EQ(s.intervals(), 1u);
  EXPECT_TRUE(s.contains(10));
  EXPECT_TRUE(s.contains(39));
  EXPECT_FALSE(s.contains(40));
  EXPECT_FALSE(s.contains(9));
  s.remove(15, 16);
  EXPECT_EQ(s.intervals(), 2u);
  EXPECT_FALSE(s.contains(15));
  EXPECT_TRUE(s.contains(16));
  EXPECT_EQ(s.next(15, 99), 16u);
  EXPECT_EQ(s.next(0, 99), 10u);
  EXPECT_EQ(s.next(40, 99), 99u);
  s.add(0, UINT64_MAX);  // a hostile announcement is one interval
  EXPECT_EQ(s.intervals(), 1u);
  s.remove(5, UINT64_MAX);
  EXPECT_TRUE(s.contains(4));
  EXPECT_FALSE(s.contains(5));
}

}  // namespace

// A keepalive (PeerSession::send_keepalive, sent by the transport after TransportOptions::
// keepalive without writing) is one empty encrypted frame: the peer drops it, replication
// goes on, and before the handshake nothing is sent.
TEST(Replicator, KeepalivesAreDroppedByThePeer) {
  auto writer = make_writer(5);
  auto replica = make_replica(*writer);
  Link link(*writer, *replica, {});
  link.b.send_keepalive();  // before the handshake: nothing to send yet
  link.run();
  EXPECT_EQ(replica->length(), 5u);
  for (int i = 0; i < 3; i++) link.a.send_keepalive();
  auto frames = link.a.take_output();
  EXPECT_EQ(frames.size(), 3u * (3 + 17)) << "three frames: a 3-byte length and a 17-byte empty ciphertext each";
  link.b.feed(frames, link.now);
  drain(link.b, link.eb);
  EXPECT_FALSE(link.b.failed());
  for (uint64_t i = 5; i < 9; i++) ASSERT_TRUE(writer->append(content(i)));
  link.run();
  expect_same_head(*writer, *replica);
  EXPECT_FALSE(link.a.failed());
}
