// Relaying streams (Stream::relay_to, libudx udx_stream_relay_to), sans-I/O: two endpoints
// A and B talk through a relay R whose two streams forward to each other, on a fake clock
// with a lossy link. What a blind relay does per pairing.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "net/udx/multiplexer.hpp"
#include "udx_sim.hpp"

namespace {

using namespace net::udx;
using udx_sim::pattern;

struct Node {
  explicit Node(Address at) : address(at) {}
  Multiplexer mux;
  Address address;
  Multiplexer::Firewall firewall;  // given to every receive
  std::map<uint32_t, hypercore::Bytes> received;
  std::map<uint32_t, std::optional<std::optional<UdxError>>> closed;
  std::vector<hypercore::Bytes> sent;  // every datagram this node sent, for inspection
};

// Nodes joined by one delay (10 ms) and an optional loss rate.
class Net {
 public:
  explicit Net(double loss = 0, uint32_t seed = 1) : loss_(loss), rng_(seed) {}

  Node a{Address::v4(10, 0, 0, 1, 1000)};
  Node r{Address::v4(10, 0, 0, 9, 9000)};
  Node b{Address::v4(10, 0, 0, 2, 2000)};
  Millis now{0};

  bool run(const std::function<bool()>& done, Millis limit = Millis(600000)) {
    for (;;) {
      bool progress = true;
      while (progress) {
        progress = false;
        for (Node* n : nodes()) progress |= pump(*n);
        progress |= deliver();
        for (Node* n : nodes()) progress |= read(*n);
        if (done()) return true;
      }
      std::optional<Millis> next;
      for (Node* n : nodes()) {
        auto t = n->mux.next_timeout();
        if (t && (!next || *t < *next)) next = t;
      }
      if (!queue_.empty() && (!next || queue_.begin()->first < *next)) next = queue_.begin()->first;
      if (!next) return done();
      now = std::max(now, *next);
      if (now > limit) return done();
      for (Node* n : nodes()) n->mux.on_timer(now);
    }
  }

 private:
  std::vector<Node*> nodes() { return {&a, &r, &b}; }

  bool pump(Node& n) {
    bool any = false;
    while (auto d = n.mux.poll_transmit(now)) {
      any = true;
      n.sent.push_back(d->bytes);
      if (std::uniform_real_distribution<>(0, 1)(rng_) < loss_) continue;
      queue_.emplace(now + Millis(10), std::make_pair(n.address, std::move(*d)));
    }
    return any;
  }

  bool deliver() {
    bool any = false;
    while (!queue_.empty() && queue_.begin()->first <= now) {
      auto node = queue_.extract(queue_.begin());
      auto& [from, d] = node.mapped();
      for (Node* n : nodes()) {
        if (n->address == d.to) n->mux.receive(d.bytes, from, now, n->firewall);
      }
      any = true;
    }
    return any;
  }

  bool read(Node& n) {
    bool any = false;
    for (uint32_t id : std::vector<uint32_t>(n.mux.ids())) {
      Stream* s = n.mux.find(id);
      while (auto e = s->poll_event()) {
        any = true;
        if (e->kind == StreamEvent::Kind::data) n.received[id].insert(n.received[id].end(), e->bytes.begin(), e->bytes.end());
        if (e->kind == StreamEvent::Kind::closed) n.closed[id] = e->error;
      }
    }
    return any;
  }

