// The main proof of the group: 2–6 writers doing random puts, deletes and merges, random
// partial replication between random pairs (so ops arrive in random orders, with gaps),
// random invitations and removals, and kill -9 at random storage operations. After a full
// exchange every device's key/value view must equal the model (group_model.hpp), which
// sorts every op canonically and folds it — for last-writer-wins and multi-value alike.
//
// MULTI_SEEDS sets the seeds per conflict rule (CI: 150 each); scripts/soak_multi.sh runs
// thousands.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "tests/multi/group_fixture.hpp"

namespace {

using multi::Conflict;
using namespace multi_test;

uint64_t seed_count() {
  const char* env = std::getenv("MULTI_SEEDS");
  return env ? std::strtoull(env, nullptr, 10) : 150;
}

uint64_t first_seed() {
  const char* env = std::getenv("MULTI_FIRST_SEED");
  return env ? std::strtoull(env, nullptr, 10) : 1;
}

struct Stats {
  uint64_t writes = 0, syncs = 0, kills = 0, invites = 0, removals = 0, final_keys = 0, conflicts = 0;
};

class Simulation {
 public:
  Simulation(uint64_t seed, Conflict conflict, multi::Membership membership)
      : rng_(seed), conflict_(conflict), membership_(membership) {}

  // Returns "" when every view equals the model, else what differed.
  std::string run(Stats& stats) {
    size_t n = 2 + rng_() % 5;
    multi::GroupOptions o;
    o.conflict = conflict_;
    o.membership = membership_;
    o.max_batch = 1 + rng_() % 64;  // small batches: many flushes, many crash points
    options_ = o;
    devs_.push_back(create_device(o));
    for (size_t i = 1; i < n; ++i) devs_.push_back(join_device(devs_[0]->key(), o));
    for (auto& d : devs_) *d.wall += rng_() % 3000;  // skewed wall clocks
    // The root invites some devices at once; the rest wait for a member to do it later.
    for (size_t i = 1; i < n; ++i) {
      if (rng_() % 3 != 0 && devs_[0]->add_writer(devs_[i]->local_writer())) ++stats.invites;
    }
    int steps = 40 + static_cast<int>(rng_() % 60);
    for (int step = 0; step < steps; ++step) {
      Device& d = pick();
      *d.wall += rng_() % 40;
      uint64_t r = rng_() % 100;
      if (r < 40) {
        if (write(d)) ++stats.writes;
      } else if (r < 70) {
        Device& from = pick();
        if (&from != &d) {
          auto ok = sync_into(*from, *d, &rng_, 0.2 + 0.8 * unit());
          if (!ok) return "sync: " + ok.error().to_string();
          ++stats.syncs;
        }
      } else if (r < 80) {
        Device& other = pick();
        if (d->status().writable && !d->membership().is_member(other->local_writer())) {
          if (d->add_writer(other->local_writer())) ++stats.invites;
        }
      } else if (r < 83) {
        Device& other = pick();
        if (&other != &devs_[0] && d->status().writable && d->membership().is_member(other->local_writer())) {
          auto from = rng_() % 2 ? std::optional<uint64_t>(rng_() % 4) : std::nullopt;
          if (d->remove_writer(other->local_writer(), from)) ++stats.removals;
        }
      } else if (r < 95) {
        // kill -9 at a random storage operation of a write or a sync, then start again
        d.storage->set_plan({.fail_at = 1 + rng_() % 60, .torn_fraction = unit()});
        if (rng_() % 2) {
          (void)write(d);
        } else {
          Device& from = pick();
          if (&from != &d) (void)sync_into(*from, *d, &rng_, unit());
        }
        auto reopened = d.reopen(options_);
        if (!reopened) return "reopen after a crash: " + reopened.error().to_string();
        auto caught = d->catch_up();
        if (!caught) return "catch_up after a crash: " + caught.error().to_string();
        ++stats.kills;
      } else {
        auto caught = d->catch_up(1 + rng_() % 20);  // a partial indexing step
        if (!caught) return "catch_up: " + caught.error().to_string();
      }
    }
    // Full exchange: everything to device 0 and back, until nothing moves.
    for (int round = 0; round < 3; ++round) {
      for (size_t i = 1; i < devs_.size(); ++i) {
        auto ok = sync_full(*devs_[0], *devs_[i]);
        if (!ok) return "full sync: " + ok.error().to_string();
      }
    }
    std::map<multi::Hash, std::vector<multi::Bytes>> logs;
    for (auto& d : devs_) {
      auto core = d->writer_core(d->local_writer());
      if (!core) return "local core: " + core.error().to_string();
      auto blocks = read_log(**core);
      if (!blocks) return "read log: " + blocks.error().to_string();
      logs[d->local_writer()] = std::move(*blocks);
    }
    auto expected = model_view(devs_[0]->key(), logs);
    stats.final_keys += expected.size();
    for (const auto& kv : expected) stats.conflicts += kv.values.size() > 1;
    for (size_t i = 0; i < devs_.size(); ++i) {
      auto view = read_view(*devs_[i]);
      if (!view) return "device " + std::to_string(i) + ": " + view.error().to_string();
      if (*view != expected) {
        return "device " + std::to_string(i) + " holds " + std::to_string(view->size()) + " keys, the model " +
               std::to_string(expected.size()) + describe_difference(*view, expected);
      }
      if (!devs_[i]->status().caught_up) return "device " + std::to_string(i) + " is not caught up";
    }
    return "";
  }

