// Our dht-rpc node against a HyperDHT testnet of Node nodes (../shared/oracle/dht-testnet.js,
// ../shared/spec/dht.md §5 stage 1 tests 2-4), on loopback: it bootstraps, becomes
// persistent, PINGs both ways, agrees with Node on FIND_NODE, and enters Node tables.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <set>

#include "net/dht/udp_dht.hpp"
#include "tests/net/loop_pump.hpp"
#include "tests/net/node_child.hpp"

using namespace net::dht;
using net_test::pump;
using repl_test::NodeChild;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> strings(simdjson::dom::element e) {
  std::vector<std::string> out;
  simdjson::dom::array arr;
  if (e.get(arr) != simdjson::SUCCESS) return out;
  for (auto v : arr) out.emplace_back(std::string_view(v.get_string().value()));
  return out;
}

}  // namespace

TEST(DhtInterop, JoinsHyperdhtTestnet) {
  constexpr int kNodes = 6;
  NodeChild testnet({"node", bee_test::oracle_dir() + "/dht-testnet.js", "--nodes", std::to_string(kNodes),
                     "--seconds", "120"});
  ASSERT_TRUE(testnet.read_line(Clock::now() + std::chrono::seconds(40))) << "testnet did not start";
  simdjson::dom::parser parser;
  simdjson::dom::element info;
  ASSERT_EQ(parser.parse(testnet.line()).get(info), simdjson::SUCCESS) << testnet.buffer;
  auto bootstrap = strings(info["bootstrapStrings"]);
  ASSERT_FALSE(bootstrap.empty());
  std::vector<Ipv4Address> nodes;
  simdjson::dom::array node_array;
  ASSERT_EQ(info["nodes"].get_array().get(node_array), simdjson::SUCCESS);
  for (auto n : node_array)
    nodes.push_back(Ipv4Address{*Ipv4Address::parse_host(std::string_view(n["host"].get_string().value())),
                                static_cast<uint16_t>(int64_t(n["port"].get_int64().value()))});

  net::EventLoop loop;
  DhtNodeOptions options;
  for (const auto& b : bootstrap) options.bootstrap.push_back(*Ipv4Address::parse(b));
  options.ephemeral = false;  // like testnet nodes: check reachability, then become persistent
  auto udp = UdpDht::open(loop, "127.0.0.1", 0, options);
  ASSERT_TRUE(udp) << udp.error().to_string();
  DhtNode& node = (*udp)->node();
  Ipv4Address ours{{127, 0, 0, 1}, (*udp)->server_port()};

  bool ready = false;
  node.bootstrap((*udp)->now(), [&] { ready = true; });
  (*udp)->reschedule();
  ASSERT_TRUE(pump(loop, [&] { return ready; }, std::chrono::seconds(20)))
      << "bootstrap did not finish: table " << node.table().size() << ", requests received "
      << node.stats().requests_received << ", responses " << node.stats().responses_received << ", timeouts "
      << node.stats().timeouts << ", dropped " << node.stats().dropped_datagrams << ", sent " << node.transmissions();
  EXPECT_FALSE(node.firewalled());
  ASSERT_FALSE(node.ephemeral()) << "the firewall check did not pass";
  EXPECT_EQ(node.id(), node_id(ours));

  // PING every testnet node: persistent ones answer with the id of their address.
  std::set<Ipv4Address> persistent;
  size_t answered = 0;
  for (const auto& n : nodes) {
    node.ping(
        n,
        [&, n, ours](const QueryReply& r) {
          answered++;
          if (r.from_id) {
            EXPECT_EQ(*r.from_id, node_id(n));
            persistent.insert(n);
          }
          EXPECT_EQ(r.to, ours);
        },
        [&] { ADD_FAILURE() << "no PING reply from " << n.to_string(); }, (*udp)->now());
  }
  (*udp)->reschedule();
  ASSERT_TRUE(pump(loop, [&] { return answered == nodes.size(); }, std::chrono::seconds(10)));
  EXPECT_GE(persistent.size(), static_cast<size_t>(kNodes - 1));
  for (const auto& p : persistent) EXPECT_TRUE(node.table().get(node_id(p))) << p.to_string();

  // Our FIND_NODE towards a random target.
  NodeId target = node_id(Ipv4Address{{10, 9, 8, 7}, 6543});
  std::vector<std::string> our_closest;
  bool found = false;
  node.find_node(target, {}, [&](const QueryResult& r) {
    for (const auto& c : r.closest) our_closest.push_back(c.from.to_string());
    found = true;
  }, (*udp)->now());
  (*udp)->reschedule();
  ASSERT_TRUE(pump(loop, [&] { return found; }, std::chrono::seconds(15)));

  // Node's view: tables, findNode, ping (our loop keeps serving while the probe runs).
  std::string node_list;
  for (const auto& p : persistent) node_list += (node_list.empty() ? "" : ",") + p.to_string();
  NodeChild probe({"node", bee_test::interop_script("dht_probe.js"), "--bootstrap", bootstrap[0], "--nodes",
                   node_list, "--our", ours.to_string(), "--target", hypercore::to_hex(target)});
  ASSERT_TRUE(pump(loop, [&] { return probe.poll_line(); }, std::chrono::seconds(45))) << probe.buffer;
  simdjson::dom::element out;
  ASSERT_EQ(parser.parse(probe.line()).get(out), simdjson::SUCCESS) << probe.buffer;

  size_t tables_with_us = 0;
  simdjson::dom::array tables;
  ASSERT_EQ(out["tables"].get_array().get(tables), simdjson::SUCCESS);
  for (auto t : tables) {
    auto closer = strings(t["closer"]);
    // Node's closest() walks rows without sorting them: we are in its table iff listed.
    if (std::find(closer.begin(), closer.end(), ours.to_string()) != closer.end()) tables_with_us++;
  }
  EXPECT_EQ(tables_with_us, persistent.size()) << "Node tables that list us";
  auto find_ours = strings(out["findOurs"]);
  ASSERT_FALSE(find_ours.empty());
  EXPECT_EQ(find_ours[0], ours.to_string()) << "a fresh Node client finds us closest to our id";
  std::vector<std::string> node_closest;
  for (const auto& s : strings(out["findTarget"]))
    if (s != ours.to_string()) node_closest.push_back(s);  // we never list ourselves
  EXPECT_EQ(our_closest, node_closest);
  EXPECT_EQ(std::string(std::string_view(out["ping"].get_string().value())), hypercore::to_hex(node.id()));
}
