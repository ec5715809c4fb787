// Flat-tree arithmetic against the table of ../shared/spec/hypercore.md §1, its full-roots
// table, structural identities over every index below 2^16, and 64-bit indexes.
#include <gtest/gtest.h>

#include "hypercore/flat_tree.hpp"

namespace {

using namespace hypercore;
namespace ft = hypercore::flat_tree;

struct Row {
  uint64_t i, depth, offset, parent, sibling, left_child, right_child, left_span, right_span, leaves;
};

TEST(FlatTree, SpecTable) {
  const Row rows[] = {
      {0, 0, 0, 1, 2, 0, 0, 0, 0, 1},      {1, 1, 0, 3, 5, 0, 2, 0, 2, 2},
      {2, 0, 1, 1, 0, 0, 0, 2, 2, 1},      {3, 2, 0, 7, 11, 1, 5, 0, 6, 4},
      {4, 0, 2, 5, 6, 0, 0, 4, 4, 1},      {5, 1, 1, 3, 1, 4, 6, 4, 6, 2},
      {6, 0, 3, 5, 4, 0, 0, 6, 6, 1},      {7, 3, 0, 15, 23, 3, 11, 0, 14, 8},
      {9, 1, 2, 11, 13, 8, 10, 8, 10, 2},  {11, 2, 1, 7, 3, 9, 13, 8, 14, 4},
      {13, 1, 3, 11, 9, 12, 14, 12, 14, 2},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.i);
    EXPECT_EQ(ft::depth(r.i), r.depth);
    EXPECT_EQ(ft::offset(r.i), r.offset);
    EXPECT_EQ(ft::parent(r.i), r.parent);
    EXPECT_EQ(ft::sibling(r.i), r.sibling);
    if (r.depth > 0) {
      EXPECT_EQ(ft::left_child(r.i), r.left_child);
      EXPECT_EQ(ft::right_child(r.i), r.right_child);
    }
    EXPECT_EQ(ft::left_span(r.i), r.left_span);
    EXPECT_EQ(ft::right_span(r.i), r.right_span);
    EXPECT_EQ(ft::leaves(r.i), r.leaves);
    EXPECT_EQ(ft::count(r.i), 2 * r.leaves - 1);
  }
  EXPECT_EQ(ft::index(2, 1), 11u);
  EXPECT_EQ(ft::index(3, 0), 7u);
  EXPECT_EQ(ft::index(0, 5), 10u);
  EXPECT_EQ(ft::depth(0b1011), 2u);
}

TEST(FlatTree, FullRootsTable) {
  const std::pair<uint64_t, std::vector<uint64_t>> table[] = {
      {0, {}},     {1, {0}},    {2, {1}},       {3, {1, 4}},    {4, {3}},         {5, {3, 8}},
      {6, {3, 9}}, {7, {3, 9, 12}}, {8, {7}}, {11, {7, 17, 20}}, {13, {7, 19, 24}},
  };
  for (const auto& [length, roots] : table) EXPECT_EQ(ft::full_roots(length), roots) << length;
}

TEST(FlatTree, IdentitiesBelow2To16) {
  for (uint64_t i = 0; i < (1u << 16); i++) {
    EXPECT_EQ(ft::index(ft::depth(i), ft::offset(i)), i);
    EXPECT_EQ(ft::sibling(ft::sibling(i)), i);
    EXPECT_EQ(ft::parent(i), ft::parent(ft::sibling(i)));
    EXPECT_EQ(ft::is_left(i), i < ft::sibling(i));
    EXPECT_EQ(ft::right_span(i) - ft::left_span(i), 2 * ft::leaves(i) - 2);
    EXPECT_LE(ft::left_span(i), i);
    EXPECT_GE(ft::right_span(i), i);
    if (ft::depth(i) > 0) {
      EXPECT_EQ(ft::parent(ft::left_child(i)), i);
      EXPECT_EQ(ft::parent(ft::right_child(i)), i);
      EXPECT_EQ(ft::sibling(ft::left_child(i)), ft::right_child(i));
    }
  }
  for (uint64_t length = 1; length < 5000; length++) {
    auto roots = ft::full_roots(length);
    uint64_t leaves = 0, next = 0;
    for (uint64_t r : roots) {
      EXPECT_TRUE(ft::is_left(r)) << r;
      EXPECT_EQ(ft::left_span(r), next);
      next = ft::right_span(r) + 2;
      leaves += ft::leaves(r);
    }
    EXPECT_EQ(leaves, length);
    EXPECT_EQ(ft::right_span(roots.back()), 2 * length - 2);
  }
}