 private:
  Device& pick() { return devs_[rng_() % devs_.size()]; }
  double unit() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

  bool write(Device& d) {
    if (!d->status().writable) return false;
    static const char* kKeys[] = {"a", "b", "c", "d", "e", "f"};
    size_t count = rng_() % 4 == 0 ? 1 + rng_() % 5 : 1;
    std::vector<multi::Write> writes;
    for (size_t i = 0; i < count; ++i) {
      multi::Write w;
      w.key = hypercore::to_bytes(kKeys[rng_() % 6]);
      w.type = rng_() % 5 == 0 ? multi::OpType::del : multi::OpType::put;
      if (w.type == multi::OpType::put) w.value = hypercore::to_bytes("v" + std::to_string(rng_() % 1000));
      if (conflict_ == Conflict::multi_value && rng_() % 4 == 0) {
        // An explicit merge of some of the values this device sees (maybe none).
        auto values = d->get(w.key);
        std::vector<multi::OpId> merges;
        if (values) {
          for (const auto& v : *values) {
            if (rng_() % 2) merges.push_back(v.id);
          }
        }
        w.merges = merges;
      }
      writes.push_back(std::move(w));
    }
    return d->write(writes).has_value();
  }

  static std::string describe_difference(const std::vector<multi::KeyValues>& got, const std::vector<multi::KeyValues>& want) {
    for (size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
      if (i >= got.size()) return ": missing key " + str(want[i].key);
      if (i >= want.size()) return ": extra key " + str(got[i].key);
      if (got[i].key != want[i].key) return ": key " + str(got[i].key) + " where the model has " + str(want[i].key);
      if (got[i].values != want[i].values) {
        return ": key " + str(got[i].key) + " has " + std::to_string(got[i].values.size()) + " values, the model " +
               std::to_string(want[i].values.size());
      }
    }
    return "";
  }

  std::mt19937_64 rng_;
  Conflict conflict_;
  multi::Membership membership_;
  multi::GroupOptions options_;
  std::vector<Device> devs_;
};

void run_seeds(Conflict conflict, multi::Membership membership = multi::Membership::invited, uint64_t divisor = 1) {
  Stats stats;
  uint64_t first = first_seed(), count = std::max<uint64_t>(1, seed_count() / divisor);
  for (uint64_t seed = first; seed < first + count; ++seed) {
    Simulation sim(seed, conflict, membership);
    std::string failure = sim.run(stats);
    ASSERT_EQ(failure, "") << multi::conflict_name(conflict) << " " << multi::membership_name(membership) << " seed " << seed
                           << " (rerun: MULTI_FIRST_SEED=" << seed << " MULTI_SEEDS=1)";
  }
  // The runs did what they are for: every kind of step happened, many times.
  if (count < 50) return;
  EXPECT_GT(stats.writes, count * 3);
  EXPECT_GT(stats.syncs, count * 3);
  EXPECT_GT(stats.kills, count / 2);
  if (membership == multi::Membership::invited) {
    EXPECT_GT(stats.invites, count / 2);
  }
  EXPECT_GT(stats.removals, 0u);
  EXPECT_GT(stats.final_keys, count * 2);
  if (conflict == Conflict::multi_value) {
    EXPECT_GT(stats.conflicts, count / 4);
  }
  std::printf("%s: %llu seeds, %llu writes, %llu syncs, %llu kills, %llu invitations, %llu removals; "
              "the models held %llu keys, %llu with several values\n",
              multi::conflict_name(conflict), static_cast<unsigned long long>(count),
              static_cast<unsigned long long>(stats.writes), static_cast<unsigned long long>(stats.syncs),
              static_cast<unsigned long long>(stats.kills), static_cast<unsigned long long>(stats.invites),
              static_cast<unsigned long long>(stats.removals), static_cast<unsigned long long>(stats.final_keys),
              static_cast<unsigned long long>(stats.conflicts));
}

TEST(Convergence, LastWriterWins) { run_seeds(Conflict::lww); }
TEST(Convergence, MultiValue) { run_seeds(Conflict::multi_value); }
// Open membership: writers are admitted by announcement (here: by being synced), a third
// of the seeds, both rules.
TEST(Convergence, OpenMembership) {
  run_seeds(Conflict::lww, multi::Membership::open, 3);
  run_seeds(Conflict::multi_value, multi::Membership::open, 3);
}

}  // namespace
