// A group end to end, in process: writes, joining and invitations, the two conflict
// rules, membership changes, sparse logs, rebuilds, hostile members.
#include "multi/group.hpp"

#include <gtest/gtest.h>

#include "hypercore/compact_encoding.hpp"
#include "tests/multi/group_fixture.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using hypercore::errc;
using multi::Conflict;
using multi::GroupOptions;
using namespace multi_test;

GroupOptions mv() {
  GroupOptions o;
  o.conflict = Conflict::multi_value;
  return o;
}

// Root A and members B (and C): joined, invited, synced.
std::vector<Device> members(size_t n, GroupOptions o = {}) {
  std::vector<Device> d;
  d.push_back(create_device(o));
  for (size_t i = 1; i < n; ++i) {
    d.push_back(join_device(d[0]->key()));
    EXPECT_TRUE(d[0]->add_writer(d[i]->local_writer()));
  }
  for (size_t i = 1; i < n; ++i) EXPECT_TRUE(sync_full(*d[0], *d[i]));
  return d;
}

TEST(Group, PutGetDelSurviveReopen) {
  auto a = create_device();
  ASSERT_TRUE(a->put(bytes("milk"), bytes("buy")));
  ASSERT_TRUE(a->put(bytes("eggs"), bytes("6")));
  ASSERT_TRUE(a->del(bytes("eggs")));
  EXPECT_EQ(values_of(*a, "milk"), std::vector<std::string>{"buy"});
  EXPECT_EQ(values_of(*a, "eggs"), std::vector<std::string>{});
  ASSERT_TRUE(a.reopen());
  EXPECT_EQ(values_of(*a, "milk"), std::vector<std::string>{"buy"});
  auto view = read_view(*a);
  ASSERT_TRUE(view);
  ASSERT_EQ(view->size(), 1u);
  EXPECT_EQ(str(view->at(0).key), "milk");
  EXPECT_EQ(a->key(), a->local_writer());  // the creator is the root
}

TEST(Group, CreateRefusesAStorageThatHoldsOne) {
  auto a = create_device();
  auto again = multi::Group::create(a.storage);
  EXPECT_ERRC(again, errc::locked);  // the first is still open
  a.group.reset();
  EXPECT_ERRC_MSG(multi::Group::create(a.storage), errc::already_exists, "already holds a group");
  EXPECT_ERRC_MSG(multi::Group::open(std::make_shared<hypercore::FaultStorage>()), errc::not_found, "no group");
}

TEST(Group, AJoinerWritesOnceInvitedAndSynced) {
  auto a = create_device();
  auto c = join_device(a->key());
  EXPECT_ERRC_MSG(c->put(bytes("k"), bytes("v")), errc::session_not_writable, "not here yet");  // no root block yet
  ASSERT_TRUE(sync_full(*a, *c));
  EXPECT_ERRC_MSG(c->put(bytes("k"), bytes("v")), errc::session_not_writable, "not a member");
  ASSERT_TRUE(a->add_writer(c->local_writer()));
  ASSERT_TRUE(sync_full(*a, *c));
  ASSERT_TRUE(c->put(bytes("k"), bytes("from c")));
  ASSERT_TRUE(sync_full(*a, *c));
  EXPECT_EQ(values_of(*a, "k"), std::vector<std::string>{"from c"});
  EXPECT_TRUE(c->status().writable);
  EXPECT_TRUE(a->status().caught_up);
}

TEST(Group, LwwAWriteMadeAfterSeeingOneOutranksItWhateverTheWallClocks) {
  auto d = members(2);
  *d[0].wall += 10'000;  // A's wall clock runs 10 s ahead of B's
  ASSERT_TRUE(d[0]->put(bytes("x"), bytes("a")));
  ASSERT_TRUE(sync_full(*d[0], *d[1]));
  ASSERT_TRUE(d[1]->put(bytes("x"), bytes("b")));  // B saw A's write: its stamp outranks it
  ASSERT_TRUE(sync_full(*d[0], *d[1]));
  EXPECT_EQ(values_of(*d[0], "x"), std::vector<std::string>{"b"});
  EXPECT_EQ(values_of(*d[1], "x"), std::vector<std::string>{"b"});
}

