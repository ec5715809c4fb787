// Our DHT node as the relay between a stock Node hyperdht server and client (hyperdht
// 6.34.0 testnet on loopback, tests/interop/connect_relay_peer.js): the server
// self-announces (our node stores the forward entry), the client connects with our node as
// its relay hint, and our node must carry FROM_CLIENT -> FROM_RELAY and FROM_SERVER -> REPLY
// with the client's tid. The connection carries an echo.
#include <gtest/gtest.h>

#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "tests/net/loop_pump.hpp"
#include "tests/net/node_child.hpp"

using namespace net::dht;
using repl_test::NodeChild;
using Clock = std::chrono::steady_clock;

namespace {

std::string json_string(const std::string& line, const std::string& key) {
  auto at = line.find("\"" + key + "\":");
  if (at == std::string::npos) return "";
  at += key.size() + 3;
  if (line[at] == '"') return line.substr(at + 1, line.find('"', at + 1) - at - 1);
  return line.substr(at, line.find_first_of(",}", at) - at);
}

}  // namespace

TEST(RelayInterop, NodeClientReachesNodeServerThroughOurRelay) {
  // A small testnet, so the server's 3 closest nodes include ours.
  NodeChild testnet({"node", bee_test::oracle_dir() + "/dht-testnet.js", "--nodes", "2", "--seconds", "120"});
  ASSERT_TRUE(testnet.read_line(Clock::now() + std::chrono::seconds(40))) << "testnet did not start";
  std::string line = testnet.line();
  auto b = line.find("bootstrapStrings");
  ASSERT_NE(b, std::string::npos) << line;
  auto q1 = line.find('"', line.find('[', b) + 1);
  std::string bootstrap = line.substr(q1 + 1, line.find('"', q1 + 1) - q1 - 1);

  net::EventLoop loop;
  DhtNodeOptions options;
  options.bootstrap.push_back(*Ipv4Address::parse(bootstrap));
  options.ephemeral = false;
  auto udp = UdpDht::open(loop, "127.0.0.1", 0, options);
  ASSERT_TRUE(udp) << udp.error().to_string();
  HyperDht dht((*udp)->node());
  bool ready = false;
  (*udp)->node().bootstrap((*udp)->now(), [&] { ready = true; });
  (*udp)->reschedule();
  ASSERT_TRUE(net_test::pump(loop, [&] { return ready; }, std::chrono::seconds(40)));
  ASSERT_FALSE((*udp)->node().ephemeral()) << "the firewall check did not pass";

  std::string relay = "127.0.0.1:" + std::to_string((*udp)->server_port());
  std::string seed(64, '3');
  hypercore::Seed s;
  s.fill(0x33);
  auto server_key = hypercore::KeyPair::from_seed(s);
  NodeChild peer({"node", bee_test::interop_script("connect_relay_peer.js"), "--bootstrap", bootstrap, "--relay",
                  relay, "--seed", seed});
  auto finished = [&] { return peer.buffer.find("\"ok\"") != std::string::npos; };
  // The server unannounces when it closes, so watch for the forward entry while it runs.
  bool had_forward = false;
  bool done = net_test::pump(loop, [&] {
    peer.poll_line();
    had_forward = had_forward || dht.store().forward(hash_target(server_key.public_key)) != nullptr;
    return finished();
  }, std::chrono::seconds(60));
  ASSERT_TRUE(done) << "connect_relay_peer.js: " << peer.buffer;
  std::string result = peer.buffer.substr(peer.buffer.find("{\"ok\""));
  EXPECT_EQ(json_string(result, "ok"), "true") << result;
  EXPECT_EQ(json_string(result, "publicKey"), hypercore::to_hex(server_key.public_key));
  const RelayStats& st = dht.relay_stats();
  EXPECT_TRUE(had_forward) << "the server did not self-announce to us";
  EXPECT_EQ(dht.store().forward(hash_target(server_key.public_key)), nullptr) << "its close() unannounces";
  EXPECT_GE(st.handshakes_forwarded, 1u);
  EXPECT_GE(st.handshakes_returned, 1u) << "no FROM_SERVER came back through us";
}
