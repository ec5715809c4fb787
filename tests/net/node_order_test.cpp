// NodeOrder (net/remote/internal/node_order.hpp): the order facts remote reads plan with, from the
// keys of the held blocks a node's child pointers name.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "net/remote/internal/node_order.hpp"

namespace {

using hypercore::Bytes;
using net::internal::compare_keys;
using net::internal::NodeOrder;

Bytes b(const std::string& s) { return Bytes(s.begin(), s.end()); }

// A node of three keys and four children; children 1 and 2 point into block 10 (held, key
// "m"), child 0 into block 4 (not held), child 3 into block 8 (held, key "x").
struct Fixture {
  bee::Level level{{3, 10, 7}, {4, 0, 10, 1, 10, 2, 8, 0}};
  std::map<uint64_t, Bytes> held{{10, b("m")}, {8, b("x")}};
  NodeOrder order{level, [this](uint64_t seq) -> std::optional<Bytes> {
                    auto it = held.find(seq);
                    if (it == held.end()) return std::nullopt;
                    return it->second;
                  }};
};

TEST(NodeOrder, CompareKeysIsByteOrderThenLength) {
  EXPECT_LT(compare_keys(b("a"), b("b")), 0);
  EXPECT_GT(compare_keys(b("b"), b("a")), 0);
  EXPECT_LT(compare_keys(b("a"), b("ab")), 0);
  EXPECT_EQ(compare_keys(b("ab"), b("ab")), 0);
  Bytes high{0xff}, low{0x01};
  EXPECT_GT(compare_keys(high, low), 0);  // unsigned bytes
}

TEST(NodeOrder, PivotsDecideSearchProbesTheyBound) {
  Fixture f;
  // Key 2 lies right of block 10's children, so key 2 > "m": a target <= "m" is below it.
  EXPECT_EQ(f.order.order_of(b("a"), 2), -1);
  EXPECT_EQ(f.order.order_of(b("m"), 2), -1);
  // Key 0 lies left of them, so key 0 < "m": a target >= "m" is above it.
  EXPECT_EQ(f.order.order_of(b("z"), 0), 1);
  EXPECT_EQ(f.order.order_of(b("m"), 0), 1);
  // Block 8 (child 3): keys 0..2 lie left of it, so they are < "x".
  EXPECT_EQ(f.order.order_of(b("y"), 2), 1);
  // Nothing decides "b" against key 0 (block 4 is not held).
  EXPECT_EQ(f.order.order_of(b("b"), 0), 0);
  EXPECT_EQ(f.order.order_of(b("n"), 2), 0);
}

TEST(NodeOrder, PivotsPlaceKeysOutsideARange) {
  Fixture f;
  // key 0 < "m" <= "n": below a range starting at "n".
  EXPECT_EQ(f.order.range_side(0, b("n"), std::nullopt), -1);
  // key 2 > "m" >= "k": above a range ending at "k".
  EXPECT_EQ(f.order.range_side(2, std::nullopt, b("k")), 1);
  // Inside or unknown.
  EXPECT_EQ(f.order.range_side(2, b("a"), b("z")), 0);
  EXPECT_EQ(f.order.range_side(0, std::nullopt, std::nullopt), 0);
}

TEST(NodeOrder, NoHeldBlockNoFacts) {
  bee::Level level{{3, 5}, {4, 0, 6, 0, 9, 0}};
  NodeOrder order(level, [](uint64_t) { return std::optional<Bytes>(); });
  for (size_t j = 0; j < 2; ++j) {
    EXPECT_EQ(order.order_of(b("a"), j), 0);
    EXPECT_EQ(order.range_side(j, b("a"), b("z")), 0);
  }
}

}  // namespace
