// The state behind a multi::Group, shared by group.cpp (opening, writes, reads) and
// indexer.cpp (scanning the logs, membership, folding ops into the views, rebuilds).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bee/bee.hpp"
#include "hypercore/core.hpp"
#include "multi/group.hpp"

namespace multi {

// One writer's core and what a scan of its held prefix found.
struct WriterSlot {
  std::shared_ptr<hypercore::Core> core;
  uint64_t scanned = 0;  // blocks 0..scanned-1 were read (the contiguous prefix)
  uint64_t fork = 0;     // the core's fork when they were read
  bool header_ok = false;
  std::string problem;  // set when the log is ignored
  std::vector<MemberOp> member_ops;
  uint64_t bad_ops = 0;
};

// One generation of a view: its own bee, and how far it has taken in each log.
struct Generation {
  uint64_t number = 0;
  std::shared_ptr<hypercore::Core> core;
  std::unique_ptr<bee::Bee> bee;
  struct Applied {
    uint64_t length = 0;  // ops 0..length-1 of the log are folded in
    uint64_t fork = 0;    // the log's fork when they were
  };
  std::map<Hash, Applied> applied;
  bool version_written = false;
};

struct ViewSlot {
  std::unique_ptr<View> view;
  Generation serving;
  uint32_t serving_version = 0;
  // A rebuild in progress: indexed instead of `serving`, which answers (frozen) until
  // this one has caught up and takes its place.
  std::optional<Generation> building;
};

struct Group::Impl {
  enum class Mode { create, join, open };

  explicit Impl(GroupOptions options);
  static Result<std::unique_ptr<Group>> start(std::shared_ptr<hypercore::Storage> storage, GroupOptions options,
                                              Mode mode, const Hash& join_key);

  // group.cpp
  static Bytes state_key(std::string_view kind, ByteSpan rest);
  static std::string writer_prefix(const Hash& writer);
  hypercore::CoreOptions core_options(std::string prefix) const;
  Result<void> open_state(bool create);
  Result<void> save_config(const hypercore::KeyPair& local_pair);
  Result<hypercore::KeyPair> load_config();
  Result<void> open_local(const hypercore::KeyPair& pair);
  Result<void> load_announced();
  Result<WriterSlot*> add_slot(const Hash& writer);
  Result<void> check_writable() const;
  Result<std::vector<OpId>> append_ops(std::vector<Op> ops);

  // indexer.cpp
  // Reads new held blocks of every log, recomputes membership and opens the cores of new
  // members, until nothing changes.
  Result<void> refresh();
  Result<void> scan(const Hash& writer, WriterSlot& slot);
  // Sets up the views that have no slot yet (the key/value view once the rules are known).
  Result<void> ensure_views();
  Result<void> add_view(std::unique_ptr<View> view);
  // Folds up to `max_ops` ops into the views; true when every view is caught up.
  Result<bool> catch_up(size_t max_ops);
  Result<bool> index(ViewSlot& slot, size_t& budget);
  // How many ops of `writer` a view may hold now (0: none; its cutoff; what is scanned).
  uint64_t limit(const Hash& writer) const;
  bool needs_rebuild(const Generation& g) const;
  Result<Generation> open_generation(const std::string& name, uint64_t number, bool fresh);
  Result<void> save_view_record(const ViewSlot& slot);
  Result<void> start_rebuild(ViewSlot& slot);
  Result<void> finish_rebuild(ViewSlot& slot);
  uint64_t total_ops() const;

  GroupOptions options;
  std::shared_ptr<hypercore::Storage> storage;
  std::shared_ptr<void> lock;
  Hash key{};
  Hash local{};
  std::unique_ptr<bee::Bee> state;
  std::optional<Op> rules;  // the root's header
  HybridClock clock;
  std::map<Hash, WriterSlot> writers;
  std::set<Hash> announced;
  MembershipTable table;
  // Set when a scan found a membership op or a header, a writer or an announcement was
  // added: refresh() recomputes the table only then.
  bool membership_dirty = true;
  std::vector<ViewSlot> views;
  using WriterWatchers = std::map<uint64_t, std::function<void(const std::shared_ptr<hypercore::Core>&)>>;
  std::shared_ptr<WriterWatchers> writer_watchers = std::make_shared<WriterWatchers>();
  uint64_t next_watch_id = 0;
  using ViewWatchers = std::map<uint64_t, std::function<void(uint64_t, uint64_t)>>;
  std::shared_ptr<ViewWatchers> view_watchers = std::make_shared<ViewWatchers>();
  // Calls the key/value view's watchers (a copy: a callback may stop watching).
  void notify_view(const ViewSlot& slot, uint64_t version, uint64_t previous);
  bool closed = false;
};

}  // namespace multi
