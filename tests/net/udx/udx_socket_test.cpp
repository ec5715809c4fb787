// UdxSocket (net/udx/udx_socket.hpp) on 127.0.0.1: transfers both ways, many streams on one
// socket, half-close, DESTROY, closing the socket, released streams, and the datagram hook
// that lets the DHT share the socket. Every wait is bounded.
#include <gtest/gtest.h>

#include <chrono>

#include "tests/net/loop_pump.hpp"
#include "tests/net/udx/udx_socket_util.hpp"

using namespace udx_test;
using namespace std::chrono_literals;
using net_test::pump;

namespace {

struct Sockets {
  net::EventLoop loop;
  std::shared_ptr<UdxSocket> a, b;
  Sockets() {
    auto sa = UdxSocket::open(loop.context(), "127.0.0.1", 0);
    auto sb = UdxSocket::open(loop.context(), "127.0.0.1", 0);
    EXPECT_TRUE(sa && sb);
    a = *sa;
    b = *sb;
  }
  ~Sockets() {
    a->close();
    b->close();
  }
  // A connected pair: id `ia` on a, `ib` on b.
  std::pair<std::unique_ptr<Endpoint>, std::unique_ptr<Endpoint>> pair(uint32_t ia, uint32_t ib, StreamOptions o = {}) {
    auto ea = Endpoint::create(a, ia, o);
    auto eb = Endpoint::create(b, ib, o);
    ea->connect(ib, b->local_address());
    eb->connect(ia, a->local_address());
    return {std::move(ea), std::move(eb)};
  }
};

}  // namespace

TEST(UdxSocket, BindsAndReportsItsAddress) {
  net::EventLoop loop;
  auto s = UdxSocket::open(loop.context(), "127.0.0.1", 0);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_NE((*s)->port(), 0);
  EXPECT_EQ((*s)->local_address().to_string(), "127.0.0.1:" + std::to_string((*s)->port()));
  auto taken = UdxSocket::open(loop.context(), "127.0.0.1", (*s)->port());
  EXPECT_FALSE(taken);
  EXPECT_FALSE(UdxSocket::open(loop.context(), "not-an-ip", 0));
  auto v6 = UdxSocket::open(loop.context(), "::1", 0);
  if (v6) {
    EXPECT_TRUE((*v6)->local_address().v6);
  }
}

TEST(UdxSocket, TransfersBothWaysAndClosesCleanly) {
  Sockets s;
  auto [ea, eb] = s.pair(1, 2);
  const uint64_t ab = 6 * 1024 * 1024 + 5, ba = 1024 * 1024 + 17;
  ea->start_sending(ab, 11);
  eb->start_sending(ba, 22);
  ASSERT_TRUE(pump(s.loop, [&] { return ea->closed && eb->closed; }, 30s))
      << "a: sent " << ea->sent << " got " << ea->received << " " << ea->close_text() << "; b: got " << eb->received
      << " " << eb->close_text();
  EXPECT_TRUE(ea->clean_close()) << ea->close_text();
  EXPECT_TRUE(eb->clean_close()) << eb->close_text();
  EXPECT_EQ(eb->received, ab);
  EXPECT_EQ(ea->received, ba);
  EXPECT_EQ(eb->received_sha256, pattern_sha256(11, ab));
  EXPECT_EQ(ea->received_sha256, pattern_sha256(22, ba));
  EXPECT_EQ(s.a->stats().send_errors, 0u);
}

