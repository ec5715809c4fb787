// What a group writes, read by someone else. tests/interop/multi_model.js is an independent
// JavaScript reading of the op format, of membership and of both key/value folds
// (docs/format/multiwriter.md, docs/multiwriter.md). For 40 random invited groups and 24
// open ones (both conflict rules, invitations by non-root members, removals, merges, a
// max_writers cap, raw ops with tied clocks and links across keys, junk blocks) it must
// decode every block as multi::decode_op does, find the same members, depths and cutoffs,
// and fold the logs into exactly what every fully synced device's view holds (and what
// group_model.hpp folds); so must 300 synthetic log sets no Group would write, against
// compute_membership and group_model.hpp. Hand-made bad blocks (garbage, a header past
// block 0, a log of another group, later versions, 64-bit fields) are skipped or read
// alike. Then the Node reference itself, over loopback TCP from our PeerSession: hypercore
// 10.38.2 clones writer logs and holds every block byte for byte; hyperbee 2.27.3 opens a
// view's log and finds our records under bee.sub('kv').
//
// MULTI_INTEROP_SEEDS sets the random groups per conflict rule (synthetic cases: ten times
// that) for a longer soak.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>

#include "net/replication/peer_session.hpp"
#include "tests/multi/group_fixture.hpp"
#include "tests/net/node_child.hpp"
#include "tests/support/oracle.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace multi_test;
using hypercore::ByteSpan;
using hypercore::to_hex;
using multi::Conflict;
using multi::Hlc;
using multi::MemberState;
using multi::Membership;
using simdjson::dom::element;

// ---- the C++ side, printed as multi_model.js prints it ----

// One block as decode_op reads it, in multi_model.js's describeOp text.
std::string describe(ByteSpan block) {
  auto op = multi::decode_op(block);
  if (!op) return op.error().code == hypercore::errc::unsupported ? "unsupported" : "corrupt";
  std::string s = std::string(multi::op_type_name(op->type)) + " hlc=" + std::to_string(op->hlc.packed) +
                  " key=" + to_hex(op->key);
  if (op->type == OpType::header) {
    s += std::string(" conflict=") + multi::conflict_name(op->conflict) + " membership=" +
         multi::membership_name(op->membership);
  }
  if (op->type == OpType::put) s += " value=" + (op->value ? to_hex(*op->value) : "-");
  if (op->type == OpType::put || op->type == OpType::del) {
    s += " links=[";
    for (size_t i = 0; i < op->links.size(); ++i) {
      s += (i ? "," : "") + to_hex(op->links[i].writer) + ":" + std::to_string(op->links[i].seq);
    }
    s += "]";
  }
  if (op->type == OpType::remove_writer) s += " from=" + std::to_string(op->from);
  return s;
}

std::string render_values(const std::vector<KeyValues>& keys) {
  std::string out;
  for (const auto& kv : keys) {
    out += "key " + to_hex(kv.key) + ":";
    for (const auto& v : kv.values) {
      out += " " + to_hex(v.id.writer) + "/" + std::to_string(v.id.seq) + "@" + std::to_string(v.hlc.packed) +
             (v.tombstone ? "(del)" : "") + "=" + (v.value ? to_hex(*v.value) : "-");
    }
    out += "\n";
  }
  return out;
}

std::string render_members(const std::map<Hash, MemberState>& members) {
  std::string out;
  for (const auto& [w, m] : members) {
    out += to_hex(w) + " depth " + std::to_string(m.depth) + " cutoff " +
           (m.cutoff == std::numeric_limits<uint64_t>::max() ? "none" : std::to_string(m.cutoff)) + "\n";
  }
  return out;
}

std::string json_hex_list(const std::vector<Bytes>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ",\"" : "\"") + to_hex(items[i]) + "\"";
  return s + "]";
}

// ---- multi_model.js ----

std::string model_case(const Hash& root, const std::map<Hash, std::vector<Bytes>>& logs, size_t max_writers) {
  std::string s = "{\"root\":\"" + to_hex(root) + "\",\"maxWriters\":" + std::to_string(max_writers) +
                  ",\"describe\":true,\"logs\":{";
  bool first = true;
  for (const auto& [w, blocks] : logs) {
    s += (first ? "\"" : ",\"") + to_hex(w) + "\":" + json_hex_list(blocks);
    first = false;
  }
  return s + "}}";
}

struct ModelAnswer {
  std::string conflict;
  std::vector<KeyValues> keys;
  std::map<Hash, MemberState> members;
  uint64_t refused = 0;
  std::set<Hash> ignored;
  std::map<Hash, uint64_t> bad_ops;
  std::map<Hash, std::vector<std::string>> decoded;
};

std::string text(element e) { return std::string(std::string_view(e.get_string().value())); }

Hash hash_of(element e) {
  auto h = hypercore::hash_from_hex(text(e));
  EXPECT_TRUE(h.has_value()) << "not a 32-byte hex key: " << text(e);
  return h.value_or(Hash{});
}

Bytes bytes_of(element e) {
  auto b = hypercore::from_hex(text(e));
  EXPECT_TRUE(b.has_value()) << "not hex: " << text(e);
  return b.value_or(Bytes{});
}

// {"writer", "seq", "hlc", "value", ["tombstone"]} as a Value.
Value value_of(element v) {
  Value out;
  out.id = OpId{hash_of(v["writer"]), v["seq"].get_uint64().value()};
  out.hlc = Hlc{std::stoull(text(v["hlc"]))};
  if (!v["value"].is_null()) out.value = bytes_of(v["value"]);
  bool tombstone = false;
  if (v["tombstone"].get(tombstone) == simdjson::SUCCESS) out.tombstone = tombstone;
  return out;
}

ModelAnswer parse_answer(element doc) {
  ModelAnswer a;
  a.conflict = text(doc["conflict"]);
  for (element k : doc["keys"].get_array()) {
    KeyValues kv{bytes_of(k["key"]), {}};
    for (element v : k["values"].get_array()) kv.values.push_back(value_of(v));
    a.keys.push_back(std::move(kv));
  }
  for (element m : doc["members"].get_array()) {
    MemberState state;
    state.depth = static_cast<uint32_t>(m["depth"].get_uint64().value());
    if (!m["cutoff"].is_null()) state.cutoff = std::stoull(text(m["cutoff"]));
    a.members[hash_of(m["writer"])] = state;
  }
  a.refused = doc["refused"].get_uint64().value();
  for (element w : doc["ignoredLogs"].get_array()) a.ignored.insert(hash_of(w));
  for (auto field : doc["badOps"].get_object()) {
    a.bad_ops[hypercore::hash_from_hex(field.key).value_or(Hash{})] = field.value.get_uint64().value();
  }
  element decoded;
  if (doc["decoded"].get(decoded) == simdjson::SUCCESS) {
    for (auto field : decoded.get_object()) {
      auto& list = a.decoded[hypercore::hash_from_hex(field.key).value_or(Hash{})];
      for (element d : field.value.get_array()) list.push_back(text(d));
    }
  }
  return a;
}

