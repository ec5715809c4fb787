// MdnsNode on a simulated link (tests/net/mdns/sim_link.hpp): discovery between nodes,
// RFC 6762 timing (probe, announce, query backoff, refresh, expiry), goodbyes, conflicts,
// known-answer and duplicate-question suppression, legacy unicast, packet splitting.
#include <gtest/gtest.h>

#include <algorithm>

#include "hypercore/crypto.hpp"
#include "net/mdns/mdns_node.hpp"
#include "tests/net/mdns/sim_link.hpp"
#include "tests/support/expect_errc.hpp"

using namespace net::mdns;
using net::mdns::test::SimLink;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

namespace {

PublicKey key(uint8_t n) {
  PublicKey pk{};
  for (size_t i = 0; i < pk.size(); i++) pk[i] = static_cast<uint8_t>(n * 17 + i);
  return pk;
}

hypercore::Hash topic(std::string_view name) { return hypercore::blake2b({hypercore::as_bytes(name)}); }

template <class E>
std::vector<std::pair<Time, E>> events_of(SimLink& link, size_t i) {
  std::vector<std::pair<Time, E>> out;
  for (auto& [t, e] : link.events(i))
    if (auto* x = std::get_if<E>(&e)) out.emplace_back(t, *x);
  return out;
}

std::vector<const net::mdns::test::SentPacket*> sent_by(const SimLink& link, size_t i) {
  std::vector<const net::mdns::test::SentPacket*> out;
  for (const auto& p : link.sent())
    if (p.from == i) out.push_back(&p);
  return out;
}

// A node with key(n) on port 40000 + n that announces / browses `t`, woken: its index.
size_t add_announcer(SimLink& link, const hypercore::Hash& t, uint8_t n, uint64_t seed) {
  size_t i = link.add(key(n), static_cast<uint16_t>(40000 + n), seed);
  EXPECT_TRUE(link.node(i).announce(t, link.now()));
  link.kick(i);
  return i;
}

size_t add_browser(SimLink& link, const hypercore::Hash& t, uint8_t n, uint64_t seed) {
  size_t i = link.add(key(n), static_cast<uint16_t>(40000 + n), seed);
  link.node(i).browse(t, link.now());
  link.kick(i);
  return i;
}

bool is_probe(const Message& m) { return !m.is_response() && !m.authorities.empty(); }

bool contains(const Bytes& haystack, hypercore::ByteSpan needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

}  // namespace

TEST(MdnsNode, TwoNodesFindEachOther) {
  SimLink link;
  auto t = topic("two nodes");
  size_t a = link.add(key(1), 40001, 11);
  size_t b = link.add(key(2), 40002, 22);
  for (size_t i : {a, b}) {
    ASSERT_TRUE(link.node(i).announce(t, link.now()));
    link.node(i).browse(t, link.now());
    link.kick(i);
  }
  link.run_for(5s);
  auto found_a = events_of<PeerFound>(link, a);
  auto found_b = events_of<PeerFound>(link, b);
  ASSERT_EQ(found_a.size(), 1u);
  ASSERT_EQ(found_b.size(), 1u);
  EXPECT_EQ(found_a[0].second.peer.public_key, key(2));
  EXPECT_EQ(found_a[0].second.peer.port, 40002);
  EXPECT_EQ(found_a[0].second.peer.ipv4, (std::vector<Ipv4>{link.endpoint(b).address}));
  EXPECT_EQ(found_a[0].second.topic, Bytes(t.begin(), t.end()));
  EXPECT_EQ(found_b[0].second.peer.public_key, key(1));
  EXPECT_EQ(found_b[0].second.peer.instance, instance_label(key(1)));
  // Probing (≤ 250 ms + 3 × 250 ms) then the first announcement: well under 1.5 s.
  EXPECT_LE(found_a[0].first, 1500ms);
  EXPECT_EQ(events_of<Announced>(link, a).size(), 1u);
  EXPECT_TRUE(events_of<PeerGone>(link, a).empty());
  EXPECT_EQ(link.node(a).peers(t, link.now()).size(), 1u);
}

TEST(MdnsNode, TopicNeverOnTheWireAndOtherTopicsStaySeparate) {
  SimLink link;
  auto t = topic("secret topic");
  auto other = topic("other topic");
  size_t a = link.add(key(1), 40001, 1);
  size_t c = link.add(key(3), 40003, 3);
  ASSERT_TRUE(link.node(a).announce(t, link.now()));
  link.node(c).browse(other, link.now());
  link.kick(a), link.kick(c);
  link.run_for(10s);
  EXPECT_TRUE(link.events(c).empty());
  std::string hex = hypercore::to_hex(t);
  for (const auto& p : link.sent()) {
    EXPECT_FALSE(contains(p.bytes, t));
    EXPECT_FALSE(contains(p.bytes, hypercore::as_bytes(hex)));
    EXPECT_FALSE(contains(p.bytes, hypercore::as_bytes("secret")));
  }
}

TEST(MdnsNode, ProbesThenAnnouncesOnRfc6762Schedule) {
  SimLink link;
  size_t a = link.add(key(1), 40001, 5);
  ASSERT_TRUE(link.node(a).announce(topic("t"), link.now()));
  link.kick(a);
  link.run_for(5s);
  auto packets = sent_by(link, a);
  ASSERT_GE(packets.size(), 5u);
  for (int i = 0; i < 3; i++) {
    const Message& m = packets[i]->message;
    ASSERT_TRUE(is_probe(m)) << i;
    ASSERT_EQ(m.questions.size(), 2u);
    EXPECT_EQ(m.questions[0].type, rr_type::kAny);
    EXPECT_TRUE(m.questions[0].unicast_response);
    EXPECT_EQ(m.questions[0].name, instance_name(instance_label(key(1))));
    EXPECT_EQ(m.questions[1].name, host_name(key(1)));
    EXPECT_EQ(m.authorities.size(), 3u);  // SRV, TXT, A
  }
  EXPECT_LE(packets[0]->at, 250ms);
  EXPECT_EQ(packets[1]->at - packets[0]->at, 250ms);
  EXPECT_EQ(packets[2]->at - packets[1]->at, 250ms);
  // Announcements: 250 ms after the last probe, then 1 s later; all records, right TTLs.
  const Message& ann = packets[3]->message;
  ASSERT_TRUE(ann.is_response());
  EXPECT_EQ(packets[3]->at - packets[2]->at, 250ms);
  EXPECT_EQ(packets[4]->at - packets[3]->at, 1000ms);
  EXPECT_TRUE(packets[4]->message.is_response());
  EXPECT_EQ(packets.size(), 5u);  // then silence
  std::map<uint16_t, std::pair<uint32_t, bool>> ttl;
  for (const auto& r : ann.answers) ttl[r.type] = {r.ttl, r.cache_flush};
  EXPECT_EQ(ttl[rr_type::kPtr], std::pair(kTtlPtr, false));
  EXPECT_EQ(ttl[rr_type::kSrv], std::pair(kTtlSrv, true));
  EXPECT_EQ(ttl[rr_type::kTxt], std::pair(kTtlTxt, true));
  EXPECT_EQ(ttl[rr_type::kA], std::pair(kTtlHost, true));
  EXPECT_EQ(ann.answers.size(), 6u);  // meta PTR, type PTR, subtype PTR, SRV, TXT, A
}

TEST(MdnsNode, BrowseQueriesBackOffExponentially) {
  SimLink link;
  size_t b = link.add(key(2), 40002, 9);
  link.node(b).browse(topic("t"), link.now());
  link.kick(b);
  link.run_for(40s);
  auto packets = sent_by(link, b);
  ASSERT_EQ(packets.size(), 6u);  // ~0.1, 1.1, 3.1, 7.1, 15.1, 31.1 s
  EXPECT_GE(packets[0]->at, 20ms);
  EXPECT_LE(packets[0]->at, 120ms);
  milliseconds expected = 1000ms;
  for (size_t i = 1; i < packets.size(); i++, expected *= 2) EXPECT_EQ(packets[i]->at - packets[i - 1]->at, expected);
  const Message& q = packets[0]->message;
  ASSERT_EQ(q.questions.size(), 1u);
  EXPECT_EQ(q.questions[0].name, subtype_name(lan_id(topic("t"))));
  EXPECT_EQ(q.questions[0].type, rr_type::kPtr);
  EXPECT_FALSE(q.questions[0].unicast_response);
}

TEST(MdnsNode, GoodbyeRemovesThePeerWithinASecond) {
  SimLink link;
  auto t = topic("bye");
  size_t a = add_announcer(link, t, 1, 1);
  size_t b = add_browser(link, t, 2, 2);
  link.run_for(3s);
  ASSERT_EQ(events_of<PeerFound>(link, b).size(), 1u);
  Time left = link.now();
  link.node(a).leave(left);
  link.kick(a);
  link.run_for(3s);
  auto goodbye = sent_by(link, a).back();
  ASSERT_TRUE(goodbye->message.is_response());
  for (const auto& r : goodbye->message.answers) EXPECT_EQ(r.ttl, 0u);
  auto gone = events_of<PeerGone>(link, b);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].second.peer.public_key, key(1));
  EXPECT_GE(gone[0].first - left, 1000ms);
  EXPECT_LE(gone[0].first - left, 1100ms);
}

