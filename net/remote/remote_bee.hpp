// Sparse remote queries on a Hyperbee whose core is a sparse replica: get, range and
// history answered by fetching only the blocks the lookup walks, through a Replicator.
// Sans-I/O like the rest of net/ (STYLE.md rule 3): no socket, no clock of its own. The
// owner routes the replicator's events for the bee's core into RemoteBee::on_event(),
// passes the current time into step(), and moves the session's bytes.
//
// How a query finds its blocks without knowing bee/'s internals: step() runs the read on
// the replica's Snapshot; a read that stops with errc::block_not_available names the
// missing block, which is requested. The decoded blocks stay in the bee's cache, so the
// retry after the block arrives is cheap. To save round trips without fetching more than
// the Node reference does, the engine decodes the blocks it holds (bee::decode_node: key
// seqs and child pointers) and, when the read stops on a key of a node it knows, requests
// in one batch the keys the node's binary search can probe, up to `key_search_depth`
// undecided probes deep. Order facts come free from held blocks: a node's own block (and
// any held child block) wrote the path to its own key, so that key lies in the subtree of
// the child pointing to it, which decides probes on the far side without their bytes.
// Range scans ask for a node's keys in scan order up to the range's end and the limit, and
// request `prefetch_window` following children (and their keys as they arrive) so a remote
// scan streams; history requests the next seqs.
//
// With the `hyperbee` replication extension (bee_extension.hpp; on by default), a get or
// range that finds its first block missing also asks the peer for the blocks the lookup
// will read; the seqs of its answer are requested at once, so the path arrives in about
// one round trip. Peers that ignore the extension leave the engine above to do the work.
//
// Results are the entries the same read gives on a full local copy at the query's version
// (the replica's length when the query was made: wait for the `upgraded` event first).
// Ownership: RemoteBee refers to the Bee and the Replicator, which must outlive it and its
// queries; queries refer to their RemoteBee. Not thread-safe: one thread drives all.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "bee/bee.hpp"
#include "net/replication/replicator.hpp"

namespace net {

enum class RemoteQueryErrc {
  block_not_available = 1,  // wait=false and a needed block is not held, or the peer lacks it
  request_timeout,          // the query's deadline passed (or the replicator's request timed out)
  request_failed,           // request_block was refused (queue_full, channel_closed) or the peer failed
  read_failed,              // the local read failed for another reason (e.g. corrupt block)
};

}  // namespace net

template <>
struct std::is_error_code_enum<net::RemoteQueryErrc> : std::true_type {};