TEST(Group, LwwConcurrentWritesPickTheLargerStampEverywhere) {
  auto d = members(3);
  *d[1].wall += 5;
  ASSERT_TRUE(d[0]->put(bytes("x"), bytes("a")));
  ASSERT_TRUE(d[1]->put(bytes("x"), bytes("b")));  // later stamp
  ASSERT_TRUE(sync_full(*d[0], *d[2]));    // C sees A's first
  EXPECT_EQ(values_of(*d[2], "x"), std::vector<std::string>{"a"});
  ASSERT_TRUE(sync_full(*d[1], *d[2]));
  ASSERT_TRUE(sync_full(*d[0], *d[1]));
  for (auto& dev : d) EXPECT_EQ(values_of(*dev, "x"), std::vector<std::string>{"b"});
}

TEST(Group, LwwADeleteIsATombstoneALateOlderPutCannotRevive) {
  for (int order = 0; order < 2; ++order) {
    auto d = members(3);
    ASSERT_TRUE(d[0]->put(bytes("k"), bytes("old")));  // A, earlier stamp
    *d[1].wall += 1000;
    ASSERT_TRUE(d[1]->del(bytes("k")));  // B, later stamp, never saw A's put
    if (order == 0) {
      ASSERT_TRUE(sync_full(*d[1], *d[2]));
      ASSERT_TRUE(sync_full(*d[0], *d[2]));
    } else {
      ASSERT_TRUE(sync_full(*d[0], *d[2]));
      EXPECT_EQ(values_of(*d[2], "k"), std::vector<std::string>{"old"});
      ASSERT_TRUE(sync_full(*d[1], *d[2]));
    }
    EXPECT_TRUE(values_of(*d[2], "k").empty()) << "order " << order;
  }
}

TEST(Group, MultiValueKeepsConcurrentWritesAndAWriteLinkingThemMerges) {
  auto d = members(2, mv());
  ASSERT_TRUE(d[0]->put(bytes("k"), bytes("a")));
  ASSERT_TRUE(d[1]->put(bytes("k"), bytes("b")));
  ASSERT_TRUE(sync_full(*d[0], *d[1]));
  auto both = values_of(*d[0], "k");
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(values_of(*d[1], "k"), both);
  // A put that names one of the values replaces only it.
  auto values = d[1]->get(bytes("k"));
  ASSERT_TRUE(values);
  std::vector<multi::OpId> only_a;
  for (const auto& v : *values) {
    if (str(*v.value) == "a") only_a.push_back(v.id);
  }
  ASSERT_TRUE(d[1]->put(bytes("k"), bytes("a2"), only_a));
  auto after = values_of(*d[1], "k");
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, (std::vector<std::string>{"a2", "b"}));
  // A plain put links every value it sees: one value everywhere.
  ASSERT_TRUE(d[1]->put(bytes("k"), bytes("merged")));
  ASSERT_TRUE(sync_full(*d[0], *d[1]));
  EXPECT_EQ(values_of(*d[0], "k"), std::vector<std::string>{"merged"});
  // A delete removes what it saw; a concurrent put survives it.
  ASSERT_TRUE(d[0]->del(bytes("k")));
  ASSERT_TRUE(d[1]->put(bytes("k"), bytes("concurrent")));
  ASSERT_TRUE(sync_full(*d[0], *d[1]));
  EXPECT_EQ(values_of(*d[0], "k"), std::vector<std::string>{"concurrent"});
  EXPECT_EQ(values_of(*d[1], "k"), std::vector<std::string>{"concurrent"});
}

TEST(Group, ANonMembersCoreIsNeverOpened) {
  auto a = create_device();
  auto stranger = join_device(a->key());
  ASSERT_TRUE(sync_full(*a, *stranger));
  EXPECT_ERRC_MSG(a->writer_core(stranger->local_writer()), errc::not_found, "not a member");
  EXPECT_EQ(a->cores().size(), 1u);
}

