// Many writers, one database: a group is one Hypercore log per device plus views folded
// from all of them (kappa-core's model, docs/multiwriter.md).
//
//   auto group = multi::Group::create("todo.group");        // this device is the root
//   (*group)->put(as_bytes("milk"), as_bytes("buy"));
//   // on a second device: Group::join(dir, group_key), then a member calls
//   // add_writer(<that device's writer key>); after they sync, both can write.
//
// Every device appends its ops (put, del, add_writer, remove_writer: multi/op.hpp, one per
// block, each stamped by a hybrid logical clock) to its own writer core. The cores of all
// writers live in one storage under one lock (cores/<discovery key>/), replicated like any
// core. Indexing folds the ops of every member's log into the views (local bees under
// views/<name>/): the key/value view that get and range read, and any View given to use().
// The result depends on which ops are held, never on the order they arrived in; a block
// missing from one log holds back only the ops after it in that log.
//
// Thread-safety: none; use a Group from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bee/bee.hpp"
#include "hypercore/core.hpp"
#include "multi/kv_view.hpp"
#include "multi/membership.hpp"
#include "multi/op.hpp"
#include "multi/view.hpp"

namespace multi {

struct GroupOptions {
  // create() only: the group's rules, written into the root's header block. A joining
  // device learns them from there.
  Conflict conflict = Conflict::lww;
  Membership membership = Membership::invited;
  // Received stamps more than this far ahead of this device's clock move the clock only
  // this far (HybridClock); 0: never clamp.
  uint64_t max_clock_skew_ms = 60'000;
  PhysicalClock physical_clock = system_clock_ms;
  // Ops folded into a view per flush (one append of the view's log).
  size_t max_batch = 4096;
  // Members at most (hostile add_writer floods): see compute_membership.
  size_t max_writers = 1024;
  hypercore::Durability durability = hypercore::Durability::os;
};

// One write of Group::write().
struct Write {
  OpType type = OpType::put;  // put or del
  Bytes key;
  std::optional<Bytes> value;
  // multi_value: the values this write replaces; nullopt = every value this device holds
  // for the key (what a plain put means). lww ignores links.
  std::optional<std::vector<OpId>> merges;
};

struct WriterStatus {
  Hash key{};
  bool local = false;
  bool root = false;
  bool member = false;
  uint32_t depth = 0;
  std::optional<uint64_t> removed_from;  // ops at seq >= this are ignored
  uint64_t length = 0;      // the longest signed length known
  uint64_t contiguous = 0;  // blocks 0..n-1 held here
  uint64_t indexed = 0;     // ops the key/value view has taken in (header and membership ops count)
  uint64_t bad_ops = 0;     // blocks that are not ops (skipped by every peer alike)
  std::string problem;      // "", or why the log is ignored ("its header names another group")
};

struct ViewStatus {
  std::string name;
  uint32_t version = 0;
  uint64_t bee_version = 0;
  uint64_t generation = 0;  // grows by one with each rebuild (views/<name>/<generation>/)
  // A rebuild (version bump, or a removal that cut ops already indexed) in progress: the
  // old view answers until the new one has `indexed` == `total`.
  bool rebuilding = false;
  uint64_t indexed = 0;
  uint64_t total = 0;
};

struct GroupStatus {
  Hash key{};
  Hash discovery_key{};
  Hash local_writer{};
  bool rules_known = false;  // false until the root's header block is held
  Conflict conflict = Conflict::lww;
  Membership membership = Membership::invited;
  bool writable = false;   // the local writer is a member
  bool caught_up = false;  // every view has indexed every op held
  std::vector<WriterStatus> writers;
  std::vector<ViewStatus> views;
  uint64_t clamped_stamps = 0;
  uint64_t refused_writers = 0;
};

class Group {
 public:
  // A new group in `storage` (which must hold none), with this device as its root writer.
  static Result<std::unique_ptr<Group>> create(std::shared_ptr<hypercore::Storage> storage, GroupOptions options = {});
  // This device's part of the group `group_key`: a new writer core, and an empty replica
  // of the root's, filled by replication. Its writer key (local_writer()) is what a member
  // passes to add_writer.
  static Result<std::unique_ptr<Group>> join(std::shared_ptr<hypercore::Storage> storage, const Hash& group_key,
                                             GroupOptions options = {});
  // The group in `storage`; the rules stored in it win over options.conflict/membership.
  static Result<std::unique_ptr<Group>> open(std::shared_ptr<hypercore::Storage> storage, GroupOptions options = {});
  // The same in a folder (created by create and join; errc::not_found for open).
  static Result<std::unique_ptr<Group>> create(const std::string& path, GroupOptions options = {});
  static Result<std::unique_ptr<Group>> join(const std::string& path, const Hash& group_key, GroupOptions options = {});
  static Result<std::unique_ptr<Group>> open(const std::string& path, GroupOptions options = {});

  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  // The root writer's core key; the swarm topic is its discovery key.
  const Hash& key() const;
  Hash discovery_key() const;
  const Hash& local_writer() const;