TEST(MdnsNode, SilentPeerExpiresAfterRefreshQueriesGoUnanswered) {
  SimLink link;
  auto t = topic("expiry");
  size_t a = add_announcer(link, t, 1, 1);
  size_t b = add_browser(link, t, 2, 2);
  link.run_for(3s);
  ASSERT_EQ(events_of<PeerFound>(link, b).size(), 1u);
  Time last_heard = sent_by(link, a).back()->at;
  link.take_down(a);
  link.run_for(200s);
  auto gone = events_of<PeerGone>(link, b);
  ASSERT_EQ(gone.size(), 1u);
  // SRV and A have a 120 s TTL from the last announcement.
  EXPECT_GE(gone[0].first - last_heard, 119s);
  EXPECT_LE(gone[0].first - last_heard, 121s);
  // Refresh queries for the SRV went out at 80-97 % of its TTL.
  int srv_refreshes = 0;
  for (const auto* p : sent_by(link, b))
    for (const auto& q : p->message.questions)
      if (q.type == rr_type::kSrv && p->at - last_heard >= 96s && p->at - last_heard <= 117s) srv_refreshes++;
  EXPECT_EQ(srv_refreshes, 4);
}

TEST(MdnsNode, KnownAnswersSuppressTheResponse) {
  SimLink link;
  auto t = topic("ka");
  size_t a = add_announcer(link, t, 1, 1);
  link.run_for(5s);
  size_t before = sent_by(link, a).size();
  Message q;
  q.questions.push_back({subtype_name(lan_id(t)), rr_type::kPtr, kClassIn, false});
  q.answers.push_back(make_ptr(subtype_name(lan_id(t)), instance_name(instance_label(key(1))), kTtlPtr / 2 + 1));
  link.inject(*encode_message(q), Endpoint{{10, 0, 0, 99}, kMdnsPort});
  link.run_for(1s);
  EXPECT_EQ(sent_by(link, a).size(), before);
  // The same question without the known answer is answered after 20-120 ms (shared PTR),
  // with SRV/TXT/A as additionals.
  q.answers.clear();
  Time asked = link.now();
  link.inject(*encode_message(q), Endpoint{{10, 0, 0, 99}, kMdnsPort});
  link.run_for(1s);
  auto packets = sent_by(link, a);
  ASSERT_EQ(packets.size(), before + 1);
  EXPECT_GE(packets.back()->at - asked, 21ms);
  EXPECT_LE(packets.back()->at - asked, 121ms);
  EXPECT_EQ(packets.back()->message.answers.size(), 1u);
  EXPECT_EQ(packets.back()->message.additionals.size(), 3u);
}