// Runs multi_model.js once on every case; one answer each (empty after a failure).
std::vector<ModelAnswer> run_model(const std::vector<std::string>& cases) {
  std::string input = "{\"cases\":[";
  for (size_t i = 0; i < cases.size(); ++i) input += (i ? "," : "") + cases[i];
  input += "]}";
  auto out = bee_test::run_node(bee_test::interop_script("multi_model.js"), {}, input);
  if (!out) {
    ADD_FAILURE() << "multi_model.js (the reference must be installed): " << out.error().to_string();
    return {};
  }
  std::vector<ModelAnswer> answers;
  simdjson::dom::parser parser;
  std::istringstream lines(*out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    element doc;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS) {
      ADD_FAILURE() << "multi_model.js printed: " << line.substr(0, 300);
      return {};
    }
    answers.push_back(parse_answer(doc));
  }
  return answers;
}

// ---- what the C++ holds once a group is fully synced ----

struct Outcome {
  std::string name;
  Hash root{};
  Conflict conflict = Conflict::lww;
  size_t max_writers = 1024;
  std::map<Hash, std::vector<Bytes>> logs;     // every device's own log, whole
  std::vector<std::vector<KeyValues>> views;  // every device's key/value view
  multi::MembershipTable table;               // device 0's
  std::map<Hash, uint64_t> bad_ops;           // device 0's, per log it reads whole
  std::set<Hash> problems;                    // device 0's ignored logs
  std::set<Hash> tracked;                     // device 0's writers holding blocks
};

// Fills `o` from the devices; the views of the first `viewers` of them (all by default).
std::string capture(std::vector<Device>& devs, Outcome& o, size_t viewers = SIZE_MAX) {
  o.root = devs[0]->key();
  for (auto& d : devs) {
    auto core = d->writer_core(d->local_writer());
    if (!core) return "local core: " + core.error().to_string();
    auto blocks = read_log(**core);
    if (!blocks) return "read log: " + blocks.error().to_string();
    o.logs[d->local_writer()] = std::move(*blocks);
  }
  for (size_t i = 0; i < std::min(viewers, devs.size()); ++i) {
    auto view = read_view(*devs[i]);
    if (!view) return "device " + std::to_string(i) + " view: " + view.error().to_string();
    if (!devs[i]->status().caught_up) return "device " + std::to_string(i) + " is not caught up";
    o.views.push_back(std::move(*view));
  }
  o.table = devs[0]->membership();
  for (const auto& w : devs[0]->status().writers) {
    if (w.contiguous > 0) o.tracked.insert(w.key);
    if (!w.problem.empty()) {
      o.problems.insert(w.key);
    } else if (auto it = o.logs.find(w.key); it != o.logs.end() && w.contiguous == it->second.size()) {
      o.bad_ops[w.key] = w.bad_ops;
    }
  }
  return "";
}

void check(const Outcome& o, const ModelAnswer& js) {
  SCOPED_TRACE(o.name);
  EXPECT_EQ(js.conflict, multi::conflict_name(o.conflict));
  // The decoders: every block of every log read alike, bad ones included.
  for (const auto& [w, blocks] : o.logs) {
    auto it = js.decoded.find(w);
    ASSERT_NE(it, js.decoded.end()) << "multi_model.js did not decode the log of " << to_hex(w);
    ASSERT_EQ(it->second.size(), blocks.size());
    for (size_t i = 0; i < blocks.size(); ++i) {
      EXPECT_EQ(describe(blocks[i]), it->second[i]) << "block " << i << " of " << to_hex(w) << ": " << to_hex(blocks[i]);
    }
  }
  // Membership: who, at which depth, cut where.
  EXPECT_EQ(render_members(o.table.members), render_members(js.members));
  EXPECT_EQ(o.table.refused, js.refused);
  // The fold: the JavaScript reading, the C++ model and every device's view.
  std::string want = render_values(js.keys);
  EXPECT_EQ(render_values(model_view(o.root, o.logs, o.max_writers)), want) << "group_model.hpp";
  for (size_t i = 0; i < o.views.size(); ++i) EXPECT_EQ(render_values(o.views[i]), want) << "device " << i;
  // Bad blocks are counted alike, and the same logs are ignored whole.
  for (const auto& [w, n] : o.bad_ops) {
    auto it = js.bad_ops.find(w);
    ASSERT_NE(it, js.bad_ops.end()) << to_hex(w) << " is a good log to the C++, not to multi_model.js";
    EXPECT_EQ(n, it->second) << "bad ops of " << to_hex(w);
  }
  for (const auto& w : o.problems) EXPECT_TRUE(js.ignored.contains(w)) << to_hex(w) << " is ignored by the C++ only";
  for (const auto& w : js.ignored) {
    if (o.tracked.contains(w)) {
      EXPECT_TRUE(o.problems.contains(w)) << to_hex(w) << " is ignored by multi_model.js only";
    }
  }
}

// ---- random groups ----

struct Tally {
  uint64_t writes = 0, raw_ops = 0, junk = 0, removals = 0, invitations = 0;
};

// A group of 3-6 devices built by random steps, then fully synced. Device 1 is invited by
// the root and device 2 by device 1 (depth 2); the rest by random members later.
class RandomGroup {
 public:
  RandomGroup(uint64_t seed, Conflict conflict, Membership membership = Membership::invited)
      : rng_(seed * 4 + (conflict == Conflict::multi_value) * 2 + (membership == Membership::open)),
        conflict_(conflict),
        open_(membership == Membership::open) {
    name_ = std::string(multi::conflict_name(conflict)) + (open_ ? " open" : "") + " seed " + std::to_string(seed);
    // Some invited groups get a cap that refuses writers. (Not open ones: there every
    // device names itself, so a cap would admit different writers on each.)
    if (!open_ && seed % 4 == 1) max_writers_ = 3 + rng_() % 3;
  }

