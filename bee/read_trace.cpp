#include "bee/read_trace.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "bee/internal/cache_items.hpp"
#include "bee/search_order.hpp"

namespace bee {

namespace {

// Far more tree levels and node visits than any real bee has: only a damaged or hostile
// tree (a child pointer cycle) gets there.
constexpr size_t kMaxSteps = 1 << 20;

int compare(ByteSpan a, ByteSpan b) {
  size_t n = std::min(a.size(), b.size());
  int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c < 0 ? -1 : 1;
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

struct NodeAt {
  uint64_t seq = 0;
  uint64_t offset = 0;
};

// Reads and decodes blocks, recording first reads; stops (stopped() true) on a missing or
// undecodable block, on a node that does not exist, or at the bounds.
class Tracer {
 public:
  Tracer(hypercore::Core& core, size_t max_blocks) : core_(core), max_blocks_(max_blocks) {}

  // Block `seq`, reported unless `silent` (the asker holds it).
  const NodeBlock* block(uint64_t seq, bool silent = false) {
    if (stopped_) return nullptr;
    if (!silent && !seen_.contains(seq)) {
      if (seqs_.size() >= max_blocks_) return stop();
      seqs_.push_back(seq);
    }
    seen_.insert(seq);
    if (auto it = blocks_.find(seq); it != blocks_.end()) return &it->second;
    if (seq == 0 || !core_.has(seq)) return stop();
    auto bytes = core_.get(seq);
    if (!bytes) return stop();
    auto node = decode_node(*bytes);
    if (!node) return stop();
    return &blocks_.emplace(seq, std::move(*node)).first->second;
  }

  const Level* level(NodeAt at, bool silent = false) {
    const NodeBlock* b = block(at.seq, silent);
    if (!b) return nullptr;
    if (at.offset >= b->levels.size() || !shape_ok(b->levels[at.offset])) {
      stop();
      return nullptr;
    }
    return &b->levels[at.offset];
  }

  // Key number `i` of the node at `at` (TreeNode.getKey: no read for the node's own block).
  const Bytes* key(NodeAt at, const Level& level, size_t i) {
    uint64_t seq = level.keys[i];
    const NodeBlock* b = seq == at.seq ? block(at.seq, true) : block(seq);
    return b ? &b->key : nullptr;
  }

  // Child number `i` (TreeNode.getChildNode: no read for the node's own block).
  std::optional<NodeAt> child(NodeAt at, const Level& level, size_t i) {
    NodeAt c{level.children[2 * i], level.children[2 * i + 1]};
    if (c.seq != at.seq && !block(c.seq)) return std::nullopt;
    if (!level_of(c)) return std::nullopt;
    return c;
  }

  const Level* level_of(NodeAt at) { return level(at, true); }

  bool step() {
    if (++steps_ > kMaxSteps) stop();
    return !stopped_;
  }
  bool stopped() const { return stopped_; }
  std::vector<uint64_t> take() { return std::move(seqs_); }

 private:
  static bool shape_ok(const Level& l) { return l.children.empty() || l.children.size() == 2 * (l.keys.size() + 1); }
  const NodeBlock* stop() {
    stopped_ = true;
    return nullptr;
  }

  hypercore::Core& core_;
  size_t max_blocks_;
  size_t steps_ = 0;
  bool stopped_ = false;
  std::vector<uint64_t> seqs_;
  std::unordered_set<uint64_t> seen_;
  std::unordered_map<uint64_t, NodeBlock> blocks_;
};

// The root node of `version` (Hyperbee getRoot: tree node 0 of block version - 1).
std::optional<NodeAt> root(Tracer& t, hypercore::Core& core, uint64_t version) {
  if (version < 2 || version > core.length()) return std::nullopt;
  NodeAt at{version - 1, 0};
  if (!t.level(at)) return std::nullopt;
  return at;
}

}  // namespace

std::vector<uint64_t> trace_get(hypercore::Core& core, uint64_t version, ByteSpan key, size_t max_blocks) {
  Tracer t(core, max_blocks);
  auto node = root(t, core, version);
  while (node && t.step()) {
    const NodeBlock* own = t.block(node->seq, true);
    if (!own) break;
    const Level* level = t.level_of(*node);
    if (!level) break;
    // The get's shortcut (snapshot.cpp): the node's block answers for its own key where
    // that is sound (internal::OwnKey).
    if (compare(key, own->key) == 0 && internal::own_key_at(*own, node->seq, node->offset) != internal::OwnKey::elsewhere) {
      break;
    }
    size_t s = 0, e = level->keys.size();
    int c = 0;
    bool found = false;
    while (s < e && t.step()) {
      size_t mid = search_midpoint(s, e);
      const Bytes* k = t.key(*node, *level, mid);
      if (!k) return t.take();
      c = compare(key, *k);
      if (c == 0) {
        found = true;
        break;
      }
      if (c < 0) e = mid;
      else s = mid + 1;
    }
    if (found || level->children.empty()) break;
    node = t.child(*node, *level, c < 0 ? e : s);
  }
  return t.take();
}

std::vector<uint64_t> trace_range(hypercore::Core& core, const ExtensionMessage::Iterator& scan, size_t max_blocks) {
  Tracer t(core, max_blocks);
  struct Frame {
    NodeAt at;
    int64_t i;
  };
  std::vector<Frame> stack;
  const bool reverse = scan.reverse;
  const bool g_incl = !scan.gt;
  const std::optional<Bytes>& g_key = scan.gt ? scan.gt : scan.gte;
  const bool l_incl = !scan.lt;
  const std::optional<Bytes>& l_key = scan.lt ? scan.lt : scan.lte;
  auto keys_of = [&](NodeAt at) -> int64_t {
    const Level* l = t.level_of(at);
    return l ? int64_t(l->keys.size()) : 0;
  };

  // open(): restore the asker's position, or seek to the start bound.
  if (!scan.checkpoint.empty()) {
    if (scan.checkpoint.size() % 3 != 0 || scan.version > core.length()) return {};
    for (size_t j = 0; j + 2 < scan.checkpoint.size(); j += 3) {
      NodeAt at{scan.checkpoint[j], scan.checkpoint[j + 1]};
      if (at.seq >= scan.version || !t.level(at, true)) return t.take();
      stack.push_back({at, int64_t(std::min<uint64_t>(scan.checkpoint[j + 2], uint64_t(1) << 40))});
    }
  } else if (auto node = root(t, core, scan.version)) {
    const bool incl = reverse ? l_incl : g_incl;
    const std::optional<Bytes>& start = reverse ? l_key : g_key;
    if (!start) {
      stack.push_back({*node, reverse ? keys_of(*node) << 1 : 0});
    } else {
      while (node && t.step()) {
        const Level* level = t.level_of(*node);
        if (!level) return t.take();
        int64_t n = int64_t(level->keys.size());
        Frame entry{*node, reverse ? n << 1 : 0};
        int64_t s = 0, e = n;
        int c = 0;
        bool found = false;
        while (s < e && t.step()) {
          int64_t mid = search_midpoint(s, e);
          const Bytes* k = t.key(*node, *level, size_t(mid));
          if (!k) return t.take();
          c = compare(*start, *k);
          if (c == 0) {
            entry.i = incl ? mid * 2 + 1 : mid * 2 + (reverse ? 0 : 2);
            stack.push_back(entry);
            found = true;
            break;
          }
          if (c < 0) e = mid;
          else s = mid + 1;
        }
        if (found) break;
        int64_t i = c < 0 ? e : s;
        entry.i = 2 * i + (reverse ? -1 : 1);
        if (entry.i >= 0 && entry.i <= n << 1) stack.push_back(entry);
        if (level->children.empty()) break;
        node = t.child(*node, *level, size_t(i));
      }
    }
  }

  // An unlimited forward scan also preloads ahead of the iterator (range.js _preloadQuery):
  // from each stack node's next key, keys up to the end bound and the subtrees before
  // them. The reference runs it concurrently with next(); the blocks are the same set.
  if (scan.checkpoint.empty() && scan.limit == 0 && !reverse) {
    size_t nodes = 0;
    constexpr size_t kMaxPreloadNodes = 2048;
    std::vector<std::pair<NodeAt, int64_t>> work;
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) work.push_back({it->at, (it->i - (it->i & 1)) / 2 + 1});
    while (!work.empty() && t.step()) {
      auto [at, i] = work.back();
      work.pop_back();
      const Level* level = t.level_of(at);
      if (!level) break;
      int64_t keys = int64_t(level->keys.size());
      int64_t children = int64_t(level->children.size() / 2);
      std::vector<std::pair<NodeAt, int64_t>> below;  // visited in order after this node's keys
      bool stopped = false;
      for (; i < keys && !stopped; i++) {
        const NodeBlock* b = t.block(level->keys[size_t(i)]);
        if (!b) return t.take();
        int c = l_key ? compare(b->key, *l_key) : -1;
        if (c >= 0 || nodes >= kMaxPreloadNodes || i >= children) {
          stopped = true;
          break;
        }
        nodes++;
        auto child = t.child(at, *level, size_t(i));
        if (!child) return t.take();
        below.push_back({*child, 0});
      }
      if (!stopped && children > 0 && nodes < kMaxPreloadNodes) {
        auto child = t.child(at, *level, size_t(children - 1));
        if (!child) return t.take();
        below.push_back({*child, 0});
      }
      for (auto it = below.rbegin(); it != below.rend(); ++it) work.push_back(*it);
    }
  }

