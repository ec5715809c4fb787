// History (spec §6.3), a port of the reference's iterators/history.js: blocks by seq
// between bounds computed with JavaScript's truthiness (0 = not given) and negatives
// relative to the version.
#include <string>

#include "bee/internal/cursors.hpp"

namespace bee {

using hypercore::errc;
using hypercore::fail;

namespace internal {

namespace {

bool given(const std::optional<int64_t>& x) { return x && *x != 0; }

int64_t first_seq(const HistoryRange& r, int64_t v) {
  if (given(r.gt)) return (*r.gt < 0 ? *r.gt + v : *r.gt) + 1;
  int64_t gte = given(r.gte) ? *r.gte : 1;
  return gte < 0 ? gte + v : gte;
}

int64_t end_seq(const HistoryRange& r, int64_t v) {
  if ((r.lte && *r.lte == 0) || (r.lt && *r.lt == 0)) return 0;
  if (given(r.lte)) return (*r.lte < 0 ? *r.lte + v : *r.lte) + 1;
  int64_t lt = given(r.lt) ? *r.lt : v;
  return lt < 0 ? lt + v : lt;
}

}  // namespace

HistoryCursor::HistoryCursor(std::shared_ptr<BlockStore> store, uint64_t version, const HistoryRange& range)
    : store_(std::move(store)),
      version_(version),
      start_(first_seq(range, int64_t(version))),
      end_(end_seq(range, int64_t(version))),
      reverse_(range.reverse),
      limit_(range.limit) {}

Result<HistoryEntry> HistoryCursor::read(int64_t seq) {
  // The reference fails on a negative seq, fails to decode the header as a node at seq 0,
  // and waits forever for seqs at or past the version: all errors here.
  if (seq < 0) return fail(errc::out_of_range, "history bound reaches seq " + std::to_string(seq));
  if (uint64_t(seq) >= version_) {
    return fail(errc::out_of_range, "history bound reaches seq " + std::to_string(seq) + ", past version " +
                                        std::to_string(version_));
  }
  HC_TRY(block, store_->entry(uint64_t(seq)));
  HistoryEntry out;
  out.type = block->deletion() ? HistoryEntry::Type::del : HistoryEntry::Type::put;
  out.entry = make_entry(uint64_t(seq), *block);
  return out;
}

Result<std::optional<HistoryEntry>> HistoryCursor::next() {
  if (error_) return std::unexpected(*error_);
  if (!opened_) {
    // The reference loads the version's root first, so a version whose root does not
    // exist (the middle of a batch) fails here too.
    opened_ = true;
    if (auto root = TreeReader(store_, version_).root(); !root) {
      error_ = root.error();
      return std::unexpected(root.error());
    }
  }
  if (limit_ == 0) return std::optional<HistoryEntry>();
  if (limit_ > 0) --limit_;
  if (start_ >= end_) return std::optional<HistoryEntry>();
  Result<HistoryEntry> r;
  if (reverse_) {
    if (end_ <= 1) return std::optional<HistoryEntry>();
    r = read(--end_);
  } else {
    r = read(start_++);
  }
  if (!r) {
    error_ = r.error();
    return std::unexpected(r.error());
  }
  return std::optional<HistoryEntry>(std::move(*r));
}

}  // namespace internal

HistoryIterator::HistoryIterator(std::unique_ptr<internal::HistoryCursor> cursor) : cursor_(std::move(cursor)) {}
HistoryIterator::HistoryIterator(HistoryIterator&&) noexcept = default;
HistoryIterator& HistoryIterator::operator=(HistoryIterator&&) noexcept = default;
HistoryIterator::~HistoryIterator() = default;

Result<std::optional<HistoryEntry>> HistoryIterator::next() {
  if (!cursor_) return fail(errc::invalid_argument, "history iterator was moved from");
  return cursor_->next();
}

}  // namespace bee
