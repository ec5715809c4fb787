// compact-encoding primitives (../shared/spec/hypercore.md §0.1): varint boundaries,
// buffers, strings, array limits, and decoders that fail cleanly on truncated or hostile
// input.
#include <gtest/gtest.h>

#include "hypercore/compact_encoding.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using namespace hypercore;

std::string encode_uint(uint64_t n) {
  cenc::Encoder e;
  e.uint(n);
  return to_hex(e.bytes());
}

TEST(CompactEncoding, UintBoundaries) {
  const std::pair<uint64_t, const char*> cases[] = {
      {0, "00"},
      {1, "01"},
      {0xfc, "fc"},
      {0xfd, "fdfd00"},
      {0xfe, "fdfe00"},
      {0xff, "fdff00"},
      {300, "fd2c01"},
      {0xffff, "fdffff"},
      {0x10000, "fe00000100"},
      {0xffffffffull, "feffffffff"},
      {0x100000000ull, "ff0000000001000000"},
      {0x0123456789abcdefull, "ffefcdab8967452301"},
      {~uint64_t{0}, "ffffffffffffffffff"},
  };
  for (auto [n, hex] : cases) {
    EXPECT_EQ(encode_uint(n), hex) << n;
    EXPECT_EQ(cenc::uint_size(n) * 2, std::string(hex).size()) << n;
    Bytes bytes = *from_hex(hex);
    cenc::Decoder d(bytes, "test");
    auto v = d.uint();
    ASSERT_TRUE(v) << hex;
    EXPECT_EQ(*v, n);
    EXPECT_TRUE(d.done());
    EXPECT_TRUE(d.expect_end());
    // Every strict prefix is truncated.
    for (size_t len = 0; len < bytes.size(); len++) {
      cenc::Decoder t(ByteSpan(bytes).first(len), "test");
      auto r = t.uint();
      ASSERT_ERRC(r, errc::corrupt) << hex << " cut to " << len;
    }
  }
}

TEST(CompactEncoding, NonCanonicalVarintsDecodeLikeTheReference) {
  // The reference does not insist on the shortest form.
  for (const char* hex : {"fd0500", "fe05000000", "ff0500000000000000"}) {
    Bytes bytes = *from_hex(hex);
    cenc::Decoder d(bytes, "test");
    EXPECT_EQ(*d.uint(), 5u) << hex;
  }
}

TEST(CompactEncoding, FixedWidth) {
  cenc::Encoder e;
  e.u8(0xab);
  e.u32le(0x01020304);
  e.u64le(0x0102030405060708ull);
  EXPECT_EQ(to_hex(e.bytes()), "ab040302010807060504030201");
  cenc::Decoder d(e.bytes(), "test");
  EXPECT_EQ(*d.u8(), 0xab);
  EXPECT_EQ(*d.u32le(), 0x01020304u);
  EXPECT_EQ(*d.u64le(), 0x0102030405060708ull);
  EXPECT_TRUE(d.done());
  EXPECT_FALSE(d.u8());
  EXPECT_FALSE(cenc::Decoder(*from_hex("010203"), "t").u32le());
  EXPECT_FALSE(cenc::Decoder(*from_hex("01020304050607"), "t").u64le());
  EXPECT_FALSE(cenc::Decoder(Bytes(31), "t").fixed32());
  EXPECT_TRUE(cenc::Decoder(Bytes(32), "t").fixed32());
}

TEST(CompactEncoding, BuffersAndStrings) {
  cenc::Encoder e;
  e.buffer(*from_hex("0102"));
  e.null_buffer();
  e.buffer({});
  e.string("héllo");
  Bytes big(300, 7);
  e.buffer(big);
  Bytes bytes = e.take();
  EXPECT_EQ(to_hex(ByteSpan(bytes).first(12)), "0201020000" "0668c3a96c6c6f");
  cenc::Decoder d(bytes, "test");
  EXPECT_EQ(to_hex(*d.buffer()), "0102");
  EXPECT_TRUE(d.buffer()->empty());  // null
  EXPECT_TRUE(d.buffer()->empty());  // empty decodes as null too
  EXPECT_EQ(*d.string(), "héllo");
  auto b = d.buffer();
  ASSERT_TRUE(b);
  EXPECT_EQ(Bytes(b->begin(), b->end()), big);
  EXPECT_TRUE(d.expect_end());

  // A length past the end fails without reading.
  for (const char* hex : {"01", "0501020304", "fdffff00", "ffffffffffffffffff00"}) {
    auto r = cenc::Decoder(*from_hex(hex), "test").buffer();
    ASSERT_ERRC(r, errc::corrupt) << hex;
  }
}

TEST(CompactEncoding, ArrayLimits) {
  // The reference's limit is 0x100000 items, whatever the input holds.
  Bytes at_limit = *from_hex("fe00001000");
  at_limit.resize(at_limit.size() + cenc::kMaxArrayLength, 0);
  cenc::Decoder ok(at_limit, "test");
  EXPECT_EQ(*ok.array_length(1), cenc::kMaxArrayLength);

  Bytes over = *from_hex("fe01001000");
  over.resize(over.size() + cenc::kMaxArrayLength + 1, 0);
  auto r = cenc::Decoder(over, "test").array_length(1);
  ASSERT_ERRC(r, errc::corrupt);

  // Counts the remaining bytes cannot hold fail before anything is allocated.
  EXPECT_FALSE(cenc::Decoder(*from_hex("03aabb"), "t").array_length(1));
  EXPECT_TRUE(cenc::Decoder(*from_hex("02aabb"), "t").array_length(1));
  EXPECT_FALSE(cenc::Decoder(*from_hex("02" + std::string(2 * 65, '0')), "t").array_length(66));
  EXPECT_TRUE(cenc::Decoder(*from_hex("02" + std::string(2 * 132, '0')), "t").array_length(66));
  EXPECT_FALSE(cenc::Decoder(*from_hex("ffffffffffffffffff"), "t").array_length(1));
  EXPECT_EQ(*cenc::Decoder(*from_hex("00"), "t").array_length(1), 0u);
}

TEST(CompactEncoding, ErrorsNameWhatAndWhere) {
  Bytes bytes = *from_hex("0102");
  cenc::Decoder d(bytes, "oplog entry");
  ASSERT_TRUE(d.u8());
  auto r = d.u32le();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("oplog entry"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("byte 1"), std::string::npos) << r.error().message;
  auto end = cenc::Decoder(bytes, "x").expect_end();
  ASSERT_ERRC(end, errc::corrupt);
}

}  // namespace