namespace net {

const char* errc_name(RemoteQueryErrc e);
const std::error_category& remote_query_category();
inline std::error_code make_error_code(RemoteQueryErrc e) { return {static_cast<int>(e), remote_query_category()}; }

// `cause`, when set, is the hypercore code that names the failure best where the default
// mapping of `code` would not (to_hypercore_error): a read's own code, io_error for a
// refused connect, ...; `block` is the block the query stopped on, where there is one.
using RemoteQueryError = hypercore::BasicError<RemoteQueryErrc>;

// The error as a hypercore::Error, for APIs returning hypercore::Result (RemoteDatabase):
// code = `cause` if it is a hypercore code, else block_not_available for
// block_not_available, timeout for request_timeout (the data did not arrive in time),
// io_error for request_failed, corrupt for read_failed; message = to_string(), so the
// remote code's name stays in it; `block` is kept.
hypercore::Error to_hypercore_error(const RemoteQueryError& error);

struct RemoteQueryOptions {
  // When the query fails with request_timeout if not finished. Default: none (the
  // replicator's own request and want timeouts still fail a block that never comes).
  std::optional<TimePoint> deadline;
  // false: fail at once with block_not_available instead of fetching. Default true.
  bool wait = true;
  // Range and history: blocks requested ahead of the scan (children of the node being
  // scanned, with their keys as they arrive; history: the next seqs). Default 8; 0 turns
  // prefetch off (one round trip per leaf). Bounded by the range's end and its limit.
  size_t prefetch_window = 8;
  // When the read stops on a key of a known node, request with it the other keys the read
  // will want of that node (see key_search_depth; scans: the keys up to the range's end).
  // false: only the key the read stopped on (a round trip per key, as the Node reference).
  // Default true.
  bool batch_node_keys = true;
  // Get: when a node's keys are requested and the search can then go to at most this many
  // children, request those child blocks in the same batch (and their keys as they arrive):
  // fewer round trips, at the cost of the children not taken. Default 1 (a wasted block
  // only when the key is found in the node itself); 0 turns it off. Rarely applies: the
  // held blocks seldom decide a whole search.
  size_t speculative_children = 1;
  // Get: how deep into a node's binary search one batch reaches, counted in probes whose
  // outcome cannot be told before their key arrives (each doubles what the batch holds).
  // 0 = the whole search at once (one batch per node, up to every key of it); 1 = one
  // undecided probe at a time, as the Node reference (probes the held blocks decide come
  // in the same batch). Default 1: exactly the blocks a local binary search reads, never
  // more than Node's clone. On the 20,000-entry test bee (8 gets): 1 = 139 blocks, 122
  // round trips; 2 = 170 blocks, 94 round trips; 0 = 203 blocks, 80 round trips.
  size_t key_search_depth = 1;
  // The same for a range's seek to its start. Default 1 (2: +3-6% blocks, -10-20% round
  // trips on the test bee's 25-100-entry ranges: the keys a deeper batch adds on the seek's
  // path are mostly outside the range).
  size_t seek_search_depth = 1;
  // Get and range: ask the peer with the hyperbee extension for the blocks the lookup will
  // read (hyperbee.md §11), as the Node reference does. Default true.
  bool use_extension = true;
};

struct RemoteQueryStats {
  // Blocks requested for this query that were not held or pending: by its reads, and those
  // the peer's extension answer named while this query was the oldest one asking.
  uint64_t blocks_fetched = 0;
  uint64_t round_trips = 0;     // batches of requests the query then had to wait for
  uint64_t reads = 0;           // times the local read ran (first run + retries)
  bool extension_asked = false;  // the peer was asked with the hyperbee extension
};

class RemoteBee;

// One query. step() until it returns done or an error; results are then in entry(),
// entries() or history() (by the kind of query).
class RemoteQuery {
 public:
  enum class State { waiting, done };
  // The result by kind of query (named so as not to shadow hypercore::Result).
  using Answer = std::variant<std::optional<bee::Entry>, std::vector<bee::Entry>, std::vector<bee::HistoryEntry>>;

  ~RemoteQuery();
  RemoteQuery(const RemoteQuery&) = delete;
  RemoteQuery& operator=(const RemoteQuery&) = delete;

  // Runs the read as far as the held blocks allow and requests what it needs next.
  // waiting: call again after more replicator events (or at the next tick). After done or
  // an error, returns the same.
  std::expected<State, RemoteQueryError> step(TimePoint now);

  // The get's entry (nullopt: no such key). Valid once step() returned done.
  const std::optional<bee::Entry>& entry() const { return std::get<0>(result_); }
  const std::vector<bee::Entry>& entries() const { return std::get<1>(result_); }
  const std::vector<bee::HistoryEntry>& history() const { return std::get<2>(result_); }
  const RemoteQueryStats& stats() const { return stats_; }
  uint64_t version() const { return snapshot_.version(); }

 private:
  friend class RemoteBee;
  enum class Kind { get, range, history };
  RemoteQuery(RemoteBee& remote, Kind kind, bee::Snapshot snapshot, RemoteQueryOptions options);

  // Running (remote_query.cpp).
  hypercore::Result<bool> run_read();  // true: finished
  void ask_extension();
  std::expected<State, RemoteQueryError> finish(std::optional<RemoteQueryError> error);
  std::expected<bool, RemoteQueryError> request_expected_keys(TimePoint now);
  std::optional<RemoteQueryError> needed_failure();
  std::expected<void, RemoteQueryError> request(uint64_t seq, bool needed, TimePoint now);
  int64_t remaining_limit() const;
  // Planning what goes with a missing block (remote_query_plan.cpp).
  std::expected<void, RemoteQueryError> fetch_for(uint64_t missing, TimePoint now);
  std::expected<void, RemoteQueryError> prefetch_children(const bee::Level& level, size_t child_index, TimePoint now);
  std::expected<void, RemoteQueryError> prefetch_history(uint64_t missing, TimePoint now);
  bool key_beyond_end(uint64_t key_seq);
  std::set<uint64_t> search_keys(const bee::Level& level, uint64_t node_seq, ByteSpan target, TimePoint now);
  std::set<uint64_t> range_keys(const bee::Level& level, uint64_t node_seq, size_t from, TimePoint now);
  std::function<std::optional<Bytes>(uint64_t)> held_key();

