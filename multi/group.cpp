// The group: its storage layout, opening, writes and reads. Indexing (folding the logs
// into the views, rebuilds) is in indexer.cpp; both work on Group::Impl
// (internal/group_state.hpp).
//
// Storage layout (one lock, group.lock, covers every core in it):
//   group/                 this device's state: a local bee (config, announced writers,
//                          which generation of each view answers)
//   cores/<discovery key>/ one core per writer, the local writer's included
//   views/<name>/<gen>/    one bee per generation of each view
#include "multi/group.hpp"

#include <algorithm>

#include "bee/db.hpp"
#include "hypercore/compact_encoding.hpp"
#include "multi/internal/group_state.hpp"

namespace multi {

using hypercore::Core;
using hypercore::CoreOptions;
using hypercore::errc;
using hypercore::fail;

namespace {

constexpr uint64_t kConfigVersion = 1;
const std::string kStatePrefix = "group";
const std::string kLockName = "group.lock";

std::unexpected<hypercore::Error> closed_error() { return fail(errc::closed, "group: closed"); }

}  // namespace

// ---- the local state bee ----

Bytes Group::Impl::state_key(std::string_view kind, ByteSpan rest) {
  Bytes out(kind.begin(), kind.end());
  out.push_back('/');
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

CoreOptions Group::Impl::core_options(std::string prefix) const {
  CoreOptions o;
  o.prefix = std::move(prefix);
  o.durability = options.durability;
  o.held_lock = lock;
  // A group can hold hundreds of writer cores: each keeps a small index cache.
  o.index_cache_bytes = 256 << 10;
  return o;
}

std::string Group::Impl::writer_prefix(const Hash& writer) {
  return "cores/" + hypercore::to_hex(hypercore::discovery_key(writer));
}

Result<void> Group::Impl::open_state(bool create) {
  auto o = core_options(kStatePrefix);
  o.index_cache_bytes = 64 << 10;
  std::unique_ptr<Core> core;
  if (create) {
    HC_TRY(c, Core::create(storage, hypercore::KeyPair::random(), o));
    core = std::move(c);
  } else {
    auto c = Core::open(storage, o);
    if (!c && c.error().code == errc::not_found) {
      return fail(errc::not_found, "no group in " + storage->describe() + " (bee group create or join makes one)");
    }
    if (!c) return std::unexpected(c.error());
    core = std::move(*c);
  }
  bee::BeeOptions bo;
  bo.cache_bytes = 1 << 20;
  HC_TRY(b, bee::Bee::open(std::shared_ptr<Core>(std::move(core)), bo));
  state = std::move(b);
  return {};
}

Result<void> Group::Impl::save_config(const hypercore::KeyPair& local_pair) {
  hypercore::cenc::Encoder e;
  e.uint(kConfigVersion);
  e.fixed(key);
  e.fixed(local_pair.secret_key);
  HC_TRY(written, state->put(hypercore::as_bytes("config"), e.bytes()));
  (void)written;
  return state->core().flush();
}

Result<hypercore::KeyPair> Group::Impl::load_config() {
  // Read in place: moving the optional entry out trips g++ 12's -Wmaybe-uninitialized at -O3.
  auto entry = state->get(hypercore::as_bytes("config"));
  if (!entry) return std::unexpected(entry.error());
  if (!*entry || !(*entry)->value) return fail(errc::corrupt, "group in " + storage->describe() + ": no config record");
  hypercore::cenc::Decoder d(*(*entry)->value, "group config");
  HC_TRY(version, d.uint());
  if (version != kConfigVersion) return fail(errc::unsupported, "group config version " + std::to_string(version));
  HC_TRY(k, d.fixed32());
  HC_TRY(secret, d.fixed(64));
  HC_TRY(pair, hypercore::KeyPair::from_secret_key(secret));
  key = k;
  local = pair.public_key;
  return pair;
}

// ---- writer cores ----

Result<WriterSlot*> Group::Impl::add_slot(const Hash& writer) {
  if (auto it = writers.find(writer); it != writers.end()) return &it->second;
  auto core = Core::open_replica(storage, writer, core_options(writer_prefix(writer)));
  if (!core && core.error().code == errc::not_found) {
    // A crash while the replica was being created left files without a header: there is
    // nothing in them to keep.
    HC_CHECK(storage->remove_all(writer_prefix(writer)));
    core = Core::open_replica(storage, writer, core_options(writer_prefix(writer)));
  }
  if (!core) return std::unexpected(core.error());
  WriterSlot& slot = writers[writer];
  slot.core = std::shared_ptr<Core>(std::move(*core));
  membership_dirty = true;
  auto watchers = *writer_watchers;  // a callback may stop watching
  for (auto& [id, fn] : watchers) fn(slot.core);
  return &slot;
}

Result<void> Group::Impl::open_local(const hypercore::KeyPair& pair) {
  auto o = core_options(writer_prefix(pair.public_key));
  o.key_pair = pair;
  auto core = Core::open(storage, o);
  if (!core && core.error().code == errc::not_found) {
    // Never created, or a crash during its creation left files without a header (so no
    // block was ever appended to it).
    HC_CHECK(storage->remove_all(o.prefix));
    core = Core::create(storage, pair, o);
  }
  if (!core) return std::unexpected(core.error());
  WriterSlot& slot = writers[pair.public_key];
  slot.core = std::shared_ptr<Core>(std::move(*core));
  if (slot.core->length() == 0) {
    // Block 0 names the group (and in the root's log, its rules); a crash right after the
    // core was created leaves it empty, so it is written here on every open until it is.
    Op header;
    header.type = OpType::header;
    header.hlc = clock.now();
    header.key.assign(key.begin(), key.end());
    if (pair.public_key == key) {
      header.conflict = options.conflict;
      header.membership = options.membership;
    }
    HC_CHECK(slot.core->append(encode_op(header)));
  }
  return {};
}

Result<void> Group::Impl::load_announced() {
  bee::Range r;
  r.gte = state_key("announced", {});
  r.lt = bee::prefix_upper_bound(*r.gte);
  auto it = state->snapshot().range(r);
  for (;;) {
    HC_TRY(entry, it.next());
    if (!entry) break;
    if (entry->key.size() != r.gte->size() + 32) continue;
    Hash k;
    std::copy(entry->key.end() - 32, entry->key.end(), k.begin());
    announced.insert(k);
  }
  return {};
}

Result<std::unique_ptr<Group>> Group::Impl::start(std::shared_ptr<hypercore::Storage> storage, GroupOptions options,
                                                  Mode mode, const Hash& join_key) {
  auto impl = std::make_unique<Impl>(std::move(options));
  impl->storage = std::move(storage);
  HC_TRY(lock, impl->storage->lock(kLockName, hypercore::LockMode::exclusive));
  impl->lock = std::move(lock);
  hypercore::KeyPair pair;
  if (mode == Mode::open) {
    HC_CHECK(impl->open_state(false));
    HC_TRY(p, impl->load_config());
    pair = p;
  } else {
    auto existing = impl->storage->exists(kStatePrefix + "/header");
    if (existing && *existing) {
      return fail(errc::already_exists, impl->storage->describe() + " already holds a group (open it instead)");
    }
    pair = hypercore::KeyPair::random();
    impl->key = mode == Mode::create ? pair.public_key : join_key;
    impl->local = pair.public_key;
    HC_CHECK(impl->open_state(true));
    // The config (with the writer's secret key) first: a crash before the writer core
    // exists leaves a config from which open() creates it.
    HC_CHECK(impl->save_config(pair));
  }
  HC_CHECK(impl->open_local(pair));
  if (impl->key != impl->local) HC_CHECK(impl->add_slot(impl->key));
  HC_CHECK(impl->load_announced());
  for (const auto& k : impl->announced) HC_CHECK(impl->add_slot(k));
  HC_CHECK(impl->refresh());
  return std::unique_ptr<Group>(new Group(std::move(impl)));
}

Group::Impl::Impl(GroupOptions o)
    : options(std::move(o)), clock(options.physical_clock, options.max_clock_skew_ms) {}

Group::Group(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Group::~Group() { (void)close(); }

Result<std::unique_ptr<Group>> Group::create(std::shared_ptr<hypercore::Storage> storage, GroupOptions options) {
  return Impl::start(std::move(storage), std::move(options), Impl::Mode::create, {});
}
Result<std::unique_ptr<Group>> Group::join(std::shared_ptr<hypercore::Storage> storage, const Hash& group_key,
                                           GroupOptions options) {
  return Impl::start(std::move(storage), std::move(options), Impl::Mode::join, group_key);
}
Result<std::unique_ptr<Group>> Group::open(std::shared_ptr<hypercore::Storage> storage, GroupOptions options) {
  return Impl::start(std::move(storage), std::move(options), Impl::Mode::open, {});
}

namespace {
Result<std::shared_ptr<hypercore::Storage>> folder(const std::string& path, bool create) {
  hypercore::DirectoryStorageOptions o;
  o.create_if_missing = create;
  auto storage = hypercore::open_directory_storage(path, o);
  if (!storage && storage.error().code == errc::not_found) return fail(errc::not_found, "no group in " + path);
  return storage;
}
}  // namespace

Result<std::unique_ptr<Group>> Group::create(const std::string& path, GroupOptions options) {
  HC_TRY(storage, folder(path, true));
  return create(std::move(storage), std::move(options));
}
Result<std::unique_ptr<Group>> Group::join(const std::string& path, const Hash& group_key, GroupOptions options) {
  HC_TRY(storage, folder(path, true));
  return join(std::move(storage), group_key, std::move(options));
}
Result<std::unique_ptr<Group>> Group::open(const std::string& path, GroupOptions options) {
  HC_TRY(storage, folder(path, false));
  return open(std::move(storage), std::move(options));
}

const Hash& Group::key() const { return impl_->key; }
Hash Group::discovery_key() const { return hypercore::discovery_key(impl_->key); }
const Hash& Group::local_writer() const { return impl_->local; }
const MembershipTable& Group::membership() const { return impl_->table; }

// ---- writes ----

Result<void> Group::Impl::check_writable() const {
  if (closed) return closed_error();
  if (!rules) {
    return fail(errc::session_not_writable,
                "group: the root's first block (the group's rules) is not here yet: sync with a member first");
  }
  const auto& slot = writers.at(local);
  if (!table.is_member(local)) {
    return fail(errc::session_not_writable, "group: this device's writer " + hypercore::to_hex(local) +
                                                " is not a member: a member must run `bee group invite` with it, then sync");
  }
  if (slot.core->length() >= table.cutoff(local)) {
    return fail(errc::session_not_writable, "group: this device's writer was removed from the group");
  }
  return {};
}

Result<std::vector<OpId>> Group::Impl::append_ops(std::vector<Op> ops) {
  HC_CHECK(check_writable());
  auto& core = *writers.at(local).core;
  std::vector<Bytes> blocks;
  blocks.reserve(ops.size());
  for (auto& op : ops) {
    op.hlc = clock.now();
    blocks.push_back(encode_op(op));
  }
  std::vector<hypercore::ByteSpan> spans(blocks.begin(), blocks.end());
  uint64_t first = core.length();
  HC_CHECK(core.append(spans));
  std::vector<OpId> ids;
  for (uint64_t i = 0; i < ops.size(); ++i) ids.push_back(OpId{local, first + i});
  HC_CHECK(refresh());
  HC_CHECK(catch_up(SIZE_MAX));
  return ids;
}

Result<std::vector<OpId>> Group::write(std::span<const Write> writes) {
  HC_CHECK(impl_->check_writable());
  std::optional<bee::Snapshot> kv;
  if (impl_->rules->conflict == Conflict::multi_value) {
    HC_TRY(snapshot, view(kKvViewName));
    kv = snapshot;
  }
  std::vector<Op> ops;
  for (const auto& w : writes) {
    if (w.type != OpType::put && w.type != OpType::del) {
      return fail(errc::invalid_argument, "group write: only put and del (membership has its own calls)");
    }
    Op op;
    op.type = w.type;
    op.key = w.key;
    if (w.type == OpType::put) op.value = w.value;
    if (w.merges) {
      op.links = *w.merges;
    } else if (kv) {
      HC_TRY(heads, kv_heads(*kv, w.key));
      for (const auto& h : heads) op.links.push_back(h.id);
    }
    ops.push_back(std::move(op));
  }
  return impl_->append_ops(std::move(ops));
}

Result<OpId> Group::put(ByteSpan key, std::optional<ByteSpan> value, std::optional<std::vector<OpId>> merges) {
  Write w{OpType::put, Bytes(key.begin(), key.end()), std::nullopt, std::move(merges)};
  if (value) w.value = Bytes(value->begin(), value->end());
  HC_TRY(ids, write(std::span<const Write>(&w, 1)));
  return ids.front();
}

Result<OpId> Group::del(ByteSpan key) {
  Write w{OpType::del, Bytes(key.begin(), key.end()), std::nullopt, std::nullopt};
  HC_TRY(ids, write(std::span<const Write>(&w, 1)));
  return ids.front();
}

Result<OpId> Group::add_writer(const Hash& writer) {
  Op op;
  op.type = OpType::add_writer;
  op.key.assign(writer.begin(), writer.end());
  HC_TRY(ids, impl_->append_ops({std::move(op)}));
  return ids.front();
}

Result<OpId> Group::remove_writer(const Hash& writer, std::optional<uint64_t> from) {
  if (writer == impl_->key) return fail(errc::invalid_argument, "group: the root writer cannot be removed");
  Op op;
  op.type = OpType::remove_writer;
  op.key.assign(writer.begin(), writer.end());
  auto it = impl_->writers.find(writer);
  op.from = from ? *from : it == impl_->writers.end() ? 0 : it->second.core->contiguous_length();
  HC_TRY(ids, impl_->append_ops({std::move(op)}));
  return ids.front();
}

// ---- reads ----

Result<bee::Snapshot> Group::view(std::string_view name) const {
  if (impl_->closed) return closed_error();
  for (const auto& v : impl_->views) {
    if (v.view->name() == name) return v.serving.bee->snapshot();
  }
  if (name == kKvViewName && !impl_->rules) {
    return fail(errc::not_found, "group: no key/value view yet: the root's first block (the group's rules) is not here");
  }
  return fail(errc::not_found, "group: no view named " + std::string(name));
}

Result<bee::Bee*> Group::view_bee(std::string_view name) {
  HC_CHECK(view(name));
  for (auto& v : impl_->views) {
    if (v.view->name() == name) return v.serving.bee.get();
  }
  return fail(errc::not_found, "group: no view named " + std::string(name));
}

Result<std::vector<Value>> Group::get(ByteSpan key) const {
  auto snapshot = view(kKvViewName);
  if (!snapshot && snapshot.error().code == errc::not_found && !impl_->closed) return std::vector<Value>{};
  if (!snapshot) return std::unexpected(snapshot.error());
  return kv_get(*snapshot, key);
}

Result<KvRangeIterator> Group::range(const KvRange& range) const {
  HC_TRY(snapshot, view(kKvViewName));
  return kv_range(snapshot, range);
}

Result<KvChangeIterator> Group::changes(uint64_t since) const {
  HC_TRY(snapshot, view(kKvViewName));
  if (since > snapshot.version()) {
    return fail(errc::out_of_range, "group changes: version " + std::to_string(since) + " is past the view's " +
                                        std::to_string(snapshot.version()) + " (a rebuild starts versions over)");
  }
  return kv_changes(snapshot, since);
}

std::shared_ptr<void> Group::watch(std::function<void(uint64_t version, uint64_t previous)> on_change) {
  uint64_t id = impl_->next_watch_id++;
  impl_->view_watchers->emplace(id, std::move(on_change));
  std::weak_ptr<Impl::ViewWatchers> watchers = impl_->view_watchers;
  return std::shared_ptr<void>(nullptr, [watchers, id](void*) {
    if (auto w = watchers.lock()) w->erase(id);
  });
}

void Group::Impl::notify_view(const ViewSlot& slot, uint64_t version, uint64_t previous) {
  if (slot.view->name() != kKvViewName || version == previous) return;
  auto watchers = *view_watchers;
  for (auto& [id, fn] : watchers) fn(version, previous);
}

// ---- replication hooks ----

std::vector<std::shared_ptr<Core>> Group::cores() const {
  std::vector<std::shared_ptr<Core>> out;
  for (const auto& [k, slot] : impl_->writers) out.push_back(slot.core);
  return out;
}

Result<std::shared_ptr<Core>> Group::writer_core(const Hash& writer) {
  if (impl_->closed) return closed_error();
  bool open_mode = impl_->rules && impl_->rules->membership == Membership::open;
  // In open mode an announcement is what admits a writer (at depth 1), even one this
  // device already tracks because an add_writer op named it: every device must count the
  // same announcements, or their depths (and so the removals that count) would differ.
  if (open_mode && !impl_->announced.contains(writer) && impl_->announced.size() < impl_->options.max_writers) {
    HC_TRY(written, impl_->state->put(Impl::state_key("announced", writer), Bytes{}));
    (void)written;
    impl_->announced.insert(writer);
    impl_->membership_dirty = true;
    HC_TRY(slot, impl_->add_slot(writer));
    HC_CHECK(impl_->refresh());
    return slot->core;
  }
  if (auto it = impl_->writers.find(writer); it != impl_->writers.end()) return it->second.core;
  return fail(errc::not_found, "group: writer " + hypercore::to_hex(writer) + " is not a member");
}

std::shared_ptr<void> Group::watch_writers(std::function<void(const std::shared_ptr<Core>&)> on_new) {
  uint64_t id = impl_->next_watch_id++;
  impl_->writer_watchers->emplace(id, std::move(on_new));
  std::weak_ptr<Impl::WriterWatchers> watchers = impl_->writer_watchers;
  return std::shared_ptr<void>(nullptr, [watchers, id](void*) {
    if (auto w = watchers.lock()) w->erase(id);
  });
}

Result<void> Group::close() {
  if (!impl_ || impl_->closed) return {};
  impl_->closed = true;
  Result<void> result;
  auto keep = [&](Result<void> r) {
    if (!r && result) result = std::move(r);
  };
  for (auto& v : impl_->views) {
    if (v.building && v.building->core) keep(v.building->core->close());
    if (v.serving.core) keep(v.serving.core->close());
  }
  for (auto& [k, slot] : impl_->writers) keep(slot.core->close());
  if (impl_->state) keep(impl_->state->core().close());
  impl_->writer_watchers->clear();
  impl_->view_watchers->clear();
  impl_->views.clear();
  impl_->writers.clear();
  impl_->state.reset();
  impl_->lock.reset();
  return result;
}

}  // namespace multi
