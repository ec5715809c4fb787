// Diff of two versions (spec §6.4), a port of the reference's iterators/diff.js: two tree
// walks advanced side by side; a position (key or child pointer) with the same seq and
// offset on both sides is skipped without being read, so close versions diff cheaply.
// The bound handling (gt else gte, lt else lte, inclusive when gte/lte is given) and the
// order of descents are the reference's, so items and errors match it.
#include <string>

#include "bee/internal/cursors.hpp"
#include "bee/search_order.hpp"

namespace bee {

using hypercore::errc;
using hypercore::fail;

namespace internal {

namespace {
Error too_deep() {
  return Error{errc::corrupt, "tree deeper than " + std::to_string(kMaxTreeDepth) + " levels (a cycle in child pointers?)"};
}
Error too_many_nodes() { return Error{errc::corrupt, "tree has more nodes than its version has blocks"}; }
}  // namespace

// A node and the current position in it: i = 2k is child k, i = 2k + 1 key k; seq and
// offset name what is at the position (offset 0 for a key).
struct DiffCursor::SubTree {
  TreeNode node;
  std::shared_ptr<SubTree> parent;  // kept after it is popped: key() of a last child asks it
  size_t depth = 0;
  int64_t i = 0;
  bool is_key = false;
  int64_t n = 0;
  uint64_t seq = 0;
  uint64_t offset = 0;

  static Result<std::shared_ptr<SubTree>> make(TreeNode node, std::shared_ptr<SubTree> parent) {
    auto t = std::make_shared<SubTree>();
    t->depth = parent ? parent->depth + 1 : 0;
    if (t->depth >= kMaxTreeDepth) return std::unexpected(too_deep());
    t->node = std::move(node);
    t->parent = std::move(parent);
    t->is_key = t->node.leaf();
    t->i = t->is_key ? 1 : 0;
    if (!t->is_key) {
      t->seq = t->node.child_seq(0);
      t->offset = t->node.child_offset(0);
    } else {
      if (t->node.key_count() == 0) {
        return fail(errc::corrupt, "block " + std::to_string(t->node.seq) + " level " +
                                       std::to_string(t->node.offset) + ": empty leaf below the root");
      }
      t->seq = t->node.key_seq(0);
    }
    return t;
  }

  bool next() {
    ++i;
    is_key = (i & 1) != 0;
    if (!is_key && node.leaf()) ++i;
    return update();
  }

  bool update() {
    is_key = (i & 1) != 0;
    n = i >> 1;
    if (n >= int64_t(is_key ? node.key_count() : node.child_count())) return false;
    if (is_key) {
      seq = node.key_seq(size_t(n));
      offset = 0;
    } else {
      seq = node.child_seq(size_t(n));
      offset = node.child_offset(size_t(n));
    }
    return true;
  }

  // Positions the subtree at `key`; returns whether the seek is over.
  Result<bool> bisect(TreeReader& reader, ByteSpan key, bool inclusive) {
    int64_t s = 0, e = int64_t(node.key_count());
    EntryRef hold;
    while (s < e) {
      int64_t mid = search_midpoint(s, e);
      HC_TRY(k, reader.key(node, size_t(mid), hold));
      auto c = compare_bytes(key, k);
      if (c == 0) {
        i = inclusive ? mid * 2 + 1 : mid * 2 + (node.leaf() ? 3 : 2);
        return true;
      }
      if (c < 0) e = mid;
      else s = mid + 1;
    }
    i = 2 * s + (node.leaf() ? 1 : 0);
    return node.leaf();
  }

  // The key at or just above this position (an upper bound); null = past every key.
  Result<EntryRef> key(TreeReader& reader) const {
    for (const SubTree* t = this; t; t = t->parent.get()) {
      if (t->n < int64_t(t->node.key_count())) return reader.key_block(t->node, size_t(t->n));
    }
    return EntryRef();
  }
};

class DiffCursor::Side {
 public:
  Side(std::shared_ptr<BlockStore> store, uint64_t version, const Range& range)
      : reader_(std::move(store), version),
        upper_(range.lt ? range.lt : range.lte),
        upper_inclusive_(range.lte.has_value()),
        lower_(range.gt ? range.gt : range.gte),
        lower_inclusive_(range.gte.has_value()),
        seeking_(lower_.has_value()) {}

  TreeReader& reader() { return reader_; }

  Result<void> open() {
    HC_TRY(root, reader_.root());
    if (!root || root->key_count() == 0) return {};
    HC_TRY(tree, SubTree::make(std::move(*root), nullptr));
    if (seeking_) {
      HC_TRY(in_range, seek(*tree));
      if (!in_range) return {};
    }
    stack_.push_back(std::move(tree));
    return {};
  }

  SubTree* top() const { return stack_.empty() ? nullptr : stack_.back().get(); }

  void skip() {
    if (stack_.empty()) return;
    if (!stack_.back()->next()) stack_.pop_back();
  }

  // Steps once: a key position yields its entry; a child position descends.
  Result<std::optional<Entry>> next() {
    if (stack_.empty()) return std::optional<Entry>();
    std::shared_ptr<SubTree> top = stack_.back();
    bool is_key = top->is_key;
    int64_t n = top->n;
    uint64_t seq = top->seq;
    if (!top->next()) stack_.pop_back();
    if (is_key) {
      seeking_ = false;
      return reader_.entry(seq);
    }
    if (++descents_ > reader_.descent_budget()) return std::unexpected(too_many_nodes());
    HC_TRY(child, reader_.child(top->node, size_t(n)));
    HC_TRY(tree, SubTree::make(std::move(child), top));
    if (seeking_) {
      HC_TRY(in_range, seek(*tree));
      if (!in_range) return std::optional<Entry>();
    }
    stack_.push_back(std::move(tree));
    return std::optional<Entry>();
  }