  RemoteBee& remote_;
  Kind kind_;
  bee::Snapshot snapshot_;
  RemoteQueryOptions options_;
  Bytes key_;
  bee::Range range_;
  bee::HistoryRange history_range_;
  Answer result_;
  RemoteQueryStats stats_;
  std::set<uint64_t> needed_;  // blocks the next retry needs
  // Prefetched children (seq -> node offsets): the keys the read will want of them are
  // requested as soon as they arrive.
  std::map<uint64_t, std::set<uint32_t>> expect_node_;
  size_t ahead_keys_ = 0;    // range: keys of prefetched children asked for (or held) ahead
  int64_t ahead_base_ = 0;   // entries() size when the first of them was asked for
  std::optional<RemoteQueryError> error_;
  bool done_ = false;
};

class RemoteBee {
 public:
  // `bee` is opened on `replicator.core()`'s replica.
  RemoteBee(bee::Bee& bee, Replicator& replicator);
  ~RemoteBee();
  RemoteBee(const RemoteBee&) = delete;
  RemoteBee& operator=(const RemoteBee&) = delete;

  // Replicator events of the bee's core (block_downloaded, block_failed, the hyperbee
  // extension's answers, whose seqs the next step() of a query requests; others ignored).
  void on_event(const ReplicatorEvent& e);

  // Queries at the replica's current version.
  std::unique_ptr<RemoteQuery> get(ByteSpan key, RemoteQueryOptions options = {});
  std::unique_ptr<RemoteQuery> range(const bee::Range& range, RemoteQueryOptions options = {});
  std::unique_ptr<RemoteQuery> history(const bee::HistoryRange& range, RemoteQueryOptions options = {});

  // Blocks requested through this engine, for all queries.
  uint64_t blocks_requested() const { return blocks_requested_; }
  // Of those, the ones named by the peer's extension answers.
  uint64_t extension_blocks() const { return extension_blocks_; }

 private:
  // What queries use of the engine: they never touch its maps.
  friend class RemoteQuery;
  struct KnownLevel {
    uint64_t seq;
    uint32_t offset;
    uint32_t depth;  // 0: the root
  };
  bool held(uint64_t seq) const { return bee_.core().has(seq); }
  uint64_t known_length() const { return bee_.core().length(); }
  // The decoded levels of block `seq` if it is held (decoded once, kept small: seqs only).
  const std::vector<bee::Level>* levels_of(uint64_t seq);
  std::optional<Bytes> key_of(uint64_t seq);
  void trim_decoded();
  // The replicator's failure of block `seq` since it was last requested, if any.
  const ReplicationError* failure(uint64_t seq) const;
  // Requests `seq` unless it is pending: true if requested now.
  std::expected<bool, ReplicationError> fetch(uint64_t seq, TimePoint now);
  const std::vector<KnownLevel>& entered() const { return entered_; }
  void remember_entered(KnownLevel level);
  // Sends a query's extension request; its answers are taken while it waits.
  bool ask_extension(RemoteQuery* asker, ByteSpan message);

  bee::Bee& bee_;
  Replicator& replicator_;
  std::set<uint64_t> pending_;                         // requested, not yet arrived or failed
  std::map<uint64_t, ReplicationError> failed_;        // the replicator's failures
  std::map<uint64_t, std::vector<bee::Level>> decoded_;
  std::map<uint64_t, Bytes> keys_;                     // key bytes of decoded blocks
  std::vector<KnownLevel> entered_;  // nodes reads walked into, most recent last
  uint64_t blocks_requested_ = 0;
  uint64_t extension_blocks_ = 0;
  // Queries waiting with an extension ask out, oldest first (they remove themselves when
  // they end); an answer is taken only while one is, and only as many seqs as they asked
  // for, so a peer cannot make us download what nobody asked about.
  std::vector<RemoteQuery*> askers_;
  size_t extension_budget_ = 0;
  std::vector<uint64_t> offered_;  // seqs of extension answers, requested by the next step()
  void request_offered(TimePoint now);
  void forget_asker(RemoteQuery* query);
};

}  // namespace net
