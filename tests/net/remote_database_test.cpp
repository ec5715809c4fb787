// RemoteDatabase (net/remote/remote_database.hpp), the blocking one-call facade, against a bee
// served by serve_bee on 127.0.0.1 from a thread of its own: reads with encodings and a
// sub-database equal the writer's local bee::Db reads; an empty remote opens at once; a
// refused connect, a query deadline and a close during a query end with named errors in
// bounded time. The LAN swarm case runs in a private network namespace (needs root).
// Every wait is bounded and every server stops by itself.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bee/db.hpp"
#include "hypercore/core.hpp"
#include "hypercore/id.hpp"
#include "hypercore/storage.hpp"
#include "net/remote/bee_server.hpp"
#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "net/transport/event_loop.hpp"
#include "net/remote/remote_database.hpp"
#include "tests/net/local_dht_node.hpp"
#include "tests/support/expect_errc.hpp"
#include "tests/support/private_netns.hpp"

namespace {

using namespace std::chrono_literals;
using hypercore::Bytes;
using hypercore::errc;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kEntries = 2000;

std::string key_text(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key%05llu", static_cast<unsigned long long>(i));
  return buf;
}

Bytes bytes(std::string_view s) { return hypercore::to_bytes(s); }

enum class Fill { entries, empty };

// A bee served on 127.0.0.1 by serve_bee, its loop on a thread; the server stops (and the
// thread ends) when this goes, or by itself after a minute.
struct ServedDb {
  std::shared_ptr<hypercore::Core> core;
  std::unique_ptr<bee::Bee> bee;
  net::EventLoop loop;
  std::unique_ptr<net::BeeServer> server;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable cv;
  bool loop_done = false;
  bool frozen = false;

  explicit ServedDb(Fill fill = Fill::entries, net::BeeServerOptions options = {}) {
    auto created = hypercore::Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::random());
    EXPECT_TRUE(created) << created.error().to_string();
    if (!created) return;
    core = std::move(*created);
    auto opened = bee::Bee::open(core);
    EXPECT_TRUE(opened) << opened.error().to_string();
    if (!opened) return;
    bee = std::move(*opened);
    if (fill == Fill::entries) write_entries();
    auto served = net::serve_bee(loop.context(), *core, std::move(options));
    EXPECT_TRUE(served) << served.error().to_string();
    if (!served) return;
    server = std::move(*served);
    thread = std::thread([this] {
      loop.run_for(60s);  // a bound: the server stops by itself
      std::lock_guard lock(mutex);
      loop_done = true;
      cv.notify_all();
    });
  }

  ~ServedDb() {
    thaw();
    if (thread.joinable()) {
      loop.post([this] { server->stop(); });
      std::unique_lock lock(mutex);
      if (!cv.wait_for(lock, 10s, [&] { return loop_done; })) loop.stop();
      lock.unlock();
      thread.join();
    }
  }

  // Utf-8 keys "key00000".. with utf-8 values, and a sub-database "users" with JSON values.
  void write_entries() {
    bee::Db root(*bee, bee::Encoding::utf8, bee::Encoding::utf8);
    for (uint64_t start = 0; start < kEntries; start += 250) {
      auto batch = root.batch();
      ASSERT_TRUE(batch);
      for (uint64_t i = start; i < start + 250; i++) {
        uint64_t k = (i * 7919) % kEntries;
        ASSERT_TRUE(batch->put(bytes(key_text(k)), bytes("value of " + key_text(k))));
      }
      ASSERT_TRUE(batch->flush());
    }
    bee::Db users = root.sub("users").with_encodings(bee::Encoding::utf8, bee::Encoding::json);
    ASSERT_TRUE(users.put(bytes("ada"), bytes(R"({"born": 1815, "lang": "notes"})")));
    ASSERT_TRUE(users.put(bytes("grace"), bytes(R"({"born":1906,"lang":"COBOL"})")));
    ASSERT_TRUE(users.put(bytes("linus"), bytes(R"({"born":1969,"lang":"C"})")));
    ASSERT_TRUE(root.del(bytes(key_text(7))));
  }

