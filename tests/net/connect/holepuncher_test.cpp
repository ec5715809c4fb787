// The sans-I/O holepunch pieces (net/connect/holepuncher.hpp, holepunch_rounds.hpp) on a
// fake clock and fake sockets: NAT classification by nat.js's rules, the probe schedules of
// holepuncher.js, the random-punch gate, and the PEER_HOLEPUNCH rounds between a client and a
// server through a fake relay and two simulated NATs (consistent: one mapping per socket;
// random: a new mapping per destination; both drop what the inside has not sent to).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "net/connect/client_handshake.hpp"
#include "net/connect/holepunch_rounds.hpp"
#include "net/connect/server_handshake.hpp"
#include "tests/support/expect_errc.hpp"

using namespace net::connect;
using Ms = std::chrono::milliseconds;

namespace {

Ipv4Address addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) { return Ipv4Address{{a, b, c, d}, port}; }

const Ipv4Address kNode1 = addr(10, 77, 0, 1, 1001), kNode2 = addr(10, 77, 0, 1, 1002),
                  kNode3 = addr(10, 77, 0, 1, 1003), kNode4 = addr(10, 77, 0, 1, 1004);

}  // namespace

TEST(NatAnalyzer, ThreeIdenticalSamplesAreConsistent) {
  NatAnalyzer nat;
  auto us = addr(10, 77, 1, 1, 40000);
  nat.add(us, kNode1);
  nat.add(us, kNode2);
  EXPECT_EQ(nat.firewall(), Firewall::unknown);
  EXPECT_FALSE(nat.analyzed());
  EXPECT_FALSE(nat.addresses());
  nat.add(us, kNode3);
  EXPECT_EQ(nat.firewall(), Firewall::consistent);
  EXPECT_TRUE(nat.analyzed());
  ASSERT_TRUE(nat.addresses());
  EXPECT_EQ(*nat.addresses(), std::vector<Ipv4Address>{us});
}

TEST(NatAnalyzer, AllDifferentPortsAreRandomAndAdvertiseTheHostOnly) {
  NatAnalyzer nat;
  nat.add(addr(10, 77, 1, 1, 5000), kNode1);
  nat.add(addr(10, 77, 1, 1, 6000), kNode2);
  nat.add(addr(10, 77, 1, 1, 7000), kNode3);
  EXPECT_EQ(nat.firewall(), Firewall::random);
  EXPECT_FALSE(nat.analyzed());  // random needs all four samples (or the pings' end)
  nat.add(addr(10, 77, 1, 1, 8000), kNode4);
  EXPECT_TRUE(nat.analyzed());
  ASSERT_TRUE(nat.addresses());
  EXPECT_EQ(*nat.addresses(), std::vector<Ipv4Address>{addr(10, 77, 1, 1, 0)});
}

TEST(NatAnalyzer, RulesForTwoHitsRepeatsFreezeAndOpen) {
  NatAnalyzer twice;  // 2 of 4 from one host: two bad ones -> random
  twice.add(addr(1, 2, 3, 4, 10), kNode1);
  twice.add(addr(1, 2, 3, 4, 10), kNode2);
  twice.add(addr(1, 2, 3, 4, 11), kNode3);
  EXPECT_EQ(twice.firewall(), Firewall::unknown);
  twice.add(addr(1, 2, 3, 4, 11), kNode4);
  EXPECT_EQ(twice.firewall(), Firewall::random);

  NatAnalyzer two_hosts;  // double hits on two addresses: consistent (multi-homed)
  two_hosts.add(addr(1, 2, 3, 4, 10), kNode1);
  two_hosts.add(addr(5, 6, 7, 8, 10), kNode2);
  two_hosts.add(addr(1, 2, 3, 4, 10), kNode3);
  two_hosts.add(addr(5, 6, 7, 8, 10), kNode4);
  EXPECT_EQ(two_hosts.firewall(), Firewall::consistent);
  EXPECT_EQ(two_hosts.addresses()->size(), 2u);

  NatAnalyzer repeat;  // one node counts once
  for (int i = 0; i < 5; i++) repeat.add(addr(1, 2, 3, 4, 10), kNode1);
  EXPECT_EQ(repeat.sampled(), 1u);
  repeat.sampling_done();
  EXPECT_TRUE(repeat.analyzed());
  EXPECT_EQ(repeat.firewall(), Firewall::unknown);

  NatAnalyzer frozen;
  frozen.freeze();
  for (const auto& n : {kNode1, kNode2, kNode3}) frozen.add(addr(1, 2, 3, 4, 10), n);
  EXPECT_EQ(frozen.firewall(), Firewall::unknown);
  frozen.unfreeze();
  EXPECT_EQ(frozen.firewall(), Firewall::consistent);

  NatAnalyzer open(false);
  EXPECT_EQ(open.firewall(), Firewall::open);
  open.add(addr(1, 2, 3, 4, 10), kNode1);
  EXPECT_EQ(open.firewall(), Firewall::open);
  EXPECT_TRUE(open.analyzed());
}

