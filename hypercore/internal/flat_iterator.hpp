// flat-tree's stateful iterator (flat-tree 1.13.0, Iterator), ported step for step. The
// proof producer and verifier follow the reference's control flow, which moves one
// iterator around the tree; keeping the same iterator keeps that correspondence
// checkable line by line. Callers keep indexes below 2^58 so nothing here overflows.
#pragma once

#include <cstdint>

#include "hypercore/flat_tree.hpp"

namespace hypercore::internal {

class FlatIterator {
 public:
  explicit FlatIterator(uint64_t index) { seek(index); }

  uint64_t index() const { return index_; }
  // 2^(depth + 1): twice the number of leaves below the current node.
  uint64_t factor() const { return factor_; }
  uint64_t leaves() const { return factor_ / 2; }
  uint64_t right_span() const { return index_ + factor_ / 2 - 1; }

  void seek(uint64_t index) {
    index_ = index;
    if (index & 1) {
      offset_ = flat_tree::offset(index);
      factor_ = uint64_t{2} << flat_tree::depth(index);
    } else {
      offset_ = index / 2;
      factor_ = 2;
    }
  }

  bool is_left() const { return (offset_ & 1) == 0; }

  // True iff `index` is the current node or lies below it. Written without the
  // reference's `index - factor / 2`, which would wrap for nodes at the left edge.
  bool contains(uint64_t index) const {
    if (index > index_) return index < index_ + factor_ / 2;
    if (index < index_) return index + factor_ / 2 > index_;
    return true;
  }

  uint64_t prev() {
    if (offset_ == 0) return index_;
    offset_--;
    index_ -= factor_;
    return index_;
  }

  uint64_t next() {
    offset_++;
    index_ += factor_;
    return index_;
  }

  uint64_t sibling() { return is_left() ? next() : prev(); }

  uint64_t parent() {
    if (offset_ & 1) {
      index_ -= factor_ / 2;
      offset_ = (offset_ - 1) / 2;
    } else {
      index_ += factor_ / 2;
      offset_ /= 2;
    }
    factor_ *= 2;
    return index_;
  }

  uint64_t left_child() {
    if (factor_ == 2) return index_;
    factor_ /= 2;
    index_ -= factor_ / 2;
    offset_ *= 2;
    return index_;
  }

  // The first leaf right of the current subtree.
  uint64_t next_tree() {
    index_ = index_ + factor_ / 2 + 1;
    offset_ = index_ / 2;
    factor_ = 2;
    return index_;
  }

  // From a leaf, climbs to the largest full root starting there within a tree whose head
  // (one past the last leaf) is `head`. False when there is none.
  bool full_root(uint64_t head) {
    if (head <= index_ || (index_ & 1)) return false;
    while (head > index_ + factor_ + factor_ / 2) {
      index_ += factor_ / 2;
      factor_ *= 2;
      offset_ /= 2;
    }
    return true;
  }

 private:
  uint64_t index_ = 0;
  uint64_t offset_ = 0;
  uint64_t factor_ = 2;
};

}  // namespace hypercore::internal