TEST(Group, OpenModeTakesAnyAnnouncedWriter) {
  GroupOptions o;
  o.membership = multi::Membership::open;
  auto a = create_device(o);
  auto c = join_device(a->key());
  ASSERT_TRUE(sync_full(*a, *c));
  ASSERT_TRUE(a->writer_core(c->local_writer()));  // a peer announced it
  ASSERT_TRUE(sync_full(*a, *c));
  ASSERT_TRUE(c->put(bytes("k"), bytes("open")));
  ASSERT_TRUE(sync_full(*a, *c));
  EXPECT_EQ(values_of(*a, "k"), std::vector<std::string>{"open"});
  ASSERT_TRUE(a.reopen());  // the announcement is remembered
  EXPECT_EQ(a->cores().size(), 2u);
}

TEST(Group, RemovalDropsTheCutOpsAndRebuilds) {
  auto d = members(2);
  ASSERT_TRUE(d[1]->put(bytes("before"), bytes("1")));
  ASSERT_TRUE(sync_full(*d[0], *d[1]));
  ASSERT_TRUE(d[0]->remove_writer(d[1]->local_writer()));
  ASSERT_TRUE(d[1]->put(bytes("after"), bytes("2")));  // B has not heard yet
  ASSERT_TRUE(sync_full(*d[0], *d[1]));
  for (auto& dev : d) {
    EXPECT_EQ(values_of(*dev, "before"), std::vector<std::string>{"1"});
    EXPECT_TRUE(values_of(*dev, "after").empty());
  }
  EXPECT_ERRC_MSG(d[1]->put(bytes("x"), bytes("y")), errc::session_not_writable, "removed");
  auto st = d[1]->status();
  ASSERT_EQ(st.views.size(), 1u);
  EXPECT_FALSE(st.views[0].rebuilding);
  EXPECT_EQ(st.views[0].indexed, st.views[0].total);
  EXPECT_ERRC(d[0]->remove_writer(d[0]->key()), errc::invalid_argument);
}