namespace {

void make_consistent(Holepuncher& p, Ipv4Address us) {
  for (const auto& n : {kNode1, kNode2, kNode3}) p.nat().add(us, n);
}
void make_random(Holepuncher& p, std::array<uint8_t, 4> host) {
  uint16_t port = 5000;
  for (const auto& n : {kNode1, kNode2, kNode3, kNode4}) p.nat().add(Ipv4Address{host, port++}, n);
}

}  // namespace

TEST(Holepuncher, ConsistentPairProbesEveryAddressTenRoundsThenGivesUp) {
  RandomPunchGate gate;
  Holepuncher p(true, Firewall::consistent, gate);
  make_consistent(p, addr(10, 77, 1, 1, 40000));
  auto verified = addr(10, 77, 1, 2, 50000), other = addr(192, 168, 2, 2, 50000);
  p.update_remote(true, Firewall::consistent, std::vector<Ipv4Address>{verified, other}, verified.host);
  ASSERT_TRUE(p.punch(Ms(0)));
  EXPECT_TRUE(p.punching());
  std::vector<std::pair<int64_t, PunchProbe>> sent;
  for (int64_t t = 0; t <= 12000 && !p.destroyed(); t += 100) {
    p.advance(Ms(t));
    for (auto& probe : p.take_probes()) sent.emplace_back(t, probe);
  }
  // Rounds at 0..9 s; the unverified address only in rounds 4 and 8; destroyed at 10 s.
  size_t to_verified = 0, to_other = 0;
  for (auto& [t, probe] : sent) {
    EXPECT_EQ(probe.socket, 0u);
    EXPECT_FALSE(probe.low_ttl);
    if (probe.to == verified) to_verified++;
    if (probe.to == other) {
      to_other++;
      EXPECT_TRUE(t == 3000 || t == 7000) << t;
    }
  }
  EXPECT_EQ(to_verified, 10u);
  EXPECT_EQ(to_other, 2u);
  EXPECT_TRUE(p.aborted());
  EXPECT_EQ(gate.active, 0u);
  EXPECT_FALSE(gate.last);  // consistent punches are not throttled
}

TEST(Holepuncher, TheInitiatorConnectsOnTheFirstProbeTheResponderEchoes) {
  RandomPunchGate gate;
  Holepuncher client(true, Firewall::consistent, gate), server(false, Firewall::consistent, gate);
  auto a = addr(10, 77, 1, 1, 40000), b = addr(10, 77, 1, 2, 50000);
  make_consistent(client, a);
  make_consistent(server, b);
  client.update_remote(true, Firewall::consistent, std::vector<Ipv4Address>{b}, b.host);
  server.update_remote(true, Firewall::consistent, std::vector<Ipv4Address>{a}, a.host);
  ASSERT_TRUE(server.punch(Ms(0)));
  server.advance(Ms(0));
  EXPECT_TRUE(server.take_probes().empty());  // the responder waits a second first
  server.advance(Ms(1000));
  EXPECT_EQ(server.take_probes(), (std::vector<PunchProbe>{{0, a, false}}));
  server.on_probe(0, a, Ms(1001));
  EXPECT_EQ(server.take_probes(), (std::vector<PunchProbe>{{0, a, false}}));
  EXPECT_FALSE(server.connected());

  ASSERT_TRUE(client.punch(Ms(0)));
  client.on_probe(0, b, Ms(5));
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(client.connection()->remote, b);
  EXPECT_FALSE(client.punching());
  client.take_probes();
  client.advance(Ms(5000));
  EXPECT_TRUE(client.take_probes().empty());
  client.on_probe(0, addr(9, 9, 9, 9, 9), Ms(6000));
  EXPECT_EQ(client.connection()->remote, b);  // the first one fixed the path
}

