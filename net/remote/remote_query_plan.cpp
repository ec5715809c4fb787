// Which blocks go with the one a remote read stopped on (RemoteQuery, remote_bee.hpp):
// the keys a binary search will probe, the keys and children a scan reads next, history's
// next seqs. Only requests are decided here; what the read returns is always the local
// read's own answer on the blocks held.
#include <algorithm>
#include <map>
#include <set>

#include "net/remote/internal/node_order.hpp"
#include "net/remote/remote_bee.hpp"
#include "bee/search_order.hpp"

namespace net {

internal::NodeOrder::HeldKey RemoteQuery::held_key() {
  return [this](uint64_t seq) { return remote_.key_of(seq); };
}

// What goes with the missing block `missing`, by where the read stands:
//  * a key of a node the read walked into: all that node's missing keys (the binary search
//    will ask for ~log2 of them one at a time), or only this one (batch_node_keys=false);
//  * a child of such a node: the block, remembered as a node read next; range scans also
//    request the following children (prefetch window);
//  * the root (version - 1): the block, as node 0;
//  * anything else (history, values): the block, and history's next seqs.
std::expected<void, RemoteQueryError> RemoteQuery::fetch_for(uint64_t missing, TimePoint now) {
  const auto& entered = remote_.entered();
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
            remote_.remember_entered({missing, offset, at.depth + 1});
            // On the seek's way down only into leaves: higher up, siblings are whole
            // subtrees away. (Every leaf is as deep as the root block's path is long.)
            bool into_leaf = false;
            if (const auto* root = remote_.levels_of(snapshot_.version() - 1)) into_leaf = at.depth + 2 >= root->size();
            if (kind_ == Kind::range && options_.prefetch_window > 0 && (into_leaf || !entries().empty())) {
              return prefetch_children(level, c / 2, now);
            }
            return {};
          }
          if (remote_.held(child)) queue.push_back({child, offset, at.depth + 1});
        }
      }
    }
  }
  if (missing + 1 == snapshot_.version() && kind_ != Kind::history) {
    remote_.remember_entered({missing, 0, 0});
  } else if (kind_ == Kind::history && options_.prefetch_window > 0) {
    if (auto r = prefetch_history(missing, now); !r) return r;
  }
  return request(missing, true, now);
}


// The keys of node `level` (written by block `node_seq`) that the get's binary search
// (bee::search_midpoint, bee/search_order.hpp) can probe, as far as what is held tells. Besides
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
  // The order facts the held blocks the child pointers name give (node_order.hpp).
  const internal::NodeOrder order(level, held_key());
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
      size_t mid = bee::search_midpoint(s, e);
      uint64_t seq = level.keys[mid];
      std::optional<Bytes> bytes;
      if (seq == node_seq || remote_.held(seq)) bytes = remote_.key_of(seq);
      if (bytes) {
        int c = internal::compare_keys(target, *bytes);
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
      int rel = order.order_of(target, mid);
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
      if (remote_.held(child)) continue;
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
  const internal::NodeOrder order(level, held_key());
  // -1: key j is below the range, +1: above it, 0: inside or unknown.
  auto side = [&](size_t j) -> int {
    uint64_t seq = level.keys[j];
    std::optional<Bytes> bytes;
    if (seq == node_seq || remote_.held(seq)) bytes = remote_.key_of(seq);
    if (bytes) {
      int below = lower ? internal::compare_keys(*bytes, *lower) : 1;
      int above = upper ? internal::compare_keys(*bytes, *upper) : -1;
      if (below < 0 || (range_.gt && below == 0)) return -1;
      if (above > 0 || (range_.lt && above == 0)) return 1;
      return 0;
    }
    return order.range_side(j, lower, upper);
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
    if (range_.lt) return internal::compare_keys(*key, *range_.lt) >= 0;
    if (range_.lte) return internal::compare_keys(*key, *range_.lte) > 0;
  } else {
    if (range_.gt) return internal::compare_keys(*key, *range_.gt) <= 0;
    if (range_.gte) return internal::compare_keys(*key, *range_.gte) < 0;
  }
  return false;
}

std::expected<void, RemoteQueryError> RemoteQuery::prefetch_children(const bee::Level& level, size_t child,
                                                                     TimePoint now) {
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
    if (remote_.held(seq)) continue;
    expect_node_[seq].insert(offset);
    if (auto r = request(seq, false, now); !r) return r;
  }
  return {};
}

std::expected<void, RemoteQueryError> RemoteQuery::prefetch_history(uint64_t missing, TimePoint now) {
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
    if (auto r = request(seq, false, now); !r) return r;
  }
  return {};
}

}  // namespace net