TEST(UdxSocket, TwentyStreamsOnOneSocketAtOnce) {
  Sockets s;
  std::vector<std::unique_ptr<Endpoint>> as, bs;
  constexpr int kStreams = 20;
  const uint64_t size = 300 * 1024;
  for (int i = 0; i < kStreams; i++) {
    auto [ea, eb] = s.pair(100 + i, 200 + i);
    ea->start_sending(size + i, 1000 + i);
    eb->start_sending(size - i, 2000 + i);
    as.push_back(std::move(ea));
    bs.push_back(std::move(eb));
  }
  ASSERT_TRUE(pump(s.loop, [&] {
    for (int i = 0; i < kStreams; i++)
      if (!as[i]->closed || !bs[i]->closed) return false;
    return true;
  }, 30s));
  for (int i = 0; i < kStreams; i++) {
    SCOPED_TRACE("stream " + std::to_string(i));
    EXPECT_TRUE(as[i]->clean_close()) << as[i]->close_text();
    EXPECT_TRUE(bs[i]->clean_close()) << bs[i]->close_text();
    EXPECT_EQ(bs[i]->received_sha256, pattern_sha256(1000 + i, size + i));
    EXPECT_EQ(as[i]->received_sha256, pattern_sha256(2000 + i, size - i));
  }
}

TEST(UdxSocket, HalfCloseEachDirection) {
  Sockets s;
  auto [ea, eb] = s.pair(1, 2);
  // a ends at once; b keeps sending 1 MB after seeing a's END, then ends.
  ea->start_sending(0, 1);
  ASSERT_TRUE(pump(s.loop, [&] { return eb->remote_ended; }, 10s));
  EXPECT_FALSE(ea->closed);
  eb->start_sending(1024 * 1024, 3);
  ASSERT_TRUE(pump(s.loop, [&] { return ea->closed && eb->closed; }, 20s));
  EXPECT_TRUE(ea->clean_close()) << ea->close_text();
  EXPECT_TRUE(eb->clean_close()) << eb->close_text();
  EXPECT_EQ(ea->received_sha256, pattern_sha256(3, 1024 * 1024));
}

TEST(UdxSocket, DestroyResetsThePeer) {
  Sockets s;
  auto [ea, eb] = s.pair(1, 2);
  eb->destroy_after = 200 * 1024;  // b destroys mid-transfer
  ea->start_sending(8 * 1024 * 1024, 5);
  ASSERT_TRUE(pump(s.loop, [&] { return ea->closed && eb->closed; }, 20s)) << ea->close_text() << " " << eb->close_text();
  EXPECT_TRUE(eb->clean_close()) << "a local destroy closes without error: " << eb->close_text();
  ASSERT_TRUE(ea->closed->has_value());
  EXPECT_EQ((*ea->closed)->code, UdxErrc::reset_by_peer);
}

TEST(UdxSocket, ClosingTheSocketResetsItsStreams) {
  Sockets s;
  auto [ea, eb] = s.pair(1, 2);
  ea->start_sending(100000, 5, false);
  ASSERT_TRUE(pump(s.loop, [&] { return eb->received == 100000; }, 10s));
  s.a->close();
  ASSERT_TRUE(pump(s.loop, [&] { return ea->closed && eb->closed; }, 10s));
  ASSERT_TRUE(eb->closed->has_value());
  EXPECT_EQ((*eb->closed)->code, UdxErrc::reset_by_peer);
  EXPECT_FALSE(s.a->create_stream(9));
}

TEST(UdxSocket, ReleasedStreamsFinishAndAreForgotten) {
  Sockets s;
  StreamOptions quick;
  quick.linger = Millis(50);
  auto [ea, eb] = s.pair(1, 2, quick);
  ea->start_sending(500000, 8, true);
  // a's owner goes away at once: the socket still delivers what was written, and the END.
  Stream* sa = ea->stream;
  ea->stream = nullptr;
  s.a->release(1);
  EXPECT_EQ(s.a->find(1), nullptr);
  (void)sa;
  ASSERT_TRUE(pump(s.loop, [&] { return eb->remote_ended; }, 10s));
  EXPECT_EQ(eb->received_sha256, pattern_sha256(8, 500000));
  ASSERT_TRUE(eb->stream->end(s.b->now()));
  s.b->flush();
  ASSERT_TRUE(pump(s.loop, [&] { return eb->closed && s.a->stream_count() == 0; }, 10s));
  EXPECT_TRUE(eb->clean_close()) << eb->close_text();
}

