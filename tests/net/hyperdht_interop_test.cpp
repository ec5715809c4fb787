// The hyperdht layer against a HyperDHT testnet of Node nodes (../shared/oracle/dht-testnet.js,
// ../shared/spec/dht.md §5 stage 2 tests 2-3), on loopback: Node's lookup finds our announce
// and ours finds Node's; mutable and immutable put/get work both ways with byte-identical
// signatures; Node's commits reach our storage node; unannounce both ways leaves no record.
// The Node side is tests/interop/hyperdht_peer.js; every child is killed by NodeChild.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>

#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "tests/net/loop_pump.hpp"
#include "tests/net/node_child.hpp"

using namespace net::dht;
using hypercore::Bytes;
using hypercore::Hash;
using hypercore::to_hex;
using net_test::pump;
using repl_test::NodeChild;
using Clock = std::chrono::steady_clock;

namespace {

hypercore::KeyPair key(uint8_t fill) {
  hypercore::Seed s;
  s.fill(fill);
  return hypercore::KeyPair::from_seed(s);
}

std::string seed_hex(uint8_t fill) { return to_hex(Bytes(32, fill)); }
std::string str(simdjson::dom::element e) { return std::string(std::string_view(e.get_string().value())); }

struct Fixture {
  std::unique_ptr<NodeChild> testnet;
  std::string bootstrap;
  net::EventLoop loop;
  std::unique_ptr<UdpDht> udp;
  std::unique_ptr<HyperDht> dht;
  simdjson::dom::parser parser;

  // Runs the Node client with `ops` while our node keeps serving; returns its "results".
  std::string run_peer(const std::string& ops) {
    NodeChild peer({"node", bee_test::interop_script("hyperdht_peer.js"), "--bootstrap", bootstrap, "--ops", ops});
    bool ok = pump(loop, [&] { return peer.poll_line(); }, std::chrono::seconds(70));
    EXPECT_TRUE(ok) << "hyperdht_peer.js did not answer: " << peer.buffer;
    return ok ? peer.line() : std::string();
  }
  template <class F>
  void wait(bool& flag, F start, const char* what) {
    start();
    udp->reschedule();
    ASSERT_TRUE(pump(loop, [&] { return flag; }, std::chrono::seconds(40))) << what;
  }
  std::vector<PeerRecord> lookup(const Hash& topic) {
    std::vector<PeerRecord> peers;
    bool done = false;
    wait(done, [&] {
      dht->lookup(topic, [&](const PeerReply& r) { peers.insert(peers.end(), r.peers.begin(), r.peers.end()); },
                  [&](const QueryResult&) { done = true; }, udp->now());
    }, "lookup");
    return peers;
  }
};

bool has_key(const std::vector<PeerRecord>& peers, const hypercore::PublicKey& pk) {
  return std::any_of(peers.begin(), peers.end(), [&](const PeerRecord& p) { return p.public_key == pk; });
}

}  // namespace