  std::vector<Device> devs;
  Tally tally;

  // "" when the group was built and synced, else what failed.
  std::string run() {
    multi::GroupOptions o;
    o.conflict = conflict_;
    o.membership = open_ ? Membership::open : Membership::invited;
    o.max_writers = max_writers_;
    o.max_batch = 1 + rng_() % 32;
    size_t n = 3 + rng_() % 4;
    devs.push_back(create_device(o));
    for (size_t i = 1; i < n; ++i) devs.push_back(join_device(devs[0]->key(), o));
    for (auto& d : devs) *d.wall += rng_() % 3000;
    if (!devs[0]->add_writer(devs[1]->local_writer())) return "the root cannot invite device 1";
    if (auto ok = sync_into(*devs[0], *devs[1]); !ok) return "sync: " + ok.error().to_string();
    if (!devs[1]->add_writer(devs[2]->local_writer())) return "device 1 cannot invite device 2";
    tally.invitations += 2;
    int steps = 50 + static_cast<int>(rng_() % 50);
    for (int step = 0; step < steps; ++step) {
      Device& d = pick();
      *d.wall += rng_() % 30;
      uint64_t r = rng_() % 100;
      if (r < 35) {
        write(d);
      } else if (r < 60) {
        Device& from = pick();
        if (&from == &d) continue;
        if (auto ok = sync_into(*from, *d, &rng_, 0.3 + 0.7 * unit()); !ok) return "sync: " + ok.error().to_string();
      } else if (r < 67) {
        Device& other = pick();
        if (d->status().writable && !d->membership().is_member(other->local_writer()) &&
            d->add_writer(other->local_writer())) {
          ++tally.invitations;
        }
      } else if (r < 71) {
        Device& other = pick();
        if (&other != &devs[0] && d->status().writable && d->membership().is_member(other->local_writer())) {
          auto from = rng_() % 2 ? std::optional<uint64_t>(rng_() % 5) : std::nullopt;
          if (d->remove_writer(other->local_writer(), from)) ++tally.removals;
        }
      } else if (r < 86) {
        if (auto failure = raw_op(d); !failure.empty()) return failure;
      } else if (r < 92) {
        if (auto failure = append(d, junk(d)); !failure.empty()) return failure;
        ++tally.junk;
      } else {
        if (auto caught = d->catch_up(1 + rng_() % 20); !caught) return "catch_up: " + caught.error().to_string();
      }
    }
    if (tally.removals == 0) {
      // Every group has a removal: the root cuts the last device.
      if (auto ok = sync_into(*devs.back(), *devs[0]); !ok) return "sync: " + ok.error().to_string();
      if (devs[0]->remove_writer(devs.back()->local_writer(), rng_() % 4)) ++tally.removals;
    }
    for (int round = 0; round < 3; ++round) {
      for (size_t i = 1; i < devs.size(); ++i) {
        if (auto ok = sync_full(*devs[0], *devs[i]); !ok) return "full sync: " + ok.error().to_string();
      }
    }
    return "";
  }

  std::string outcome(Outcome& o) {
    o.name = name_;
    o.conflict = conflict_;
    o.max_writers = max_writers_;
    return capture(devs, o);
  }

 private:
  Device& pick() { return devs[rng_() % devs.size()]; }
  double unit() { return std::uniform_real_distribution<double>(0, 1)(rng_); }

  Bytes key_from_pool() {
    static const std::string kKeys[] = {"a", "b", "c", "d", "", std::string("\x00\xff", 2)};
    return hypercore::to_bytes(kKeys[rng_() % 6]);
  }

  void remember(Device& d, const std::vector<OpId>& ids) {
    auto core = d->writer_core(d->local_writer());
    if (!core) return;
    for (const auto& id : ids) {
      auto block = (*core)->get(id.seq);
      if (!block) continue;
      if (auto op = multi::decode_op(*block)) known_.emplace_back(id, op->hlc);
    }
  }

  void write(Device& d) {
    if (!d->status().writable) return;
    size_t count = rng_() % 4 == 0 ? 1 + rng_() % 4 : 1;
    std::vector<multi::Write> writes;
    for (size_t i = 0; i < count; ++i) {
      multi::Write w;
      w.key = key_from_pool();
      w.type = rng_() % 5 == 0 ? OpType::del : OpType::put;
      if (w.type == OpType::put && rng_() % 8 != 0) w.value = hypercore::to_bytes("v" + std::to_string(rng_() % 1000));
      if (conflict_ == Conflict::multi_value && rng_() % 4 == 0) {
        std::vector<OpId> merges;
        if (auto values = d->get(w.key)) {
          for (const auto& v : *values) {
            if (rng_() % 2) merges.push_back(v.id);
          }
        }
        w.merges = merges;
      }
      writes.push_back(std::move(w));
    }
    if (auto ids = d->write(writes)) {
      tally.writes += ids->size();
      remember(d, *ids);
    }
  }

  std::string append(Device& d, const Bytes& block) {
    auto core = d->writer_core(d->local_writer());
    if (!core) return "local core: " + core.error().to_string();
    if (auto ok = (*core)->append(block); !ok) return "raw append: " + ok.error().to_string();
    if (auto caught = d->catch_up(); !caught) return "catch_up: " + caught.error().to_string();
    return "";
  }

  // An op appended straight to the device's log, written by no Group call: any device
  // (member, stranger, removed), stamps copied from other ops (ties broken by writer and
  // seq), links to ops of other keys, to itself and to ops that do not exist, membership
  // ops by anyone of anyone (the root included).
  std::string raw_op(Device& d) {
    auto core = d->writer_core(d->local_writer());
    if (!core) return "local core: " + core.error().to_string();
    uint64_t seq = (*core)->length();
    multi::Op op;
    uint64_t r = rng_() % 100;
    op.type = r < 55 ? OpType::put : r < 75 ? OpType::del : r < 87 ? OpType::add_writer : OpType::remove_writer;
    op.hlc = !known_.empty() && rng_() % 2 ? known_[rng_() % known_.size()].second
                                           : Hlc::make(*d.wall + rng_() % 5, static_cast<uint16_t>(rng_() % 4));
    if (op.type == OpType::put || op.type == OpType::del) {
      op.key = key_from_pool();
      if (op.type == OpType::put && rng_() % 4 != 0) op.value = hypercore::to_bytes("r" + std::to_string(rng_() % 100));
      for (uint64_t i = rng_() % 4; i > 0; --i) {
        uint64_t kind = rng_() % 20;
        if (kind < 12 && !known_.empty()) {
          op.links.push_back(known_[rng_() % known_.size()].first);
        } else if (kind < 15) {
          op.links.push_back(OpId{d->local_writer(), seq});  // itself
        } else {
          op.links.push_back(OpId{pick()->local_writer(), rng_() % 8});
        }
      }
      known_.emplace_back(OpId{d->local_writer(), seq}, op.hlc);
    } else {
      Hash target = pick()->local_writer();
      if (op.type == OpType::add_writer && !open_ && rng_() % 3 == 0) {
        for (auto& byte : target) byte = static_cast<uint8_t>(rng_());  // a writer with no log
      }
      if (op.type == OpType::remove_writer && rng_() % 6 == 0) target = devs[0]->key();
      op.key.assign(target.begin(), target.end());
      op.from = rng_() % 6;
    }
    ++tally.raw_ops;
    return append(d, multi::encode_op(op));
  }

