// UDX streams on a perfect simulated link: transfer, half-close, DESTROY, messages, the
// multiplexer's routing and first-packet binding, RTO give-up, zero window.
#include <gtest/gtest.h>

#include "udx_pair.hpp"

using namespace udx_sim;

TEST(UdxStream, TransfersBothWaysAndClosesCleanly) {
  Pair p;
  exchange(p, pattern(3 * 1024 * 1024, 1), pattern(1024 * 1024 + 17, 2), "clean");
  EXPECT_EQ(p.sa->stats().retransmits, 0u);
}

TEST(UdxStream, FirstDataPacketMatchesLibudxLayout) {
  Pair p;
  ASSERT_TRUE(p.sa->write(hypercore::Bytes{1, 2, 3}, p.sim.now));
  auto d = p.sa->poll_transmit(p.sim.now);
  ASSERT_TRUE(d);
  auto pkt = decode_packet(d->bytes);
  ASSERT_TRUE(pkt);
  EXPECT_EQ(pkt->header, (Header{kTypeData, 0, 2, 4194304, 0, 0}));
  EXPECT_EQ(d->bytes.size(), kHeaderSize + 3);
  EXPECT_EQ(d->to, p.sim.b.address);
}

TEST(UdxStream, PacketsCarryAtMost1152Bytes) {
  Pair p;
  ASSERT_TRUE(p.sa->write(pattern(5000, 3), p.sim.now));
  std::vector<size_t> sizes;
  while (auto d = p.sa->poll_transmit(p.sim.now)) sizes.push_back(d->bytes.size());
  EXPECT_EQ(sizes, (std::vector<size_t>{1172, 1172, 1172, 1172, 20 + 5000 - 4 * 1152}));
}

TEST(UdxStream, EndCoalescesIntoLastDataPacket) {
  Pair p;
  ASSERT_TRUE(p.sa->write(hypercore::Bytes{1}, p.sim.now));
  ASSERT_TRUE(p.sa->end(p.sim.now));
  auto d = p.sa->poll_transmit(p.sim.now);
  ASSERT_TRUE(d);
  EXPECT_EQ(decode_packet(d->bytes)->header.type, kTypeData | kTypeEnd);
  EXPECT_FALSE(p.sa->poll_transmit(p.sim.now));
  EXPECT_EQ(p.sa->write(hypercore::Bytes{2}, p.sim.now).error().code, UdxErrc::write_after_end);
}

TEST(UdxStream, HalfCloseAToBThenBKeepsWriting) {
  Pair p;
  const auto ab = pattern(100000, 4), ba = pattern(300000, 5);
  ASSERT_TRUE(p.sa->write(ab, p.sim.now));
  ASSERT_TRUE(p.sa->end(p.sim.now));
  ASSERT_TRUE(p.sim.run([&] { return p.sim.b.remote_ended[2]; }));
  EXPECT_FALSE(p.both_closed());
  ASSERT_TRUE(p.sb->write(ba, p.sim.now));  // the other direction is still open
  ASSERT_TRUE(p.sim.run([&] { return p.sim.a.received[1].size() == ba.size(); }));
  EXPECT_FALSE(p.both_closed());
  ASSERT_TRUE(p.sb->end(p.sim.now));
  ASSERT_TRUE(p.sim.run([&] { return p.both_closed(); }));
  EXPECT_EQ(p.sim.b.received[2], ab);
  EXPECT_EQ(p.sim.a.received[1], ba);
  EXPECT_FALSE(p.sim.a.closed[1]->has_value());
  EXPECT_FALSE(p.sim.b.closed[2]->has_value());
}

TEST(UdxStream, HalfCloseBToA) {
  Pair p;
  ASSERT_TRUE(p.sb->end(p.sim.now));
  ASSERT_TRUE(p.sim.run([&] { return p.sim.a.remote_ended[1]; }));
  const auto ab = pattern(50000, 6);
  ASSERT_TRUE(p.sa->write(ab, p.sim.now));
  ASSERT_TRUE(p.sa->end(p.sim.now));
  ASSERT_TRUE(p.sim.run([&] { return p.both_closed(); }));
  EXPECT_EQ(p.sim.b.received[2], ab);
  EXPECT_FALSE(p.sim.b.closed[2]->has_value());
}

TEST(UdxStream, DestroyResetsThePeer) {
  Pair p;
  ASSERT_TRUE(p.sa->write(pattern(10000, 7), p.sim.now));
  ASSERT_TRUE(p.sim.run([&] { return p.sim.b.received[2].size() == 10000; }));
  p.sa->destroy(p.sim.now);
  // Before running the link: a destroyed stream is finished at once and the multiplexer
  // frees it at its next collect().
  EXPECT_EQ(p.sa->write(hypercore::Bytes{1}, p.sim.now).error().code, UdxErrc::destroyed);
  ASSERT_TRUE(p.sim.run([&] { return p.both_closed(); }));
  EXPECT_FALSE(p.sim.a.closed[1]->has_value());
  ASSERT_TRUE(p.sim.b.closed[2]->has_value());
  EXPECT_EQ(p.sim.b.closed[2]->value().code, UdxErrc::reset_by_peer);
}

