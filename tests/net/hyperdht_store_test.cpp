// The hyperdht storage layer (../shared/spec/dht.md §2.4, §2.6; spec §5 stage 2 tests 3-4):
// RecordStore answering crafted requests under a simulated clock (expiry of the reference's
// two-generation caches, SEQ_REUSED/SEQ_TOO_LOW, bounds under a flood from one source), and
// HyperDht client operations across a few in-memory DhtNodes.
#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "net/dht/hyperdht.hpp"

using namespace net::dht;
using hypercore::Bytes;
using hypercore::Hash;

namespace {

constexpr Millis kMinute = 60 * 1000;
const Ipv4Address kOurs{{127, 0, 0, 1}, 49738};
const NodeId kOurId = node_id(kOurs);
const NodeId kToken = hash_target(hypercore::as_bytes("token"));

hypercore::KeyPair key(uint64_t n) {
  hypercore::Seed s{};
  for (int i = 0; i < 8; i++) s[i] = static_cast<uint8_t>(n >> (8 * i));
  s[31] = 0x5a;
  return hypercore::KeyPair::from_seed(s);
}

Ipv4Address host(uint8_t a, uint8_t b, uint16_t port = 5000) { return Ipv4Address{{10, 0, a, b}, port}; }

Request request(HyperCommand c, const Hash& target, std::optional<Bytes> value, bool token = true) {
  Request r;
  r.command = static_cast<uint32_t>(c);
  r.target = target;
  r.value = std::move(value);
  if (token) r.token = kToken;
  return r;
}

Request announce(const Hash& target, const hypercore::KeyPair& kp, std::vector<Ipv4Address> relays,
                 HyperCommand c = HyperCommand::announce, uint64_t bump = 0) {
  AnnounceMessage m;
  m.peer = PeerRecord{kp.public_key, std::move(relays)};
  m.bump = bump;
  sign_announce(m, c == HyperCommand::announce ? ns::announce() : ns::unannounce(), target, kOurId, kToken, kp);
  return request(c, target, encode_announce(m));
}

Request mutable_put(const hypercore::KeyPair& kp, uint64_t seq, std::string_view value) {
  auto v = hypercore::as_bytes(value);
  MutablePut p{kp.public_key, seq, Bytes(v.begin(), v.end()), sign_mutable(seq, v, kp)};
  return request(HyperCommand::mutable_put, hash_target(kp.public_key), encode_mutable_put(p));
}

struct Store {
  RecordStore store;
  explicit Store(RecordStoreOptions o = {}) : store([&] {
      o.seed = 7;
      o.wall_clock = [] { return uint64_t{1'700'000'000'000}; };
      return o;
    }(), 0) {}
  StoreReply handle(const Request& r, Millis now, Ipv4Address from = host(1, 1)) {
    return store.handle(r, from, kOurId, now);
  }
  std::vector<PeerRecord> lookup(const Hash& target, Millis now) {
    auto r = handle(request(HyperCommand::lookup, target, std::nullopt, false), now);
    EXPECT_EQ(r.kind, StoreReply::Kind::reply);
    EXPECT_TRUE(r.token);
    EXPECT_TRUE(r.closer_nodes);
    if (!r.value) return {};
    auto l = decode_lookup_reply(*r.value);
    EXPECT_TRUE(l);
    return l ? l->peers : std::vector<PeerRecord>{};
  }
};

const Hash kTopic = hash_target(hypercore::as_bytes("example topic"));

}  // namespace

TEST(RecordStore, AnnounceLookupUnannounce) {
  Store s;
  auto kp = key(1);
  auto r = s.handle(announce(kTopic, kp, {host(9, 9)}), 0);
  ASSERT_EQ(r.kind, StoreReply::Kind::reply);
  EXPECT_FALSE(r.token);  // ANNOUNCE replies carry neither token nor closer nodes
  EXPECT_FALSE(r.closer_nodes);
  auto peers = s.lookup(kTopic, 1);
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0], (PeerRecord{kp.public_key, {host(9, 9)}}));
  // More than 3 relays are cut to 3.
  auto kp2 = key(2);
  s.handle(announce(kTopic, kp2, {host(1, 1), host(1, 2), host(1, 3), host(1, 4)}), 2);
  for (const auto& p : s.lookup(kTopic, 3)) EXPECT_LE(p.relay_addresses.size(), 3u);
  // UNANNOUNCE signed with the announce namespace, or with relays, is not accepted.
  AnnounceMessage wrong;
  wrong.peer = PeerRecord{kp.public_key, {}};
  sign_announce(wrong, ns::announce(), kTopic, kOurId, kToken, kp);
  EXPECT_EQ(s.handle(request(HyperCommand::unannounce, kTopic, encode_announce(wrong)), 4).kind, StoreReply::Kind::drop);
  EXPECT_EQ(s.lookup(kTopic, 5).size(), 2u);
  EXPECT_EQ(s.handle(announce(kTopic, kp, {}, HyperCommand::unannounce), 6).kind, StoreReply::Kind::reply);
  EXPECT_EQ(s.handle(announce(kTopic, kp2, {}, HyperCommand::unannounce), 6).kind, StoreReply::Kind::reply);
  EXPECT_TRUE(s.lookup(kTopic, 7).empty());
  EXPECT_EQ(s.store.record_count(), 0u);
  EXPECT_EQ(s.store.target_count(), 0u);
}