  Bytes junk(Device& d) {
    multi::Op op;
    op.type = OpType::put;
    op.hlc = Hlc::make(*d.wall, 0);
    op.key = key_from_pool();
    op.value = hypercore::to_bytes("junk");
    Bytes bytes = multi::encode_op(op);
    switch (rng_() % 5) {
      case 0: {
        Bytes random(rng_() % 12);
        for (auto& byte : random) byte = static_cast<uint8_t>(rng_());
        return random;
      }
      case 1:
        bytes.resize(rng_() % bytes.size());  // truncated
        return bytes;
      case 2:
        bytes[0] = static_cast<uint8_t>(2 + rng_() % 3);  // a later version
        return bytes;
      case 3:
        bytes.push_back(0);  // a trailing byte
        return bytes;
      default: {
        multi::Op header;  // a header past block 0
        header.type = OpType::header;
        header.key.assign(devs[0]->key().begin(), devs[0]->key().end());
        return multi::encode_op(header);
      }
    }
  }

  std::mt19937_64 rng_;
  Conflict conflict_;
  bool open_ = false;
  std::string name_;
  size_t max_writers_ = 1024;
  std::vector<std::pair<OpId, Hlc>> known_;
};

// Seeds per conflict rule: `fallback`, or MULTI_INTEROP_SEEDS (a longer soak).
uint64_t seed_count(uint64_t fallback) {
  const char* env = std::getenv("MULTI_INTEROP_SEEDS");
  return env ? std::strtoull(env, nullptr, 10) : fallback;
}

// Builds `seeds` random groups per conflict rule, runs multi_model.js once on all of them
// and checks every one; returns the answers.
std::vector<ModelAnswer> check_random_groups(uint64_t seeds, Membership membership, Tally& tally) {
  std::vector<Outcome> outcomes;
  std::vector<std::string> cases;
  for (Conflict conflict : {Conflict::lww, Conflict::multi_value}) {
    for (uint64_t seed = 1; seed <= seeds; ++seed) {
      RandomGroup group(seed, conflict, membership);
      std::string failure = group.run();
      Outcome o;
      if (failure.empty()) failure = group.outcome(o);
      EXPECT_EQ(failure, "") << o.name;
      if (!failure.empty()) return {};
      cases.push_back(model_case(o.root, o.logs, o.max_writers));
      outcomes.push_back(std::move(o));
      tally.writes += group.tally.writes;
      tally.raw_ops += group.tally.raw_ops;
      tally.junk += group.tally.junk;
      tally.removals += group.tally.removals;
      tally.invitations += group.tally.invitations;
    }
  }
  auto answers = run_model(cases);
  EXPECT_EQ(answers.size(), outcomes.size());
  if (answers.size() != outcomes.size()) return {};
  for (size_t i = 0; i < outcomes.size(); ++i) check(outcomes[i], answers[i]);
  return answers;
}

TEST(MultiInterop, RandomGroupsFoldAlikeInJavaScript) {
  const uint64_t kSeeds = seed_count(20);
  Tally tally;
  auto answers = check_random_groups(kSeeds, Membership::invited, tally);
  ASSERT_EQ(answers.size(), 2 * kSeeds);
  uint64_t keys = 0, conflicts = 0, deep = 0, cut = 0, refused = 0, bad = 0;
  for (const auto& a : answers) {
    keys += a.keys.size();
    for (const auto& kv : a.keys) conflicts += kv.values.size() > 1;
    for (const auto& [w, m] : a.members) {
      deep += m.depth >= 2;
      cut += m.cutoff != std::numeric_limits<uint64_t>::max();
    }
    refused += a.refused;
    for (const auto& [w, n] : a.bad_ops) bad += n;
  }
  // The runs exercised what they are for.
  EXPECT_GT(tally.writes, 30 * kSeeds);
  EXPECT_GT(tally.raw_ops, 10 * kSeeds);
  EXPECT_GE(tally.removals, 2 * kSeeds);
  EXPECT_GT(keys, 4 * kSeeds);
  EXPECT_GT(conflicts, kSeeds / 2);
  EXPECT_GT(deep, kSeeds);
  EXPECT_GT(cut, kSeeds);
  EXPECT_GT(refused, 0u);
  EXPECT_GT(bad, kSeeds);
  std::printf("%zu groups: %llu writes, %llu raw ops, %llu junk blocks, %llu invitations, %llu removals; "
              "the model held %llu keys (%llu with several values), %llu members at depth >= 2, %llu cut, "
              "%llu refused, %llu bad blocks\n",
              answers.size(), static_cast<unsigned long long>(tally.writes),
              static_cast<unsigned long long>(tally.raw_ops), static_cast<unsigned long long>(tally.junk),
              static_cast<unsigned long long>(tally.invitations), static_cast<unsigned long long>(tally.removals),
              static_cast<unsigned long long>(keys), static_cast<unsigned long long>(conflicts),
              static_cast<unsigned long long>(deep), static_cast<unsigned long long>(cut),
              static_cast<unsigned long long>(refused), static_cast<unsigned long long>(bad));
}

// Open membership: every writer a peer names is a member at depth 1, wherever the device
// first saw it.
TEST(MultiInterop, RandomOpenGroupsFoldAlikeInJavaScript) {
  const uint64_t kSeeds = seed_count(12);
  Tally tally;
  auto answers = check_random_groups(kSeeds, Membership::open, tally);
  ASSERT_EQ(answers.size(), 2 * kSeeds);
  uint64_t keys = 0;
  for (const auto& a : answers) keys += a.keys.size();
  EXPECT_GT(keys, 2 * kSeeds);
  EXPECT_GE(tally.removals, 2 * kSeeds);
}

