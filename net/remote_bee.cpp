#include "net/remote_bee.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "bee/messages.hpp"
#include "bee/read_trace.hpp"
#include "net/bee_extension.hpp"

namespace net {

namespace {

// The block a read stopped on, from hypercore's message ("block 17 is not stored locally",
// "block 17 is beyond the known length 12"). bee/ passes the core's error through unchanged.
// TODO(bee): a BlockStore callback reporting the missing seq would make this robust.
std::optional<uint64_t> missing_seq(const hypercore::Error& e) {
  const std::string& m = e.message;
  size_t pos = m.find("block ");
  while (pos != std::string::npos) {
    size_t i = pos + 6;
    uint64_t v = 0;
    size_t digits = 0;
    while (i < m.size() && std::isdigit(static_cast<unsigned char>(m[i]))) {
      v = v * 10 + uint64_t(m[i] - '0');
      ++i, ++digits;
    }
    if (digits > 0) return v;
    pos = m.find("block ", pos + 1);
  }
  return std::nullopt;
}

int compare(ByteSpan a, ByteSpan b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; i++) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

// Nodes reads walked into, newest last; old ones are dropped (a read looks at the newest).
template <typename Level>
void remember_entered(std::vector<Level>& entered, Level level) {
  constexpr size_t kKeep = 256;
  if (entered.size() >= kKeep) entered.erase(entered.begin(), entered.begin() + kKeep / 2);
  entered.push_back(level);
}

}  // namespace

const char* remote_query_errc_name(RemoteQueryErrc e) {
  switch (e) {
    case RemoteQueryErrc::block_not_available: return "block_not_available";
    case RemoteQueryErrc::request_timeout: return "request_timeout";
    case RemoteQueryErrc::request_failed: return "request_failed";
    case RemoteQueryErrc::read_failed: return "read_failed";
  }
  return "unknown";
}

hypercore::Error to_hypercore_error(const RemoteQueryError& error) {
  hypercore::errc code = hypercore::errc::io_error;
  switch (error.code) {
    case RemoteQueryErrc::block_not_available: code = hypercore::errc::block_not_available; break;
    case RemoteQueryErrc::request_timeout: code = hypercore::errc::timeout; break;
    case RemoteQueryErrc::request_failed: code = hypercore::errc::io_error; break;
    case RemoteQueryErrc::read_failed: code = hypercore::errc::corrupt; break;
  }
  return hypercore::Error{error.cause.value_or(code), error.to_string()};
}

// ---------------------------------------------------------------------------------------
// RemoteBee

RemoteBee::RemoteBee(bee::Bee& bee, Replicator& replicator) : bee_(bee), replicator_(replicator) {}
RemoteBee::~RemoteBee() = default;

void RemoteBee::on_event(const ReplicatorEvent& e) {
  if (e.kind == ReplicatorEvent::Kind::extension) {
    if (e.extension_name != kBeeExtensionName || askers_.empty() || extension_budget_ == 0) return;
    auto m = parse_bee_extension(e.extension_payload);
    if (!m || !m->cache) return;
    for (uint64_t seq : m->cache->blocks) {
      if (extension_budget_ == 0) break;
      extension_budget_--;
      offered_.push_back(seq);
    }
    return;
  }
  if (e.kind == ReplicatorEvent::Kind::block_downloaded) {
    pending_.erase(e.value);
  } else if (e.kind == ReplicatorEvent::Kind::block_failed) {
    if (pending_.erase(e.value)) {
      failed_[e.value] = e.error.value_or(ReplicationError{ReplicationErrc::block_not_available, "block failed"});
    }
  }
}

const std::vector<bee::Level>* RemoteBee::levels_of(uint64_t seq) {
  if (auto it = decoded_.find(seq); it != decoded_.end()) return &it->second;
  if (seq == 0 || !bee_.core().has(seq)) return nullptr;
  auto bytes = bee_.core().get(seq);
  if (!bytes) return nullptr;
  auto node = bee::decode_node(*bytes);
  if (!node) return nullptr;
  keys_[seq] = std::move(node->key);
  return &decoded_.emplace(seq, std::move(node->levels)).first->second;
}

void RemoteBee::trim_decoded() {
  // Seqs and keys of decoded blocks: a few dozen bytes each; a bound keeps a long-lived
  // engine over a large bee from growing without end. Only called between reads (callers
  // hold pointers into decoded_ while a read is being planned).
  constexpr size_t kMaxDecoded = 1 << 16;
  if (decoded_.size() <= kMaxDecoded) return;
  decoded_.clear();
  keys_.clear();
}

std::optional<Bytes> RemoteBee::key_of(uint64_t seq) {
  if (!levels_of(seq)) return std::nullopt;
  return keys_[seq];
}

std::unique_ptr<RemoteQuery> RemoteBee::get(ByteSpan key, RemoteQueryOptions options) {
  std::unique_ptr<RemoteQuery> q(new RemoteQuery(*this, RemoteQuery::Kind::get, bee_.snapshot(), options));
  q->key_.assign(key.begin(), key.end());
  q->result_ = std::optional<bee::Entry>();
  return q;
}

std::unique_ptr<RemoteQuery> RemoteBee::range(const bee::Range& range, RemoteQueryOptions options) {
  std::unique_ptr<RemoteQuery> q(new RemoteQuery(*this, RemoteQuery::Kind::range, bee_.snapshot(), options));
  q->range_ = range;
  q->result_ = std::vector<bee::Entry>();
  return q;
}

std::unique_ptr<RemoteQuery> RemoteBee::history(const bee::HistoryRange& range, RemoteQueryOptions options) {
  std::unique_ptr<RemoteQuery> q(new RemoteQuery(*this, RemoteQuery::Kind::history, bee_.snapshot(), options));
  q->history_range_ = range;
  q->result_ = std::vector<bee::HistoryEntry>();
  return q;
}

// Requests what extension answers named, for the oldest query asking (as prefetch: the
// query's reads decide what it waits for). Seqs the answer's version cannot have, held or
// pending ones are skipped; a refused request ends the batch (the reads will ask again).
void RemoteBee::request_offered(TimePoint now) {
  if (offered_.empty()) return;
  std::vector<uint64_t> seqs = std::exchange(offered_, {});
  if (askers_.empty()) return;
  RemoteQuery* owner = askers_.front();
  hypercore::Core& core = bee_.core();
  for (uint64_t seq : seqs) {
    if (seq == 0 || seq >= owner->snapshot_.version() || core.has(seq) || pending_.count(seq)) continue;
    failed_.erase(seq);
    if (!replicator_.request_block(seq, now)) break;
    pending_.insert(seq);
    blocks_requested_++;
    extension_blocks_++;
    owner->stats_.blocks_fetched++;
  }
}

void RemoteBee::forget_asker(RemoteQuery* query) {
  auto it = std::find(askers_.begin(), askers_.end(), query);
  if (it == askers_.end()) return;
  askers_.erase(it);
  if (askers_.empty()) {
    extension_budget_ = 0;
    offered_.clear();
  }
}

// ---------------------------------------------------------------------------------------
// RemoteQuery

RemoteQuery::RemoteQuery(RemoteBee& remote, Kind kind, bee::Snapshot snapshot, RemoteQueryOptions options)
    : remote_(remote), kind_(kind), snapshot_(std::move(snapshot)), options_(options) {}
RemoteQuery::~RemoteQuery() { remote_.forget_asker(this); }

// Asks the peer for the blocks this get or scan will read (once per query, when it first
// misses a block), as the reference's `onwait` does.
void RemoteQuery::ask_extension() {
  if (stats_.extension_asked || !options_.use_extension || kind_ == Kind::history) return;
  bee::ExtensionMessage m;
  if (kind_ == Kind::get) {
    m.get = bee::ExtensionMessage::Get{snapshot_.version(), key_};
  } else {
    bee::ExtensionMessage::Iterator it;
    it.version = snapshot_.version();
    it.gt = range_.gt;
    if (!range_.gt) it.gte = range_.gte;
    it.lt = range_.lt;
    if (!range_.lt) it.lte = range_.lte;
    it.reverse = range_.reverse;
    int64_t left = remaining_limit();
    if (left == 0) return;
    it.limit = left < 0 ? 0 : uint64_t(left);
    m.iterator = std::move(it);
  }
  if (!remote_.replicator_.send_extension(kBeeExtensionName, frame_bee_extension(m))) return;
  stats_.extension_asked = true;
  remote_.askers_.push_back(this);
  remote_.extension_budget_ += bee::kMaxTracedBlocks;
}

std::expected<RemoteQuery::State, RemoteQueryError> RemoteQuery::finish(std::optional<RemoteQueryError> error) {
  remote_.forget_asker(this);
  if (error) {
    error_ = std::move(error);
    return std::unexpected(*error_);
  }
  done_ = true;
  return State::done;
}

int64_t RemoteQuery::remaining_limit() const {
  if (kind_ == Kind::range) {
    if (range_.limit < 0) return -1;
    return range_.limit - int64_t(entries().size());
  }
  if (kind_ == Kind::history) {
    if (history_range_.limit < 0) return -1;
    return history_range_.limit - int64_t(history().size());
  }
  return -1;
}

// Reads from where the previous run stopped: an iterator ends for good at its first error,
// so a retry starts a new one and drops (or seeks past) the entries already given (keys
// and seqs are unique). TODO(bee): iterators that can retry the failed step would save this.
hypercore::Result<bool> RemoteQuery::run_read() {
  stats_.reads++;
  switch (kind_) {
    case Kind::get: {
      HC_TRY(e, snapshot_.get(key_));
      result_ = std::move(e);
      return true;
    }
    case Kind::range: {
      // A short scan is redone from its start, skipping what it gave (all held, read from
      // the cache): a seek to the last key would probe keys of upper nodes the scan never
      // reads, each a block fetched for nothing. A long one seeks past its last key.
      constexpr size_t kRescanUpTo = 4096;
      auto& out = std::get<1>(result_);
      bee::Range r = range_;
      size_t skip = 0;
      if (r.limit >= 0 && int64_t(out.size()) >= r.limit) return true;
      if (out.size() <= kRescanUpTo) {
        skip = out.size();
      } else {
        if (r.reverse) r.lte.reset(), r.lt = out.back().key;
        else r.gte.reset(), r.gt = out.back().key;
        if (r.limit >= 0) r.limit -= int64_t(out.size());
      }
      auto it = snapshot_.range(r);
      for (;;) {
        HC_TRY(e, it.next());
        if (!e) return true;
        if (skip > 0) {
          --skip;
          continue;
        }
        out.push_back(std::move(*e));
      }
    }
    case Kind::history: {
      auto& out = std::get<2>(result_);
      bee::HistoryRange r = history_range_;
      if (!out.empty()) {  // (lte wins over lt in the reference's bounds: clear it)
        if (r.reverse) r.lte.reset(), r.lt = int64_t(out.back().entry.seq);
        else r.gte.reset(), r.gt = int64_t(out.back().entry.seq);
      }
      if (r.limit >= 0) {
        r.limit -= int64_t(out.size());
        if (r.limit <= 0) return true;
      }
      auto it = snapshot_.history(r);
      for (;;) {
        HC_TRY(e, it.next());
        if (!e) return true;
        out.push_back(std::move(*e));
      }
    }
  }
  return true;
}

std::expected<RemoteQuery::State, RemoteQueryError> RemoteQuery::step(TimePoint now) {
  if (error_) return std::unexpected(*error_);
  if (done_) return State::done;
  remote_.trim_decoded();
  remote_.request_offered(now);
  auto fail = [&](RemoteQueryErrc code, std::string message) -> std::expected<State, RemoteQueryError> {
    return finish(RemoteQueryError{code, std::move(message)});
  };

  // Prefetched children that arrived: request the keys the read will want of them now,
  // so it finds them held (a get's descent, a scan's next leaves).
  bool issued = false;
  for (auto it = expect_node_.begin(); it != expect_node_.end();) {
    uint64_t seq = it->first;
    if (!remote_.bee_.core().has(seq)) {
      ++it;
      continue;
    }
    std::set<uint32_t> offsets = std::move(it->second);
    it = expect_node_.erase(it);
    const auto* levels = remote_.levels_of(seq);
    if (!levels) continue;
    for (uint32_t off : offsets) {
      if (off >= levels->size()) continue;
      const bee::Level& level = (*levels)[off];
      std::set<uint64_t> keys;
      if (kind_ == Kind::get) {
        keys = search_keys(level, seq, key_, now);
      } else {
        keys = range_keys(level, seq, SIZE_MAX, now);
      }
      for (uint64_t k : keys) {
        size_t before = stats_.blocks_fetched;
        if (auto r = request(k, kind_ == Kind::get, now); !r) return fail(r.error().code, r.error().message);
        issued |= stats_.blocks_fetched != before;
      }
    }
  }
  if (issued) stats_.round_trips++;

  // Blocks the retry needs: wait until they are all held.
  for (auto it = needed_.begin(); it != needed_.end();) {
    if (auto f = remote_.failed_.find(*it); f != remote_.failed_.end()) {
      RemoteQueryErrc code = f->second.code == ReplicationErrc::request_timeout ? RemoteQueryErrc::request_timeout
                             : f->second.code == ReplicationErrc::block_not_available
                                 ? RemoteQueryErrc::block_not_available
                                 : RemoteQueryErrc::request_failed;
      std::string message = "block " + std::to_string(*it) + ": " + f->second.to_string();
      // (Left in failed_ for other queries waiting on it; request() clears it on a retry.)
      if (f->second.code == ReplicationErrc::channel_closed) {
        return finish(RemoteQueryError{code, std::move(message), hypercore::errc::closed});
      }
      return fail(code, std::move(message));
    }
    if (remote_.bee_.core().has(*it)) it = needed_.erase(it);
    else ++it;
  }
  if (!needed_.empty()) {
    if (options_.deadline && now >= *options_.deadline) {
      return fail(RemoteQueryErrc::request_timeout,
                  "deadline passed waiting for " + std::to_string(needed_.size()) + " block(s), first " +
                      std::to_string(*needed_.begin()));
    }
    return State::waiting;
  }

  // Run the read; each stop on a missing block requests it (and what goes with it).
  auto r = run_read();
  if (r) return finish(std::nullopt);
  if (r.error().code != hypercore::errc::block_not_available) {
    return finish(RemoteQueryError{RemoteQueryErrc::read_failed, r.error().to_string(), r.error().code});
  }
  auto seq = missing_seq(r.error());
  if (!seq) return fail(RemoteQueryErrc::read_failed, "cannot tell the missing block: " + r.error().to_string());
  if (!options_.wait) return fail(RemoteQueryErrc::block_not_available, r.error().message);
  if (*seq >= snapshot_.version() || *seq >= remote_.bee_.core().length()) {
    return fail(RemoteQueryErrc::block_not_available, r.error().message);
  }
  if (options_.deadline && now >= *options_.deadline) {
    return fail(RemoteQueryErrc::request_timeout, "deadline passed before block " + std::to_string(*seq));
  }
  ask_extension();
  if (auto f = fetch_for(*seq, now); !f) return fail(f.error().code, f.error().message);
  stats_.round_trips++;
  return needed_.empty() ? step(now) : std::expected<State, RemoteQueryError>(State::waiting);
}

std::expected<void, RemoteQueryError> RemoteQuery::request(uint64_t seq, bool needed, TimePoint now) {
  hypercore::Core& core = remote_.bee_.core();
  if (seq == 0 || seq >= snapshot_.version() || core.has(seq)) return {};
  if (needed) needed_.insert(seq);
  if (remote_.pending_.count(seq)) return {};
  remote_.failed_.erase(seq);
  auto r = remote_.replicator_.request_block(seq, now);
  if (!r) {
    needed_.erase(seq);
    return std::unexpected(RemoteQueryError{RemoteQueryErrc::request_failed,
                                            "request block " + std::to_string(seq) + ": " + r.error().to_string()});
  }
  remote_.pending_.insert(seq);
  remote_.blocks_requested_++;
  stats_.blocks_fetched++;
  return {};
}

// What goes with the missing block `missing`, by where the read stands:
//  * a key of a node the read walked into: all that node's missing keys (the binary search
//    will ask for ~log2 of them one at a time), or only this one (batch_node_keys=false);
//  * a child of such a node: the block, remembered as a node read next; range scans also
//    request the following children (prefetch window);
//  * the root (version - 1): the block, as node 0;
//  * anything else (history, values): the block, and history's next seqs.
std::expected<void, RemoteQueryError> RemoteQuery::fetch_for(uint64_t missing, TimePoint now) {
  std::expected<void, RemoteQueryError> status;
  auto& entered = remote_.entered_;
  if (kind_ != Kind::history) {
    // The node the read stands in: one it walked into, or one below it reached through
    // blocks already held (a block's path levels point to each other, and earlier reads
    // left blocks behind). Newest first, breadth-first, bounded.
    constexpr size_t kMaxVisits = 4096;
    std::set<std::pair<uint64_t, uint32_t>> visited;
    for (auto it = entered.rbegin(); it != entered.rend() && visited.size() < kMaxVisits; ++it) {
      std::vector<RemoteBee::KnownLevel> queue{*it};
      for (size_t qi = 0; qi < queue.size() && visited.size() < kMaxVisits; qi++) {
        RemoteBee::KnownLevel at = queue[qi];
        if (!visited.insert({at.seq, at.offset}).second) continue;
        const auto* levels = remote_.levels_of(at.seq);
        if (!levels || at.offset >= levels->size()) continue;
        const bee::Level& level = (*levels)[at.offset];
        if (std::find(level.keys.begin(), level.keys.end(), missing) != level.keys.end()) {
          if (!options_.batch_node_keys) return request(missing, true, now);
          std::set<uint64_t> batch;
          if (kind_ == Kind::get) {
            batch = search_keys(level, at.seq, key_, now);
          } else {
            size_t index = size_t(std::find(level.keys.begin(), level.keys.end(), missing) - level.keys.begin());
            batch = range_keys(level, at.seq, index, now);
          }
          batch.insert(missing);
          for (uint64_t key : batch) {
            if (auto r = request(key, true, now); !r) return r;
          }
          return {};
        }
        for (size_t c = 0; c + 1 < level.children.size(); c += 2) {
          uint64_t child = level.children[c];
          uint32_t offset = uint32_t(level.children[c + 1]);
          if (child == missing) {
            if (auto r = request(missing, true, now); !r) return r;
            remember_entered(entered, {missing, offset, at.depth + 1});
            // On the seek's way down only into leaves: higher up, siblings are whole
            // subtrees away. (Every leaf is as deep as the root block's path is long.)
            bool into_leaf = false;
            if (const auto* root = remote_.levels_of(snapshot_.version() - 1)) into_leaf = at.depth + 2 >= root->size();
            if (kind_ == Kind::range && options_.prefetch_window > 0 && (into_leaf || !entries().empty())) {
              prefetch_children(level, c / 2, now, status);
            }
            return status;
          }
          if (remote_.bee_.core().has(child)) queue.push_back({child, offset, at.depth + 1});
        }
      }
    }
  }
  if (missing + 1 == snapshot_.version() && kind_ != Kind::history) {
    remember_entered(entered, {missing, 0, 0});
  } else if (kind_ == Kind::history && options_.prefetch_window > 0) {
    prefetch_history(missing, now, status);
    if (!status) return status;
  }
  return request(missing, true, now);
}

// The keys of node `level` (written by block `node_seq`) that the get's binary search
// (bee/snapshot.cpp: mid = (s + e) / 2) can probe, as far as what is held tells. Besides
// held keys, one order fact comes free: the node's own block wrote the path to its own key
// K, so K lies in the subtrees of the children that point back into that block; keys left
// of them are < K, keys right of them > K. A probe whose outcome that decides needs its
// bytes but does not branch; any other unknown probe branches both ways. With no such
// fact (or no held key) this is every key of the node.
std::set<uint64_t> RemoteQuery::search_keys(const bee::Level& level, uint64_t node_seq, ByteSpan target,
                                            TimePoint now) {
  std::set<uint64_t> out;
  std::set<size_t> next_children;
  bool truncated = false;
  const size_t n = level.keys.size();
  // Pivots: the key of every held block a child pointer names (and of the node's own
  // block), with the children that block wrote.
  struct Pivot {
    size_t lo = SIZE_MAX, hi = 0;
    Bytes key;
  };
  std::map<uint64_t, Pivot> pivots;
  for (size_t c = 0; c + 1 < level.children.size(); c += 2) {
    uint64_t b = level.children[c];
    if (b != node_seq && !remote_.bee_.core().has(b)) continue;
    Pivot& p = pivots[b];
    p.lo = std::min(p.lo, c / 2);
    p.hi = std::max(p.hi, c / 2);
  }
  for (auto it = pivots.begin(); it != pivots.end();) {
    auto key = remote_.key_of(it->first);
    if (!key) {
      it = pivots.erase(it);
      continue;
    }
    it->second.key = std::move(*key);
    ++it;
  }
  // The order of the target against key j, if the pivots decide it: -1 target < key j,
  // +1 target > key j, 0 unknown.
  auto infer = [&](size_t j) -> int {
    for (const auto& [b, p] : pivots) {
      int t = compare(target, p.key);
      if (j >= p.hi && t <= 0) return -1;  // target <= K < key j
      if (j < p.lo && t >= 0) return 1;    // key j < K <= target
    }
    return 0;
  };
  const size_t search_depth = kind_ == Kind::get ? options_.key_search_depth : options_.seek_search_depth;
  const size_t max_branches = search_depth == 0 ? SIZE_MAX : search_depth;
  struct Span {
    size_t s, e, branches;
  };
  std::vector<Span> stack{{0, n, 0}};
  while (!stack.empty()) {
    auto [s, e, branches] = stack.back();
    stack.pop_back();
    bool found = false;
    while (s < e) {
      size_t mid = (s + e) / 2;
      uint64_t seq = level.keys[mid];
      std::optional<Bytes> bytes;
      if (seq == node_seq || remote_.bee_.core().has(seq)) bytes = remote_.key_of(seq);
      if (bytes) {
        int c = compare(target, *bytes);
        if (c == 0) {
          found = true;
          break;
        }
        if (c < 0) e = mid;
        else s = mid + 1;
        continue;
      }
      if (branches >= max_branches) {  // the next wave goes on from here
        truncated = true;
        found = true;
        break;
      }
      out.insert(seq);
      int rel = infer(mid);
      if (rel < 0) {
        e = mid;
      } else if (rel > 0) {
        s = mid + 1;
      } else {
        branches++;
        stack.push_back({mid + 1, e, branches});
        e = mid;
      }
    }
    if (!found) next_children.insert(s);
  }
  if (truncated) next_children.clear();
  // Where the search can go next: if that is few enough children, ask for them now too
  // (not waited for; their keys are asked for as they arrive), one round trip per level
  // instead of two at the cost of the children not taken.
  size_t n_children = level.children.size() / 2;
  if (kind_ == Kind::get && n_children > 0 && !next_children.empty() &&
      next_children.size() <= options_.speculative_children) {
    for (size_t c : next_children) {
      if (c >= n_children) continue;
      uint64_t child = level.children[2 * c];
      if (remote_.bee_.core().has(child)) continue;
      expect_node_[child].insert(uint32_t(level.children[2 * c + 1]));
      (void)request(child, false, now);  // a refusal shows again when the read needs it
    }
  }
  return out;
}

// The keys of node `level` a range read will want, as far as what is held tells: the
// probes of the seek's binary search for the range's start, then (from `from`, the key
// the read stopped on, or the node's first key in scan order when SIZE_MAX) the keys in
// scan order up to the first one known to lie past the range's end, skipping those known
// to lie before its start, and no more than the limit leaves room for. What is known:
// held keys' bytes and, as in search_keys, the keys of held blocks the child pointers name.
// An internal node's keys are read only between descents, so for the seek (the read
// stopped on one of the probes) only the probes are asked for.
std::set<uint64_t> RemoteQuery::range_keys(const bee::Level& level, uint64_t node_seq, size_t from, TimePoint now) {
  const bool reverse = range_.reverse;
  const std::optional<Bytes>& start = reverse ? (range_.lt ? range_.lt : range_.lte) : (range_.gt ? range_.gt : range_.gte);
  std::set<uint64_t> probes;
  if (start && from != SIZE_MAX) probes = search_keys(level, node_seq, *start, now);
  const size_t n = level.keys.size();
  if (from < n && !level.children.empty() && probes.count(level.keys[from])) return probes;

  const std::optional<Bytes>& lower = range_.gt ? range_.gt : range_.gte;
  const std::optional<Bytes>& upper = range_.lt ? range_.lt : range_.lte;
  // Order facts from held child blocks: key j < K for j < lo, key j > K for j >= hi.
  struct Pivot {
    size_t lo = SIZE_MAX, hi = 0;
    Bytes key;
  };
  std::map<uint64_t, Pivot> pivots;
  for (size_t c = 0; c + 1 < level.children.size(); c += 2) {
    uint64_t b = level.children[c];
    if (b != node_seq && !remote_.bee_.core().has(b)) continue;
    if (auto key = remote_.key_of(b)) {
      Pivot& p = pivots[b];
      p.lo = std::min(p.lo, c / 2);
      p.hi = std::max(p.hi, c / 2);
      p.key = std::move(*key);
    }
  }
  // -1: key j is below the range, +1: above it, 0: inside or unknown.
  auto side = [&](size_t j) -> int {
    uint64_t seq = level.keys[j];
    std::optional<Bytes> bytes;
    if (seq == node_seq || remote_.bee_.core().has(seq)) bytes = remote_.key_of(seq);
    if (bytes) {
      if (lower && (compare(*bytes, *lower) < 0 || (range_.gt && compare(*bytes, *lower) == 0))) return -1;
      if (upper && (compare(*bytes, *upper) > 0 || (range_.lt && compare(*bytes, *upper) == 0))) return 1;
      return 0;
    }
    for (const auto& [b, p] : pivots) {
      if (lower && j < p.lo && compare(p.key, *lower) <= 0) return -1;
      if (upper && j >= p.hi && compare(p.key, *upper) >= 0) return 1;
    }
    return 0;
  };
  std::set<uint64_t> out = probes;
  int64_t left = remaining_limit();
  size_t cap = left < 0 ? SIZE_MAX : size_t(left);
  if (from == SIZE_MAX && left >= 0) {
    // Keys asked for ahead of the scan (earlier prefetched children) share the limit.
    int64_t consumed = int64_t(entries().size()) - ahead_base_;
    int64_t outstanding = std::max<int64_t>(0, int64_t(ahead_keys_) - consumed);
    cap = size_t(std::max<int64_t>(0, left - outstanding));
    if (ahead_keys_ == 0) ahead_base_ = int64_t(entries().size());
  }
  size_t taken = 0;
  if (cap == 0) return out;
  if (n == 0) return out;
  size_t j = from < n ? from : (reverse ? n - 1 : 0);
  for (;; reverse ? --j : ++j) {
    if (!reverse && j >= n) break;
    int sd = side(j);
    if (sd == (reverse ? -1 : 1)) break;  // past the end: so is everything after it
    if (sd == 0) {
      if (level.keys[j] != node_seq) out.insert(level.keys[j]);
      if (from == SIZE_MAX) ahead_keys_++;
      if (++taken >= cap) break;
    }
    if (reverse && j == 0) break;
  }
  return out;
}

// Is the separator key `key_seq` past the range's end in the scan's direction (so nothing
// after it is wanted)? A key not held counts as past a bounded end: prefetching children
// on a guess overshoots short ranges (the scan asks for the separators first anyway, and
// the prefetch goes on from there).
bool RemoteQuery::key_beyond_end(uint64_t key_seq) {
  auto key = remote_.key_of(key_seq);
  if (!key) return range_.reverse ? (range_.gt || range_.gte) : (range_.lt || range_.lte);
  if (!range_.reverse) {
    if (range_.lt) return compare(*key, *range_.lt) >= 0;
    if (range_.lte) return compare(*key, *range_.lte) > 0;
  } else {
    if (range_.gt) return compare(*key, *range_.gt) <= 0;
    if (range_.gte) return compare(*key, *range_.gte) < 0;
  }
  return false;
}

void RemoteQuery::prefetch_children(const bee::Level& level, size_t child, TimePoint now,
                                    std::expected<void, RemoteQueryError>& status) {
  size_t n_children = level.children.size() / 2;
  size_t budget = options_.prefetch_window;
  if (int64_t left = remaining_limit(); left >= 0) {
    // Less what the children already asked for ahead will give.
    int64_t consumed = int64_t(entries().size()) - ahead_base_;
    int64_t wanted = left - std::max<int64_t>(0, int64_t(ahead_keys_) - consumed);
    // Before child i+k the scan reads child i's subtree and k separators: >= 5k entries.
    budget = std::min<size_t>(budget, wanted > 0 ? size_t((wanted - 1) / 5) : 0);
  }
  for (size_t step = 1; step <= budget; step++) {
    size_t j;
    uint64_t separator;
    if (!range_.reverse) {
      j = child + step;
      if (j >= n_children) break;
      separator = level.keys[j - 1];
    } else {
      if (step > child) break;
      j = child - step;
      separator = level.keys[j];
    }
    if (key_beyond_end(separator)) break;
    uint64_t seq = level.children[2 * j];
    uint32_t offset = uint32_t(level.children[2 * j + 1]);
    if (remote_.bee_.core().has(seq)) continue;
    expect_node_[seq].insert(offset);
    if (auto r = request(seq, false, now); !r) {
      status = r;
      return;
    }
  }
}

void RemoteQuery::prefetch_history(uint64_t missing, TimePoint now, std::expected<void, RemoteQueryError>& status) {
  size_t budget = options_.prefetch_window;
  if (int64_t left = remaining_limit(); left >= 0) budget = std::min<size_t>(budget, size_t(left > 0 ? left - 1 : 0));
  uint64_t version = snapshot_.version();
  auto positive = [](const std::optional<int64_t>& v) { return v && *v > 0 ? std::optional<uint64_t>(*v) : std::nullopt; };
  for (size_t step = 1; step <= budget; step++) {
    uint64_t seq;
    if (!history_range_.reverse) {
      seq = missing + step;
      if (seq >= version) break;
      if (auto lt = positive(history_range_.lt); lt && seq >= *lt) break;
      if (auto lte = positive(history_range_.lte); lte && seq > *lte) break;
    } else {
      if (step >= missing) break;
      seq = missing - step;
      if (auto gt = positive(history_range_.gt); gt && seq <= *gt) break;
      if (auto gte = positive(history_range_.gte); gte && seq < *gte) break;
    }
    if (auto r = request(seq, false, now); !r) {
      status = r;
      return;
    }
  }
}

}  // namespace net
