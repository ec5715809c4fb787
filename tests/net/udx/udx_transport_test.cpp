// A PeerSession over UDX: start_peer (net/transport/internal/session_driver.hpp), unchanged,
// on a UdxByteStream at each end of a stream pair between two UdxSockets on 127.0.0.1; the
// replica downloads and verifies the whole core, live appends follow, and either end
// closing or failing ends the other. Every run of the loop is bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "net/udx/internal/udx_byte_stream.hpp"
#include "tests/net/loop_pump.hpp"
#include "tests/net/replication_test_util.hpp"

using namespace repl_test;
using namespace std::chrono_literals;
using net::udx::Address;
using net::udx::UdxByteStream;
using net::udx::UdxSocket;
using net_test::pump;

namespace {

struct Link {
  net::EventLoop loop;
  std::shared_ptr<UdxSocket> a, b;
  Link() {
    a = *UdxSocket::open(loop.context(), "127.0.0.1", 0);
    b = *UdxSocket::open(loop.context(), "127.0.0.1", 0);
  }
  ~Link() {
    a->close();
    b->close();
    loop.run_for(100ms);  // let the peers see their streams closed
  }
  // Stream 1 on a <-> stream 2 on b; b's end binds to the first packet (server side) when
  // `accepting`.
  std::pair<std::unique_ptr<UdxByteStream>, std::unique_ptr<UdxByteStream>> streams(bool accepting = false,
                                                                                   uint32_t ia = 1, uint32_t ib = 2) {
    auto sa = UdxByteStream::create(a, ia, ib, b->local_address());
    auto sb = UdxByteStream::create(b, ib, ia, accepting ? std::nullopt : std::optional<Address>(a->local_address()));
    EXPECT_TRUE(sa && sb);
    return {std::move(*sa), std::move(*sb)};
  }
};

}  // namespace

TEST(UdxTransport, FullCloneOverUdx) {
  for (uint64_t n : {0u, 1u, 57u, 3000u}) {
    for (bool accepting : {false, true}) {
      SCOPED_TRACE("blocks " + std::to_string(n) + (accepting ? ", server binds to the first packet" : ""));
      auto writer = make_writer(n, 0x41);
      auto replica = make_replica(*writer);
      Link link;
      auto [client_stream, server_stream] = link.streams(accepting);

      PeerSetup server_setup;
      server_setup.cores = {writer.get()};
      std::optional<std::optional<TransportError>> server_closed;
      server_setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) { server_closed = e; };

      PeerSetup setup;
      setup.cores = {replica.get()};
      setup.replicator.download_all = true;
      std::optional<std::optional<TransportError>> client_closed;
      setup.handlers.on_event = [&](Peer& peer, const SessionEvent&) {
        auto remote = peer.session().replicator(0).remote_sync();
        if (remote && replica->length() == remote->length && replica->contiguous_length() == replica->length()) {
          peer.close();
        }
      };
      setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) { client_closed = e; };

      auto server = net::detail::start_peer(link.loop.context(), std::move(server_stream), NoiseRole::responder,
                                            server_setup);
      auto client = net::detail::start_peer(link.loop.context(), std::move(client_stream), NoiseRole::initiator, setup);
      ASSERT_TRUE(pump(link.loop, [&] { return client_closed && server_closed; }, 30s))
          << "client " << (client_closed ? "closed" : "open") << ", server " << (server_closed ? "closed" : "open")
          << ", replica " << replica->contiguous_length() << "/" << n;
      EXPECT_FALSE(*client_closed) << (*client_closed)->to_string();
      EXPECT_FALSE(*server_closed) << "the client's close reaches the server as EOF: " << (*server_closed)->to_string();
      EXPECT_EQ(replica->length(), n);
      EXPECT_EQ(replica->contiguous_length(), n);
      EXPECT_EQ(replica->tree_hash(), writer->tree_hash());
      EXPECT_EQ(replica->signature(), writer->signature());
      EXPECT_EQ(client->counters().blocks_down, n);
      EXPECT_TRUE(replica->verify());
      EXPECT_EQ(client->remote(), link.b->local_address().to_string());
      EXPECT_EQ(server->remote(), link.a->local_address().to_string());
      // Both streams closed cleanly and were handed back: the sockets forget them once they
      // stop lingering (4 x RTO, so looked at once).
      if (n == 57 && !accepting) {
        ASSERT_TRUE(pump(link.loop, [&] { return link.a->stream_count() == 0 && link.b->stream_count() == 0; }, 20s))
            << link.a->stream_count() << " " << link.b->stream_count();
      }
    }
  }
}