  // Blocks the server's loop (it answers nothing) until thaw(), at most 20 s.
  void freeze() {
    {
      std::lock_guard lock(mutex);
      frozen = true;
    }
    loop.post([this] {
      std::unique_lock lock(mutex);
      cv.wait_for(lock, 20s, [&] { return !frozen; });
    });
  }
  void thaw() {
    {
      std::lock_guard lock(mutex);
      frozen = false;
    }
    cv.notify_all();
  }

  net::RemoteDatabaseOptions options() const {
    net::RemoteDatabaseOptions o;
    o.peer = net::TcpPeer{"127.0.0.1", server->port()};
    o.open_timeout = 10s;
    o.query_timeout = 10s;
    return o;
  }

  // What the writer reads locally through a Db with the same encodings.
  bee::Db local(bee::Encoding values = bee::Encoding::utf8) const {
    return bee::Db(*bee, bee::Encoding::utf8, values);
  }
};

std::vector<bee::DbEntry> local_range(const bee::Db& db, const bee::DbRange& range) {
  std::vector<bee::DbEntry> out;
  auto it = db.range(range);
  EXPECT_TRUE(it);
  if (!it) return out;
  while (true) {
    auto e = it->next();
    EXPECT_TRUE(e);
    if (!e || !*e) break;
    out.push_back(**e);
  }
  return out;
}

std::unique_ptr<net::RemoteDatabase> open_remote(const ServedDb& s) {
  auto db = net::RemoteDatabase::open(s.core->key(), s.options());
  EXPECT_TRUE(db) << db.error().to_string();
  return db ? std::move(*db) : nullptr;
}

// A port nobody listens on (bound, then closed).
uint16_t unused_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

TEST(RemoteDatabase, GetRangeAndHistoryMatchTheWritersReads) {
  ServedDb s;
  ASSERT_TRUE(s.server);
  auto db = open_remote(s);
  ASSERT_TRUE(db);
  EXPECT_EQ(db->version(), s.bee->version());
  EXPECT_EQ(db->key(), s.core->key());

  auto got = db->get(key_text(1234));
  ASSERT_TRUE(got) << got.error().to_string();
  ASSERT_TRUE(*got);
  auto local = s.local().get(bytes(key_text(1234)));
  ASSERT_TRUE(local) << local.error().to_string();
  EXPECT_EQ(*got, *local);
  EXPECT_EQ((*got)->value, bytes("value of " + key_text(1234)));
  auto cost = db->last_query();
  EXPECT_GT(cost.blocks, 0u);
  EXPECT_GT(cost.bytes, 0u);
  EXPECT_GT(cost.round_trips, 0u);
  EXPECT_EQ(cost.version, s.bee->version());

  bee::DbRange range;
  range.gte = bytes(key_text(100));
  range.lt = bytes(key_text(160));
  auto entries = db->range(range);
  ASSERT_TRUE(entries) << entries.error().to_string();
  EXPECT_EQ(entries->size(), 60u);
  EXPECT_EQ(*entries, local_range(s.local(), range));

  range.reverse = true;
  range.limit = 5;
  entries = db->range(range);
  ASSERT_TRUE(entries) << entries.error().to_string();
  EXPECT_EQ(*entries, local_range(s.local(), range));
  ASSERT_EQ(entries->size(), 5u);
  EXPECT_EQ(entries->front().key, bytes(key_text(159)));

  bee::HistoryRange history;
  history.gte = -10;
  auto changes = db->history(history);
  ASSERT_TRUE(changes) << changes.error().to_string();
  std::vector<bee::DbHistoryEntry> expected;
  auto it = s.local().history(history);
  ASSERT_TRUE(it);
  while (auto e = *it->next()) expected.push_back(*e);
  ASSERT_EQ(changes->size(), expected.size());
  for (size_t i = 0; i < expected.size(); i++) {
    EXPECT_EQ((*changes)[i].type, expected[i].type);
    EXPECT_EQ((*changes)[i].entry, expected[i].entry);
  }
  // The last change is the delete of key00007.
  EXPECT_EQ(changes->back().type, bee::HistoryEntry::Type::del);
}