  double loss_;
  std::mt19937 rng_;
  std::multimap<Millis, std::pair<Address, Datagram>> queue_;
};

// A's stream 1 <-> R's 100 | R's 200 <-> B's stream 2. R's streams bind to their first
// packet, as the blind relay's (its firewall hook connects them).
struct Relayed {
  explicit Relayed(double loss = 0) : net(loss) {
    sa = *net.a.mux.create_stream(1);
    sb = *net.b.mux.create_stream(2);
    ra = *net.r.mux.create_stream(100);
    rb = *net.r.mux.create_stream(200);
    ra->accept_first_packet(1);
    rb->accept_first_packet(2);
    EXPECT_TRUE(ra->relay_to(*rb));
    EXPECT_TRUE(rb->relay_to(*ra));
    sa->connect(100, net.r.address, net.now);
    sb->connect(200, net.r.address, net.now);
  }
  Net net;
  Stream *sa, *sb, *ra, *rb;
};

TEST(UdxRelay, BytesCrossTheRelayBothWays) {
  Relayed p;
  const auto ab = pattern(1024 * 1024 + 5, 1), ba = pattern(300 * 1024, 2);
  ASSERT_TRUE(p.sa->write(ab, p.net.now));
  ASSERT_TRUE(p.sb->write(ba, p.net.now));
  ASSERT_TRUE(p.sa->end(p.net.now));
  ASSERT_TRUE(p.sb->end(p.net.now));
  ASSERT_TRUE(p.net.run([&] { return p.net.a.closed.contains(1) && p.net.b.closed.contains(2); }));
  EXPECT_EQ(p.net.b.received[2], ab);
  EXPECT_EQ(p.net.a.received[1], ba);
  EXPECT_FALSE(p.net.a.closed[1]->has_value());
  EXPECT_FALSE(p.net.b.closed[2]->has_value());
  // The relay only forwarded: no data of its own, nothing delivered to it.
  EXPECT_TRUE(p.net.r.received.empty());
  EXPECT_GT(p.ra->stats().relayed_packets, 900u);
  EXPECT_GT(p.rb->stats().relayed_packets, 260u);  // 300 KiB of data plus ACKs
}

TEST(UdxRelay, ForwardedPacketsCarryTheDestinationIdAndAreOtherwiseUnchanged) {
  Relayed p;
  // B speaks first so R's 200 knows where B is.
  ASSERT_TRUE(p.sb->write(hypercore::Bytes{9}, p.net.now));
  ASSERT_TRUE(p.sa->write(hypercore::Bytes{1, 2, 3}, p.net.now));
  ASSERT_TRUE(p.net.run([&] { return p.net.b.received[2].size() == 3 && p.net.a.received[1].size() == 1; }));
  // Find what A sent and what R sent on: the same bytes but for the id.
  hypercore::Bytes from_a;
  for (auto& d : p.net.a.sent) {
    if (d.size() == kHeaderSize + 3) from_a = d;
  }
  ASSERT_FALSE(from_a.empty());
  hypercore::Bytes expected = from_a;
  expected[4] = 2, expected[5] = expected[6] = expected[7] = 0;
  bool found = false;
  for (auto& d : p.net.r.sent) found |= d == expected;
  EXPECT_TRUE(found);
  EXPECT_EQ(p.ra->remote_address(), p.net.a.address);
  EXPECT_EQ(p.rb->remote_address(), p.net.b.address);
}

TEST(UdxRelay, SurvivesLoss) {
  Relayed p(0.05);
  const auto ab = pattern(256 * 1024, 3), ba = pattern(128 * 1024, 4);
  ASSERT_TRUE(p.sa->write(ab, p.net.now));
  ASSERT_TRUE(p.sb->write(ba, p.net.now));
  ASSERT_TRUE(p.sa->end(p.net.now));
  ASSERT_TRUE(p.sb->end(p.net.now));
  ASSERT_TRUE(p.net.run([&] { return p.net.a.closed.contains(1) && p.net.b.closed.contains(2); }, Millis(3600000)));
  EXPECT_EQ(p.net.b.received[2], ab);
  EXPECT_EQ(p.net.a.received[1], ba);
}

TEST(UdxRelay, DestroyIsForwardedAndClosesBothRelayStreams) {
  Relayed p;
  ASSERT_TRUE(p.sb->write(hypercore::Bytes{1}, p.net.now));
  ASSERT_TRUE(p.sa->write(hypercore::Bytes{2}, p.net.now));
  ASSERT_TRUE(p.net.run([&] { return p.net.a.received[1].size() == 1 && p.net.b.received[2].size() == 1; }));
  p.sa->destroy(p.net.now);
  ASSERT_TRUE(p.net.run([&] { return p.net.b.closed.contains(2); }));
  ASSERT_TRUE(p.net.b.closed[2]->has_value());
  EXPECT_EQ(p.net.b.closed[2]->value().code, UdxErrc::reset_by_peer);
  // R's stream from A closed on the DESTROY, and took its partner with it.
  EXPECT_TRUE(p.ra->closed());
  EXPECT_TRUE(p.rb->closed());
  ASSERT_TRUE(p.net.r.closed[100]->has_value());
  EXPECT_EQ(p.net.r.closed[100]->value().code, UdxErrc::reset_by_peer);
  EXPECT_FALSE(p.net.r.closed[200]->has_value());
}

TEST(UdxRelay, ClosingOneRelayStreamClosesItsPartnerSilently) {
  Relayed p;
  ASSERT_TRUE(p.sb->write(hypercore::Bytes{1}, p.net.now));
  ASSERT_TRUE(p.sa->write(hypercore::Bytes{2}, p.net.now));
  ASSERT_TRUE(p.net.run([&] { return p.net.a.received[1].size() == 1 && p.net.b.received[2].size() == 1; }));
  const size_t sent_before = p.net.r.sent.size();
  p.rb->destroy(p.net.now);
  EXPECT_TRUE(p.ra->closed());
  EXPECT_FALSE(p.ra->poll_transmit(p.net.now));
  EXPECT_FALSE(p.rb->poll_transmit(p.net.now));
  EXPECT_EQ(p.net.r.sent.size(), sent_before);  // relayed streams send no DESTROY
  // A's packets now reach no stream on R: the socket's datagram hook would get them.
  auto d = p.sa->write(hypercore::Bytes{3}, p.net.now);
  ASSERT_TRUE(d);
  auto out = p.sa->poll_transmit(p.net.now);
  ASSERT_TRUE(out);
  EXPECT_EQ(p.net.r.mux.receive(out->bytes, p.net.a.address, p.net.now + Millis(1)), Multiplexer::Routed::unknown_id);
}

TEST(UdxRelay, PacketsBeforeThePartnerIsConnectedAreDropped) {
  Relayed p;
  ASSERT_TRUE(p.sa->write(hypercore::Bytes{1}, p.net.now));
  auto d = p.sa->poll_transmit(p.net.now);
  ASSERT_TRUE(d);
  EXPECT_EQ(p.net.r.mux.receive(d->bytes, p.net.a.address, p.net.now), Multiplexer::Routed::stream);
  EXPECT_FALSE(p.rb->poll_transmit(p.net.now));
  EXPECT_EQ(p.ra->stats().dropped_packets, 1u);
  // Later, once B spoke, A's retransmission gets through: the exchange still completes.
  ASSERT_TRUE(p.sb->write(hypercore::Bytes{2}, p.net.now));
  ASSERT_TRUE(p.net.run([&] { return p.net.a.received[1].size() == 1 && p.net.b.received[2].size() == 1; }));
}

TEST(UdxRelay, PacketsFromAnotherSourceAreNotRelayed) {
  Relayed p;
  ASSERT_TRUE(p.sb->write(hypercore::Bytes{1}, p.net.now));
  ASSERT_TRUE(p.sa->write(hypercore::Bytes{2}, p.net.now));
  ASSERT_TRUE(p.net.run([&] { return p.net.a.received[1].size() == 1 && p.net.b.received[2].size() == 1; }));
  hypercore::Bytes forged = encode_packet(Header{kTypeData, 0, 100, 0, 7, 0}, {}, hypercore::Bytes{6, 6});
  p.net.r.mux.receive(forged, Address::v4(6, 6, 6, 6, 6666), p.net.now);
  EXPECT_FALSE(p.rb->poll_transmit(p.net.now));
}

TEST(UdxRelay, RelayToTwiceOrToAClosedStreamFails) {
  Multiplexer m;
  Stream* x = *m.create_stream(1);
  Stream* y = *m.create_stream(2);
  Stream* z = *m.create_stream(3);
  ASSERT_TRUE(x->relay_to(*y));
  auto again = x->relay_to(*z);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, UdxErrc::already_relaying);
  z->destroy(Millis(0));
  auto closed = y->relay_to(*z);
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, UdxErrc::destroyed);
}

