// The socket transports end to end on 127.0.0.1: a C++ server and a C++ client over TCP
// and over WebSocket (full clone, live append, deadlines, stop). Every run of the event
// loop is bounded; every server is stopped by the test itself.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "net/transport/event_loop.hpp"
#include "net/transport/tcp_transport.hpp"
#include "net/transport/websocket_transport.hpp"
#include "tests/net/replication_test_util.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using namespace repl_test;
using namespace std::chrono_literals;

enum class Kind { tcp, websocket };

TransportResult<std::unique_ptr<Server>> listen_on(EventLoop& loop, Kind kind, ServerOptions options) {
  return kind == Kind::tcp ? listen_tcp(loop.context(), std::move(options))
                           : listen_websocket(loop.context(), std::move(options));
}

std::shared_ptr<Peer> connect_to(EventLoop& loop, Kind kind, uint16_t port, PeerSetup setup) {
  return kind == Kind::tcp ? connect_tcp(loop.context(), "127.0.0.1", port, std::move(setup))
                           : connect_websocket(loop.context(), "127.0.0.1", port, std::move(setup));
}

class TransportTest : public ::testing::TestWithParam<Kind> {};

TEST_P(TransportTest, FullClone) {
  for (uint64_t n : {0u, 1u, 57u}) {
    SCOPED_TRACE("blocks " + std::to_string(n));
    auto writer = make_writer(n, 0x31);
    auto replica = make_replica(*writer);
    EventLoop loop;  // after the cores it serves: destroyed first
    ServerOptions so;
    so.setup.cores = {writer.get()};
    auto server = listen_on(loop, GetParam(), so);
    ASSERT_TRUE(server) << server.error().to_string();
    ASSERT_NE((*server)->port(), 0);

    PeerSetup setup;
    setup.cores = {replica.get()};
    setup.replicator.download_all = true;
    std::optional<TransportError> closed_with;
    bool closed = false;
    setup.handlers.on_event = [&](Peer& peer, const SessionEvent&) {
      auto remote = peer.session().replicator(0).remote_sync();
      if (remote && replica->length() == remote->length && replica->contiguous_length() == replica->length()) {
        peer.close();
      }
    };
    setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) {
      closed = true;
      closed_with = e;
      (*server)->stop();
    };
    auto peer = connect_to(loop, GetParam(), (*server)->port(), setup);
    ASSERT_TRUE(loop.run_for(30s)) << "the loop did not finish";
    ASSERT_TRUE(closed);
    EXPECT_FALSE(closed_with) << closed_with->to_string();
    EXPECT_EQ(replica->length(), n);
    EXPECT_EQ(replica->contiguous_length(), n);
    EXPECT_EQ(replica->tree_hash(), writer->tree_hash());
    EXPECT_EQ(replica->signature(), writer->signature());
    EXPECT_EQ(peer->counters().blocks_down, n);
    uint64_t bytes = 0;
    for (uint64_t i = 0; i < n; i++) bytes += content(i).size();
    EXPECT_EQ(peer->counters().block_bytes_down, bytes);
    EXPECT_GT(peer->counters().bytes_down, 0u);
    EXPECT_GT(peer->counters().bytes_up, 0u);
    EXPECT_TRUE(peer->remote().starts_with("127.0.0.1:")) << peer->remote();
    EXPECT_TRUE(replica->verify());
    EXPECT_EQ((*server)->peer_count(), 0u);
  }
}

TEST_P(TransportTest, LiveAppendReachesTheClient) {
  auto writer = make_writer(5, 0x32);
  auto replica = make_replica(*writer);
  EventLoop loop;  // after the cores it serves: destroyed first
  ServerOptions so;
  so.setup.cores = {writer.get()};
  auto server = listen_on(loop, GetParam(), so);
  ASSERT_TRUE(server) << server.error().to_string();

  PeerSetup setup;
  setup.cores = {replica.get()};
  setup.replicator.download_all = true;
  bool appended = false;
  std::optional<TransportError> closed_with;
  std::vector<uint64_t> upgrades;
  setup.handlers.on_event = [&](Peer& peer, const SessionEvent& e) {
    if (e.event.kind == ReplicatorEvent::Kind::upgraded) upgrades.push_back(e.event.value);
    if (replica->contiguous_length() == 5 && !appended) {
      appended = true;
      // The writer appends while the client is connected: the client must see it live.
      loop.post([&] {
        std::vector<Bytes> more{content(5), content(6), content(7)};
        std::vector<hypercore::ByteSpan> spans(more.begin(), more.end());
        ASSERT_TRUE(writer->append(spans));
      });
    }
    if (replica->length() == 8 && replica->contiguous_length() == 8) peer.close();
  };
  setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) {
    closed_with = e;
    (*server)->stop();
  };
  auto peer = connect_to(loop, GetParam(), (*server)->port(), setup);
  ASSERT_TRUE(loop.run_for(30s));
  EXPECT_FALSE(closed_with) << closed_with->to_string();
  EXPECT_EQ(replica->length(), 8u);
  EXPECT_EQ(replica->tree_hash(), writer->tree_hash());
  EXPECT_EQ(replica->signature(), writer->signature());
  ASSERT_FALSE(upgrades.empty());
  EXPECT_EQ(upgrades.back(), 8u);
  EXPECT_EQ(peer->counters().blocks_down, 8u);
  EXPECT_TRUE(replica->verify());
}