TEST(Group, AMissingBlockHoldsBackOnlyItsLog) {
  auto d = members(3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(d[0]->put(bytes("a" + std::to_string(i)), bytes("x")));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(d[1]->put(bytes("b" + std::to_string(i)), bytes("y")));
  // C gets all of B, and A's log without the block of a2.
  ASSERT_TRUE(sync_into(*d[1], *d[2]));
  auto a_core = d[0]->writer_core(d[0]->key());
  auto c_copy = d[2]->writer_core(d[0]->key());
  ASSERT_TRUE(a_core && c_copy);
  uint64_t gap = (*a_core)->length() - 3;  // the block of a2
  ASSERT_TRUE(copy_core(**a_core, **c_copy, [&](uint64_t i) { return i != gap; }));
  ASSERT_TRUE(d[2]->catch_up());
  auto view = read_view(*d[2]);
  ASSERT_TRUE(view);
  std::vector<std::string> keys;
  for (const auto& kv : *view) keys.push_back(str(kv.key));
  EXPECT_EQ(keys, (std::vector<std::string>{"a0", "a1", "b0", "b1", "b2", "b3", "b4"}));
  ASSERT_TRUE(copy_core(**a_core, **c_copy, [](uint64_t) { return true; }));
  ASSERT_TRUE(d[2]->catch_up());
  EXPECT_EQ(read_view(*d[2])->size(), 10u);
}

TEST(Group, TheChangeFeedListsWhatChangedSinceAVersion) {
  auto d = members(2);
  ASSERT_TRUE(d[0]->put(bytes("a"), bytes("1")));
  ASSERT_TRUE(d[0]->put(bytes("b"), bytes("2")));
  uint64_t since = d[0]->view()->version();
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  auto handle = d[0]->watch([&](uint64_t v, uint64_t p) { calls.emplace_back(v, p); });
  ASSERT_TRUE(d[0]->put(bytes("a"), bytes("3")));
  ASSERT_TRUE(d[0]->del(bytes("b")));
  ASSERT_TRUE(d[1]->put(bytes("c"), bytes("4")));
  ASSERT_TRUE(sync_full(*d[0], *d[1]));
  auto it = d[0]->changes(since);
  ASSERT_TRUE(it);
  std::vector<std::string> seen;
  for (;;) {
    auto change = it->next();
    ASSERT_TRUE(change);
    if (!*change) break;
    std::string line = str((*change)->key) + ":";
    for (const auto& v : (*change)->before) line += str(*v.value);
    line += "->";
    for (const auto& v : (*change)->after) line += str(*v.value);
    seen.push_back(line);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a:1->3", "b:2->", "c:->4"}));
  ASSERT_GE(calls.size(), 3u);  // two local writes, one batch from the peer
  EXPECT_EQ(calls.front().second, since);
  EXPECT_EQ(calls.back().first, d[0]->view()->version());
  EXPECT_ERRC(d[0]->changes(1'000'000), errc::out_of_range);
  // No more calls once the handle is gone.
  handle.reset();
  size_t before = calls.size();
  ASSERT_TRUE(d[0]->put(bytes("z"), bytes("9")));
  EXPECT_EQ(calls.size(), before);
}

// The add/remove chain of three members reaches an observer log by log, in every order
// (blocks of a log arrive in order; the logs in any): the same members and the same view.
TEST(Group, MembershipIsTheSameInEveryDeliveryOrder) {
  auto d = members(2);
  d.push_back(join_device(d[0]->key()));
  d.push_back(join_device(d[0]->key()));
  ASSERT_TRUE(d[1]->add_writer(d[2]->local_writer()));  // B (depth 1) adds C (depth 2)
  ASSERT_TRUE(sync_full(*d[1], *d[2]));
  ASSERT_TRUE(d[2]->add_writer(d[3]->local_writer()));  // C adds D (depth 3)
  ASSERT_TRUE(d[2]->put(bytes("c"), bytes("from c")));
  ASSERT_TRUE(sync_full(*d[2], *d[3]));
  ASSERT_TRUE(d[3]->put(bytes("d"), bytes("from d")));
  ASSERT_TRUE(sync_full(*d[1], *d[3]));
  ASSERT_TRUE(d[1]->remove_writer(d[3]->local_writer(), 2));  // B cuts D after its put? no: from seq 2
  ASSERT_TRUE(sync_full(*d[0], *d[1]));
  std::vector<std::shared_ptr<hypercore::Core>> logs;
  for (auto& dev : d) logs.push_back(*dev->writer_core(dev->local_writer()));
  std::vector<size_t> order = {0, 1, 2, 3};
  std::optional<std::vector<multi::KeyValues>> first_view;
  std::optional<multi::MembershipTable> first_table;
  do {
    auto observer = join_device(d[0]->key());
    // Each log whole, in this order; a log the observer does not accept yet is retried
    // after the next (its inviter's log may come later).
    for (int pass = 0; pass < 4; ++pass) {
      for (size_t i : order) {
        auto target = observer->writer_core(logs[i]->key());
        if (!target) continue;
        ASSERT_TRUE(copy_core(*logs[i], **target, [](uint64_t) { return true; }));
        ASSERT_TRUE(observer->catch_up());
      }
    }
    auto view = read_view(*observer);
    ASSERT_TRUE(view);
    if (!first_view) {
      first_view = *view;
      first_table = observer->membership();
    }
    EXPECT_EQ(*view, *first_view);
    EXPECT_EQ(observer->membership(), *first_table);
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(first_table->members.size(), 4u);
  EXPECT_EQ(first_table->cutoff(d[3]->local_writer()), 2u);
  EXPECT_EQ(first_table->members.at(d[3]->local_writer()).depth, 3u);
  // D's put (seq 1) is before the cut; C's too.
  EXPECT_EQ(first_view->size(), 2u);
}

// A view whose output depends on its version: v1 stores values, v2 adds "!".
class ShoutView final : public multi::View {
 public:
  explicit ShoutView(uint32_t version) : version_(version) {}
  std::string_view name() const override { return "shout"; }
  uint32_t version() const override { return version_; }
  hypercore::Result<void> apply(std::span<const multi::IndexedOp> ops, multi::ViewWriter& out) override {
    for (const auto& op : ops) {
      if (op.op->type != multi::OpType::put || !op.op->value) continue;
      hypercore::Bytes v = *op.op->value;
      if (version_ >= 2) v.push_back('!');
      HC_CHECK(out.put(op.op->key, v));
    }
    return {};
  }

 private:
  uint32_t version_;
};

std::vector<std::pair<std::string, std::string>> view_entries(multi::Group& g, std::string_view name) {
  std::vector<std::pair<std::string, std::string>> out;
  auto snapshot = g.view(name);
  if (!snapshot) return {{"error", snapshot.error().to_string()}};
  bee::Range r;
  r.gte = hypercore::Bytes{1};  // past the driver's keys (byte 0)
  auto it = snapshot->range(r);
  while (auto e = it.next()) {
    if (!*e) break;
    out.emplace_back(str((*e)->key), str(*(*e)->value));
  }
  return out;
}

TEST(Group, AVersionBumpRebuildsBesideTheOldViewWhichKeepsAnswering) {
  auto a = create_device();
  ASSERT_TRUE(a->use(std::make_unique<ShoutView>(1)));
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(a->put(bytes("k" + std::to_string(i)), bytes("v")));
  auto v1 = view_entries(*a, "shout");
  ASSERT_EQ(v1.size(), 40u);
  EXPECT_EQ(v1[0].second, "v");

  ASSERT_TRUE(a.reopen());
  ASSERT_TRUE(a->use(std::make_unique<ShoutView>(2)));
  // kappa-view's bug was a view wiped with its cursor kept: empty forever. Here the old
  // generation answers, whole, until the new one has caught up.
  EXPECT_EQ(view_entries(*a, "shout"), v1);
  auto step = a->catch_up(10);
  ASSERT_TRUE(step);
  EXPECT_FALSE(*step);
  EXPECT_EQ(view_entries(*a, "shout"), v1);
  auto st = a->status();
  auto shout = std::find_if(st.views.begin(), st.views.end(), [](auto& v) { return v.name == "shout"; });
  ASSERT_NE(shout, st.views.end());
  EXPECT_TRUE(shout->rebuilding);
  EXPECT_GT(shout->total, shout->indexed);
  ASSERT_TRUE(a->catch_up());
  auto v2 = view_entries(*a, "shout");
  ASSERT_EQ(v2.size(), 40u);
  EXPECT_EQ(v2[0].second, "v!");

  // The same as building version 2 incrementally from the start.
  auto fresh = create_device();
  ASSERT_TRUE(fresh->use(std::make_unique<ShoutView>(2)));
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(fresh->put(bytes("k" + std::to_string(i)), bytes("v")));
  EXPECT_EQ(view_entries(*fresh, "shout"), v2);
  // And it stays version 2 across a reopen: no second rebuild.
  ASSERT_TRUE(a.reopen());
  ASSERT_TRUE(a->use(std::make_unique<ShoutView>(2)));
  EXPECT_FALSE(a->status().views.back().rebuilding);
  EXPECT_EQ(view_entries(*a, "shout"), v2);
}

TEST(Group, ACrashDuringARebuildKeepsTheOldViewAndResumes) {
  for (uint64_t fail_at : {1, 3, 7, 15, 30, 60, 120}) {
    auto a = create_device();
    ASSERT_TRUE(a->use(std::make_unique<ShoutView>(1)));
    std::vector<multi::Write> writes;
    for (int i = 0; i < 300; ++i) writes.push_back({multi::OpType::put, hypercore::to_bytes("k" + std::to_string(i)), hypercore::to_bytes("v"), {}});
    ASSERT_TRUE(a->write(writes));
    auto v1 = view_entries(*a, "shout");
    ASSERT_TRUE(a.reopen());
    ASSERT_TRUE(a->use(std::make_unique<ShoutView>(2)));
    a.storage->set_plan({.fail_at = fail_at});
    auto r = a->catch_up(100);
    (void)r;  // fails somewhere, or gets through this step
    // kill -9: what reached the storage stays; the process starts again.
    a.group.reset();
    a.storage->set_plan({});
    auto reopened = multi::Group::open(a.storage, a.options());
    ASSERT_TRUE(reopened) << reopened.error().to_string();
    a.group = std::move(*reopened);
    ASSERT_TRUE(a->use(std::make_unique<ShoutView>(2)));
    auto now = view_entries(*a, "shout");
    EXPECT_TRUE(now == v1 || (now.size() == 300 && now[0].second == "v!")) << "fail_at " << fail_at;
    ASSERT_TRUE(a->catch_up());
    auto done = view_entries(*a, "shout");
    ASSERT_EQ(done.size(), 300u) << "fail_at " << fail_at;
    EXPECT_EQ(done[0].second, "v!");
  }
}

TEST(Group, TheClockNeverGoesBackAcrossAReopen) {
  auto a = create_device();
  auto first = a->put(bytes("k"), bytes("1"));
  ASSERT_TRUE(first);
  *a.wall -= 3'600'000;  // the wall clock is set an hour back
  ASSERT_TRUE(a.reopen());
  ASSERT_TRUE(a->put(bytes("k"), bytes("2")));
  EXPECT_EQ(values_of(*a, "k"), std::vector<std::string>{"2"});
}

TEST(Group, AHostileMemberCannotCrashAPeerOrCorruptItsView) {
  GroupOptions o;
  o.max_writers = 32;
  auto d = members(2, o);
  ASSERT_TRUE(d[0]->put(bytes("honest"), bytes("1")));
  // B writes straight into its log, past the Group API: garbage, a stamp ten years ahead,
  // and thousands of add_writer ops.
  auto core = *d[1]->writer_core(d[1]->local_writer());
  ASSERT_TRUE(core->append(hypercore::to_bytes("\x01\x09garbage")));
  ASSERT_TRUE(core->append(hypercore::Bytes{}));
  multi::Op future;
  future.type = multi::OpType::put;
  future.key = hypercore::to_bytes("future");
  future.value = hypercore::to_bytes("x");
  future.hlc = multi::Hlc::make(*d[1].wall + 10ull * 365 * 86'400'000, 0);
  ASSERT_TRUE(core->append(multi::encode_op(future)));
  std::vector<hypercore::Bytes> adds;
  for (int i = 0; i < 3000; ++i) {
    multi::Op add;
    add.type = multi::OpType::add_writer;
    add.key = hypercore::Bytes(32, 0);
    add.key[0] = 0xee;
    add.key[1] = static_cast<uint8_t>(i >> 8);
    add.key[2] = static_cast<uint8_t>(i);
    adds.push_back(multi::encode_op(add));
  }
  std::vector<hypercore::ByteSpan> spans(adds.begin(), adds.end());
  ASSERT_TRUE(core->append(spans));
  ASSERT_TRUE(sync_full(*d[0], *d[1]));

  auto st = d[0]->status();
  EXPECT_LE(d[0]->cores().size(), 32u);
  EXPECT_GT(st.refused_writers, 0u);
  EXPECT_EQ(st.clamped_stamps, 1u);
  auto bstatus = std::find_if(st.writers.begin(), st.writers.end(), [&](auto& w) { return w.key == d[1]->local_writer(); });
  ASSERT_NE(bstatus, st.writers.end());
  EXPECT_EQ(bstatus->bad_ops, 2u);
  EXPECT_EQ(values_of(*d[0], "honest"), std::vector<std::string>{"1"});
  EXPECT_EQ(values_of(*d[0], "future"), std::vector<std::string>{"x"});  // LWW trusts stamps
  // The honest device's own clock did not jump ten years: its next stamp is near its wall clock.
  auto id = d[0]->put(bytes("after"), bytes("2"));
  ASSERT_TRUE(id);
  auto v = d[0]->get(bytes("after"));
  ASSERT_TRUE(v);
  EXPECT_LE(v->at(0).hlc.physical(), *d[0].wall + o.max_clock_skew_ms + 1);
  // The root removes B from its first op on: every peer drops its ops.
  ASSERT_TRUE(d[0]->remove_writer(d[1]->local_writer(), 1));
  EXPECT_TRUE(values_of(*d[0], "future").empty());
}

}  // namespace