TEST(UdxRelay, RelayBacklogIsBounded) {
  Relayed p;
  ASSERT_TRUE(p.sb->write(hypercore::Bytes{1}, p.net.now));
  ASSERT_TRUE(p.net.run([&] { return p.rb->connected(); }));
  // A flood from A's address that nobody drains: the destination queue stops growing.
  for (uint32_t i = 0; i < Stream::kMaxRelayBacklog + 100; i++) {
    hypercore::Bytes pkt = encode_packet(Header{kTypeData, 0, 100, 0, i, 0}, {}, hypercore::Bytes{1});
    p.net.r.mux.receive(pkt, p.net.a.address, p.net.now);
  }
  size_t queued = 0;
  while (p.rb->poll_transmit(p.net.now)) queued++;
  EXPECT_LE(queued, Stream::kMaxRelayBacklog + 2);
  EXPECT_GE(p.ra->stats().dropped_packets, 99u);
}

}  // namespace

// hyperdht's upgrade of a relayed connection (connect.js / server.js onsocket with a connected
// raw stream): A moves its stream to B's address and id while data is in flight both ways;
// B's firewall sees A's first direct packet and moves too. Everything arrives once and in
// order, the relay stops carrying traffic, and both sides see the new path confirmed.
void change_remote_mid_transfer(double loss) {
  Relayed p(loss);
  const auto ab = pattern(768 * 1024 + 7, 5), ba = pattern(512 * 1024 + 3, 6);
  const size_t half = 256 * 1024;
  ASSERT_TRUE(p.sa->write(hypercore::ByteSpan(ab).first(half), p.net.now));
  ASSERT_TRUE(p.sb->write(hypercore::ByteSpan(ba).first(half), p.net.now));
  ASSERT_TRUE(p.net.run([&] { return p.net.b.received[2].size() > half / 2 && p.net.a.received[1].size() > half / 2; }));
  int b_moves = 0;
  p.net.b.firewall = [&](uint32_t id, const Address& from) {
    EXPECT_EQ(id, 2u);
    EXPECT_EQ(from, p.net.a.address);
    b_moves++;
    return static_cast<bool>(p.sb->change_remote(1, from, p.net.now));
  };
  ASSERT_TRUE(p.sa->change_remote(2, p.net.b.address, p.net.now));
  EXPECT_EQ(p.sa->remote_address(), p.net.b.address);
  EXPECT_FALSE(p.sa->path_confirmed());
  ASSERT_TRUE(p.sa->write(hypercore::ByteSpan(ab).subspan(half), p.net.now));
  ASSERT_TRUE(p.sb->write(hypercore::ByteSpan(ba).subspan(half), p.net.now));
  ASSERT_TRUE(p.net.run([&] { return p.sa->path_confirmed() && p.sb->path_confirmed(); }, Millis(3600000)));
  const uint64_t relayed = p.ra->stats().relayed_packets + p.rb->stats().relayed_packets;
  ASSERT_TRUE(p.sa->end(p.net.now));
  ASSERT_TRUE(p.sb->end(p.net.now));
  ASSERT_TRUE(p.net.run([&] { return p.net.a.closed.contains(1) && p.net.b.closed.contains(2); }, Millis(3600000)));
  EXPECT_EQ(p.net.b.received[2], ab);
  EXPECT_EQ(p.net.a.received[1], ba);
  EXPECT_FALSE(p.net.a.closed[1]->has_value());
  EXPECT_FALSE(p.net.b.closed[2]->has_value());
  EXPECT_EQ(b_moves, 1);  // once moved, B reads A's direct packets without asking again
  EXPECT_EQ(p.sa->stats().remote_changes, 1u);
  EXPECT_EQ(p.sb->stats().remote_changes, 1u);
  // Once both sides confirmed, the relay carried nothing more.
  EXPECT_EQ(p.ra->stats().relayed_packets + p.rb->stats().relayed_packets, relayed);
}

