// The state machines behind RangeIterator, HistoryIterator and DiffIterator: ports of the
// reference's iterators/range.js, history.js and diff.js, so results match it item for
// item, quirks included. Each holds at most one root-to-leaf path of nodes, never a
// result set. Errors and the end are sticky.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "bee/bee.hpp"
#include "bee/internal/tree_reader.hpp"

namespace bee::internal {

// Key range walk (spec §6.2). Positions in a node follow the reference: i = 2k is child
// k, i = 2k + 1 is key k.
struct RangeCursor {
  RangeCursor(std::shared_ptr<BlockStore> store, uint64_t version, const Range& range);
  Result<std::optional<Entry>> next();

 private:
  struct Frame {
    TreeNode node;
    int64_t i;
  };
  Result<void> open();
  Result<std::optional<Entry>> step();
  Result<void> push(TreeNode node, int64_t i);

  TreeReader reader_;
  std::optional<Bytes> lower_, upper_;  // gt else gte; lt else lte
  bool lower_inclusive_, upper_inclusive_;
  bool reverse_;
  int64_t limit_;
  std::vector<Frame> stack_;
  uint64_t descents_ = 0;
  bool opened_ = false;
  bool ended_ = false;
  std::optional<Error> error_;
};

// Walk by seq (spec §6.3).
struct HistoryCursor {
  HistoryCursor(std::shared_ptr<BlockStore> store, uint64_t version, const HistoryRange& range);
  Result<std::optional<HistoryEntry>> next();

 private:
  Result<HistoryEntry> read(int64_t seq);

  std::shared_ptr<BlockStore> store_;
  uint64_t version_;
  int64_t start_;  // first seq (inclusive)
  int64_t end_;    // exclusive
  bool reverse_;
  int64_t limit_;
  bool opened_ = false;
  std::optional<Error> error_;
};

// Two trees walked side by side (spec §6.4), skipping shared (seq, offset) subtrees.
struct DiffCursor {
  DiffCursor(std::shared_ptr<BlockStore> store, uint64_t left_version, uint64_t right_version, const Range& range);
  ~DiffCursor();
  Result<std::optional<DiffEntry>> next();
  // Makes every next() fail with `error` (a version the diff cannot read).
  void fail_with(Error error) { error_ = std::move(error); }

  // One side: diff.js's TreeIterator. Public for the cursor's helpers only.
  struct SubTree;
  class Side;

 private:
  Result<std::optional<DiffEntry>> step();

  std::unique_ptr<Side> left_, right_;
  int64_t limit_;
  bool opened_ = false;
  bool ended_ = false;
  std::optional<Error> error_;
};

}  // namespace bee::internal