TEST(UdxSocket, ReleasedStreamIsDestroyedAfterTheGrace) {
  net::EventLoop loop;
  UdxSocketOptions o;
  o.release_grace = Millis(300);
  auto a = *UdxSocket::open(loop.context(), "127.0.0.1", 0, o);
  auto b = *UdxSocket::open(loop.context(), "127.0.0.1", 0);
  auto ea = Endpoint::create(a, 1);
  auto eb = Endpoint::create(b, 2);
  ea->connect(2, b->local_address());
  eb->connect(1, a->local_address());
  ASSERT_TRUE(ea->stream->end(a->now()));
  ea->stream = nullptr;
  a->release(1);
  // b never ends: a's stream cannot close cleanly and is destroyed after the grace.
  ASSERT_TRUE(pump(loop, [&] { return eb->closed.has_value(); }, 10s));
  ASSERT_TRUE(eb->closed->has_value());
  EXPECT_EQ((*eb->closed)->code, UdxErrc::reset_by_peer);
  a->close();
  b->close();
}

TEST(UdxSocket, ForeignDatagramsGoToTheHookWhileStreamsRun) {
  Sockets s;
  std::vector<std::pair<Address, Bytes>> got;
  s.a->set_datagram_hook([&](const Address& from, ByteSpan d) { got.emplace_back(from, Bytes(d.begin(), d.end())); });
  auto [ea, eb] = s.pair(1, 2);
  eb->start_sending(2 * 1024 * 1024, 9);
  const Bytes dht{0x13, 0x01, 0x02, 0x03};   // a dht-rpc message starts 0x03 or 0x13
  const Bytes probe{0x00};                    // a 1-byte holepunch probe
  const Bytes unknown = encode_packet(Header{kTypeData, 0, 77, 1000, 0, 0}, {}, Bytes{1, 2});
  s.b->send_datagram(s.a->local_address(), dht);
  s.b->send_datagram(s.a->local_address(), probe);
  s.b->send_datagram(s.a->local_address(), unknown);
  ASSERT_TRUE(pump(s.loop, [&] { return got.size() == 3 && ea->remote_ended; }, 20s)) << got.size();
  EXPECT_EQ(got[0].first, s.b->local_address());
  EXPECT_EQ(got[0].second, dht);
  EXPECT_EQ(got[1].second, probe);
  EXPECT_EQ(got[2].second, unknown);  // no stream 77: libudx hands it to on_recv too
  EXPECT_EQ(ea->received_sha256, pattern_sha256(9, 2 * 1024 * 1024));
  EXPECT_EQ(s.a->stats().to_hook, 3u);
}

TEST(UdxSocket, FirstPacketBindsAnAcceptingStream) {
  Sockets s;
  auto server = Endpoint::create(s.b, 2);
  server->stream->accept_first_packet(1);
  auto client = Endpoint::create(s.a, 1);
  client->connect(2, s.b->local_address());
  client->start_sending(300000, 4);
  server->start_sending(200000, 6);  // nothing goes before the first packet binds it
  ASSERT_TRUE(pump(s.loop, [&] { return client->closed && server->closed; }, 20s));
  EXPECT_TRUE(server->clean_close()) << server->close_text();
  EXPECT_EQ(server->stream->remote_address(), s.a->local_address());
  EXPECT_EQ(server->received_sha256, pattern_sha256(4, 300000));
  EXPECT_EQ(client->received_sha256, pattern_sha256(6, 200000));
}