TEST(RemoteDatabase, MissingAndDeletedKeysAreNotErrors) {
  ServedDb s;
  ASSERT_TRUE(s.server);
  auto db = open_remote(s);
  ASSERT_TRUE(db);
  for (std::string key : {std::string("no such key"), key_text(7), key_text(kEntries + 1)}) {
    auto got = db->get(key);
    ASSERT_TRUE(got) << got.error().to_string();
    EXPECT_FALSE(*got) << key;
  }
  // A key the encoding refuses fails before anything is sent.
  auto bad = db->with_encodings(bee::Encoding::json, bee::Encoding::utf8).get("{not json");
  ASSERT_ERRC(bad, errc::invalid_argument);
}

TEST(RemoteDatabase, SubDatabaseWithJsonValues) {
  ServedDb s;
  ASSERT_TRUE(s.server);
  auto db = open_remote(s);
  ASSERT_TRUE(db);
  net::RemoteDatabase users = db->sub("users").with_encodings(bee::Encoding::utf8, bee::Encoding::json);
  bee::Db local_users = s.local().sub("users").with_encodings(bee::Encoding::utf8, bee::Encoding::json);

  auto grace = users.get("grace");
  ASSERT_TRUE(grace) << grace.error().to_string();
  ASSERT_TRUE(*grace);
  EXPECT_EQ((*grace)->value, bytes(R"({"born":1906,"lang":"COBOL"})"));
  EXPECT_EQ(**grace, **local_users.get(bytes("grace")));

  auto all = users.range();
  ASSERT_TRUE(all) << all.error().to_string();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(*all, local_range(local_users, {}));
  EXPECT_EQ((*all)[0].key, bytes("ada"));
  EXPECT_EQ((*all)[0].value, bytes(R"({"born":1815,"lang":"notes"})"));  // canonical JSON

  // The sub's keys are not the root's, and the root's are not the sub's.
  auto outside = users.get(key_text(1));
  ASSERT_TRUE(outside) << outside.error().to_string();
  EXPECT_FALSE(*outside);
  auto prefixed = db->get("users");
  ASSERT_TRUE(prefixed) << prefixed.error().to_string();
  EXPECT_FALSE(*prefixed);
}

TEST(RemoteDatabase, KeyAsTextAndOverWebSocket) {
  net::BeeServerOptions options;
  options.websocket_port = 0;
  ServedDb s(Fill::entries, options);
  ASSERT_TRUE(s.server);
  ASSERT_TRUE(s.server->websocket_port());
  auto o = s.options();
  o.peer = net::WebSocketPeer{"127.0.0.1", *s.server->websocket_port()};
  for (std::string key : {hypercore::to_hex(s.core->key()), hypercore::key_to_id(s.core->key())}) {
    auto db = net::RemoteDatabase::open(key, o);
    ASSERT_TRUE(db) << db.error().to_string();
    auto got = (*db)->get(key_text(42));
    ASSERT_TRUE(got) << got.error().to_string();
    ASSERT_TRUE(*got);
    EXPECT_EQ((*got)->value, bytes("value of " + key_text(42)));
  }
  auto bad = net::RemoteDatabase::open("not a key", o);
  ASSERT_ERRC(bad, errc::invalid_argument);
}

// Regression (with RemoteBeeClient.AnEmptyRemoteBeeOpensAtOnceAndReadsFindNothing): an
// empty remote database failed to open with a timeout instead of opening at once.
TEST(RemoteDatabase, AnEmptyRemoteDatabaseOpensAtOnce) {
  ServedDb s(Fill::empty);
  ASSERT_TRUE(s.server);
  auto started = Clock::now();
  auto db = open_remote(s);  // open_timeout 10 s
  ASSERT_TRUE(db);
  EXPECT_LT(Clock::now() - started, 3s);
  EXPECT_EQ(db->version(), 1u);
  auto got = db->get("hello");
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_FALSE(*got);
  auto all = db->range();
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_TRUE(all->empty());
  EXPECT_LT(Clock::now() - started, 5s);
}