TEST(Holepuncher, ConsistentSideSpraysRandomPortsOfTheVerifiedHostAndHoldsTheGate) {
  RandomPunchGate gate;
  HolepuncherOptions options;
  options.seed = 7;
  Holepuncher p(true, Firewall::random, gate, true, options);
  make_consistent(p, addr(10, 77, 1, 1, 40000));
  auto remote = addr(10, 77, 1, 2, 0);
  // Without a verified address a random remote cannot be punched.
  Holepuncher unverified(true, Firewall::random, gate);
  make_consistent(unverified, addr(10, 77, 1, 1, 40000));
  unverified.update_remote(true, Firewall::random, std::vector<Ipv4Address>{remote}, std::nullopt);
  EXPECT_FALSE(unverified.punch(Ms(0)));

  p.update_remote(true, Firewall::random, std::vector<Ipv4Address>{remote}, remote.host);
  ASSERT_TRUE(p.punch(Ms(0)));
  EXPECT_EQ(gate.active, 1u);
  EXPECT_TRUE(gate.busy(Ms(0)));
  std::set<uint16_t> ports;
  for (int64_t t = 0; t < 1000; t += 20) {
    p.advance(Ms(t));
    for (auto& probe : p.take_probes()) {
      EXPECT_EQ(probe.to.host, remote.host);
      EXPECT_GE(probe.to.port, 1000);
      ports.insert(probe.to.port);
    }
  }
  EXPECT_GT(ports.size(), 40u);  // 50 probes, (nearly) all different ports
  p.on_probe(0, addr(10, 77, 1, 2, 31337), Ms(1000));
  ASSERT_TRUE(p.connected());
  EXPECT_EQ(gate.active, 0u);
  ASSERT_TRUE(gate.last);
  EXPECT_TRUE(gate.busy(Ms(20999)));  // one random punch per 20 s
  EXPECT_FALSE(gate.busy(Ms(21000)));
}

TEST(Holepuncher, RandomSideOpensBirthdaySocketsThenKeepsThemAlive) {
  RandomPunchGate gate;
  HolepuncherOptions options;
  options.birthday_sockets = 8;
  Holepuncher p(true, Firewall::consistent, gate, true, options);
  make_random(p, {10, 77, 1, 1});
  auto remote = addr(10, 77, 1, 2, 50000);
  p.update_remote(true, Firewall::consistent, std::vector<Ipv4Address>{remote}, remote.host);
  ASSERT_TRUE(p.punch(Ms(0)));
  EXPECT_EQ(p.sockets(), 8u);
  auto burst = p.take_probes();
  ASSERT_EQ(burst.size(), 7u);
  for (size_t i = 0; i < burst.size(); i++) EXPECT_EQ(burst[i], (PunchProbe{i + 1, remote, true}));
  p.advance(Ms(99));
  EXPECT_TRUE(p.take_probes().empty());
  std::vector<PunchProbe> keep;
  for (int64_t t = 100; t < 100 + 20 * 10; t += 20) {
    p.advance(Ms(t));
    for (auto& probe : p.take_probes()) keep.push_back(probe);
  }
  ASSERT_EQ(keep.size(), 10u);
  for (size_t i = 0; i < keep.size(); i++) {
    EXPECT_EQ(keep[i].socket, i % 8);
    EXPECT_EQ(keep[i].low_ttl, i < 8) << i;  // the first cycle low TTL
  }
  p.on_probe(5, remote, Ms(400));
  ASSERT_TRUE(p.connected());
  EXPECT_EQ(p.connection()->socket, 5u);
}