TEST(FlatTree, SixtyFourBitIndexes) {
  // Root over 2^62 blocks, whose right span 2^63 - 2 still fits. (Depth 63 would shift
  // by 64 in offset/spans: logs that long are out of range.)
  const uint64_t top = (uint64_t{1} << 62) - 1;
  EXPECT_EQ(ft::depth(top), 62u);
  EXPECT_EQ(ft::offset(top), 0u);
  EXPECT_EQ(ft::left_span(top), 0u);
  EXPECT_EQ(ft::right_span(top), (uint64_t{1} << 63) - 2);
  EXPECT_EQ(ft::leaves(top), uint64_t{1} << 62);
  EXPECT_EQ(ft::count(top), (uint64_t{1} << 63) - 1);
  EXPECT_EQ(ft::left_child(top), (uint64_t{1} << 61) - 1);
  EXPECT_EQ(ft::right_child(top), (uint64_t{1} << 61) - 1 + (uint64_t{1} << 62));
  EXPECT_EQ(ft::sibling(top), top + (uint64_t{1} << 63));
  EXPECT_EQ(ft::parent(top), (uint64_t{1} << 63) - 1);

  // Leaf of block 2^32 + 5, and of block 2^40.
  const uint64_t leaf = 2 * ((uint64_t{1} << 32) + 5);
  EXPECT_EQ(ft::depth(leaf), 0u);
  EXPECT_EQ(ft::offset(leaf), (uint64_t{1} << 32) + 5);
  EXPECT_EQ(ft::sibling(leaf), leaf - 2);
  EXPECT_EQ(ft::parent(leaf), leaf - 1);
  const uint64_t leaf40 = uint64_t{1} << 41;
  EXPECT_EQ(ft::sibling(leaf40), leaf40 + 2);
  EXPECT_EQ(ft::parent(leaf40), leaf40 + 1);

  EXPECT_EQ(ft::index(40, 3), (uint64_t{7} << 40) - 1);
  EXPECT_EQ(ft::depth((uint64_t{7} << 40) - 1), 40u);
  EXPECT_EQ(ft::offset((uint64_t{7} << 40) - 1), 3u);
  EXPECT_EQ(ft::parent(ft::index(40, 3)), ft::index(41, 1));
  EXPECT_EQ(ft::sibling(ft::index(40, 3)), ft::index(40, 2));

  // Roots of a log of 2^40 + 2^32 + 3 blocks.
  const uint64_t length = (uint64_t{1} << 40) + (uint64_t{1} << 32) + 3;
  const std::vector<uint64_t> roots = {
      (uint64_t{1} << 40) - 1,
      (uint64_t{1} << 41) + (uint64_t{1} << 32) - 1,
      (uint64_t{1} << 41) + (uint64_t{1} << 33) + 1,
      (uint64_t{1} << 41) + (uint64_t{1} << 33) + 4,
  };
  EXPECT_EQ(ft::full_roots(length), roots);
  EXPECT_EQ(ft::right_span(roots.back()), 2 * length - 2);
  const uint64_t max_length = uint64_t{1} << 62;
  EXPECT_EQ(ft::full_roots(max_length), std::vector<uint64_t>{max_length - 1});
}

}  // namespace