TEST(RemoteDatabase, ConnectionRefusedFailsQuicklyNamingTheAddress) {
  uint16_t port = unused_port();
  ASSERT_NE(port, 0);
  net::RemoteDatabaseOptions o;
  o.peer = net::TcpPeer{"127.0.0.1", port};
  o.open_timeout = 10s;
  hypercore::Hash key{};
  key.fill(7);
  auto started = Clock::now();
  auto db = net::RemoteDatabase::open(key, o);
  EXPECT_ERRC_MSG(db, errc::io_error, "127.0.0.1:" + std::to_string(port));
  EXPECT_LT(Clock::now() - started, 3s);
}

TEST(RemoteDatabase, APeerWithoutTheKeyIsNotFound) {
  ServedDb s;
  ASSERT_TRUE(s.server);
  auto o = s.options();
  o.open_timeout = 500ms;
  hypercore::Hash other = s.core->key();
  other[0] ^= 1;
  auto db = net::RemoteDatabase::open(other, o);
  ASSERT_ERRC(db, errc::not_found);
}

TEST(RemoteDatabase, AQueryDeadlineThatPassesIsATimeout) {
  ServedDb s;
  ASSERT_TRUE(s.server);
  auto o = s.options();
  o.query_timeout = 400ms;
  auto db = net::RemoteDatabase::open(s.core->key(), o);
  ASSERT_TRUE(db) << db.error().to_string();
  s.freeze();  // the server answers nothing now
  auto started = Clock::now();
  auto got = (*db)->get(key_text(99));
  ASSERT_ERRC(got, errc::timeout);
  EXPECT_LT(Clock::now() - started, 3s);
  EXPECT_EQ(got.error().message.rfind("request_timeout", 0), 0u) << got.error().message;
  s.thaw();
  // The connection is still good: the same read, with the server answering again.
  got = (*db)->get(key_text(99));
  ASSERT_TRUE(got) << got.error().to_string();
  ASSERT_TRUE(*got);
}

TEST(RemoteDatabase, DestroyingItWhileAQueryWaitsIsClean) {
  ServedDb s;
  ASSERT_TRUE(s.server);
  auto db = open_remote(s);
  ASSERT_TRUE(db);
  s.freeze();
  // A view waits in another thread on a query the frozen server will not answer.
  auto waiting = std::async(std::launch::async, [view = db->sub("users")]() mutable { return view.get("ada"); });
  std::this_thread::sleep_for(200ms);
  auto started = Clock::now();
  db.reset();  // the owner: closes the connection and joins its thread
  EXPECT_LT(Clock::now() - started, 4s);
  ASSERT_EQ(waiting.wait_for(2s), std::future_status::ready);
  auto got = waiting.get();
  ASSERT_ERRC(got, errc::closed);
}

TEST(RemoteDatabase, CallsAfterCloseFailWithClosed) {
  ServedDb s;
  ASSERT_TRUE(s.server);
  auto db = open_remote(s);
  ASSERT_TRUE(db);
  net::RemoteDatabase view = db->sub("users");
  EXPECT_TRUE(db->is_open());
  db->close();
  db->close();  // idempotent
  EXPECT_FALSE(db->is_open());
  auto got = db->get("x");
  ASSERT_ERRC(got, errc::closed);
  auto from_view = view.range();
  ASSERT_ERRC(from_view, errc::closed);
}