TEST(Holepuncher, NoStrategyForTwoRandomNatsOrAnUnknownOne) {
  RandomPunchGate gate;
  Holepuncher both(true, Firewall::random, gate);
  make_random(both, {10, 77, 1, 1});
  both.update_remote(true, Firewall::random, std::vector<Ipv4Address>{addr(10, 77, 1, 2, 0)}, std::array<uint8_t, 4>{10, 77, 1, 2});
  EXPECT_TRUE(both.unstable());
  EXPECT_FALSE(both.punch(Ms(0)));
  Holepuncher unknown(true, Firewall::consistent, gate);
  unknown.update_remote(true, Firewall::consistent, std::vector<Ipv4Address>{addr(10, 77, 1, 2, 1)}, std::nullopt);
  EXPECT_TRUE(unknown.unstable());
  EXPECT_FALSE(unknown.punch(Ms(0)));
  EXPECT_EQ(gate.active, 0u);
}

// --- the rounds through a fake relay and two simulated NATs ----------------------------------

namespace {

struct FakeNat {
  bool random = false;
  std::array<uint8_t, 4> host{};
  uint16_t next_port = 20000;
  std::map<std::pair<size_t, Ipv4Address>, uint16_t> mappings;  // (socket, destination) -> port
  std::set<std::pair<size_t, Ipv4Address>> sent;                 // filter: who the inside talked to

  Ipv4Address map(size_t socket, const Ipv4Address& to) {
    auto key = std::make_pair(socket, random ? to : Ipv4Address{});
    auto it = mappings.find(key);
    if (it == mappings.end()) it = mappings.emplace(key, random ? next_port += 37 : static_cast<uint16_t>(40000 + socket)).first;
    return Ipv4Address{host, it->second};
  }
  Ipv4Address send(size_t socket, const Ipv4Address& to) {
    sent.insert({socket, to});
    return map(socket, to);
  }
  // The inside socket a packet from `from` to our public `to` reaches, if the filter lets it.
  std::optional<size_t> receive(const Ipv4Address& from, const Ipv4Address& to) {
    for (const auto& [key, port] : mappings) {
      if (port != to.port || !(random ? key.second == from : true)) continue;
      if (sent.contains({key.first, from})) return key.first;
    }
    return std::nullopt;
  }
};

constexpr std::array<uint8_t, 32> kSecret{1, 2, 3};
const Ipv4Address kRelay = addr(10, 77, 0, 1, 1001);

struct Lab {
  FakeNat client_nat, server_nat;
  RandomPunchGate client_gate, server_gate;
  std::unique_ptr<ClientPunch> client;
  std::unique_ptr<ServerPunch> server;
  int64_t now = 0;

  Lab(bool client_random, bool server_random) {
    client_nat.random = client_random;
    client_nat.host = {10, 77, 1, 1};
    server_nat.random = server_random;
    server_nat.host = {10, 77, 1, 2};
    HolepuncherOptions seeded;
    seeded.seed = 11;  // the sprayed ports: a fixed draw (a real spray misses ~0.1% of the time)
    server = std::make_unique<ServerPunch>(kSecret, Firewall::unknown, server_gate, true, seeded);
    sample(server->puncher(), server_nat);  // the server sampled while the handshake ran
    NoisePayload payload;
    payload.firewall = Firewall::unknown;
    payload.holepunch = HolepunchInfo{3, {RelayInfo{kRelay, server_nat.send(0, kRelay)}}};
    ClientPunchOptions client_options;
    client_options.puncher.seed = 12;
    client = std::make_unique<ClientPunch>(kSecret, payload, kRelay, server_nat.map(0, kRelay), client_gate, true, Ms(0),
                                           client_options);
  }

  void sample(Holepuncher& p, FakeNat& nat) {
    for (const auto& n : {kNode1, kNode2, kNode3, kNode4}) p.nat().add(nat.send(0, n), n);
  }