  // The next key of the walk, or null once past the upper bound (which ends this side).
  Result<std::optional<Entry>> next_key() {
    std::optional<Entry> e;
    while (!stack_.empty() && !e) {
      HC_TRY(x, next());
      e = std::move(x);
    }
    if (!e || !upper_) return e;
    auto c = compare_bytes(e->key, *upper_);
    if (upper_inclusive_ ? c <= 0 : c < 0) return e;
    stack_.clear();
    return std::optional<Entry>();
  }

 private:
  Result<bool> seek(SubTree& tree) {
    HC_TRY(done, tree.bisect(reader_, *lower_, lower_inclusive_));
    bool out_of_bounds = !tree.update();
    if (done || out_of_bounds) seeking_ = false;
    return !out_of_bounds;
  }

  TreeReader reader_;
  std::optional<Bytes> upper_;
  bool upper_inclusive_;
  std::optional<Bytes> lower_;
  bool lower_inclusive_;
  bool seeking_;
  uint64_t descents_ = 0;
  std::vector<std::shared_ptr<SubTree>> stack_;
};

DiffCursor::DiffCursor(std::shared_ptr<BlockStore> store, uint64_t left_version, uint64_t right_version,
                       const Range& range)
    : left_(std::make_unique<Side>(store, left_version, range)),
      right_(std::make_unique<Side>(store, right_version, range)),
      limit_(range.limit) {}

DiffCursor::~DiffCursor() = default;

namespace {
// diff.js's cmp: a missing key is above every key.
Result<int> compare_positions(DiffCursor::SubTree& l, TreeReader& lr, DiffCursor::SubTree& r, TreeReader& rr) {
  HC_TRY(a, l.key(lr));
  HC_TRY(b, r.key(rr));
  if (!a) return b ? 1 : 0;
  if (!b) return -1;
  auto c = compare_bytes(a->key(), b->key());
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}
}  // namespace

Result<std::optional<DiffEntry>> DiffCursor::step() {
  Side& a = *left_;
  Side& b = *right_;
  while (true) {
    SubTree* l = a.top();
    SubTree* r = b.top();
    if (!l && !r) return std::optional<DiffEntry>();
    if (!l) {
      HC_TRY(e, b.next_key());
      return DiffEntry{std::nullopt, std::move(e)};
    }
    if (!r) {
      HC_TRY(e, a.next_key());
      return DiffEntry{std::move(e), std::nullopt};
    }
    if (l->seq == r->seq && l->is_key == r->is_key && l->offset == r->offset) {
      a.skip();
      b.skip();
      continue;
    }
    HC_TRY(c, compare_positions(*l, a.reader(), *r, b.reader()));
    if (l->is_key && !r->is_key) {
      HC_CHECK(b.next());
      continue;
    }
    if (!l->is_key && r->is_key) {
      HC_CHECK(a.next());
      continue;
    }
    if (l->is_key && r->is_key) {
      if (c == 0) {
        HC_TRY(le, a.next_key());
        HC_TRY(re, b.next_key());
        return DiffEntry{std::move(le), std::move(re)};
      }
      if (c < 0) {
        HC_TRY(le, a.next_key());
        return DiffEntry{std::move(le), std::nullopt};
      }
      HC_TRY(re, b.next_key());
      return DiffEntry{std::nullopt, std::move(re)};
    }
    if (c == 0) {
      HC_CHECK(a.next());
      HC_CHECK(b.next());
    } else if (c < 0) {
      HC_CHECK(b.next());
    } else {
      HC_CHECK(a.next());
    }
  }
}

Result<std::optional<DiffEntry>> DiffCursor::next() {
  if (error_) return std::unexpected(*error_);
  if (ended_) return std::optional<DiffEntry>();
  Result<std::optional<DiffEntry>> r = std::optional<DiffEntry>();
  // Both roots are loaded before the limit is looked at, as the reference does: a version
  // without a root fails even with limit 0.
  if (!opened_) {
    opened_ = true;
    if (auto o = left_->open(); !o) r = std::unexpected(o.error());
    else if (auto o2 = right_->open(); !o2) r = std::unexpected(o2.error());
  }
  if (r && limit_ != 0) r = step();
  if (!r) {
    error_ = r.error();
    return r;
  }
  if (!*r || (!(*r)->left && !(*r)->right)) {
    ended_ = true;
    return std::optional<DiffEntry>();
  }
  if (limit_ > 0) --limit_;
  return r;
}

}  // namespace internal

DiffIterator::DiffIterator(std::unique_ptr<internal::DiffCursor> cursor) : cursor_(std::move(cursor)) {}
DiffIterator::DiffIterator(DiffIterator&&) noexcept = default;
DiffIterator& DiffIterator::operator=(DiffIterator&&) noexcept = default;
DiffIterator::~DiffIterator() = default;

Result<std::optional<DiffEntry>> DiffIterator::next() {
  if (!cursor_) return fail(errc::invalid_argument, "diff iterator was moved from");
  return cursor_->next();
}

}  // namespace bee