// The smallest case RandomOpenGroupsFoldAlikeInJavaScript found. In an open group, B
// invites A (so on B, A first appears as B's invitee, at depth 2); every other device
// first hears of A from a peer (A is announced: depth 1). C (depth 1) then removes A: on B
// the removal counts (1 < 2), elsewhere it does not (1 = 1). Once everything is exchanged,
// B must still read what the others read.
TEST(MultiInterop, OpenGroupMembershipDoesNotDependOnWhoSawAWriterFirst) {
  multi::GroupOptions o;
  o.membership = Membership::open;
  std::vector<Device> devs;
  devs.push_back(create_device(o));  // R
  for (int i = 0; i < 3; ++i) devs.push_back(join_device(devs[0]->key(), o));
  Device& r = devs[0];
  Device& a = devs[1];
  Device& b = devs[2];
  Device& c = devs[3];
  ASSERT_TRUE(sync_full(*r, *b));
  ASSERT_TRUE(sync_full(*r, *c));
  ASSERT_TRUE(b->add_writer(a->local_writer()));
  ASSERT_TRUE(sync_into(*r, *a));
  ASSERT_TRUE(a->put(hypercore::as_bytes("k"), hypercore::as_bytes("from a")));
  ASSERT_TRUE(c->remove_writer(a->local_writer(), 0));
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 1; i < devs.size(); ++i) ASSERT_TRUE(sync_full(*r, *devs[i]));
  }
  Outcome out;
  out.name = "open group, A invited by B and announced to the rest";
  ASSERT_EQ(capture(devs, out), "");
  auto answers = run_model({model_case(out.root, out.logs, out.max_writers)});
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(render_values(answers[0].keys), "key 6b: " + to_hex(a->local_writer()) + "/1@" +
                                                std::to_string(multi::decode_op(out.logs[a->local_writer()][1])->hlc.packed) +
                                                "=" + to_hex(hypercore::to_bytes("from a")) + "\n");
  for (size_t i = 0; i < devs.size(); ++i) {
    auto member = devs[i]->membership().members.find(a->local_writer());
    ASSERT_NE(member, devs[i]->membership().members.end()) << "device " << i;
    EXPECT_EQ(member->second.depth, 1u) << "device " << i << " places A at depth " << member->second.depth;
    EXPECT_EQ(values_of(*devs[i], "k"), std::vector<std::string>{"from a"}) << "device " << i;
  }
  check(out, answers[0]);
}

// ---- synthetic logs: no group, any structure ----

// The membership table of `logs` as the C++ computes it (the member ops of every log whose
// header names the group; in open mode every log's writer announced).
multi::MembershipTable cpp_membership(const Hash& root, const std::map<Hash, std::vector<Bytes>>& logs, size_t max_writers) {
  std::map<Hash, std::vector<multi::MemberOp>> ops;
  Membership mode = Membership::invited;
  std::set<Hash> announced;
  for (const auto& [writer, blocks] : logs) {
    announced.insert(writer);
    auto header = blocks.empty() ? std::nullopt : std::optional(multi::decode_op(blocks[0]));
    if (!header || !*header || (*header)->type != OpType::header ||
        !std::equal((*header)->key.begin(), (*header)->key.end(), root.begin(), root.end())) {
      continue;
    }
    if (writer == root) mode = (*header)->membership;
    auto& mine = ops[writer];
    for (uint64_t seq = 1; seq < blocks.size(); ++seq) {
      auto op = multi::decode_op(blocks[seq]);
      if (!op || (op->type != OpType::add_writer && op->type != OpType::remove_writer)) continue;
      multi::MemberOp m{seq, op->type, {}, op->from};
      std::copy(op->key.begin(), op->key.end(), m.target.begin());
      mine.push_back(m);
    }
  }
  return multi::compute_membership(root, mode, ops, announced, max_writers);
}