  // next() until the scan ends, the limit is reached or the trace is full.
  const std::optional<Bytes>& end = reverse ? g_key : l_key;
  const bool end_incl = reverse ? g_incl : l_incl;
  int64_t limit = scan.limit == 0 ? -1 : int64_t(std::min<uint64_t>(scan.limit, uint64_t(1) << 40));
  while (!stack.empty() && (limit == -1 || limit > 0) && t.step()) {
    Frame& top = stack.back();
    const Level* level = t.level_of(top.at);
    if (!level) break;
    int64_t keys = int64_t(level->keys.size());
    bool is_key = (top.i & 1) == 1;
    int64_t n;
    if (reverse) {
      n = top.i < 0 ? keys : top.i-- >> 1;
    } else {
      n = top.i++ >> 1;
    }
    if (!is_key) {
      if (level->children.empty()) continue;
      if (n < 0 || n > keys) break;  // a checkpoint position the node does not have
      auto child = t.child(top.at, *level, size_t(n));
      if (!child) break;
      stack.push_back({*child, reverse ? keys_of(*child) << 1 : 0});
      continue;
    }
    if (n < 0 || n >= keys) {
      stack.pop_back();
      continue;
    }
    const NodeBlock* entry = t.block(level->keys[size_t(n)]);
    if (!entry) break;
    if (end) {
      int c = compare(entry->key, *end);
      if (c == 0 ? !end_incl : reverse ? c < 0 : c > 0) break;
    }
    if (limit > 0) limit--;
  }
  return t.take();
}

}  // namespace bee