TEST(UdxRelay, ChangeRemoteMovesARelayedStreamToTheDirectPath) { change_remote_mid_transfer(0); }
TEST(UdxRelay, ChangeRemoteMidTransferThroughLoss) { change_remote_mid_transfer(0.05); }

TEST(UdxRelay, ChangeRemoteNeedsAConnectedOpenStream) {
  Multiplexer m;
  Stream* s = *m.create_stream(7);
  auto not_connected = s->change_remote(1, Address::v4(10, 0, 0, 3, 3), Millis(0));
  ASSERT_FALSE(not_connected);
  EXPECT_EQ(not_connected.error().code, UdxErrc::not_connected);
  s->connect(1, Address::v4(10, 0, 0, 2, 2), Millis(0));
  s->destroy(Millis(0));
  auto closed = s->change_remote(1, Address::v4(10, 0, 0, 3, 3), Millis(0));
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, UdxErrc::destroyed);
}

// Without a firewall that moves it, a connected stream drops packets from strangers, relayed
// or not (our deviation from libudx, docs/protocol/udx.md).
TEST(UdxRelay, AStrangersPacketIsDroppedWhenTheFirewallDeclines) {
  Relayed p;
  ASSERT_TRUE(p.sb->write(hypercore::Bytes{1}, p.net.now));
  ASSERT_TRUE(p.sa->write(hypercore::Bytes{9}, p.net.now));
  ASSERT_TRUE(p.net.run([&] { return p.net.a.received[1].size() == 1 && p.net.b.received[2].size() == 1; }));
  int asked = 0;
  p.net.b.firewall = [&](uint32_t, const Address&) {
    asked++;
    return false;
  };
  ASSERT_TRUE(p.sa->change_remote(2, p.net.b.address, p.net.now));  // only A moves
  ASSERT_TRUE(p.sa->write(hypercore::Bytes{2, 3}, p.net.now));
  p.net.run([&] { return false; }, p.net.now + Millis(300));
  EXPECT_GT(asked, 0);
  EXPECT_EQ(p.net.b.received[2].size(), 1u);
  EXPECT_GT(p.sb->stats().dropped_packets, 0u);
}