// Logs written straight as blocks, with no Group to keep them sensible: long invitation
// chains, members removing each other, removals before and after the target's own
// invitation, the root removed, writers named with no log, caps, stamps that tie, links to
// anything, headers of other groups, junk. multi_model.js against the C++ decoder,
// compute_membership and group_model.hpp.
TEST(MultiInterop, SyntheticLogsFoldAlikeInJavaScript) {
  const uint64_t cases = 10 * seed_count(30);
  std::mt19937_64 rng(7);
  struct Case {
    Hash root;
    size_t max_writers;
    std::map<Hash, std::vector<Bytes>> logs;
  };
  std::vector<Case> built;
  std::vector<std::string> inputs;
  for (uint64_t n = 0; n < cases; ++n) {
    Case c;
    std::vector<Hash> keys(2 + rng() % 9);
    for (auto& k : keys) {
      for (auto& byte : k) byte = static_cast<uint8_t>(rng());
    }
    c.root = keys[0];
    c.max_writers = rng() % 3 == 0 ? 2 + rng() % 6 : 1024;
    Membership mode = rng() % 4 == 0 ? Membership::open : Membership::invited;
    size_t with_logs = 1 + rng() % keys.size();  // the others are only named
    for (size_t w = 0; w < with_logs; ++w) {
      std::vector<Bytes> blocks;
      multi::Op header;
      header.type = OpType::header;
      header.hlc = Hlc{rng() % 4};
      header.key.assign(c.root.begin(), c.root.end());
      header.conflict = rng() % 2 ? Conflict::multi_value : Conflict::lww;
      header.membership = w == 0 ? mode : Membership::invited;
      if (w != 0 && rng() % 12 == 0) header.key[0] ^= 1;  // another group's log
      blocks.push_back(rng() % 20 == 0 && w != 0 ? Bytes{1, 0} : multi::encode_op(header));
      size_t length = rng() % 16;
      for (uint64_t seq = 1; seq <= length; ++seq) {
        multi::Op op;
        uint64_t r = rng() % 100;
        op.hlc = Hlc{rng() % 6};  // few stamps: ties everywhere
        if (r < 25) {
          op.type = OpType::add_writer;
          const Hash& target = keys[rng() % 2 ? (w + 1) % keys.size() : rng() % keys.size()];  // chains
          op.key.assign(target.begin(), target.end());
        } else if (r < 40) {
          op.type = OpType::remove_writer;
          const Hash& target = keys[rng() % keys.size()];
          op.key.assign(target.begin(), target.end());
          op.from = rng() % 5 == 0 ? UINT64_MAX - rng() % 2 : rng() % 16;
        } else if (r < 92) {
          op.type = r < 78 ? OpType::put : OpType::del;
          op.key = Bytes(rng() % 3, static_cast<uint8_t>('a' + rng() % 3));
          if (op.type == OpType::put && rng() % 5 != 0) op.value = Bytes(rng() % 3, static_cast<uint8_t>(rng()));
          for (uint64_t i = rng() % 4; i > 0; --i) op.links.push_back(OpId{keys[rng() % keys.size()], rng() % 16});
        } else {
          Bytes junk(rng() % 6);
          for (auto& byte : junk) byte = static_cast<uint8_t>(rng());
          blocks.push_back(std::move(junk));
          continue;
        }
        blocks.push_back(multi::encode_op(op));
      }
      c.logs[keys[w]] = std::move(blocks);
    }
    inputs.push_back(model_case(c.root, c.logs, c.max_writers));
    built.push_back(std::move(c));
  }
  auto answers = run_model(inputs);
  ASSERT_EQ(answers.size(), built.size());
  uint64_t deep = 0, cut = 0, refused = 0, conflicts = 0, failures = 0;
  for (size_t i = 0; i < built.size() && failures < 5; ++i) {
    const Case& c = built[i];
    const ModelAnswer& js = answers[i];
    SCOPED_TRACE("synthetic case " + std::to_string(i) + ": " + inputs[i].substr(0, 4000));
    auto table = cpp_membership(c.root, c.logs, c.max_writers);
    std::string want_values = render_values(js.keys), want_members = render_members(js.members);
    EXPECT_EQ(render_members(table.members), want_members);
    EXPECT_EQ(table.refused, js.refused);
    EXPECT_EQ(render_values(model_view(c.root, c.logs, c.max_writers)), want_values);
    failures += render_members(table.members) != want_members || table.refused != js.refused ||
                render_values(model_view(c.root, c.logs, c.max_writers)) != want_values;
    for (const auto& [w, blocks] : c.logs) {
      auto it = js.decoded.find(w);
      ASSERT_NE(it, js.decoded.end());
      ASSERT_EQ(it->second.size(), blocks.size());
      for (size_t b = 0; b < blocks.size(); ++b) EXPECT_EQ(describe(blocks[b]), it->second[b]) << to_hex(blocks[b]);
    }
    for (const auto& [w, m] : js.members) {
      deep += m.depth >= 3;
      cut += m.cutoff != std::numeric_limits<uint64_t>::max();
    }
    refused += js.refused;
    for (const auto& kv : js.keys) conflicts += kv.values.size() > 1;
  }
  EXPECT_GT(deep, cases / 20);
  EXPECT_GT(cut, cases / 10);
  EXPECT_GT(refused, cases / 20);
  EXPECT_GT(conflicts, cases / 10);
  std::printf("%llu synthetic cases: %llu members at depth >= 3, %llu cut, %llu refused, %llu keys with several values\n",
              static_cast<unsigned long long>(cases), static_cast<unsigned long long>(deep),
              static_cast<unsigned long long>(cut), static_cast<unsigned long long>(refused),
              static_cast<unsigned long long>(conflicts));
}

// ---- hand-made bad input ----

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes raw(std::string_view s) { return hypercore::to_bytes(s); }
Bytes le64(uint64_t v) {
  Bytes out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return out;
}
Bytes key_field(const Hash& h) { return cat({{32}, Bytes(h.begin(), h.end())}); }

// A root, a member it invited (A), a device of another group the root invited (X: its
// header names the other group) and a device nobody invited (Y), with junk in the logs.
struct BadInputGroup {
  Device root, a, other_root, x, y;
};

BadInputGroup bad_input_group(Conflict conflict) {
  multi::GroupOptions o;
  o.conflict = conflict;
  BadInputGroup g{create_device(o), {}, create_device(o), {}, {}};
  g.a = join_device(g.root->key(), o);
  g.x = join_device(g.other_root->key(), o);
  g.y = join_device(g.root->key(), o);
  EXPECT_TRUE(g.root->add_writer(g.a->local_writer()));
  EXPECT_TRUE(g.root->add_writer(g.x->local_writer()));
  EXPECT_TRUE(sync_full(*g.root, *g.a));
  EXPECT_TRUE(g.root->put(hypercore::as_bytes("k"), hypercore::as_bytes("from root")));
  EXPECT_TRUE(g.a->put(hypercore::as_bytes("k"), hypercore::as_bytes("from a")));

  const Hash& group = g.root->key();
  const Hash a_key = g.a->local_writer();
  auto put_body = [](std::string_view key, std::string_view value) {
    return cat({{static_cast<uint8_t>(key.size())}, raw(key), {1, static_cast<uint8_t>(value.size())}, raw(value), {0}});
  };
  multi::Op header;
  header.type = OpType::header;
  header.key.assign(group.begin(), group.end());
  std::vector<Bytes> root_junk = {
      {0xff, 0x00},                                                            // garbage
      {},                                                                      // an empty block
      multi::encode_op(header),                                                // a header past block 0
      cat({{2, 1}, le64(10), put_body("k", "v2")}),                            // version 2: unsupported
      cat({{0, 1}, le64(10), put_body("k", "v0")}),                            // version 0
      cat({{0xfd, 1, 0, 1}, le64(11), put_body("n", "wide version 1")}),       // version 1 in 3 bytes: an op
      cat({{1, 1}, le64(12), {0xfd, 1, 0}, raw("w"), {1, 1}, raw("x"), {0}}),  // a 3-byte key length: an op
      cat({{1, 5}, le64(12), {1}, raw("k"), {0}}),                             // type 5
      cat({{1, 1}, le64(12), {1}, raw("k"), {2, 1}, raw("x"), {0}}),           // unknown put flag
      cat({{1, 1}, le64(12), put_body("k", "trailing"), {0}}),                 // a trailing byte
      cat({{1, 1}, le64(12), {1}, raw("k"), {1, 9}, raw("truncated")}),        // no links count
      cat({{1, 2}, le64(12), {1}, raw("k"), {0xfe, 0xff, 0xff, 0xff, 0xff}}),  // 2^32 - 1 links
      cat({{1, 3}, le64(12), {31}, Bytes(31, 7)}),                             // a 31-byte writer key
      cat({{1, 0}, le64(12), key_field(group), {11}, raw("bee-multi/2"), {0, 0}}),  // another protocol
      cat({{1, 0}, le64(12), key_field(group), {11}, raw("bee-multi/1"), {2, 0}}),  // conflict rule 2
      cat({{1, 4}, le64(13), key_field(a_key), {0xff}, le64(0x8000000000000005)}),  // cut A at 2^63 + 5
      cat({{1, 4}, le64(13), key_field(group), {0}}),                               // remove the root
      cat({{1, 1}, le64(14), {0}, {1, 0}, {0}}),                                    // key "" = value ""
      cat({{1, 1}, le64(15), {1}, raw("m"), {0}, {0}}),                             // a put without a value
  };
  auto root_core = g.root->writer_core(g.root->local_writer()).value();
  uint64_t self = root_core->length() + root_junk.size();
  // del k, linking the root's put of k (seq 3) and itself
  root_junk.push_back(cat({{1, 2}, le64(16), {1}, raw("k"), {2}, Bytes(group.begin(), group.end()), {3},
                           Bytes(group.begin(), group.end()), {static_cast<uint8_t>(self)}}));
  for (const auto& block : root_junk) EXPECT_TRUE(root_core->append(block));
  EXPECT_TRUE(g.root->catch_up());
  EXPECT_TRUE(g.root->put(hypercore::as_bytes("after"), hypercore::as_bytes("junk")));  // the log goes on past it

  // A: a removal of the root by a deeper member, of itself, then the largest stamp.
  auto a_core = g.a->writer_core(g.a->local_writer()).value();
  EXPECT_TRUE(a_core->append(cat({{1, 4}, le64(20), key_field(group), {0}})));
  EXPECT_TRUE(a_core->append(cat({{1, 4}, le64(21), key_field(a_key), {1}})));
  EXPECT_TRUE(a_core->append(cat({{1, 1}, le64(UINT64_MAX), put_body("late", "max stamp")})));
  // X (another group's log) and Y (no member) write valid ops, ignored whole.
  for (Device* d : {&g.x, &g.y}) {
    auto core = (*d)->writer_core((*d)->local_writer()).value();
    EXPECT_TRUE(core->append(cat({{1, 1}, le64(UINT64_MAX - 1), put_body("k", "stranger")})));
    EXPECT_TRUE(core->append(cat({{1, 3}, le64(30), key_field(g.y->local_writer())})));
  }
  EXPECT_TRUE(sync_full(*g.root, *g.a));
  EXPECT_TRUE(sync_into(*g.x, *g.root));
  EXPECT_TRUE(sync_into(*g.y, *g.root));
  EXPECT_TRUE(sync_full(*g.root, *g.a));
  return g;
}