  // Carries probes both ways and requests through the relay.
  void carry() {
    for (int pass = 0; pass < 3; pass++) {
      for (auto& probe : client->puncher().take_probes()) {
        auto from = client_nat.send(probe.socket, probe.to);
        if (probe.to.host == server_nat.host) {
          if (auto s = server_nat.receive(from, probe.to)) server->puncher().on_probe(*s, from, Ms(now));
        }
      }
      for (auto& probe : server->puncher().take_probes()) {
        auto from = server_nat.send(probe.socket, probe.to);
        if (probe.to.host == client_nat.host) {
          if (auto s = client_nat.receive(from, probe.to)) client->puncher().on_probe(*s, from, Ms(now));
        }
      }
      while (auto request = client->take_request()) {
        EXPECT_EQ(request->id, 3u);
        auto client_seen = client_nat.send(0, request->relay);
        auto status = server->on_holepunch(request->payload, client_seen, request->relay == kRelay, Ms(now));
        std::optional<HolepunchAnswer> answer;
        if (status == ServerPunch::Status::answer) answer = server->take_answer();
        EXPECT_NE(status, ServerPunch::Status::wait);  // the server sampled its NAT first
        if (answer) {
          client->on_reply(answer->payload, server_nat.send(0, request->relay), client_seen, request->relay, Ms(now));
        }
      }
    }
  }

  // Runs until the client finished or `limit` ms passed.
  void run(int64_t limit) {
    for (; now <= limit && !client->finished(); now += 10) {
      client->advance(Ms(now));
      if (client->puncher().nat().sampled() == 0) sample(client->puncher(), client_nat);
      server->puncher().advance(Ms(now));
      carry();
      client->advance(Ms(now));
    }
  }
};

}  // namespace

TEST(HolepunchRounds, ConsistentNatsPunchThroughAndVerifyEachOther) {
  Lab lab(false, false);
  lab.run(15000);
  ASSERT_TRUE(lab.client->finished());
  ASSERT_FALSE(lab.client->failure()) << lab.client->failure()->to_string();
  ASSERT_TRUE(lab.client->connection());
  EXPECT_EQ(lab.client->connection()->remote, lab.server_nat.map(0, {}));
  EXPECT_LT(lab.now, 3000);
  EXPECT_TRUE(lab.server->puncher().punching());
  EXPECT_EQ(lab.server->puncher().remote_firewall(), Firewall::consistent);
  ASSERT_EQ(lab.client->puncher().remote_addresses().size(), 1u);
  EXPECT_TRUE(lab.client->puncher().remote_addresses()[0].verified);
  ASSERT_EQ(lab.server->puncher().remote_addresses().size(), 1u);
  EXPECT_TRUE(lab.server->puncher().remote_addresses()[0].verified);
}

TEST(HolepunchRounds, RandomClientReachesAConsistentServerThroughBirthdaySockets) {
  Lab lab(true, false);
  lab.run(40000);
  ASSERT_TRUE(lab.client->finished());
  ASSERT_FALSE(lab.client->failure()) << lab.client->failure()->to_string();
  EXPECT_EQ(lab.client->puncher().nat().firewall(), Firewall::random);
  EXPECT_LT(lab.client->connection()->socket, 256u);  // socket 0 or a birthday socket
  EXPECT_EQ(lab.client_gate.active, 0u);
  EXPECT_TRUE(lab.client_gate.last);
}

TEST(HolepunchRounds, ConsistentClientReachesARandomServerBySprayingPorts) {
  Lab lab(false, true);
  lab.run(40000);
  ASSERT_TRUE(lab.client->finished());
  ASSERT_FALSE(lab.client->failure()) << lab.client->failure()->to_string();
  EXPECT_EQ(lab.server->puncher().nat().firewall(), Firewall::random);
  EXPECT_EQ(lab.server->puncher().sockets(), 256u);
  EXPECT_EQ(lab.client->connection()->socket, 0u);
}

