// Membership as a function of the ops held: the closure from the root over add_writer
// ops of members, removals by shallower members only, floods bounded.
#include "multi/membership.hpp"

#include <gtest/gtest.h>

namespace {

using multi::Hash;
using multi::MemberOp;
using multi::Membership;
using multi::OpType;

Hash key(uint8_t n) {
  Hash h{};
  h[0] = n;
  return h;
}
MemberOp add(uint64_t seq, uint8_t target) { return MemberOp{seq, OpType::add_writer, key(target), 0}; }
MemberOp remove(uint64_t seq, uint8_t target, uint64_t from) { return MemberOp{seq, OpType::remove_writer, key(target), from}; }

const Hash kRoot = key(0);
constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();

TEST(Membership, OnlyTheRootWithoutAdds) {
  auto t = multi::compute_membership(kRoot, Membership::invited, {{key(5), {add(1, 6)}}}, {}, 100);
  ASSERT_EQ(t.members.size(), 1u);  // 5 added 6, but nobody added 5
  EXPECT_TRUE(t.is_member(kRoot));
  EXPECT_EQ(t.cutoff(key(5)), 0u);
  EXPECT_EQ(t.cutoff(kRoot), kNone);
}

TEST(Membership, AddsChainByDepth) {
  auto t = multi::compute_membership(kRoot, Membership::invited, {{kRoot, {add(1, 1)}}, {key(1), {add(3, 2)}}, {key(2), {add(2, 3)}}},
                                     {}, 100);
  ASSERT_EQ(t.members.size(), 4u);
  EXPECT_EQ(t.members.at(key(1)).depth, 1u);
  EXPECT_EQ(t.members.at(key(2)).depth, 2u);
  EXPECT_EQ(t.members.at(key(3)).depth, 3u);
}

TEST(Membership, RemovalCutsFromItsSeqAndIsFinal) {
  // root adds 1 and 2; 1 adds 3; root removes 1 from seq 5; 2 adds 1 again (no effect).
  auto t = multi::compute_membership(
      kRoot, Membership::invited,
      {{kRoot, {add(1, 1), add(2, 2), remove(3, 1, 5)}}, {key(1), {add(2, 3), add(7, 4)}}, {key(2), {add(4, 1)}}}, {}, 100);
  EXPECT_EQ(t.cutoff(key(1)), 5u);
  EXPECT_TRUE(t.is_member(key(3)));   // added at seq 2 < 5
  EXPECT_FALSE(t.is_member(key(4)));  // added at seq 7, after the cut
}

TEST(Membership, OnlyShallowerMembersRemove) {
  // 1 and 2 are both depth 1: they cannot remove each other. 1 can remove 3 (depth 2).
  auto t = multi::compute_membership(kRoot, Membership::invited,
                                     {{kRoot, {add(1, 1), add(2, 2)}}, {key(1), {remove(1, 2, 0), add(2, 3), remove(3, 3, 4)}},
                                      {key(2), {remove(1, 1, 0)}}, {key(3), {remove(1, 1, 0), remove(2, 0, 0)}}},
                                     {}, 100);
  EXPECT_EQ(t.cutoff(key(1)), kNone);
  EXPECT_EQ(t.cutoff(key(2)), kNone);
  EXPECT_EQ(t.cutoff(key(3)), 4u);
  EXPECT_EQ(t.cutoff(kRoot), kNone);  // nobody removes the root
}

TEST(Membership, RemovalsTakeTheSmallestFrom) {
  auto t = multi::compute_membership(kRoot, Membership::invited,
                                     {{kRoot, {add(1, 1), add(2, 2), add(3, 3), remove(9, 3, 8)}}, {key(1), {remove(1, 3, 6)}}}, {}, 100);
  EXPECT_EQ(t.cutoff(key(3)), 8u);  // the root's counts; 1 is as deep as 3, so its 6 does not
  auto u = multi::compute_membership(kRoot, Membership::invited,
                                     {{kRoot, {add(1, 1), remove(2, 3, 8), remove(3, 3, 6)}}, {key(1), {add(1, 3)}}}, {}, 100);
  EXPECT_EQ(u.cutoff(key(3)), 6u);
}

TEST(Membership, ARemovedAddersLaterAddsDoNotCount) {
  // 1 added 2 at seq 4; root cut 1 from seq 3: 2 was never added.
  auto t = multi::compute_membership(kRoot, Membership::invited, {{kRoot, {add(1, 1), remove(2, 1, 3)}}, {key(1), {add(4, 2)}}}, {}, 100);
  EXPECT_FALSE(t.is_member(key(2)));
}

TEST(Membership, OpenModeAdmitsTheAnnounced) {
  auto t = multi::compute_membership(kRoot, Membership::open, {{kRoot, {remove(1, 7, 2)}}}, {key(7), key(8)}, 100);
  EXPECT_TRUE(t.is_member(key(8)));
  EXPECT_EQ(t.cutoff(key(7)), 2u);  // the root can still cut a writer
  auto invited = multi::compute_membership(kRoot, Membership::invited, {}, {key(7), key(8)}, 100);
  EXPECT_EQ(invited.members.size(), 1u);
}

TEST(Membership, AFloodOfAddsIsBounded) {
  std::vector<MemberOp> flood;
  flood.push_back(add(1, 1));
  std::vector<MemberOp> from_one;
  for (uint64_t i = 0; i < 5000; ++i) {
    Hash h{};
    h[0] = 0xee;
    h[1] = static_cast<uint8_t>(i >> 8);
    h[2] = static_cast<uint8_t>(i);
    from_one.push_back(MemberOp{i + 1, OpType::add_writer, h, 0});
  }
  auto t = multi::compute_membership(kRoot, Membership::invited, {{kRoot, flood}, {key(1), from_one}}, {}, 64);
  EXPECT_EQ(t.members.size(), 64u);
  EXPECT_EQ(t.refused, 5000u - 62u);
  EXPECT_TRUE(t.is_member(key(1)));  // shallower writers are admitted first
}

}  // namespace