TEST(MultiInterop, BadBlocksAreReadAlikeInJavaScript) {
  for (Conflict conflict : {Conflict::lww, Conflict::multi_value}) {
    auto g = bad_input_group(conflict);
    ASSERT_FALSE(HasFailure());
    std::vector<Device> devs;
    devs.push_back(std::move(g.root));
    devs.push_back(std::move(g.a));
    devs.push_back(std::move(g.x));
    devs.push_back(std::move(g.y));
    Outcome o;
    o.name = std::string("bad input, ") + multi::conflict_name(conflict);
    o.conflict = conflict;
    // X and Y hold none of the group's ops: only the root's and A's views are the group's.
    ASSERT_EQ(capture(devs, o, 2), "");
    auto answers = run_model({model_case(o.root, o.logs, o.max_writers)});
    ASSERT_EQ(answers.size(), 1u);
    check(o, answers[0]);
    // What the blocks are for happened: X's log is ignored whole, Y is no member, the
    // root's junk is skipped and counted, the 64-bit cutoff of A is exact.
    const ModelAnswer& js = answers[0];
    EXPECT_TRUE(o.problems.contains(devs[2]->local_writer()));
    EXPECT_TRUE(js.ignored.contains(devs[2]->local_writer()));
    EXPECT_FALSE(js.members.contains(devs[3]->local_writer()));
    ASSERT_TRUE(js.bad_ops.contains(o.root) && js.members.contains(devs[1]->local_writer()));
    EXPECT_EQ(js.bad_ops.at(o.root), 13u);
    EXPECT_EQ(js.members.at(devs[1]->local_writer()).cutoff, 0x8000000000000005u);
    size_t unsupported = 0;
    for (const auto& d : js.decoded.at(o.root)) unsupported += d == "unsupported";
    EXPECT_EQ(unsupported, 2u);
    EXPECT_EQ(values_of(*devs[0], "late"), std::vector<std::string>{"max stamp"});
    EXPECT_EQ(values_of(*devs[0], "n"), std::vector<std::string>{"wide version 1"});
  }
}

// ---- the Node reference over loopback ----

constexpr auto kWait = std::chrono::seconds(30);

// Serves `core` from our PeerSession to `multi_replica.js <mode>`, which clones it over
// loopback TCP and checks it against `expect`; returns the line it prints ("" on failure,
// reported).
std::string serve_to_node(hypercore::Core& core, const std::string& mode, const std::string& expect) {
  bee_test::TempDir dir;
  std::string path = dir / "expect.json";
  std::ofstream(path) << expect;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) {
    ADD_FAILURE() << "socket: " << strerror(errno);
    return "";
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "listen on loopback: " << strerror(errno);
    close(listener);
    return "";
  }
  repl_test::NodeChild client({"node", bee_test::interop_script("multi_replica.js"), mode, "--key", to_hex(core.key()),
                               "--port", std::to_string(ntohs(addr.sin_port)), "--expect", path, "--timeout", "25000"});
  auto deadline = net::Clock::now() + kWait;
  pollfd p{listener, POLLIN, 0};
  if (poll(&p, 1, 25000) != 1) {
    ADD_FAILURE() << "multi_replica.js never connected (is the reference installed?)";
    close(listener);
    return "";
  }
  int fd = accept(listener, nullptr, nullptr);
  close(listener);
  if (fd < 0) {
    ADD_FAILURE() << "accept: " << strerror(errno);
    return "";
  }
  net::PeerSession session(net::NoiseRole::responder);
  session.add_core(core, {}, net::Clock::now());
  repl_test::drive(session, fd, [&] { return client.poll_line(); }, deadline);
  close(fd);
  if (!client.read_line(deadline)) {
    ADD_FAILURE() << "multi_replica.js " << mode << " printed: " << client.buffer
                  << (session.error() ? "; session: " + session.error()->to_string() : "");
    return "";
  }
  EXPECT_FALSE(session.failed()) << session.error()->to_string();
  return client.line();
}