TEST(MdnsNode, QueryJustAfterAnAnnouncementIsAnsweredWhenTheSecondHasPassed) {
  // A browser that starts 500 ms after the responder's second announcement missed it; its
  // first query must be answered once the once-a-second rule allows (§6), not dropped
  // (which left it to its next query, a second later).
  SimLink link;
  auto t = topic("late");
  size_t a = add_announcer(link, t, 1, 5);
  link.run_for(5s);
  auto packets = sent_by(link, a);
  ASSERT_EQ(packets.size(), 5u);  // 3 probes, 2 announcements
  Time last_announcement = packets[4]->at;

  SimLink late;
  a = add_announcer(late, t, 1, 5);
  late.run_until(last_announcement + 500ms);
  ASSERT_EQ(sent_by(late, a).size(), 5u);
  Message q;
  q.questions.push_back({subtype_name(lan_id(t)), rr_type::kPtr, kClassIn, false});
  late.inject(*encode_message(q), Endpoint{{10, 0, 0, 99}, kMdnsPort});
  late.run_for(2s);
  packets = sent_by(late, a);
  ASSERT_EQ(packets.size(), 6u);
  EXPECT_TRUE(packets[5]->message.is_response());
  EXPECT_EQ(packets[5]->message.answers.size(), 1u);
  EXPECT_GE(packets[5]->at - last_announcement, 1000ms);
  EXPECT_LE(packets[5]->at - last_announcement, 1000ms + 121ms);
}