// A server stream on socket b whose client reaches another socket (v, a holepunch's birthday
// socket): b routes the stream through v. The client only ever talks to v's address, both
// ways, and the transfer completes; when b closes, v is closed too.
TEST(UdxSocket, StreamRunsThroughAnotherSocket) {
  Sockets s;
  auto v = *UdxSocket::open(s.loop.context(), "127.0.0.1", 0);
  auto server = Endpoint::create(s.b, 2);
  server->stream->accept_first_packet(1);
  size_t foreign = 0;
  v->set_datagram_hook([&](const Address& from, ByteSpan datagram) {
    foreign++;
    s.b->route_through(2, from, v);
    s.b->inject(from, datagram);
  });
  auto client = Endpoint::create(s.a, 1);
  client->connect(2, v->local_address());
  client->start_sending(300000, 4);
  server->start_sending(200000, 6);
  ASSERT_TRUE(pump(s.loop, [&] { return client->closed && server->closed; }, 20s));
  EXPECT_EQ(foreign, 1u) << "after the first packet v forwards to b without its own hook";
  EXPECT_TRUE(server->clean_close()) << server->close_text();
  EXPECT_TRUE(client->clean_close()) << client->close_text();
  EXPECT_EQ(server->stream->remote_address(), s.a->local_address());
  EXPECT_EQ(server->received_sha256, pattern_sha256(4, 300000));
  EXPECT_EQ(client->received_sha256, pattern_sha256(6, 200000));
  EXPECT_EQ(client->stream->remote_address(), v->local_address());
  EXPECT_GT(v->stats().datagrams_sent, 0u) << "b's packets left through v";
  s.b->close();
  EXPECT_TRUE(v->closed());
}

// A relayed transfer moved to the direct path mid-way (hyperdht's upgrade of a relayed
// connection): a and b talk through relaying streams on socket r; then a changes remote to
// b's stream and address, b's firewall moves b when a's first direct packet arrives, and
// both hear the path confirmed. Every byte arrives, in order, and r forwards nothing more
// once both moved.
TEST(UdxSocket, ARelayedStreamMovesToTheDirectPath) {
  Sockets s;
  auto r = *UdxSocket::open(s.loop.context(), "127.0.0.1", 0);
  Stream* ra = *r->create_stream(100);
  Stream* rb = *r->create_stream(200);
  ra->accept_first_packet(1);
  rb->accept_first_packet(2);
  ASSERT_TRUE(ra->relay_to(*rb));
  ASSERT_TRUE(rb->relay_to(*ra));
  auto ea = Endpoint::create(s.a, 1);
  auto eb = Endpoint::create(s.b, 2);
  ea->connect(100, r->local_address());
  eb->connect(200, r->local_address());
  ea->start_sending(3000000, 11);
  eb->start_sending(2000000, 12);
  ASSERT_TRUE(pump(s.loop, [&] { return ea->received > 300000 && eb->received > 300000; }, 20s));
  int b_moves = 0;
  bool a_confirmed = false, b_confirmed = false;
  s.b->set_firewall(2, [&](const Address& from) {
    b_moves++;
    EXPECT_EQ(from, s.a->local_address());
    EXPECT_TRUE(s.b->change_remote(2, 1, from));
  });
  s.a->on_path_confirmed(1, [&] { a_confirmed = true; });
  s.b->on_path_confirmed(2, [&] { b_confirmed = true; });
  ASSERT_TRUE(s.a->change_remote(1, 2, s.b->local_address()));
  EXPECT_FALSE(s.a->change_remote(99, 2, s.b->local_address())) << "no such stream";
  ASSERT_TRUE(pump(s.loop, [&] { return a_confirmed && b_confirmed; }, 20s));
  const uint64_t relayed = ra->stats().relayed_packets + rb->stats().relayed_packets;
  ASSERT_TRUE(pump(s.loop, [&] { return ea->closed && eb->closed; }, 30s));
  EXPECT_TRUE(ea->clean_close()) << ea->close_text();
  EXPECT_TRUE(eb->clean_close()) << eb->close_text();
  EXPECT_EQ(eb->received_sha256, pattern_sha256(11, 3000000));
  EXPECT_EQ(ea->received_sha256, pattern_sha256(12, 2000000));
  EXPECT_EQ(b_moves, 1);
  EXPECT_EQ(ea->stream->remote_address(), s.b->local_address());
  EXPECT_EQ(eb->stream->remote_address(), s.a->local_address());
  EXPECT_EQ(ra->stats().relayed_packets + rb->stats().relayed_packets, relayed);
  r->close();
}
