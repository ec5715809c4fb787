// One remote read (RemoteQuery, remote_bee.hpp): run the local read on the sparse replica,
// and on each stop on a missing block request it with what goes with it
// (remote_query_plan.cpp), then wait for those blocks and run the read again.
#include <algorithm>
#include <utility>

#include "bee/messages.hpp"
#include "net/remote/bee_extension.hpp"
#include "net/remote/remote_bee.hpp"

namespace net {

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
  if (!remote_.ask_extension(this, frame_bee_extension(m))) return;
  stats_.extension_asked = true;
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
      // Read in place (not moved out through HC_TRY: g++ 12 -O3 -Wmaybe-uninitialized).
      auto got = snapshot_.get(key_);
      if (!got) return std::unexpected(std::move(got.error()));
      result_.emplace<0>(std::move(*got));
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
  if (auto issued = request_expected_keys(now); !issued) {
    return finish(std::move(issued.error()));
  } else if (*issued) {
    stats_.round_trips++;
  }
  // Each pass runs the read once; a stop on a block that one request batch makes held at
  // once (all of it already here or pending elsewhere) runs the read again.
  for (;;) {
    if (auto failed = needed_failure(); failed) return finish(std::move(*failed));
    if (!needed_.empty()) {
      if (options_.deadline && now >= *options_.deadline) {
        return finish(RemoteQueryError{RemoteQueryErrc::request_timeout,
                                       "deadline passed waiting for " + std::to_string(needed_.size()) +
                                           " block(s), first " + std::to_string(*needed_.begin())});
      }
      return State::waiting;
    }
    // Run the read; a stop on a missing block requests it (and what goes with it).
    auto r = run_read();
    if (r) return finish(std::nullopt);
    if (r.error().code != hypercore::errc::block_not_available) {
      return finish(RemoteQueryError{.code = RemoteQueryErrc::read_failed, .message = r.error().to_string(),
                                     .cause = r.error().code});
    }
    // bee/ passes the core's error through unchanged, so it names the block it stopped on.
    std::optional<uint64_t> seq = r.error().block;
    if (!seq) {
      return finish(RemoteQueryError{RemoteQueryErrc::read_failed,
                                     "the read did not name its missing block: " + r.error().to_string()});
    }
    if (!options_.wait || *seq >= snapshot_.version() || *seq >= remote_.known_length()) {
      return finish(RemoteQueryError{RemoteQueryErrc::block_not_available, r.error().message, seq});
    }
    if (options_.deadline && now >= *options_.deadline) {
      return finish(RemoteQueryError{RemoteQueryErrc::request_timeout,
                                     "deadline passed before block " + std::to_string(*seq), seq});
    }
    ask_extension();
    if (auto f = fetch_for(*seq, now); !f) return finish(RemoteQueryError{f.error().code, f.error().message});
    stats_.round_trips++;
  }
}

// Prefetched children that arrived: requests the keys the read will want of them now, so
// it finds them held (a get's descent, a scan's next leaves). True if any was requested.
std::expected<bool, RemoteQueryError> RemoteQuery::request_expected_keys(TimePoint now) {
  bool issued = false;
  for (auto it = expect_node_.begin(); it != expect_node_.end();) {
    uint64_t seq = it->first;
    if (!remote_.held(seq)) {
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
      std::set<uint64_t> keys = kind_ == Kind::get ? search_keys(level, seq, key_, now) : range_keys(level, seq, SIZE_MAX, now);
      for (uint64_t k : keys) {
        size_t before = stats_.blocks_fetched;
        if (auto r = request(k, kind_ == Kind::get, now); !r) return std::unexpected(std::move(r.error()));
        issued |= stats_.blocks_fetched != before;
      }
    }
  }
  return issued;
}

// The error of the first block the retry needs that the replicator failed, if any; the
// held ones leave needed_.
std::optional<RemoteQueryError> RemoteQuery::needed_failure() {
  for (auto it = needed_.begin(); it != needed_.end();) {
    if (const ReplicationError* f = remote_.failure(*it)) {
      RemoteQueryErrc code = f->code == ReplicationErrc::request_timeout       ? RemoteQueryErrc::request_timeout
                             : f->code == ReplicationErrc::block_not_available ? RemoteQueryErrc::block_not_available
                                                                               : RemoteQueryErrc::request_failed;
      // (Left in the engine for other queries waiting on it; request() clears it on a retry.)
      RemoteQueryError error{code, "block " + std::to_string(*it) + ": " + f->to_string(), *it};
      if (f->code == ReplicationErrc::channel_closed) error.cause = hypercore::errc::closed;
      return error;
    }
    if (remote_.held(*it)) it = needed_.erase(it);
    else ++it;
  }
  return std::nullopt;
}

std::expected<void, RemoteQueryError> RemoteQuery::request(uint64_t seq, bool needed, TimePoint now) {
  if (seq == 0 || seq >= snapshot_.version() || remote_.held(seq)) return {};
  if (needed) needed_.insert(seq);
  auto requested = remote_.fetch(seq, now);
  if (!requested) {
    needed_.erase(seq);
    return std::unexpected(RemoteQueryError{RemoteQueryErrc::request_failed,
                                            "request block " + std::to_string(seq) + ": " + requested.error().to_string(), seq});
  }
  if (*requested) stats_.blocks_fetched++;
  return {};
}

}  // namespace net