TEST(HolepunchRounds, TwoRandomNatsCannotHolepunch) {
  Lab lab(true, true);
  lab.run(10000);
  ASSERT_TRUE(lab.client->failure());
  EXPECT_ERRC(*lab.client->failure(), ConnectErrc::cannot_holepunch);
  EXPECT_TRUE(lab.server->aborted());  // told through the relay
  EXPECT_TRUE(lab.client->puncher().destroyed());
}

TEST(HolepunchRounds, ABusyRandomPunchGateMakesTheServerSayTryLater) {
  Lab lab(true, false);
  lab.server_gate.last = Ms(0);  // a random punch just ended here
  lab.run(10000);
  ASSERT_TRUE(lab.client->failure());
  EXPECT_ERRC(*lab.client->failure(), ConnectErrc::try_later);
}

TEST(HolepunchRounds, GarbageAndForeignPayloadsAreDropped) {
  RandomPunchGate gate;
  ServerPunch server(kSecret, Firewall::unknown, gate, true);
  hypercore::Bytes junk(60, 0x42);
  EXPECT_EQ(server.on_holepunch(junk, addr(1, 2, 3, 4, 5), true, Ms(0)), ServerPunch::Status::drop);
  SecurePayload other(std::array<uint8_t, 32>{9});
  EXPECT_EQ(server.on_holepunch(other.encrypt(HolepunchPayload{}), addr(1, 2, 3, 4, 5), true, Ms(0)),
            ServerPunch::Status::drop);
  // An authentic payload while our NAT is still being sampled waits for the analysis.
  SecurePayload ours(kSecret);
  EXPECT_EQ(server.on_holepunch(ours.encrypt(HolepunchPayload{}), addr(1, 2, 3, 4, 5), true, Ms(0)),
            ServerPunch::Status::wait);
  server.puncher().nat().sampling_done();
  auto answer = server.resume(Ms(1));
  ASSERT_TRUE(answer);  // unknown NAT and a client not punching: an abort
  EXPECT_FALSE(answer->from_puncher);
  EXPECT_TRUE(server.aborted());
}

// The offer that starts it all: a firewalled ServerHandshakes names its relays and the
// connection's stream id as the holepunch id; an open one offers nothing.
TEST(HolepunchOffer, AFirewalledServerOffersItsRelaysUnderTheStreamId) {
  auto server_keys = hypercore::KeyPair::from_seed(hypercore::Seed{2});
  auto client_keys = hypercore::KeyPair::from_seed(hypercore::Seed{1});
  for (Firewall firewall : {Firewall::unknown, Firewall::open}) {
    ServerHandshakeOptions options;
    options.firewall = firewall;
    options.holepunch_relays = {RelayInfo{kRelay, addr(10, 77, 1, 1, 40000)}};
    ServerHandshakes server(server_keys, options);
    ClientHandshake client(client_keys, server_keys.public_key, 7);
    auto answer = server.on_handshake(client.noise(), addr(10, 77, 1, 2, 5000), false, 4242, Ms(0));
    ASSERT_TRUE(answer && answer->accepted);
    HandshakeMessage reply{RelayMode::reply, answer->noise, addr(10, 77, 1, 1, 40000), std::nullopt};
    auto connected = client.on_reply(reply, kRelay);
    ASSERT_TRUE(connected);
    if (firewall == Firewall::open) {
      EXPECT_FALSE(connected->remote_payload.holepunch);
      EXPECT_EQ(connected->path, ConnectPath::open_server);
      continue;
    }
    ASSERT_TRUE(connected->remote_payload.holepunch);
    EXPECT_EQ(connected->remote_payload.holepunch->id, 4242u);
    EXPECT_EQ(connected->remote_payload.holepunch->relays, options.holepunch_relays);
    EXPECT_EQ(connected->path, ConnectPath::relayed_address);
    EXPECT_TRUE(connected->holepunch_offered);
    // Both ends hold the same holepunch secret, so the rounds can start.
    EXPECT_EQ(connected->keys.holepunch_secret, answer->accepted->keys.holepunch_secret);
  }
}