TEST(MultiInterop, NodeClonesWriterLogsBlockForBlock) {
  auto g = bad_input_group(Conflict::multi_value);
  ASSERT_FALSE(HasFailure());
  for (Device* d : {&g.root, &g.a}) {
    auto core = (*d)->writer_core((*d)->local_writer());
    ASSERT_TRUE(core) << core.error().to_string();
    auto blocks = read_log(**core);
    ASSERT_TRUE(blocks) << blocks.error().to_string();
    std::string line = serve_to_node(**core, "log", "{\"blocks\":" + json_hex_list(*blocks) + "}");
    ASSERT_FALSE(line.empty());
    simdjson::dom::parser parser;
    element out;
    ASSERT_EQ(parser.parse(line).get(out), simdjson::SUCCESS) << line;
    ASSERT_EQ(out["length"].get_uint64().value(), blocks->size()) << line;
    EXPECT_EQ(out["missing"].get_array().value().size(), 0u) << line;
    EXPECT_EQ(out["mismatched"].get_array().value().size(), 0u) << line;
    EXPECT_EQ(text(out["treeHash"]), to_hex((*core)->tree_hash()));
    size_t i = 0;
    for (element op : out["ops"].get_array()) {
      ASSERT_LT(i, blocks->size());
      EXPECT_EQ(text(op), describe((*blocks)[i])) << "block " << i;
      ++i;
    }
    EXPECT_EQ(i, blocks->size());
  }
}

// Every entry of a bee snapshot in `range`, as [keyHex, valueHex|null] pairs.
std::vector<std::pair<std::string, std::string>> entries(const bee::Snapshot& snapshot, const bee::Range& range) {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = snapshot.range(range);
  for (;;) {
    auto e = it.next();
    EXPECT_TRUE(e) << e.error().to_string();
    if (!e || !*e) break;
    out.emplace_back(to_hex((*e)->key), (*e)->value ? to_hex(*(*e)->value) : "null");
  }
  return out;
}

TEST(MultiInterop, HyperbeeReadsTheKeyValueView) {
  for (Conflict conflict : {Conflict::lww, Conflict::multi_value}) {
    SCOPED_TRACE(multi::conflict_name(conflict));
    RandomGroup group(3, conflict);
    ASSERT_EQ(group.run(), "");
    Device& dev = group.devs[0];
    // The keys "" and 00, which a Hyperbee sub's range does not list.
    ASSERT_TRUE(dev->put(hypercore::as_bytes(""), hypercore::as_bytes("empty key")));
    ASSERT_TRUE(dev->put(hypercore::as_bytes(std::string_view("\0", 1)), hypercore::as_bytes("zero key")));
    Outcome o;
    ASSERT_EQ(group.outcome(o), "");
    auto view_bee = dev->view_bee();
    ASSERT_TRUE(view_bee) << view_bee.error().to_string();
    auto snapshot = (*view_bee)->snapshot();
    auto all = entries(snapshot, bee::Range{});
    bee::Range kv_bounds;
    kv_bounds.gte = multi::kv_key({});
    kv_bounds.lt = raw(std::string_view("kv\x01", 3));
    std::string expect = "{\"kv\":[";
    std::vector<KeyValues> records;  // every record, tombstones included
    auto kv_entries = entries(snapshot, kv_bounds);
    for (size_t i = 0; i < kv_entries.size(); ++i) {
      const auto& [key, value] = kv_entries[i];
      expect += (i ? ",[\"" : "[\"") + key.substr(6) + "\",\"" + value + "\"]";
      auto record = multi::decode_kv_record(hypercore::from_hex(value).value_or(Bytes{}));
      ASSERT_TRUE(record) << record.error().to_string();
      records.push_back(KeyValues{hypercore::from_hex(key.substr(6)).value_or(Bytes{}), *record});
    }
    expect += "]}";
    ASSERT_GT(records.size(), 2u);

    std::string line = serve_to_node((*view_bee)->core(), "view", expect);
    ASSERT_FALSE(line.empty());
    simdjson::dom::parser parser;
    element out;
    ASSERT_EQ(parser.parse(line).get(out), simdjson::SUCCESS) << line;
    EXPECT_EQ(out["length"].get_uint64().value(), (*view_bee)->core().length());
    EXPECT_FALSE(out["kvMismatch"].get_bool().value()) << "bee.sub('kv') differs from " << expect;
    // hyperbee 2.27.3's sub ranges start after prefix ‖ 00: bee.sub('kv') lists every key
    // but "" and 00, which its get() finds.
    std::vector<std::string> only_by_get;
    for (element k : out["onlyByGet"].get_array()) only_by_get.push_back(text(k));
    EXPECT_EQ(only_by_get, (std::vector<std::string>{"", "00"}));
    // The whole bee (the indexer's keys, and lk markers in multi-value groups) entry for entry.
    std::vector<std::pair<std::string, std::string>> node_all;
    for (element e : out["entries"].get_array()) {
      auto pair = e.get_array();
      node_all.emplace_back(text(pair.at(0)), pair.at(1).is_null() ? "null" : text(pair.at(1)));
    }
    EXPECT_EQ(node_all, all);
    // Node's records, decoded by multi_model.js: ours, and once tombstones are dropped, what
    // every device reads and what multi_model.js folds from the logs.
    std::vector<KeyValues> node_records, node_live;
    for (element e : out["kv"].get_array()) {
      KeyValues kv{bytes_of(e["key"]), {}};
      for (element v : e["values"].get_array()) kv.values.push_back(value_of(v));
      node_records.push_back(kv);
      std::erase_if(kv.values, [](const Value& v) { return v.tombstone; });
      if (!kv.values.empty()) node_live.push_back(std::move(kv));
    }
    EXPECT_EQ(render_values(node_records), render_values(records));
    auto answers = run_model({model_case(o.root, o.logs, o.max_writers)});
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(render_values(node_live), render_values(answers[0].keys));
    EXPECT_EQ(render_values(node_live), render_values(o.views[0]));
    if (conflict == Conflict::multi_value) {
      size_t links = std::count_if(all.begin(), all.end(), [](const auto& e) { return e.first.starts_with("6c6b00"); });
      EXPECT_GT(links, 0u) << "a multi-value view with no lk markers";
    }
  }
}

}  // namespace