TEST(UdxStream, MessagesArriveUnordered) {
  Pair p;
  ASSERT_TRUE(p.sa->send_message(hypercore::Bytes{4, 5, 6}, p.sim.now));
  ASSERT_TRUE(p.sim.run([&] { return !p.sim.b.messages[2].empty(); }));
  EXPECT_EQ(p.sim.b.messages[2][0], (hypercore::Bytes{4, 5, 6}));
  EXPECT_EQ(p.sa->send_message(hypercore::Bytes(Stream::kMaxMessageSize + 1), p.sim.now).error().code,
            UdxErrc::message_too_large);
}

TEST(UdxStream, RtoGivesUpWithTimeout) {
  bool cut = false;
  Policy policy;
  policy.drop = [&](uint64_t, int, const Datagram&) { return cut; };
  Pair p(policy);
  ASSERT_TRUE(p.sa->write(pattern(5000, 8), p.sim.now));
  ASSERT_TRUE(p.sim.run([&] { return p.sim.b.received[2].size() == 5000; }));
  cut = true;
  const Millis start = p.sim.now;
  ASSERT_TRUE(p.sa->write(pattern(5000, 9), p.sim.now));
  ASSERT_TRUE(p.sim.run([&] { return p.sim.a.closed.contains(1); }));
  ASSERT_TRUE(p.sim.a.closed[1]->has_value());
  EXPECT_EQ(p.sim.a.closed[1]->value().code, UdxErrc::timeout);
  // libudx: RTO 1 s, then re-armed at 2 x RTO; the 7th expiry gives up (1 + 6 x 2 = 13 s).
  EXPECT_GE((p.sim.now - start).count(), 12000);
  EXPECT_LE((p.sim.now - start).count(), 14000);
}

TEST(UdxStream, ZeroWindowStallsThenResumes) {
  StreamOptions small;
  small.recv_window = 64 * 1024;
  Pair p({}, {}, small);
  p.sim.b.reading = false;
  const auto data = pattern(1024 * 1024, 10);
  ASSERT_TRUE(p.sa->write(data, p.sim.now));
  p.sim.run([] { return false; }, Millis(20000));
  EXPECT_EQ(p.sb->receive_window(), 0u);
  EXPECT_GT(p.sa->queued_bytes(), 800u * 1024);
  EXPECT_TRUE(!p.sa->closed());
  p.sim.b.reading = true;
  ASSERT_TRUE(p.sa->end(p.sim.now));
  ASSERT_TRUE(p.sb->end(p.sim.now));
  ASSERT_TRUE(p.sim.run([&] { return p.both_closed(); }));
  EXPECT_EQ(p.sim.b.received[2], data);
  EXPECT_FALSE(p.sim.a.closed[1]->has_value());
}

TEST(UdxMultiplexer, RoutesAndReturnsForeignDatagrams) {
  Sim sim;
  auto* s = *sim.b.mux.create_stream(5);
  s->connect(6, sim.a.address, sim.now);
  EXPECT_EQ(sim.b.mux.create_stream(5).error().code, UdxErrc::id_in_use);
  const hypercore::Bytes dht{0x13, 1, 2, 3};
  EXPECT_EQ(sim.b.mux.receive(dht, sim.a.address, sim.now), Multiplexer::Routed::not_udx);
  auto unknown = encode_packet(Header{kTypeData, 0, 99, 0, 0, 0}, {}, hypercore::Bytes{1});
  EXPECT_EQ(sim.b.mux.receive(unknown, sim.a.address, sim.now), Multiplexer::Routed::unknown_id);
  auto bad = encode_packet(Header{kTypeData, 0, 5, 0, 0, 0}, {}, {});
  bad[3] = 10;
  EXPECT_EQ(sim.b.mux.receive(bad, sim.a.address, sim.now), Multiplexer::Routed::malformed);
  auto mine = encode_packet(Header{kTypeData, 0, 5, 1000, 0, 0}, {}, hypercore::Bytes{7});
  EXPECT_EQ(sim.b.mux.receive(mine, sim.a.address, sim.now), Multiplexer::Routed::stream);
  auto e = s->poll_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->bytes, hypercore::Bytes{7});
  // From another address: dropped (libudx would accept it; see docs/protocol/udx.md).
  auto other = encode_packet(Header{kTypeData, 0, 5, 1000, 1, 0}, {}, hypercore::Bytes{8});
  EXPECT_EQ(sim.b.mux.receive(other, Address::v4(6, 6, 6, 6, 6), sim.now), Multiplexer::Routed::stream);
  EXPECT_FALSE(s->poll_event());
  EXPECT_EQ(s->stats().dropped_packets, 1u);
}