TEST_P(TransportTest, ServerStopEndsEveryConnection) {
  auto writer = make_writer(3, 0x33);
  auto replica = make_replica(*writer);
  EventLoop loop;  // after the cores it serves: destroyed first
  ServerOptions so;
  so.setup.cores = {writer.get()};
  auto server = listen_on(loop, GetParam(), so);
  ASSERT_TRUE(server);
  PeerSetup setup;
  setup.cores = {replica.get()};
  setup.replicator.download_all = true;
  bool client_closed = false;
  setup.handlers.on_event = [&](Peer&, const SessionEvent&) {
    // Synced and complete: the server goes away under a live client.
    if (replica->contiguous_length() == 3) (*server)->stop();
  };
  setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>&) { client_closed = true; };
  auto peer = connect_to(loop, GetParam(), (*server)->port(), setup);
  ASSERT_TRUE(loop.run_for(30s)) << "a coroutine outlived stop()";
  EXPECT_TRUE(client_closed);
  EXPECT_TRUE(peer->closed());
}

TEST_P(TransportTest, ConnectRefusedIsReported) {
  EventLoop loop;
  uint16_t port;
  {
    auto probe = listen_tcp(loop.context(), {});
    ASSERT_TRUE(probe);
    port = (*probe)->port();
    (*probe)->stop();
  }
  ASSERT_TRUE(loop.run_for(5s));
  std::optional<TransportError> closed_with;
  PeerSetup setup;
  setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) { closed_with = e; };
  auto peer = connect_to(loop, GetParam(), port, setup);
  ASSERT_TRUE(loop.run_for(15s));
  ASSERT_TRUE(closed_with);
  EXPECT_EQ(closed_with->code, TransportErrc::connect_failed) << closed_with->to_string();
}

INSTANTIATE_TEST_SUITE_P(Transports, TransportTest, ::testing::Values(Kind::tcp, Kind::websocket),
                         [](const auto& info) { return info.param == Kind::tcp ? "Tcp" : "WebSocket"; });

// A listener that accepts at the TCP level but never speaks, and a client that connects
// and never speaks: each side's handshake deadline ends the connection.
TEST(Transport, HandshakeDeadline) {
  int silent = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(silent, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  auto replica = make_replica(*make_writer(1, 0x34));
  auto writer = make_writer(2, 0x34);
  EventLoop loop;  // after the cores it serves: destroyed first
  ServerOptions so;
  so.setup.cores = {writer.get()};
  so.setup.transport.handshake_timeout = 400ms;
  so.setup.transport.tick_interval = 50ms;
  std::optional<TransportError> server_side;
  bool server_closed = false;
  std::unique_ptr<Server>* server_ptr = nullptr;
  so.setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) {
    server_closed = true;
    server_side = e;
    (*server_ptr)->stop();
  };
  auto server = listen_tcp(loop.context(), so);
  ASSERT_TRUE(server);
  server_ptr = &*server;

  PeerSetup setup;
  setup.cores = {replica.get()};
  setup.transport.handshake_timeout = 300ms;
  setup.transport.tick_interval = 50ms;
  std::optional<TransportError> client_side;
  bool closed = false;
  setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) {
    closed = true;
    client_side = e;
  };
  auto start = Clock::now();
  auto peer = connect_tcp(loop.context(), "127.0.0.1", ntohs(addr.sin_port), setup);
  // A client that connects to our server and says nothing.
  int mute = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in server_addr{};
  server_addr.sin_family = AF_INET;
  server_addr.sin_port = htons((*server)->port());
  server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(mute, reinterpret_cast<sockaddr*>(&server_addr), sizeof server_addr), 0);
  EXPECT_TRUE(loop.run_for(10s));
  close(mute);
  close(silent);
  ASSERT_TRUE(closed);
  ASSERT_ERRC(client_side, TransportErrc::handshake_timeout);
  ASSERT_TRUE(server_closed);
  ASSERT_ERRC(server_side, TransportErrc::handshake_timeout);
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST(Transport, ListenOnAUsedPortFails) {
  EventLoop loop;
  auto first = listen_tcp(loop.context(), {});
  ASSERT_TRUE(first);
  ServerOptions so;
  so.port = (*first)->port();
  // SO_REUSEADDR does not allow two listeners on one port.
  auto second = listen_tcp(loop.context(), so);
  ASSERT_ERRC(second, TransportErrc::listen_failed);
  (*first)->stop();
  EXPECT_TRUE(loop.run_for(5s));
}


TEST(Transport, EventLoopTimers) {
  net::EventLoop loop;
  std::vector<int> order;
  loop.after(std::chrono::milliseconds(300), [&] { order.push_back(2); });
  loop.after(std::chrono::milliseconds(50), [&] { order.push_back(1); });
  EXPECT_TRUE(loop.run_for(std::chrono::seconds(5)));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}
// Connected and handshaken, but nothing to say: the idle deadline ends the connection.
TEST(Transport, IdleDeadline) {
  auto writer = make_writer(2, 0x35);
  auto other = make_writer(2, 0x36);
  auto replica = make_replica(*other);
  EventLoop loop;  // after the cores it serves: destroyed first
  ServerOptions so;
  so.setup.cores = {writer.get()};
  auto server = listen_tcp(loop.context(), so);
  ASSERT_TRUE(server);
  PeerSetup setup;
  setup.cores = {replica.get()};
  setup.transport.idle_timeout = std::chrono::milliseconds(400);
  setup.transport.tick_interval = std::chrono::milliseconds(50);
  std::optional<TransportError> client_side;
  setup.handlers.on_close = [&](Peer&, const std::optional<TransportError>& e) {
    client_side = e;
    (*server)->stop();
  };
  auto start = Clock::now();
  auto peer = connect_tcp(loop.context(), "127.0.0.1", (*server)->port(), setup);
  EXPECT_TRUE(loop.run_for(std::chrono::seconds(10)));
  ASSERT_ERRC(client_side, TransportErrc::idle_timeout);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
}
}  // namespace