TEST(RecordStore, DropsUnsignedAndMalformed) {
  Store s;
  auto kp = key(1);
  auto good = announce(kTopic, kp, {});
  auto no_token = good;
  no_token.token.reset();
  EXPECT_EQ(s.handle(no_token, 0).kind, StoreReply::Kind::drop);
  auto other_node = good;
  EXPECT_EQ(s.store.handle(other_node, host(1, 1), node_id(host(2, 2)), 0).kind, StoreReply::Kind::drop);
  auto tampered = good;
  tampered.value->back() ^= 1;
  EXPECT_EQ(s.handle(tampered, 0).kind, StoreReply::Kind::drop);
  auto truncated = good;
  truncated.value->resize(20);
  EXPECT_EQ(s.handle(truncated, 0).kind, StoreReply::Kind::drop);
  auto wrong_target = good;
  wrong_target.target = hash_target(hypercore::as_bytes("other"));
  EXPECT_EQ(s.handle(wrong_target, 0).kind, StoreReply::Kind::drop);
  EXPECT_EQ(s.store.record_count(), 0u);
  // Not storage commands: the node answers them (error 1).
  Request hs = request(HyperCommand::peer_handshake, kTopic, Bytes{1});
  EXPECT_EQ(s.handle(hs, 0).kind, StoreReply::Kind::not_handled);
  // Lookups without a target are dropped; with nothing stored they reply empty.
  Request no_target = request(HyperCommand::lookup, kTopic, std::nullopt, false);
  no_target.target.reset();
  EXPECT_EQ(s.handle(no_target, 0).kind, StoreReply::Kind::drop);
  EXPECT_TRUE(s.lookup(kTopic, 0).empty());
}

TEST(RecordStore, SelfAnnounceIsAForwardEntry) {
  Store s;
  auto kp = key(3);
  Hash target = hash_target(kp.public_key);
  ASSERT_EQ(s.handle(announce(target, kp, {host(7, 7)}), 0, host(4, 4, 4444)).kind, StoreReply::Kind::reply);
  EXPECT_EQ(s.store.record_count(), 0u);
  ASSERT_NE(s.store.forward(target), nullptr);
  EXPECT_EQ(s.store.forward(target)->relay, host(4, 4, 4444));
  auto r = s.handle(request(HyperCommand::find_peer, target, std::nullopt, false), 1);
  ASSERT_TRUE(r.value);
  EXPECT_EQ(*decode_peer_record(*r.value), (PeerRecord{kp.public_key, {host(7, 7)}}));
  EXPECT_EQ(s.lookup(target, 2).size(), 1u);  // LOOKUP includes the forward entry
  s.handle(announce(target, kp, {}, HyperCommand::unannounce), 3);
  EXPECT_EQ(s.store.forward(target), nullptr);
}

