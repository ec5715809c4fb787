// A group replicated over a real (in-memory) PeerSession pair: the writer-list channel,
// deferred opens of cores not known yet, new writers picked up live, hostile lists.
#include "net/multi/group_peer.hpp"

#include <gtest/gtest.h>

#include "tests/multi/group_fixture.hpp"
#include "tests/net/replication_test_util.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using namespace multi_test;
using net::multi::GroupPeer;
using repl_test::Duplex;

// Two devices connected by an in-memory duplex, each side a PeerSession with a GroupPeer.
struct Link {
  net::TimePoint now{};
  net::PeerSession sa{net::NoiseRole::initiator}, sb{net::NoiseRole::responder};
  GroupPeer pa, pb;
  Duplex duplex;
  multi::Group& ga;
  multi::Group& gb;

  Link(multi::Group& a, multi::Group& b)
      : pa(a, sa, {}, now), pb(b, sb, {}, now), duplex(repl_test::endpoint(sa, now), repl_test::endpoint(sb, now)), ga(a), gb(b) {}

  void step_side(net::PeerSession& s, GroupPeer& p, multi::Group& g) {
    for (const auto& e : s.take_events()) p.on_session_event(e, now);
    if (p.take_arrivals()) {
      ASSERT_TRUE(g.catch_up());
    }
    p.refresh(now);
  }

  // Moves bytes and indexes until both sides hold the same logs (bounded).
  bool settle(int max_rounds = 200) {
    for (int round = 0; round < max_rounds; ++round) {
      if (!duplex.run()) return false;
      step_side(sa, pa, ga);
      step_side(sb, pb, gb);
      if (sa.failed() || sb.failed()) return false;
      if (pa.in_sync() && pb.in_sync() && round > 2) return true;
    }
    return false;
  }
};

TEST(GroupPeer, TwoDevicesConvergeOverASession) {
  auto a = create_device();
  auto b = join_device(a->key());
  ASSERT_TRUE(a->add_writer(b->local_writer()));
  ASSERT_TRUE(a->put(bytes("from-a"), bytes("1")));
  Link link(*a, *b);
  ASSERT_TRUE(link.settle());
  // B learned it is a member from A's log, so it can write; the write travels live.
  ASSERT_TRUE(b->put(bytes("from-b"), bytes("2")));
  link.pb.refresh(link.now);
  ASSERT_TRUE(link.settle());
  EXPECT_EQ(values_of(*a, "from-b"), std::vector<std::string>{"2"});
  EXPECT_EQ(values_of(*b, "from-a"), std::vector<std::string>{"1"});
  EXPECT_EQ(read_view(*a).value(), read_view(*b).value());
}

TEST(GroupPeer, AWriterInvitedWhileConnectedIsPickedUpLive) {
  auto d = std::vector<Device>();
  d.push_back(create_device());
  d.push_back(join_device(d[0]->key()));
  d.push_back(join_device(d[0]->key()));
  ASSERT_TRUE(d[0]->add_writer(d[1]->local_writer()));
  // C is invited by B (depth 2), and only C and B talk to A... over B: first B and C.
  Link ab(*d[0], *d[1]);
  ASSERT_TRUE(ab.settle());
  ASSERT_TRUE(d[1]->add_writer(d[2]->local_writer()));
  ab.pb.refresh(ab.now);
  ASSERT_TRUE(ab.settle());
  EXPECT_TRUE(d[0]->membership().is_member(d[2]->local_writer()));
  // C connects to A: A lists C's core (a member), and C's writes reach A.
  Link ac(*d[0], *d[2]);
  ASSERT_TRUE(ac.settle());
  ASSERT_TRUE(d[2]->put(bytes("c"), bytes("3")));
  ac.pb.refresh(ac.now);
  ASSERT_TRUE(ac.settle());
  EXPECT_EQ(values_of(*d[0], "c"), std::vector<std::string>{"3"});
}

TEST(GroupPeer, OpenModeAddsTheWritersAPeerLists) {
  multi::GroupOptions o;
  o.membership = multi::Membership::open;
  auto a = create_device(o);
  auto b = join_device(a->key());
  Link link(*a, *b);
  ASSERT_TRUE(link.settle());  // B gets the rules, A gets B's core from B's list
  ASSERT_TRUE(b->put(bytes("k"), bytes("v")));
  link.pb.refresh(link.now);
  ASSERT_TRUE(link.settle());
  EXPECT_EQ(values_of(*a, "k"), std::vector<std::string>{"v"});
}

TEST(GroupPeer, APeerOfAnotherGroupReplicatesNothing) {
  auto a = create_device();
  auto other = create_device();
  ASSERT_TRUE(a->put(bytes("k"), bytes("v")));
  Link link(*a, *other);
  link.settle(20);  // never in sync: the group channel is refused
  EXPECT_FALSE(link.pa.in_sync());
  EXPECT_TRUE(values_of(*other, "k").empty());
  EXPECT_EQ(other->cores().size(), 1u);
}

TEST(GroupPeer, AnUndecodableListIsAFailureNotACrash) {
  for (const auto& bad : {hypercore::Bytes{}, hypercore::Bytes{1, 0xfe, 0xff, 0xff, 0xff, 0x7f}, hypercore::Bytes{9, 0}}) {
    auto list = net::multi::decode_writer_list(bad);
    EXPECT_FALSE(list);
  }
  std::vector<net::multi::ListedWriter> many(5000);
  EXPECT_ERRC_MSG(net::multi::decode_writer_list(net::multi::encode_writer_list(many)), hypercore::errc::corrupt, "5000 writers");
  std::vector<net::multi::ListedWriter> two = {{multi::Hash{1}, 4}, {multi::Hash{2}, 0}};
  EXPECT_EQ(net::multi::decode_writer_list(net::multi::encode_writer_list(two)).value(), two);
}

}  // namespace