TEST(MdnsNode, DuplicateQuestionsAreSuppressed) {
  SimLink link;
  auto t = topic("dup");
  size_t b = link.add(key(2), 40002, 2);
  size_t c = link.add(key(3), 40003, 3);
  link.node(b).browse(t, link.now());
  link.node(c).browse(t, link.now());
  link.kick(b), link.kick(c);
  link.run_for(40s);
  // One browser alone sends 6 queries in 40 s; two that hear each other send about as many
  // between them, not 12.
  EXPECT_LE(sent_by(link, b).size() + sent_by(link, c).size(), 8u);
}

TEST(MdnsNode, LegacyUnicastQueryGetsAUnicastReply) {
  SimLink link;
  auto t = topic("legacy");
  size_t a = add_announcer(link, t, 1, 1);
  link.run_for(5s);
  Message q;
  q.id = 0x1234;
  q.questions.push_back({subtype_name(lan_id(t)), rr_type::kPtr, kClassIn, false});
  Endpoint querier{{10, 0, 0, 50}, 40999};
  link.inject(*encode_message(q), querier);
  link.run_for(100ms);
  auto reply = sent_by(link, a).back();
  ASSERT_TRUE(reply->to.has_value());
  EXPECT_EQ(*reply->to, querier);
  EXPECT_EQ(reply->message.id, 0x1234);
  ASSERT_EQ(reply->message.questions.size(), 1u);
  ASSERT_FALSE(reply->message.answers.empty());
  for (const auto* s : {&reply->message.answers, &reply->message.additionals})
    for (const auto& r : *s) {
      EXPECT_LE(r.ttl, 10u);
      EXPECT_FALSE(r.cache_flush);
    }
}

TEST(MdnsNode, NameConflictRenamesOneOfTwoNodesWithTheSameKey) {
  SimLink link;
  auto t = topic("conflict");
  size_t a = link.add(key(1), 40001, 1);
  size_t a2 = link.add(key(1), 40011, 2);  // same key, so the same names, other data
  size_t b = link.add(key(2), 40002, 3);
  ASSERT_TRUE(link.node(a).announce(t, link.now()));
  ASSERT_TRUE(link.node(a2).announce(t, link.now()));
  link.node(b).browse(t, link.now());
  link.kick(a), link.kick(a2), link.kick(b);
  link.run_for(10s);
  size_t renames = events_of<Renamed>(link, a).size() + events_of<Renamed>(link, a2).size();
  EXPECT_EQ(renames, 1u);
  EXPECT_NE(link.node(a).instance(), link.node(a2).instance());
  EXPECT_TRUE(link.node(a).announced());
  EXPECT_TRUE(link.node(a2).announced());
  auto peers = link.node(b).peers(t, link.now());
  ASSERT_EQ(peers.size(), 2u);
  std::set<uint16_t> ports{peers[0].port, peers[1].port};
  EXPECT_EQ(ports, (std::set<uint16_t>{40001, 40011}));
}