TEST(UdxMultiplexer, AcceptingStreamBindsToFirstPacketSource) {
  Sim sim;
  auto* server = *sim.b.mux.create_stream(2);
  server->accept_first_packet(1);
  auto* client = *sim.a.mux.create_stream(1);
  client->connect(2, sim.b.address, sim.now);
  ASSERT_TRUE(client->write(hypercore::Bytes{1, 2, 3}, sim.now));
  ASSERT_TRUE(sim.run([&] { return sim.b.received[2].size() == 3; }));
  EXPECT_TRUE(server->connected());
  EXPECT_EQ(server->remote_address(), sim.a.address);
  ASSERT_TRUE(server->write(hypercore::Bytes{4}, sim.now));
  ASSERT_TRUE(sim.run([&] { return sim.a.received[1].size() == 1; }));
}

TEST(UdxStream, UnconnectedStreamDropsLikeUdxNativeFirewall) {
  Sim sim;
  auto* s = *sim.b.mux.create_stream(2);
  auto pkt = encode_packet(Header{kTypeData, 0, 2, 1000, 0, 0}, {}, hypercore::Bytes{1});
  EXPECT_EQ(sim.b.mux.receive(pkt, sim.a.address, sim.now), Multiplexer::Routed::stream);
  EXPECT_FALSE(s->poll_event());
  EXPECT_FALSE(s->poll_transmit(sim.now));
}

TEST(UdxStream, HeartbeatElicitsAnAck) {
  Pair p;
  auto hb = encode_packet(Header{kTypeHeartbeat, 0, 2, 1000, 0, 0}, {}, {});
  p.sb->receive(*decode_packet(hb), p.sim.a.address, p.sim.now);
  auto d = p.sb->poll_transmit(p.sim.now);
  ASSERT_TRUE(d);
  EXPECT_EQ(decode_packet(d->bytes)->header.type, 0);
}

TEST(UdxStream, HostilePeerCannotGrowBuffers) {
  StreamOptions small;
  small.recv_window = 64 * 1024;
  small.max_out_of_order = 64 * 1024;
  Pair p({}, {}, small);
  const hypercore::Bytes chunk(1152, 0xab);
  // Out-of-order packets far ahead and many within the window: bounded by bytes.
  for (uint32_t seq = 1; seq < 20000; seq += 1) {
    auto pkt = encode_packet(Header{kTypeData, 0, 2, 1000, seq, 0}, {}, chunk);
    p.sb->receive(*decode_packet(pkt), p.sim.a.address, p.sim.now);
  }
  EXPECT_LE(p.sb->stats().packets_received - p.sb->stats().dropped_packets, 64u * 1024 / 1152);
  EXPECT_LE(p.sb->stats().peak_out_of_order, 64u * 1024);
  // An ACK carrying absurd SACK blocks changes nothing.
  std::vector<SackBlock> sacks(200, SackBlock{0, 0xffffffffu});
  auto ack = encode_packet(Header{0, 0, 2, 1000, 0, 0}, sacks, {});
  p.sb->receive(*decode_packet(ack), p.sim.a.address, p.sim.now);
  EXPECT_FALSE(p.sb->closed());
}

// The packet at the head of the line must always be taken: with the out-of-order buffer
// full of the packets after a lost one, refusing the retransmission would stall the stream
// for good (udx-native kept retransmitting it while we kept dropping it).
TEST(UdxStream, FullOutOfOrderBufferStillTakesTheMissingPacket) {
  StreamOptions small;
  small.recv_window = 64 * 1024;
  small.max_out_of_order = 64 * 1024;
  Pair p({}, {}, small);
  const hypercore::Bytes chunk(1152, 0xab);
  auto deliver = [&](uint32_t seq) {
    auto pkt = encode_packet(Header{kTypeData, 0, 2, 1000, seq, 0}, {}, chunk);
    p.sb->receive(*decode_packet(pkt), p.sim.a.address, p.sim.now);
  };
  for (uint32_t seq = 1; seq < 200; seq++) deliver(seq);  // seq 0 was lost
  ASSERT_GT(p.sb->stats().dropped_packets, 0u) << "the buffer should have filled";
  deliver(0);
  size_t got = 0;
  while (auto ev = p.sb->poll_event()) {
    if (ev->kind == StreamEvent::Kind::data) got += ev->bytes.size();
  }
  EXPECT_GT(got, 64u * 1024) << "the retransmitted head packet was refused";
}