TEST(UdxTransport, LiveAppendReachesTheReplica) {
  auto writer = make_writer(5, 0x42);
  auto replica = make_replica(*writer);
  Link link;
  auto [cs, ss] = link.streams();
  PeerSetup server_setup;
  server_setup.cores = {writer.get()};
  PeerSetup setup;
  setup.cores = {replica.get()};
  setup.replicator.download_all = true;
  bool appended = false;
  bool done = false;
  setup.handlers.on_event = [&](Peer& peer, const SessionEvent&) {
    if (replica->contiguous_length() == 5 && !appended) {
      appended = true;
      link.loop.post([&] {
        std::vector<Bytes> more{content(5), content(6), content(7)};
        std::vector<hypercore::ByteSpan> spans(more.begin(), more.end());
        ASSERT_TRUE(writer->append(spans));
      });
    }
    if (replica->length() == 8 && replica->contiguous_length() == 8 && !done) {
      done = true;
      peer.close();
    }
  };
  bool client_closed = false;
  setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) {
    client_closed = true;
    EXPECT_FALSE(e) << e->to_string();
  };
  auto server = net::detail::start_peer(link.loop.context(), std::move(ss), NoiseRole::responder, server_setup);
  auto client = net::detail::start_peer(link.loop.context(), std::move(cs), NoiseRole::initiator, setup);
  ASSERT_TRUE(pump(link.loop, [&] { return client_closed; }, 30s));
  EXPECT_EQ(replica->length(), 8u);
  EXPECT_EQ(replica->tree_hash(), writer->tree_hash());
  EXPECT_TRUE(replica->verify());
}

TEST(UdxTransport, StopEndsThePeer) {
  auto writer = make_writer(3, 0x43);
  auto replica = make_replica(*writer);
  Link link;
  auto [cs, ss] = link.streams();
  PeerSetup server_setup;
  server_setup.cores = {writer.get()};
  std::shared_ptr<Peer> server;
  PeerSetup setup;
  setup.cores = {replica.get()};
  setup.replicator.download_all = true;
  std::optional<std::optional<TransportError>> client_closed;
  setup.handlers.on_event = [&](Peer&, const SessionEvent&) {
    if (replica->contiguous_length() == 3 && server) server->stop();
  };
  setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) { client_closed = e; };
  server = net::detail::start_peer(link.loop.context(), std::move(ss), NoiseRole::responder, server_setup);
  auto client = net::detail::start_peer(link.loop.context(), std::move(cs), NoiseRole::initiator, setup);
  // The server's stream ends (END) when it stops; the client reads EOF and closes too.
  ASSERT_TRUE(pump(link.loop, [&] { return client_closed.has_value(); }, 30s));
  EXPECT_TRUE(server->closed());
  EXPECT_EQ(replica->contiguous_length(), 3u);
}

TEST(UdxTransport, SocketClosedUnderAPeerFailsIt) {
  auto writer = make_writer(3, 0x44);
  auto replica = make_replica(*writer);
  Link link;
  auto [cs, ss] = link.streams();
  PeerSetup server_setup;
  server_setup.cores = {writer.get()};
  PeerSetup setup;
  setup.cores = {replica.get()};
  setup.replicator.download_all = true;
  std::optional<std::optional<TransportError>> client_closed;
  setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) { client_closed = e; };
  auto server = net::detail::start_peer(link.loop.context(), std::move(ss), NoiseRole::responder, server_setup);
  auto client = net::detail::start_peer(link.loop.context(), std::move(cs), NoiseRole::initiator, setup);
  ASSERT_TRUE(pump(link.loop, [&] { return replica->contiguous_length() == 3; }, 30s));
  link.b->close();  // the server's socket goes away: its streams send DESTROY
  ASSERT_TRUE(pump(link.loop, [&] { return client_closed.has_value(); }, 30s));
  // A reset after the handshake reads as the peer's close (as TCP's connection_reset).
  EXPECT_FALSE(*client_closed) << (*client_closed)->to_string();
  ASSERT_TRUE(pump(link.loop, [&] { return server->closed(); }, 10s));
}