TEST(RemoteDatabase, ConcurrentCallsFromSeveralThreads) {
  ServedDb s;
  ASSERT_TRUE(s.server);
  auto db = open_remote(s);
  ASSERT_TRUE(db);
  std::atomic<int> right{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (uint64_t k = uint64_t(t) * 100 + 10; k < uint64_t(t) * 100 + 20; k++) {
        auto got = db->get(key_text(k));
        if (got && *got && (*got)->value == bytes("value of " + key_text(k))) right++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(right.load(), 40);
}

// A HyperDHT bootstrap and storage node on 127.0.0.1 (as `bee dht bootstrap`), its loop on
// a thread; it stops when this goes, or by itself after a minute.
struct BootstrapNode {
  net::EventLoop loop;
  std::unique_ptr<net::dht::UdpDht> udp;
  std::unique_ptr<net::dht::HyperDht> dht;
  std::thread thread;

  BootstrapNode() {
    udp = net_test::open_persistent_node(loop);
    EXPECT_TRUE(udp) << "no bootstrap node";
    if (!udp) return;
    dht = std::make_unique<net::dht::HyperDht>(udp->node());
    udp->node().bootstrap(udp->now());
    udp->reschedule();
    loop.after(60s, [this] { udp->close(); });
    thread = std::thread([this] { loop.run_for(70s); });
  }
  ~BootstrapNode() {
    if (!thread.joinable()) return;
    loop.stop();
    thread.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(udp->server_port()); }
};

// Found by the key alone on the DHT: the server announces through a bootstrap node of our
// own on loopback, the reader looks the key up there and connects to the server by its key
// through that node (HyperDHT's connect protocol over UDX: docs/protocol/dht.md).
TEST(RemoteDatabase, FoundByKeyOnTheDhtThroughABootstrapNode) {
  BootstrapNode boot;
  ASSERT_TRUE(boot.udp);
  net::SwarmDiscovery dht;
  dht.mode = net::swarm::DiscoveryMode::dht;
  dht.bootstrap = {boot.address()};
  net::BeeServerOptions options;
  options.host = "127.0.0.1";
  options.swarm = dht;
  ServedDb s(Fill::entries, options);
  ASSERT_TRUE(s.server);

  net::RemoteDatabaseOptions o;
  o.peer = dht;
  o.open_timeout = 20s;
  auto db = net::RemoteDatabase::open(s.core->key(), o);
  ASSERT_TRUE(db) << db.error().to_string();
  auto got = (*db)->get(key_text(3));
  ASSERT_TRUE(got) << got.error().to_string();
  ASSERT_TRUE(*got);
  EXPECT_EQ((*got)->value, bytes("value of " + key_text(3)));

  // The DHT without bootstrap nodes is a usage error, at once.
  o.peer = net::SwarmDiscovery{.mode = net::swarm::DiscoveryMode::dht};
  auto started = Clock::now();
  auto invalid = net::RemoteDatabase::open(s.core->key(), o);
  ASSERT_ERRC(invalid, errc::invalid_argument);
  EXPECT_LT(Clock::now() - started, 2s);
}

// Found by the key alone on the LAN: the server announces on mDNS (serve_bee with swarm),
// the reader looks the key up. Both on a multicast loopback in a private network namespace.
TEST(RemoteDatabase, FoundByKeyOnTheLanSwarm) {
  auto why = test_support::enter_private_netns();
  ASSERT_EQ(why, "") << why;
  const std::vector<net::swarm::Ipv4> kLoopback{{127, 0, 0, 1}};
  net::SwarmDiscovery lan;
  lan.interfaces = kLoopback;
  net::BeeServerOptions options;
  options.host = "127.0.0.1";
  options.swarm = lan;
  ServedDb s(Fill::entries, options);
  ASSERT_TRUE(s.server);

  net::RemoteDatabaseOptions o;
  o.peer = lan;
  o.open_timeout = 15s;
  auto db = net::RemoteDatabase::open(s.core->key(), o);
  ASSERT_TRUE(db) << db.error().to_string();
  auto got = (*db)->get(key_text(1999));
  ASSERT_TRUE(got) << got.error().to_string();
  ASSERT_TRUE(*got);
  EXPECT_EQ((*got)->value, bytes("value of " + key_text(1999)));

  // Nobody announces this key: the open ends at its deadline, saying so.
  hypercore::Hash other = s.core->key();
  other[0] ^= 1;
  o.open_timeout = 1500ms;
  auto missing = net::RemoteDatabase::open(other, o);
  ASSERT_ERRC(missing, errc::not_found);
}

}  // namespace