TEST(HyperdhtInterop, AnnounceLookupPutGetBothWays) {
  Fixture f;
  f.testnet = std::make_unique<NodeChild>(std::vector<std::string>{
      "node", bee_test::oracle_dir() + "/dht-testnet.js", "--nodes", "6", "--seconds", "240"});
  ASSERT_TRUE(f.testnet->read_line(Clock::now() + std::chrono::seconds(40))) << "testnet did not start";
  simdjson::dom::element info;
  ASSERT_EQ(f.parser.parse(f.testnet->line()).get(info), simdjson::SUCCESS) << f.testnet->buffer;
  f.bootstrap = str(info["bootstrapStrings"].at(0));

  DhtNodeOptions options;
  options.bootstrap.push_back(*Ipv4Address::parse(f.bootstrap));
  options.ephemeral = false;  // a storage node Node peers commit to
  auto udp = UdpDht::open(f.loop, "127.0.0.1", 0, options);
  ASSERT_TRUE(udp) << udp.error().to_string();
  f.udp = std::move(*udp);
  f.dht = std::make_unique<HyperDht>(f.udp->node());
  bool ready = false;
  f.wait(ready, [&] { f.udp->node().bootstrap(f.udp->now(), [&] { ready = true; }); }, "bootstrap");
  ASSERT_FALSE(f.udp->node().ephemeral()) << "the firewall check did not pass";

  const Hash topic_a = hash_target(hypercore::as_bytes("bee hyperdht interop: ours"));
  const Hash topic_b = hash_target(hypercore::as_bytes("bee hyperdht interop: theirs"));
  const auto ours = key(0x11), our_mutable = key(0x12), theirs = key(0x21), their_mutable = key(0x22);
  const Ipv4Address our_relay = *Ipv4Address::parse("127.0.0.1:40000");
  const std::string our_value = "mutable from c++", our_immutable = "immutable from c++";
  const std::string their_value = "mutable from node", their_immutable = "immutable from node";

  // 1. Our announce, mutable put and immutable put.
  bool done = false;
  QueryResult ann;
  f.wait(done, [&] {
    f.dht->announce(topic_a, ours, {our_relay}, [&](const QueryResult& r) { ann = r; done = true; }, f.udp->now());
  }, "announce");
  EXPECT_TRUE(ann.ok);
  EXPECT_GE(ann.commits_ok, 5u) << "every persistent Node node stores our signed record";
  done = false;
  hypercore::Signature our_sig{};
  QueryResult mput;
  f.wait(done, [&] {
    f.dht->mutable_put(our_mutable, hypercore::as_bytes(our_value), 3,
                       [&](const QueryResult& r, const hypercore::Signature& s) { mput = r; our_sig = s; done = true; },
                       f.udp->now());
  }, "mutable_put");
  EXPECT_TRUE(mput.ok);
  EXPECT_GE(mput.commits_ok, 5u);
  done = false;
  Hash our_hash{};
  f.wait(done, [&] {
    f.dht->immutable_put(hypercore::as_bytes(our_immutable), [&](const QueryResult& r, const Hash& h) {
      EXPECT_TRUE(r.ok);
      our_hash = h;
      done = true;
    }, f.udp->now());
  }, "immutable_put");

  // 2. Node reads ours and writes its own.
  std::string ops = "[{\"op\":\"lookup\",\"topic\":\"" + to_hex(topic_a) + "\"}," +
                    "{\"op\":\"mutableGet\",\"publicKey\":\"" + to_hex(our_mutable.public_key) + "\",\"seq\":0}," +
                    "{\"op\":\"immutableGet\",\"hash\":\"" + to_hex(our_hash) + "\"}," +
                    "{\"op\":\"announce\",\"topic\":\"" + to_hex(topic_b) + "\",\"seed\":\"" + seed_hex(0x21) +
                    "\",\"relays\":[\"127.0.0.1:41000\"]}," +
                    "{\"op\":\"mutablePut\",\"seed\":\"" + seed_hex(0x22) + "\",\"seq\":5,\"value\":\"" +
                    to_hex(hypercore::as_bytes(their_value)) + "\"}," +
                    "{\"op\":\"immutablePut\",\"value\":\"" + to_hex(hypercore::as_bytes(their_immutable)) + "\"}]";
  std::string line = f.run_peer(ops);
  ASSERT_FALSE(line.empty());
  simdjson::dom::element out;
  ASSERT_EQ(f.parser.parse(line).get(out), simdjson::SUCCESS) << line;
  auto results = out["results"];
  {
    bool found = false;
    // A named array: a range-for over the temporary simdjson_result would dangle.
    simdjson::dom::array peers = results.at(0)["peers"].get_array().value();
    for (auto p : peers) {
      if (str(p["publicKey"]) != to_hex(ours.public_key)) continue;
      found = true;
      auto relays = p["relays"].get_array().value();
      ASSERT_EQ(relays.size(), 1u);
      EXPECT_EQ(str(relays.at(0)), "127.0.0.1:40000");
    }
    EXPECT_TRUE(found) << "Node's lookup did not find our announce: " << line;
  }
  EXPECT_EQ(str(results.at(1)["signature"]), to_hex(our_sig)) << line;
  EXPECT_EQ(str(results.at(1)["value"]), to_hex(hypercore::as_bytes(our_value)));
  EXPECT_EQ(int64_t(results.at(1)["seq"].get_int64().value()), 3);
  EXPECT_EQ(str(results.at(2)["value"]), to_hex(hypercore::as_bytes(our_immutable))) << line;
  const std::string their_sig = str(results.at(4)["signature"]);
  EXPECT_EQ(their_sig, to_hex(sign_mutable(5, hypercore::as_bytes(their_value), their_mutable)))
      << "deterministic Ed25519: Node's signature equals ours for the same key and value";

  // Node's commits reached our storage node (we are among the closest of every target).
  EXPECT_EQ(f.dht->store().records(topic_b, 20).size(), 1u);
  EXPECT_TRUE(f.dht->store().mutable_value(hash_target(their_mutable.public_key)));
  EXPECT_TRUE(f.dht->store().immutable_value(hash_target(hypercore::as_bytes(their_immutable))));

  // 3. We read Node's.
  auto peers = f.lookup(topic_b);
  ASSERT_TRUE(has_key(peers, theirs.public_key)) << "our lookup did not find Node's announce";
  for (const auto& p : peers) {
    if (p.public_key == theirs.public_key) {
      EXPECT_EQ(p.relay_addresses, std::vector<Ipv4Address>{*Ipv4Address::parse("127.0.0.1:41000")});
    }
  }
  done = false;
  std::optional<MutableResult> got;
  f.wait(done, [&] {
    f.dht->mutable_get(their_mutable.public_key, 0, [&](std::optional<MutableResult> r) { got = std::move(r); done = true; },
                       f.udp->now());
  }, "mutable_get");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->seq, 5u);
  EXPECT_EQ(got->value, Bytes(their_value.begin(), their_value.end()));
  EXPECT_EQ(to_hex(got->signature), their_sig);
  done = false;
  std::optional<Bytes> ival;
  f.wait(done, [&] {
    f.dht->immutable_get(hash_target(hypercore::as_bytes(their_immutable)),
                         [&](std::optional<Bytes> v) { ival = std::move(v); done = true; }, f.udp->now());
  }, "immutable_get");
  EXPECT_EQ(ival, Bytes(their_immutable.begin(), their_immutable.end()));

  // 4. Unannounce both ways: afterwards neither lookup sees the other's record.
  done = false;
  f.wait(done, [&] { f.dht->unannounce(topic_a, ours, [&](const QueryResult&) { done = true; }, f.udp->now()); },
         "unannounce");
  line = f.run_peer("[{\"op\":\"unannounce\",\"topic\":\"" + to_hex(topic_b) + "\",\"seed\":\"" + seed_hex(0x21) +
                    "\"},{\"op\":\"lookup\",\"topic\":\"" + to_hex(topic_a) + "\"}]");
  ASSERT_FALSE(line.empty());
  ASSERT_EQ(f.parser.parse(line).get(out), simdjson::SUCCESS) << line;
  EXPECT_EQ(out["results"].at(1)["peers"].get_array().value().size(), 0u) << line;
  EXPECT_FALSE(has_key(f.lookup(topic_b), theirs.public_key));
  EXPECT_EQ(f.dht->store().records(topic_b, 20).size(), 0u);
}