TEST(MdnsNode, ManyTopicsAreSplitIntoPacketsThatFit) {
  SimLink link;
  size_t a = link.add(key(1), 40001, 1);
  size_t b = link.add(key(2), 40002, 2);
  for (int i = 0; i < 60; i++) ASSERT_TRUE(link.node(a).announce(topic("topic " + std::to_string(i)), link.now()));
  link.node(b).browse(topic("topic 59"), link.now());
  link.kick(a), link.kick(b);
  link.run_for(5s);
  size_t biggest = 0;
  for (const auto& p : link.sent()) biggest = std::max(biggest, p.bytes.size());
  EXPECT_LE(biggest, 1472u);
  EXPECT_GT(sent_by(link, a).size(), 5u);  // the announcements needed several packets
  ASSERT_EQ(events_of<PeerFound>(link, b).size(), 1u);
  // A topic added later is announced on its own at once.
  link.node(b).browse(topic("late"), link.now());
  ASSERT_TRUE(link.node(a).announce(topic("late"), link.now()));
  link.kick(a), link.kick(b);
  link.run_for(500ms);
  EXPECT_EQ(events_of<PeerFound>(link, b).size(), 2u);
}

TEST(MdnsNode, CacheFlushReplacesAnOldSrv) {
  SimLink link;
  auto t = topic("flush");
  size_t b = add_browser(link, t, 2, 2);
  // A foreign responder (say Avahi) publishes an instance, then moves it to another port.
  PublicKey pk = key(7);
  auto instance = instance_name("foreign");
  auto host = DnsName::parse("foreign-host.local");
  Endpoint from{{10, 0, 0, 70}, kMdnsPort};
  auto announce = [&](uint16_t port) {
    Message m;
    m.flags = kFlagResponse | kFlagAuthoritative;
    m.answers.push_back(make_ptr(subtype_name(lan_id(t)), instance, kTtlPtr));
    m.answers.push_back(make_srv(instance, port, host, kTtlSrv));
    m.answers.push_back(make_txt(instance, txt_strings(pk), kTtlTxt));
    m.answers.push_back(make_a(host, from.address, kTtlHost));
    link.inject(*encode_message(m), from);
  };
  announce(5000);
  link.run_for(2s);
  ASSERT_EQ(link.node(b).peers(t, link.now()).size(), 1u);
  EXPECT_EQ(link.node(b).peers(t, link.now())[0].port, 5000);
  EXPECT_EQ(link.node(b).peers(t, link.now())[0].instance, "foreign");
  announce(6000);
  link.run_for(2s);
  auto peers = link.node(b).peers(t, link.now());
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].port, 6000);
  auto found = events_of<PeerFound>(link, b);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[1].second.peer.port, 6000);
  EXPECT_TRUE(events_of<PeerGone>(link, b).empty());
}

TEST(MdnsNode, GarbageAndSpoofedResponsesAreIgnored) {
  SimLink link;
  auto t = topic("garbage");
  size_t b = add_browser(link, t, 2, 2);
  link.inject(Bytes{1, 2, 3}, Endpoint{{10, 0, 0, 9}, kMdnsPort});
  Message m;
  m.flags = kFlagResponse | kFlagAuthoritative;
  m.answers.push_back(make_ptr(subtype_name(lan_id(t)), instance_name("x"), kTtlPtr));
  m.answers.push_back(make_srv(instance_name("x"), 1, DnsName::parse("h.local"), kTtlSrv));
  m.answers.push_back(make_txt(instance_name("x"), txt_strings(key(9)), kTtlTxt));
  m.answers.push_back(make_a(DnsName::parse("h.local"), {10, 0, 0, 9}, kTtlHost));
  link.inject(*encode_message(m), Endpoint{{10, 0, 0, 9}, 1234});  // not from port 5353
  link.run_for(2s);
  EXPECT_TRUE(link.events(b).empty());
}

TEST(MdnsNode, AnnounceNeedsAPortAndAnAddress) {
  MdnsOptions options;
  options.public_key = key(1);
  MdnsNode node(options, [](OutgoingPacket) {});
  auto r = node.announce(topic("t"), Time{0});
  ASSERT_ERRC(r, hypercore::errc::invalid_argument);
}
