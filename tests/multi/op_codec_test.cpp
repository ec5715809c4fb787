// The op format (docs/format/multiwriter.md): every type round-trips, the bytes of one op
// are pinned, and every truncation or damage is an error, never a wrong op.
#include "multi/op.hpp"

#include <gtest/gtest.h>

#include <random>

#include "tests/support/expect_errc.hpp"

namespace {

using hypercore::errc;
using multi::Op;
using multi::OpType;

Op sample(OpType type) {
  Op op;
  op.type = type;
  op.hlc = multi::Hlc::make(1'700'000'000'000, 3);
  op.key = type == OpType::put || type == OpType::del ? hypercore::to_bytes("key") : hypercore::Bytes(32, 0xab);
  if (type == OpType::put) op.value = hypercore::to_bytes("value");
  if (type == OpType::put || type == OpType::del) op.links = {{multi::Hash{}, 4}, {multi::Hash{1}, 9}};
  if (type == OpType::remove_writer) op.from = 17;
  if (type == OpType::header) {
    op.conflict = multi::Conflict::multi_value;
    op.membership = multi::Membership::open;
  }
  return op;
}

TEST(OpCodec, EveryTypeRoundTrips) {
  for (auto type : {OpType::header, OpType::put, OpType::del, OpType::add_writer, OpType::remove_writer}) {
    Op op = sample(type);
    auto back = multi::decode_op(multi::encode_op(op));
    ASSERT_TRUE(back) << multi::op_type_name(type) << ": " << back.error().to_string();
    EXPECT_EQ(*back, op) << multi::op_type_name(type);
  }
  Op valueless = sample(OpType::put);
  valueless.value.reset();
  EXPECT_EQ(*multi::decode_op(multi::encode_op(valueless)), valueless);
}

TEST(OpCodec, BytesOfAPutArePinned) {
  Op op;
  op.type = OpType::put;
  op.hlc = multi::Hlc{0x0102030405060708};
  op.key = hypercore::to_bytes("k");
  op.value = hypercore::to_bytes("v");
  op.links = {{multi::Hash{}, 2}};
  // version 1, type 1, hlc u64le, key "k", flags 1, value "v", 1 link: 32 zero bytes, seq 2
  hypercore::Bytes expected = {1, 1, 8, 7, 6, 5, 4, 3, 2, 1, 1, 'k', 1, 1, 'v', 1};
  expected.insert(expected.end(), 32, 0);
  expected.push_back(2);
  EXPECT_EQ(multi::encode_op(op), expected);
}

TEST(OpCodec, EveryTruncationFails) {
  for (auto type : {OpType::header, OpType::put, OpType::del, OpType::add_writer, OpType::remove_writer}) {
    auto bytes = multi::encode_op(sample(type));
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_ERRC(multi::decode_op(hypercore::ByteSpan(bytes.data(), n)), errc::corrupt) << multi::op_type_name(type) << " " << n;
    }
    bytes.push_back(0);
    EXPECT_ERRC_MSG(multi::decode_op(bytes), errc::corrupt, "group op");
  }
}

TEST(OpCodec, ALaterVersionIsUnsupportedNotCorrupt) {
  auto bytes = multi::encode_op(sample(OpType::put));
  bytes[0] = 2;
  EXPECT_ERRC_MSG(multi::decode_op(bytes), errc::unsupported, "version 2");
}

TEST(OpCodec, DamagedFieldsFail) {
  auto bad_type = multi::encode_op(sample(OpType::put));
  bad_type[1] = 9;
  EXPECT_ERRC_MSG(multi::decode_op(bad_type), errc::corrupt, "unknown type 9");

  Op short_writer = sample(OpType::add_writer);
  short_writer.key.resize(31);
  EXPECT_ERRC_MSG(multi::decode_op(multi::encode_op(short_writer)), errc::corrupt, "32 bytes");

  Op header = sample(OpType::header);
  auto hb = multi::encode_op(header);
  hb[hb.size() - 1] = 7;  // membership 7
  EXPECT_ERRC_MSG(multi::decode_op(hb), errc::corrupt, "rule");

  // A link count larger than the bytes left could describe is refused before allocating.
  hypercore::Bytes huge = {1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'k', 0xfe, 0xff, 0xff, 0xff, 0x7f};
  EXPECT_ERRC(multi::decode_op(huge), errc::corrupt);
}

TEST(OpCodec, RandomBytesNeverDecodeWrongly) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    hypercore::Bytes bytes(rng() % 64);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : rng() % 3);
    auto op = multi::decode_op(bytes);
    if (op) {
      EXPECT_EQ(*multi::decode_op(multi::encode_op(*op)), *op);
    }
  }
}

}  // namespace