// The reference's caches rotate every ceil(2/3 × 20 min) = 800 s: a record lives until the
// second rotation after its last move into the fresh generation.
TEST(RecordStore, RecordsExpireWithTheReferenceTimings) {
  Store s;
  auto a = key(1), b = key(2);
  s.handle(announce(kTopic, a, {}), 0);
  s.handle(announce(kTopic, b, {}), 0);
  EXPECT_EQ(s.lookup(kTopic, 13 * kMinute).size(), 2u);
  EXPECT_EQ(s.lookup(kTopic, 800'000).size(), 2u);  // first rotation: stale, still served
  // Hyperswarm re-announces every 10–12 min: b's refresh moves it back to fresh.
  s.handle(announce(kTopic, b, {host(5, 5)}), 900'000);
  auto left = s.lookup(kTopic, 1'600'000);  // second rotation: a is gone
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].public_key, b.public_key);
  // A refresh from the stale generation replaced the stored bytes (new relay list).
  EXPECT_EQ(left[0].relay_addresses, std::vector<Ipv4Address>{host(5, 5)});
  EXPECT_TRUE(s.lookup(kTopic, 2'400'000).empty());
  EXPECT_EQ(s.store.target_count(), 0u);
  // Re-announcing within the fresh generation keeps the old bytes (record-cache's add).
  s.handle(announce(kTopic, a, {host(1, 1)}), 2'500'000);
  s.handle(announce(kTopic, a, {host(2, 2)}), 2'500'001);
  EXPECT_EQ(s.lookup(kTopic, 2'500'002)[0].relay_addresses, std::vector<Ipv4Address>{host(1, 1)});
}

TEST(RecordStore, BumpIsTheMaximumNotTooFarAhead) {
  Store s;
  s.handle(announce(kTopic, key(1), {}, HyperCommand::announce, 1'700'000'000'000), 0);
  s.handle(announce(kTopic, key(2), {}, HyperCommand::announce, 1'600'000'000'000), 0);
  s.handle(announce(kTopic, key(3), {}, HyperCommand::announce, 1'700'000'070'000), 0);  // > 60 s ahead
  auto r = s.handle(request(HyperCommand::lookup, kTopic, std::nullopt, false), 1);
  EXPECT_EQ(decode_lookup_reply(*r.value)->bump, 1'700'000'000'000u);
  EXPECT_EQ(decode_lookup_reply(*r.value)->peers.size(), 3u);
}

TEST(RecordStore, MutableSeqRulesAndExpiry) {
  Store s;
  auto kp = key(1);
  Hash target = hash_target(kp.public_key);
  auto get = [&](uint64_t seq, Millis now) {
    return s.handle(request(HyperCommand::mutable_get, target, encode_seq(seq), false), now);
  };
  EXPECT_FALSE(get(0, 0).value);
  EXPECT_EQ(s.handle(mutable_put(kp, 1, "one"), 0).error, 0u);
  EXPECT_EQ(s.handle(mutable_put(kp, 1, "one"), 1).error, 0u);  // same value: fine
  EXPECT_EQ(s.handle(mutable_put(kp, 1, "uno"), 2).error, kSeqReused);
  EXPECT_EQ(s.handle(mutable_put(kp, 0, "zero"), 3).error, kSeqTooLow);
  auto r = get(1, 4);
  ASSERT_TRUE(r.value);
  auto rec = decode_mutable_record(*r.value);
  EXPECT_EQ(rec->seq, 1u);
  EXPECT_EQ(rec->value, Bytes({'o', 'n', 'e'}));
  EXPECT_TRUE(verify_mutable(rec->signature, 1, rec->value, kp.public_key));
  EXPECT_FALSE(get(2, 5).value);  // asks for a newer seq than stored
  EXPECT_EQ(s.handle(mutable_put(kp, 2, "two"), 6).error, 0u);
  EXPECT_TRUE(get(2, 7).value);
  // Wrong key for the target, bad signature, empty value: dropped.
  auto other = mutable_put(key(2), 3, "x");
  other.target = target;
  EXPECT_EQ(s.handle(other, 8).kind, StoreReply::Kind::drop);
  auto bad = mutable_put(kp, 3, "x");
  bad.value->back() ^= 1;
  EXPECT_EQ(s.handle(bad, 8).kind, StoreReply::Kind::drop);
  EXPECT_EQ(s.handle(mutable_put(kp, 3, ""), 8).kind, StoreReply::Kind::drop);
  // 48 h max age: rotations every 32 h; a get promotes (xache), so untouched values go.
  const Millis rot = 32ull * 60 * kMinute;
  EXPECT_TRUE(get(0, rot + 10).value);  // promoted back to fresh at 32 h
  EXPECT_TRUE(get(0, 2 * rot + 10).value);
  EXPECT_FALSE(get(0, 4 * rot + 10).value);
}

TEST(RecordStore, Immutable) {
  Store s;
  Bytes v = {'h', 'i'};
  Hash target = hash_target(v);
  auto wrong = request(HyperCommand::immutable_put, hash_target(Bytes{'n', 'o'}), v);
  EXPECT_EQ(s.handle(wrong, 0).kind, StoreReply::Kind::drop);
  EXPECT_EQ(s.handle(request(HyperCommand::immutable_put, target, v, false), 0).kind, StoreReply::Kind::drop);
  EXPECT_EQ(s.handle(request(HyperCommand::immutable_put, target, v), 0).kind, StoreReply::Kind::reply);
  auto r = s.handle(request(HyperCommand::immutable_get, target, std::nullopt, false), 1);
  EXPECT_EQ(r.value, v);
}

// Thousands of announces (and puts) from one host: memory stays bounded by the per-source
// limit, and another host's record survives the flood.
TEST(RecordStore, FloodFromOneSourceStaysBounded) {
  RecordStoreOptions o;
  o.records.max_per_source = 256;
  o.mutables.max_per_source = 256;
  Store s(o);
  auto victim = key(999999);
  s.handle(announce(kTopic, victim, {}), 0, host(2, 2));
  const Ipv4Address flooder = host(6, 6);
  for (uint64_t i = 0; i < 5000; i++) {
    Hash target = i % 2 ? kTopic : hash_target(Bytes{uint8_t(i), uint8_t(i >> 8)});
    auto r = s.handle(announce(target, key(i), {host(1, 1), host(1, 2)}), 1 + i, flooder);
    EXPECT_EQ(r.kind, StoreReply::Kind::reply);  // answered as the reference would
  }
  for (uint64_t i = 0; i < 2000; i++) s.handle(mutable_put(key(i), 1, std::string(500, 'x')), 6000 + i, flooder);
  EXPECT_LE(s.store.records_from(flooder), 256u);
  EXPECT_LE(s.store.record_count(), 257u);
  EXPECT_LE(s.store.mutable_count(), 256u);
  EXPECT_LT(s.store.stored_bytes(), 256u * (64 + 50) + 256u * 600 + 1000);
  EXPECT_GT(s.store.stats().refused, 4000u);
  bool victim_found = false;
  for (const auto& p : s.lookup(kTopic, 10'000))
    victim_found = victim_found || p.public_key == victim.public_key;
  // Sampled 20 of ≤ 129: look again until found (random sampling, fixed seed).
  for (int i = 0; i < 50 && !victim_found; i++)
    for (const auto& p : s.lookup(kTopic, 10'000)) victim_found = victim_found || p.public_key == victim.public_key;
  EXPECT_TRUE(victim_found);
  // The flooder's records expire like any others; then it may store again.
  s.store.advance(2'000'000);
  EXPECT_EQ(s.store.records_from(flooder), 0u);
  EXPECT_EQ(s.store.record_count(), 0u);
}

// Many sources: the total stays bounded by early rotations (the reference's maxSize rule).
TEST(RecordStore, FloodFromManySourcesStaysBounded) {
  RecordStoreOptions o;
  o.records.max_entries = 100;
  Store s(o);
  for (uint64_t i = 0; i < 2000; i++) s.handle(announce(kTopic, key(i), {}), 0, host(uint8_t(i >> 8), uint8_t(i)));
  EXPECT_LE(s.store.record_count(), 200u);
  EXPECT_LE(s.lookup(kTopic, 1).size(), kMaxLookupRecords);
}

// ---------------------------------------------------------------------------------------
// HyperDht on DhtNodes joined by an in-memory network with a virtual clock.

namespace {

struct MiniNet {
  struct Packet {
    Ipv4Address from, to;
    Bytes bytes;
  };
  struct Peer {
    std::unique_ptr<DhtNode> node;
    std::unique_ptr<HyperDht> dht;
  };
  Millis now = 0;
  std::deque<Packet> queue;
  std::map<Ipv4Address, Peer*> by_address;
  std::vector<std::unique_ptr<Peer>> peers;

  Peer& add(Ipv4Address address, bool persistent, std::vector<Ipv4Address> bootstrap) {
    auto p = std::make_unique<Peer>();
    DhtNodeOptions o;
    o.seed = address.port;
    o.bootstrap = std::move(bootstrap);
    o.ephemeral = !persistent;
    if (persistent) o.known_address = address;
    o.firewalled = !persistent;
    p->node = std::make_unique<DhtNode>(
        o, [this, address](Socket, const Ipv4Address& to, hypercore::ByteSpan b) {
          queue.push_back({address, to, Bytes(b.begin(), b.end())});
        },
        now);
    RecordStoreOptions so;
    so.seed = address.port;
    p->dht = std::make_unique<HyperDht>(*p->node, so);
    by_address[address] = p.get();
    peers.push_back(std::move(p));
    return *peers.back();
  }
  // Delivers packets (1 ms each) and timers until `done` or the virtual deadline.
  bool run(const std::function<bool()>& done, Millis limit = 120'000) {
    Millis end = now + limit;
    while (!done() && now < end) {
      if (!queue.empty()) {
        Packet p = std::move(queue.front());
        queue.pop_front();
        now++;
        if (auto it = by_address.find(p.to); it != by_address.end())
          it->second->node->receive(Socket::server, p.from, p.bytes, now);
        continue;
      }
      Millis next = end;
      for (auto& peer : peers) next = std::min(next, peer->node->next_wakeup());
      now = std::max(now + 1, next);
      for (auto& peer : peers) peer->node->advance(now);
    }
    return done();
  }
};

}  // namespace

TEST(HyperDht, AnnounceLookupPutGetAcrossNodes) {
  MiniNet net;
  Ipv4Address boot{{10, 1, 0, 1}, 49737};
  std::vector<MiniNet::Peer*> storers;
  for (uint8_t i = 1; i <= 6; i++) storers.push_back(&net.add(Ipv4Address{{10, 1, 0, i}, 49737}, true, {boot}));
  auto& client = net.add(Ipv4Address{{10, 2, 0, 1}, 30000}, false, {boot});
  auto& other = net.add(Ipv4Address{{10, 2, 0, 2}, 30001}, false, {boot});
  int ready = 0;
  for (auto& p : net.peers) p->node->bootstrap(net.now, [&] { ready++; });
  ASSERT_TRUE(net.run([&] { return ready == int(net.peers.size()); }));

  auto kp = key(77);
  bool announced = false;
  QueryResult ann;
  client.dht->announce(kTopic, kp, {Ipv4Address{{10, 2, 0, 1}, 30000}}, [&](const QueryResult& r) {
    ann = r;
    announced = true;
  }, net.now);
  ASSERT_TRUE(net.run([&] { return announced; }));
  EXPECT_TRUE(ann.ok);
  EXPECT_EQ(ann.commits_ok, storers.size());  // fewer than k nodes: all of them store it
  size_t stored = 0;
  for (auto* s : storers) stored += s->dht->store().record_count();
  EXPECT_EQ(stored, storers.size());

  std::vector<PeerReply> found;
  bool looked = false;
  other.dht->lookup(kTopic, [&](const PeerReply& p) { found.push_back(p); }, [&](const QueryResult&) { looked = true; },
                    net.now);
  ASSERT_TRUE(net.run([&] { return looked; }));
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].peers.at(0).public_key, kp.public_key);

  // Mutable: put, then SEQ rules seen from a client, then get the latest.
  bool put_done = false;
  hypercore::Signature sig{};
  client.dht->mutable_put(kp, hypercore::as_bytes("v1"), 1, [&](const QueryResult& r, const hypercore::Signature& s) {
    EXPECT_TRUE(r.ok);
    sig = s;
    put_done = true;
  }, net.now);
  ASSERT_TRUE(net.run([&] { return put_done; }));
  EXPECT_EQ(sig, sign_mutable(1, hypercore::as_bytes("v1"), kp));
  put_done = false;
  client.dht->mutable_put(kp, hypercore::as_bytes("v0"), 0, [&](const QueryResult& r, const hypercore::Signature&) {
    EXPECT_FALSE(r.ok);  // every node answers SEQ_TOO_LOW
    put_done = true;
  }, net.now);
  ASSERT_TRUE(net.run([&] { return put_done; }));
  std::optional<MutableResult> got;
  bool get_done = false;
  other.dht->mutable_get(kp.public_key, 0, [&](std::optional<MutableResult> r) {
    got = std::move(r);
    get_done = true;
  }, net.now);
  ASSERT_TRUE(net.run([&] { return get_done; }));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->seq, 1u);
  EXPECT_EQ(got->value, Bytes({'v', '1'}));
  EXPECT_EQ(got->signature, sig);

  // Immutable.
  bool iput = false;
  Hash itarget{};
  client.dht->immutable_put(hypercore::as_bytes("content"), [&](const QueryResult& r, const Hash& t) {
    EXPECT_TRUE(r.ok);
    itarget = t;
    iput = true;
  }, net.now);
  ASSERT_TRUE(net.run([&] { return iput; }));
  std::optional<Bytes> ival;
  bool iget = false;
  other.dht->immutable_get(itarget, [&](std::optional<Bytes> v) {
    ival = std::move(v);
    iget = true;
  }, net.now);
  ASSERT_TRUE(net.run([&] { return iget; }));
  EXPECT_EQ(ival, Bytes({'c', 'o', 'n', 't', 'e', 'n', 't'}));

  // Unannounce leaves no record anywhere.
  bool unann = false;
  client.dht->unannounce(kTopic, kp, [&](const QueryResult&) { unann = true; }, net.now);
  ASSERT_TRUE(net.run([&] { return unann; }));
  stored = 0;
  for (auto* s : storers) stored += s->dht->store().record_count();
  EXPECT_EQ(stored, 0u);

  // Ephemeral nodes do not store: their LOOKUP answer is error 1.
  EXPECT_EQ(client.dht->store().record_count(), 0u);
}