  // Writes append ops to the local log, then index them, so reads see them at once.
  // errc::session_not_writable when this device is not (yet, or no longer) a member, or
  // the root's header (the group's rules) is not held yet.
  Result<OpId> put(ByteSpan key, std::optional<ByteSpan> value, std::optional<std::vector<OpId>> merges = std::nullopt);
  Result<OpId> del(ByteSpan key);
  // Many writes, one append and one index flush.
  Result<std::vector<OpId>> write(std::span<const Write> writes);
  // Membership ops; the caller must be a member. remove_writer ignores the writer's ops
  // from seq `from` on: by default the length of its log this device holds, so what this
  // device has seen of it stays.
  Result<OpId> add_writer(const Hash& writer);
  Result<OpId> remove_writer(const Hash& writer, std::optional<uint64_t> from = std::nullopt);

  // The key's values: none (absent or deleted), one (lww), or every head (multi_value).
  Result<std::vector<Value>> get(ByteSpan key) const;
  Result<KvRangeIterator> range(const KvRange& range = {}) const;
  // The change feed: the keys whose values differ between version `since` of the
  // key/value view (view().version() earlier) and now. A rebuild starts a new bee whose
  // versions start over: watch() says when, and a `since` from before it is meaningless.
  Result<KvChangeIterator> changes(uint64_t since) const;
  // Calls `on_change(version, previous)` after every flush of the key/value view's serving
  // bee, and `on_change(version, 0)` when a rebuild replaced it (read it all again), until
  // the handle is destroyed. On the thread that writes or calls catch_up().
  std::shared_ptr<void> watch(std::function<void(uint64_t version, uint64_t previous)> on_change);
  // The snapshot of a view's bee (kKvViewName, or a name given to use()): ranges,
  // history and diff (a change feed: diff against an older version).
  Result<bee::Snapshot> view(std::string_view name = kKvViewName) const;
  // The view's bee (watch, core), or errc::not_found. A rebuild replaces it: the pointer
  // is valid until the next write or catch_up().
  Result<bee::Bee*> view_bee(std::string_view name = kKvViewName);

  // Adds a view. catch_up() builds it from every op held: a new view from scratch, a view
  // whose version changed beside the old one, which answers until then.
  Result<void> use(std::unique_ptr<View> view);
  // Indexes the ops held that the views have not taken in yet, at most `max_ops` of them
  // (a step of a long rebuild), and returns whether every view is caught up. Writes call
  // it; so must whoever brings blocks in (replication). open() does not: until then reads
  // answer from the views as they were stored, which after a version bump is the old view.
  Result<bool> catch_up(size_t max_ops = SIZE_MAX);

  // Every writer core this device tracks (members, and in open mode the announced), for
  // replication; a new one appears when an add_writer op or an announcement names it.
  std::vector<std::shared_ptr<hypercore::Core>> cores() const;
  // The core of writer `key`, opening an empty replica for it when it may write: a member,
  // or any writer in open mode (which records it). errc::not_found for a non-member.
  Result<std::shared_ptr<hypercore::Core>> writer_core(const Hash& key);
  // Calls `on_new` with each writer core that appears, until the handle is destroyed.
  std::shared_ptr<void> watch_writers(std::function<void(const std::shared_ptr<hypercore::Core>&)> on_new);

  GroupStatus status() const;
  const MembershipTable& membership() const;

  // Releases the storage lock; later calls fail with errc::closed. Idempotent.
  Result<void> close();

  struct Impl;

 private:
  explicit Group(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace multi
