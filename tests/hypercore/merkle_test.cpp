// Merkle hashing against the worked example of ../shared/spec/hypercore.md §2 and §2.1
// (checked against the reference), plus u64 sizes and the incremental root stack.
#include <gtest/gtest.h>

#include "hypercore/crypto.hpp"
#include "hypercore/flat_tree.hpp"
#include "hypercore/internal/endian.hpp"
#include "hypercore/merkle.hpp"

namespace {

using namespace hypercore;

constexpr const char* kLeaf0 = "423177bd3da55c6ac57419beff9c763bab05e12a6d8908b38b7fc14360228d4a";
constexpr const char* kLeaf2 = "520abb1082986713dabf6862ccfe1bb6b87037647d0019b31219493ef186597c";
constexpr const char* kLeaf4 = "9435aca782b6bc40e253392d45c885f3b1ad47f23e7b6c3f9daf5b0868c438c5";
constexpr const char* kLeaf6 = "20915cf95a391fc2b132d5b481d1c2467314cc0f2d135f39f060dea90b9a118a";
constexpr const char* kNode1 = "9cac92aaed9e7d11eb629465684582ce39cb496303998de123533b09e16f2f06";
constexpr const char* kNode5 = "5ecb153b72aaf9234d9d7289123b41a8340729460a2b1aeffefdd08e6679856e";
constexpr const char* kNode3 = "0f9ccfd59f6c98fd5b6e444a6e57325c91eddcfabceb4c74d92f28c45f310cd3";
constexpr const char* kTreeL3 = "7ea73eb86179fb7328e73663f90f4c91256574af1112efe97fdf9309e03b67a7";
constexpr const char* kTreeL4 = "b7376d22cec3ccbd0b5e6b7cabcc6a4f0c140b49f82020da6f5d4d8f6fd97d1f";

TEST(Merkle, EmptyTreeHash) {
  EXPECT_EQ(to_hex(empty_tree_hash()), "bb30a42c1e62f0afda5f0a4e8a562f7a13a24cea00ee81917b86b89e801314aa");
  EXPECT_EQ(tree_hash({}), empty_tree_hash());
  const uint8_t two = 2;
  EXPECT_EQ(empty_tree_hash(), blake2b({ByteSpan(&two, 1)}));
}

TEST(Merkle, LeafHashes) {
  EXPECT_EQ(to_hex(leaf_hash(as_bytes("a"))), kLeaf0);
  EXPECT_EQ(leaf_hash(as_bytes("a")), blake2b({*from_hex("00010000000000000061")}));
  Node n = leaf_node(1, as_bytes("b"));
  EXPECT_EQ(n.index, 2u);
  EXPECT_EQ(n.size, 1u);
  EXPECT_EQ(to_hex(n.hash), kLeaf2);
  EXPECT_EQ(to_hex(leaf_node(2, as_bytes("c")).hash), kLeaf4);
  EXPECT_EQ(to_hex(leaf_node(3, as_bytes("d")).hash), kLeaf6);
  // An empty block is a legal leaf of size 0.
  Node empty = leaf_node(5, {});
  EXPECT_EQ(empty.index, 10u);
  EXPECT_EQ(empty.size, 0u);
  EXPECT_EQ(empty.hash, blake2b({*from_hex("000000000000000000")}));
}

TEST(Merkle, WorkedExampleAbcd) {
  Node n0 = leaf_node(0, as_bytes("a")), n2 = leaf_node(1, as_bytes("b"));
  Node n4 = leaf_node(2, as_bytes("c")), n6 = leaf_node(3, as_bytes("d"));
  Node n1 = parent_node(n0, n2);
  EXPECT_EQ(n1.index, 1u);
  EXPECT_EQ(n1.size, 2u);
  EXPECT_EQ(to_hex(n1.hash), kNode1);
  EXPECT_EQ(parent_node(n2, n0), n1);  // either order
  EXPECT_EQ(n1.hash, blake2b({*from_hex("010200000000000000"), n0.hash, n2.hash}));

  const Node roots3[] = {n1, n4};
  EXPECT_EQ(to_hex(tree_hash(roots3)), kTreeL3);
  // The 97-byte preimage spelled out.
  Bytes pre = *from_hex("02");
  for (const Node& r : roots3) {
    pre.insert(pre.end(), r.hash.begin(), r.hash.end());
    uint8_t tail[16];
    internal::store_u64le(tail, r.index);
    internal::store_u64le(tail + 8, r.size);
    pre.insert(pre.end(), tail, tail + 16);
  }
  ASSERT_EQ(pre.size(), 97u);
  EXPECT_EQ(to_hex(blake2b({pre})), kTreeL3);

  Node n5 = parent_node(n4, n6);
  EXPECT_EQ(n5.index, 5u);
  EXPECT_EQ(to_hex(n5.hash), kNode5);
  Node n3 = parent_node(n1, n5);
  EXPECT_EQ(n3.index, 3u);
  EXPECT_EQ(n3.size, 4u);
  EXPECT_EQ(to_hex(n3.hash), kNode3);
  const Node roots4[] = {n3};
  EXPECT_EQ(to_hex(tree_hash(roots4)), kTreeL4);
}

TEST(Merkle, RootStackReproducesTheExample) {
  RootStack stack;
  std::vector<Node> created;
  stack.push(leaf_node(0, as_bytes("a")), &created);
  EXPECT_TRUE(created.empty());
  stack.push(leaf_node(1, as_bytes("b")), &created);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(to_hex(created[0].hash), kNode1);
  stack.push(leaf_node(2, as_bytes("c")), &created);
  EXPECT_EQ(stack.length(), 3u);
  EXPECT_EQ(stack.byte_length(), 3u);
  ASSERT_EQ(stack.roots().size(), 2u);
  EXPECT_EQ(stack.roots()[0].index, 1u);
  EXPECT_EQ(stack.roots()[1].index, 4u);
  EXPECT_EQ(to_hex(tree_hash(stack.roots())), kTreeL3);
  created.clear();
  stack.push(leaf_node(3, as_bytes("d")), &created);
  ASSERT_EQ(created.size(), 2u);  // 5 then 3
  EXPECT_EQ(to_hex(created[0].hash), kNode5);
  EXPECT_EQ(to_hex(created[1].hash), kNode3);
  EXPECT_EQ(to_hex(tree_hash(stack.roots())), kTreeL4);
}

TEST(Merkle, RootsFollowTheFlatTree) {
  RootStack stack;
  for (uint64_t n = 0; n < 300; n++) {
    Bytes block(n % 7, static_cast<uint8_t>(n));
    stack.push(leaf_node(n, block), nullptr);
    std::vector<uint64_t> expected = flat_tree::full_roots(n + 1);
    ASSERT_EQ(stack.roots().size(), expected.size());
    uint64_t bytes = 0;
    for (size_t i = 0; i < expected.size(); i++) {
      EXPECT_EQ(stack.roots()[i].index, expected[i]);
      bytes += stack.roots()[i].size;
    }
    EXPECT_EQ(stack.length(), n + 1);
    EXPECT_EQ(stack.byte_length(), bytes);
  }
}

// Sizes are u64 in every preimage: a synthetic parent over 2^32 bytes.
TEST(Merkle, SizesBeyond32Bits) {
  Node a{0, 0xffffffffull, {}};
  Node b{2, 0x100000001ull, {}};
  a.hash.fill(0x11);
  b.hash.fill(0x22);
  Node p = parent_node(a, b);
  EXPECT_EQ(p.size, 0x200000000ull);
  EXPECT_EQ(p.hash, blake2b({*from_hex("010000000002000000"), a.hash, b.hash}));
  const Node roots[] = {Node{(uint64_t{1} << 41) - 1, 0x123456789abcdefull, a.hash}};
  EXPECT_EQ(tree_hash(roots), blake2b({*from_hex("02"), a.hash, *from_hex("ffffffffff010000efcdab8967452301")}));
}

}  // namespace
