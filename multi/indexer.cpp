// Indexing: scanning each log's held prefix (membership ops, the clock), deciding who may
// write, and folding the ops of members into every view, one flush per batch with the
// view's record of what it took in. A view whose record no longer matches the logs (a
// version bump, a removal cutting ops it holds, a log that forked) is rebuilt in a new
// generation beside it; the old one answers until the new one has caught up.
#include <algorithm>

#include "bee/db.hpp"
#include "hypercore/compact_encoding.hpp"
#include "multi/group.hpp"
#include "multi/internal/group_state.hpp"

namespace multi {

using hypercore::Core;
using hypercore::errc;
using hypercore::fail;

namespace {

// The driver's keys in a view's bee start with byte 0, which views may not write.
const Bytes kVersionKey = {0, 'v', 'i', 'e', 'w'};
const Bytes kAppliedPrefix = {0, 's', 't', 'a', 't', 'e', 0};

Bytes applied_key(const Hash& writer) {
  Bytes out = kAppliedPrefix;
  out.insert(out.end(), writer.begin(), writer.end());
  return out;
}

Bytes encode_applied(const Generation::Applied& a) {
  hypercore::cenc::Encoder e;
  e.uint(a.length);
  e.uint(a.fork);
  return e.take();
}

std::string generation_prefix(std::string_view name, uint64_t number) {
  return "views/" + std::string(name) + "/" + std::to_string(number);
}

bool valid_view_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

struct ViewRecord {
  uint64_t serving = 0;
  uint64_t serving_version = 0;
  uint64_t building = 0;  // 0: none
  uint64_t retired = 0;   // a replaced generation whose files may still be there
};

Bytes encode_view_record(const ViewRecord& r) {
  hypercore::cenc::Encoder e;
  e.uint(r.serving);
  e.uint(r.serving_version);
  e.uint(r.building);
  e.uint(r.retired);
  return e.take();
}

Result<ViewRecord> decode_view_record(ByteSpan bytes) {
  hypercore::cenc::Decoder d(bytes, "group view record");
  ViewRecord r;
  HC_TRY(serving, d.uint());
  HC_TRY(version, d.uint());
  HC_TRY(building, d.uint());
  HC_TRY(retired, d.uint());
  HC_CHECK(d.expect_end());
  r.serving = serving;
  r.serving_version = version;
  r.building = building;
  r.retired = retired;
  return r;
}

}  // namespace

// ---- scanning and membership ----

Result<void> Group::Impl::scan(const Hash& writer, WriterSlot& slot) {
  if (slot.core->fork() != slot.fork || slot.scanned > slot.core->contiguous_length()) {
    // The log was truncated: what was read of it may be gone. Read it again.
    WriterSlot fresh;
    fresh.core = std::move(slot.core);
    fresh.fork = fresh.core->fork();
    slot = std::move(fresh);
    membership_dirty = true;
  }
  if (!slot.problem.empty()) return {};
  uint64_t end = slot.core->contiguous_length();
  while (slot.scanned < end) {
    HC_TRY(block, slot.core->get(slot.scanned));
    uint64_t seq = slot.scanned++;
    auto op = decode_op(block);
    if (seq == 0) {
      if (!op || op->type != OpType::header || !std::equal(op->key.begin(), op->key.end(), key.begin(), key.end())) {
        slot.problem = op ? "its first block is not a header naming this group" : "its first block does not decode: " + op.error().message;
        return {};
      }
      slot.header_ok = true;
      membership_dirty = true;
      if (writer == key) rules = *op;
    } else if (!op || op->type == OpType::header) {
      // Not an op this build can read: skipped by every peer of this version alike.
      ++slot.bad_ops;
      continue;
    }
    if (writer != local) {
      clock.receive(op->hlc);
    } else {
      clock.observe(op->hlc);  // this device's own stamps, from before a restart
    }
    if (op->type == OpType::add_writer || op->type == OpType::remove_writer) {
      MemberOp m{seq, op->type, {}, op->from};
      std::copy(op->key.begin(), op->key.end(), m.target.begin());
      slot.member_ops.push_back(m);
      membership_dirty = true;
    }
  }
  return {};
}

Result<void> Group::Impl::refresh() {
  for (;;) {
    for (auto& [k, slot] : writers) HC_CHECK(scan(k, slot));
    if (!membership_dirty) break;  // no membership op, header, writer or announcement is new
    membership_dirty = false;
    std::map<Hash, std::vector<MemberOp>> ops;
    for (const auto& [k, slot] : writers) {
      if (slot.header_ok) ops[k] = slot.member_ops;
    }
    Membership mode = rules ? rules->membership : Membership::invited;
    std::set<Hash> named = announced;
    named.insert(local);  // in open mode this device's writer needs nobody's invitation
    table = compute_membership(key, mode, ops, named, options.max_writers);
    bool added = false;
    for (const auto& [k, member] : table.members) {
      if (writers.contains(k)) continue;
      HC_CHECK(add_slot(k));
      added = true;
    }
    if (!added) break;
  }
  return ensure_views();
}

uint64_t Group::Impl::limit(const Hash& writer) const {
  auto it = writers.find(writer);
  if (it == writers.end() || !it->second.header_ok) return 0;
  return std::min(table.cutoff(writer), it->second.scanned);
}

uint64_t Group::Impl::total_ops() const {
  uint64_t total = 0;
  for (const auto& [k, slot] : writers) total += limit(k);
  return total;
}

bool Group::Impl::needs_rebuild(const Generation& g) const {
  for (const auto& [writer, a] : g.applied) {
    if (a.length == 0) continue;
    auto it = writers.find(writer);
    if (it == writers.end() || !it->second.header_ok) return true;
    uint64_t allowed = std::min(table.cutoff(writer), it->second.scanned);
    if (a.length > allowed || a.fork != it->second.fork) return true;
  }
  return false;
}

// ---- views and generations ----

Result<Generation> Group::Impl::open_generation(const std::string& name, uint64_t number, bool fresh) {
  Generation g;
  g.number = number;
  std::string prefix = generation_prefix(name, number);
  std::unique_ptr<Core> core;
  if (!fresh) {
    auto opened = Core::open(storage, core_options(prefix));
    if (opened) {
      core = std::move(*opened);
    } else if (opened.error().code != errc::not_found) {
      return std::unexpected(opened.error());
    }
  }
  if (!core) {
    HC_CHECK(storage->remove_all(prefix));
    HC_TRY(created, Core::create(storage, hypercore::KeyPair::random(), core_options(prefix)));
    core = std::move(created);
  }
  g.core = std::shared_ptr<Core>(std::move(core));
  HC_TRY(b, bee::Bee::open(g.core));
  g.bee = std::move(b);
  auto snapshot = g.bee->snapshot();
  HC_TRY(version, snapshot.get(kVersionKey));
  g.version_written = version.has_value();
  bee::Range r;
  r.gte = kAppliedPrefix;
  r.lt = bee::prefix_upper_bound(kAppliedPrefix);
  auto it = snapshot.range(r);
  for (;;) {
    HC_TRY(entry, it.next());
    if (!entry) break;
    if (entry->key.size() != kAppliedPrefix.size() + 32 || !entry->value) {
      return fail(errc::corrupt, "view " + name + ": a malformed state key");
    }
    Hash writer;
    std::copy(entry->key.end() - 32, entry->key.end(), writer.begin());
    hypercore::cenc::Decoder d(*entry->value, "view state of a writer");
    HC_TRY(length, d.uint());
    HC_TRY(fork, d.uint());
    g.applied[writer] = Generation::Applied{length, fork};
  }
  return g;
}

Result<void> Group::Impl::save_view_record(const ViewSlot& slot) {
  ViewRecord r{slot.serving.number, slot.serving_version, slot.building ? slot.building->number : 0, 0};
  HC_TRY(written, state->put(state_key("view", hypercore::as_bytes(slot.view->name())), encode_view_record(r)));
  (void)written;
  return {};
}

Result<void> Group::Impl::add_view(std::unique_ptr<View> view) {
  std::string name(view->name());
  if (!valid_view_name(name)) {
    return fail(errc::invalid_argument, "view name \"" + name + "\": use 1 to 64 letters, digits, '-' or '_'");
  }
  for (const auto& v : views) {
    if (v.view->name() == name) return fail(errc::already_exists, "group: a view named " + name + " is already in use");
  }
  ViewSlot slot;
  slot.view = std::move(view);
  HC_TRY(entry, state->get(state_key("view", hypercore::as_bytes(name))));
  if (!entry || !entry->value) {
    HC_TRY(g, open_generation(name, 1, true));
    slot.serving = std::move(g);
    slot.serving_version = slot.view->version();
    HC_CHECK(save_view_record(slot));
  } else {
    HC_TRY(record, decode_view_record(*entry->value));
    if (record.retired != 0) HC_CHECK(storage->remove_all(generation_prefix(name, record.retired)));
    HC_TRY(g, open_generation(name, record.serving, false));
    slot.serving = std::move(g);
    slot.serving_version = static_cast<uint32_t>(record.serving_version);
    if (record.building != 0) {
      // A rebuild that a crash or a close interrupted: it resumes from its own record.
      auto building = open_generation(name, record.building, false);
      if (!building) building = open_generation(name, record.building, true);
      if (!building) return std::unexpected(building.error());
      slot.building = std::move(*building);
    }
  }
  views.push_back(std::move(slot));
  return {};
}

Result<void> Group::Impl::ensure_views() {
  if (!rules) return {};
  for (const auto& v : views) {
    if (v.view->name() == kKvViewName) return {};
  }
  return add_view(make_kv_view(rules->conflict));
}

Result<void> Group::Impl::start_rebuild(ViewSlot& slot) {
  uint64_t next = std::max(slot.serving.number, slot.building ? slot.building->number : 0) + 1;
  std::string name(slot.view->name());
  if (slot.building) {
    HC_CHECK(slot.building->core->close());
    HC_CHECK(storage->remove_all(generation_prefix(name, slot.building->number)));
    slot.building.reset();
  }
  // The record names the new generation before it exists: a crash in between leaves a
  // record that open() resumes by creating it.
  ViewRecord r{slot.serving.number, slot.serving_version, next, 0};
  HC_TRY(written, state->put(state_key("view", hypercore::as_bytes(name)), encode_view_record(r)));
  (void)written;
  HC_TRY(g, open_generation(name, next, true));
  slot.building = std::move(g);
  return {};
}

Result<void> Group::Impl::finish_rebuild(ViewSlot& slot) {
  std::string name(slot.view->name());
  Generation old = std::move(slot.serving);
  slot.serving = std::move(*slot.building);
  slot.building.reset();
  slot.serving_version = slot.view->version();
  ViewRecord r{slot.serving.number, slot.serving_version, 0, old.number};
  HC_TRY(written, state->put(state_key("view", hypercore::as_bytes(name)), encode_view_record(r)));
  (void)written;
  HC_CHECK(old.core->close());
  old.bee.reset();
  old.core.reset();
  return storage->remove_all(generation_prefix(name, old.number));
}

Result<bool> Group::Impl::index(ViewSlot& slot, size_t& budget) {
  bool frozen_serving = slot.serving_version != slot.view->version();
  if (!slot.building && (frozen_serving || needs_rebuild(slot.serving))) HC_CHECK(start_rebuild(slot));
  if (slot.building && needs_rebuild(*slot.building)) HC_CHECK(start_rebuild(slot));
  Generation& g = slot.building ? *slot.building : slot.serving;

  for (;;) {
    std::vector<std::pair<Hash, uint64_t>> work;
    for (const auto& [k, w] : writers) {
      uint64_t lim = limit(k);
      if (lim > g.applied[k].length) work.emplace_back(k, lim);
    }
    if (work.empty()) break;
    if (budget == 0) return false;
    size_t per_writer = std::max<size_t>(16, std::min(budget, options.max_batch) / work.size());

    std::vector<Op> ops;
    std::vector<OpId> ids;
    std::vector<std::pair<Hash, uint64_t>> advanced;
    size_t taken = 0;
    for (const auto& [k, lim] : work) {
      WriterSlot& w = writers.at(k);
      uint64_t from = g.applied[k].length;
      uint64_t to = std::min<uint64_t>(lim, from + per_writer);
      for (uint64_t seq = from; seq < to; ++seq) {
        HC_TRY(block, w.core->get(seq));
        auto op = decode_op(block);
        if (op && (op->type == OpType::put || op->type == OpType::del)) {
          ops.push_back(std::move(*op));
          ids.push_back(OpId{k, seq});
        }
      }
      taken += to - from;
      advanced.emplace_back(k, to);
    }
    std::vector<IndexedOp> items;
    items.reserve(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) items.push_back(IndexedOp{ids[i], &ops[i]});

    auto batch = g.bee->batch();
    ViewWriter out(batch);
    if (!items.empty()) HC_CHECK(slot.view->apply(items, out));
    for (const auto& [k, to] : advanced) {
      HC_TRY(w1, batch.put(applied_key(k), encode_applied({to, writers.at(k).fork})));
      (void)w1;
    }
    if (!g.version_written) {
      hypercore::cenc::Encoder e;
      e.uint(slot.view->version());
      HC_TRY(w2, batch.put(kVersionKey, e.bytes()));
      (void)w2;
    }
    // One flush: the view's writes and its record of them are one append.
    uint64_t previous = g.bee->version();
    HC_CHECK(batch.flush());
    if (!slot.building) notify_view(slot, g.bee->version(), previous);
    g.version_written = true;
    for (const auto& [k, to] : advanced) g.applied[k] = {to, writers.at(k).fork};
    budget = taken >= budget ? 0 : budget - taken;
  }
  if (slot.building) {
    HC_CHECK(finish_rebuild(slot));
    notify_view(slot, slot.serving.bee->version(), 0);
  }
  return true;
}

Result<bool> Group::Impl::catch_up(size_t max_ops) {
  if (closed) return fail(errc::closed, "group: closed");
  HC_CHECK(refresh());
  bool all = true;
  size_t budget = max_ops;
  for (auto& slot : views) {
    HC_TRY(done, index(slot, budget));
    all = all && done;
  }
  return all;
}

Result<bool> Group::catch_up(size_t max_ops) { return impl_->catch_up(max_ops); }

Result<void> Group::use(std::unique_ptr<View> view) {
  if (impl_->closed) return fail(errc::closed, "group: closed");
  if (!view) return fail(errc::invalid_argument, "group: use() of no view");
  return impl_->add_view(std::move(view));
}

GroupStatus Group::status() const {
  const Impl& s = *impl_;
  GroupStatus st;
  st.key = s.key;
  st.discovery_key = hypercore::discovery_key(s.key);
  st.local_writer = s.local;
  st.rules_known = s.rules.has_value();
  if (s.rules) {
    st.conflict = s.rules->conflict;
    st.membership = s.rules->membership;
  }
  st.writable = !s.closed && s.check_writable().has_value();
  st.clamped_stamps = s.clock.clamped();
  st.refused_writers = s.table.refused;
  const ViewSlot* kv = nullptr;
  bool caught_up = true;
  for (const auto& v : s.views) {
    if (v.view->name() == kKvViewName) kv = &v;
    const Generation& g = v.building ? *v.building : v.serving;
    ViewStatus vs;
    vs.name = std::string(v.view->name());
    vs.version = v.serving_version;
    vs.bee_version = v.serving.bee ? v.serving.bee->version() : 0;
    vs.generation = v.serving.number;
    vs.rebuilding = v.building.has_value();
    for (const auto& [k, slot] : s.writers) {
      auto it = g.applied.find(k);
      vs.indexed += it == g.applied.end() ? 0 : std::min(it->second.length, s.limit(k));
      vs.total += s.limit(k);
    }
    caught_up = caught_up && !vs.rebuilding && vs.indexed == vs.total;
    st.views.push_back(std::move(vs));
  }
  st.caught_up = caught_up && s.rules.has_value();
  for (const auto& [k, slot] : s.writers) {
    WriterStatus w;
    w.key = k;
    w.local = k == s.local;
    w.root = k == s.key;
    auto member = s.table.members.find(k);
    w.member = member != s.table.members.end();
    if (w.member) {
      w.depth = member->second.depth;
      if (member->second.cutoff != std::numeric_limits<uint64_t>::max()) w.removed_from = member->second.cutoff;
    }
    w.length = slot.core->length();
    w.contiguous = slot.core->contiguous_length();
    if (kv) {
      const Generation& g = kv->building ? *kv->building : kv->serving;
      auto it = g.applied.find(k);
      w.indexed = it == g.applied.end() ? 0 : it->second.length;
    }
    w.bad_ops = slot.bad_ops;
    w.problem = slot.problem;
    st.writers.push_back(std::move(w));
  }
  return st;
}

}  // namespace multi
