// Groups replicating over loopback sockets with start_group_node: TCP and WebSocket,
// three devices converging, a partition healing, new writers reaching live connections.
#include "net/multi/group_node.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "net/remote/bee_server.hpp"
#include "net/transport/event_loop.hpp"
#include "net/remote/remote_database.hpp"
#include "tests/multi/group_fixture.hpp"
#include "tests/net/loop_pump.hpp"

namespace {

using namespace multi_test;
using net::multi::GroupNodeOptions;
using net::multi::start_group_node;
using std::chrono::seconds;

bool same_views(std::initializer_list<multi::Group*> groups) {
  auto first = read_view(**groups.begin());
  if (!first) return false;
  for (auto* g : groups) {
    auto v = read_view(*g);
    if (!v || *v != *first) return false;
  }
  return true;
}

TEST(GroupNode, ADeviceSyncsWithAServerOverTcpAndWebSocket) {
  for (bool websocket : {false, true}) {
    net::EventLoop loop;
    auto a = create_device();
    auto b = join_device(a->key());
    ASSERT_TRUE(a->add_writer(b->local_writer()));
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(a->put(bytes("a" + std::to_string(i)), bytes("x")));
    GroupNodeOptions serve;
    if (websocket) serve.websocket_port = 0;
    auto server = start_group_node(loop.context(), *a, serve);
    ASSERT_TRUE(server) << server.error().to_string();
    GroupNodeOptions dial;
    dial.listen = false;
    if (websocket) {
      dial.connect_websocket.push_back(net::WebSocketPeer{"127.0.0.1", *(*server)->websocket_port()});
    } else {
      dial.connect.push_back(net::TcpPeer{"127.0.0.1", (*server)->port()});
    }
    auto client = start_group_node(loop.context(), *b, dial);
    ASSERT_TRUE(client);
    ASSERT_TRUE(net_test::pump(loop, [&] { return (*client)->peers_in_sync() == 1 && (*server)->peers_in_sync() == 1; }, seconds(20)));
    EXPECT_EQ(values_of(*b, "a7"), std::vector<std::string>{"x"});
    // B writes while connected: it reaches A live.
    ASSERT_TRUE(b->put(bytes("from-b"), bytes("y")));
    (*client)->changed();
    ASSERT_TRUE(net_test::pump(loop, [&] { return values_of(*a, "from-b") == std::vector<std::string>{"y"}; }, seconds(20)));
    EXPECT_TRUE(same_views({a.group.get(), b.group.get()}));
    (*client)->stop();
    (*server)->stop();
    net_test::pump(loop, [&] { return (*server)->peer_count() == 0 && (*client)->peer_count() == 0; }, seconds(10));
  }
}

TEST(GroupNode, ThreeDevicesWriteThroughAPartitionAndConverge) {
  net::EventLoop loop;
  std::vector<Device> d;
  d.push_back(create_device());
  d.push_back(join_device(d[0]->key()));
  d.push_back(join_device(d[0]->key()));
  ASSERT_TRUE(d[0]->add_writer(d[1]->local_writer()));
  ASSERT_TRUE(d[0]->add_writer(d[2]->local_writer()));
  auto hub = start_group_node(loop.context(), *d[0], {});
  ASSERT_TRUE(hub);
  auto dial = [&](Device& dev) {
    GroupNodeOptions o;
    o.listen = false;
    o.connect.push_back(net::TcpPeer{"127.0.0.1", (*hub)->port()});
    auto node = start_group_node(loop.context(), *dev, o);
    EXPECT_TRUE(node);
    return std::move(*node);
  };
  {  // everyone meets once: B and C learn they are members
    auto nb = dial(d[1]);
    auto nc = dial(d[2]);
    ASSERT_TRUE(net_test::pump(loop, [&] { return nb->peers_in_sync() == 1 && nc->peers_in_sync() == 1; }, seconds(20)));
    nb->stop();
    nc->stop();
    net_test::pump(loop, [&] { return (*hub)->peer_count() == 0; }, seconds(10));
  }
  // Partitioned: each writes the same keys.
  for (size_t i = 0; i < 3; ++i) {
    *d[i].wall += 10 * i;
    for (int k = 0; k < 20; ++k) ASSERT_TRUE(d[i]->put(bytes("k" + std::to_string(k)), bytes("from " + std::to_string(i))));
  }
  // Healed: both dial the hub; after it relays, all three hold every log.
  auto nb = dial(d[1]);
  auto nc = dial(d[2]);
  ASSERT_TRUE(net_test::pump(
      loop,
      [&] {
        return nb->peers_in_sync() == 1 && nc->peers_in_sync() == 1 && (*hub)->peers_in_sync() == 2 &&
               same_views({d[0].group.get(), d[1].group.get(), d[2].group.get()});
      },
      seconds(30)));
  // The latest stamps (C's wall clock is ahead) win everywhere.
  EXPECT_EQ(values_of(*d[0], "k3"), std::vector<std::string>{"from 2"});
  nb->stop();
  nc->stop();
  (*hub)->stop();
  net_test::pump(loop, [&] { return (*hub)->peer_count() == 0; }, seconds(10));
}

// A hub relays logs it is still receiving: B's 3,000 ops reach C through A while A is
// downloading them (A announces each block it stores, as Node does), and a device nobody
// invited syncs everything read-only and counts as in sync.
TEST(GroupNode, AHubRelaysWhatItIsStillReceivingAndAReaderSyncs) {
  net::EventLoop loop;
  std::vector<Device> d;
  d.push_back(create_device());
  d.push_back(join_device(d[0]->key()));
  d.push_back(join_device(d[0]->key()));
  d.push_back(join_device(d[0]->key()));  // never invited: a reader
  ASSERT_TRUE(d[0]->add_writer(d[1]->local_writer()));
  ASSERT_TRUE(d[0]->add_writer(d[2]->local_writer()));
  for (int i = 1; i < 3; ++i) ASSERT_TRUE(sync_full(*d[0], *d[i]));
  std::vector<multi::Write> writes;
  for (int i = 0; i < 3000; ++i) writes.push_back({multi::OpType::put, hypercore::to_bytes("b" + std::to_string(i)), hypercore::to_bytes("x"), {}});
  ASSERT_TRUE(d[1]->write(writes));
  auto hub = start_group_node(loop.context(), *d[0], {});
  ASSERT_TRUE(hub);
  std::vector<std::unique_ptr<net::multi::GroupNode>> nodes;
  for (int i = 1; i < 4; ++i) {
    GroupNodeOptions o;
    o.listen = false;
    o.connect.push_back(net::TcpPeer{"127.0.0.1", (*hub)->port()});
    nodes.push_back(std::move(*start_group_node(loop.context(), *d[i], o)));
  }
  ASSERT_TRUE(net_test::pump(
      loop,
      [&] {
        for (auto& n : nodes) {
          if (n->peers_in_sync() != 1) return false;
        }
        return same_views({d[0].group.get(), d[1].group.get(), d[2].group.get(), d[3].group.get()});
      },
      seconds(20)));
  EXPECT_EQ(read_view(*d[3])->size(), 3000u);
  EXPECT_FALSE(d[3]->status().writable);
  for (auto& n : nodes) n->stop();
  (*hub)->stop();
  net_test::pump(loop, [&] { return (*hub)->peer_count() == 0; }, seconds(10));
}

// A view published as an ordinary bee: served with serve_bee, read by a remote reader
// that fetches only the blocks its lookup walks (net::RemoteDatabase).
TEST(GroupNode, APublishedViewIsQueriedSparselyAsABee) {
  auto a = create_device();
  std::vector<multi::Write> writes;
  for (int i = 0; i < 500; ++i) {
    writes.push_back({multi::OpType::put, hypercore::to_bytes("k" + std::to_string(i)), hypercore::to_bytes("v" + std::to_string(i)), {}});
  }
  ASSERT_TRUE(a->write(writes));
  auto view = a->view_bee();
  ASSERT_TRUE(view);
  hypercore::Core& core = (*view)->core();
  net::EventLoop loop;
  auto server = net::serve_bee(loop.context(), core, {});
  ASSERT_TRUE(server) << server.error().to_string();
  std::thread thread([&] { loop.run_for(std::chrono::seconds(30)); });
  net::RemoteDatabaseOptions o;
  o.peer = net::TcpPeer{"127.0.0.1", (*server)->port()};
  o.key_encoding = bee::Encoding::binary;
  o.value_encoding = bee::Encoding::binary;
  auto remote = net::RemoteDatabase::open(core.key(), o);
  ASSERT_TRUE(remote) << remote.error().to_string();
  auto entry = (*remote)->get(multi::kv_key(bytes("k123")));
  ASSERT_TRUE(entry && *entry && (*entry)->value);
  auto values = multi::decode_kv_record(*(*entry)->value);
  ASSERT_TRUE(values);
  EXPECT_EQ(str(*values->at(0).value), "v123");
  auto cost = (*remote)->last_query();
  EXPECT_GT(cost.blocks, 0u);
  EXPECT_LT(cost.blocks, core.length() / 10);  // sparse: the lookup's path, not the view
  (*remote)->close();
  loop.post([&] { (*server)->stop(); });
  thread.join();
}

}  // namespace
