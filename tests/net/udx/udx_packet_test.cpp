// The UDX codec against bytes pinned from the spec and libudx's process_packet rules.
#include <gtest/gtest.h>

#include "hypercore/bytes.hpp"
#include "net/udx/packet.hpp"

using namespace net::udx;

namespace {

hypercore::Bytes hex(std::string_view s) {
  hypercore::Bytes out;
  std::string digits;
  for (char c : s) {
    if (c != ' ') digits += c;
  }
  for (size_t i = 0; i + 1 < digits.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

}  // namespace

TEST(UdxPacket, SpecExampleHeader) {
  const auto bytes = hex("ff 01 01 00 3d69b4bc 00004000 00000000 00000000");
  auto p = decode_packet(bytes);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->header.type, kTypeData);
  EXPECT_EQ(p->header.stream_id, 0xbcb4693du);
  EXPECT_EQ(p->header.rwnd, 4194304u);
  EXPECT_EQ(p->header.seq, 0u);
  EXPECT_EQ(p->header.ack, 0u);
  EXPECT_TRUE(p->payload.empty());
  EXPECT_EQ(encode_packet(p->header, {}, {}), bytes);
}

TEST(UdxPacket, DataRoundTrip) {
  Header h{kTypeData | kTypeEnd, 0, 7, 1234, 0x01020304, 0xa0b0c0d0};
  const hypercore::Bytes payload{1, 2, 3};
  const auto bytes = encode_packet(h, {}, payload);
  EXPECT_EQ(bytes, hex("ff 01 03 00 07000000 d2040000 04030201 d0c0b0a0 010203"));
  auto p = decode_packet(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->header, h);
  EXPECT_EQ(hypercore::Bytes(p->payload.begin(), p->payload.end()), payload);
}

TEST(UdxPacket, SackBlocksWithZeroDataOffsetAsLibudxWrites) {
  const std::vector<SackBlock> sacks{{5, 7}, {9, 10}};
  const auto bytes = encode_packet(Header{0, 0, 1, 100, 3, 4}, sacks, {});
  EXPECT_EQ(bytes, hex("ff 01 04 00 01000000 64000000 03000000 04000000 05000000 07000000 09000000 0a000000"));
  auto p = decode_packet(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->header.type, kTypeSack);
  EXPECT_EQ(p->sacks, sacks);
}

TEST(UdxPacket, SackAreaBoundedByDataOffset) {
  auto bytes = encode_packet(Header{0, 0, 1, 0, 0, 0}, std::vector<SackBlock>{{1, 2}}, {});
  bytes[3] = 8;  // offset = the one block; 4 trailing bytes are payload
  bytes.insert(bytes.end(), {0xaa, 0xbb, 0xcc, 0xdd});
  auto p = decode_packet(bytes);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->sacks.size(), 1u);
  EXPECT_EQ(p->payload.size(), 4u);
}

TEST(UdxPacket, MtuProbePaddingIsSkipped) {
  const hypercore::Bytes payload{9, 8, 7};
  const auto bytes = encode_packet(Header{kTypeData, 0, 1, 0, 0, 0}, {}, payload, 32);
  EXPECT_EQ(bytes.size(), kHeaderSize + 32 + 3);
  EXPECT_EQ(bytes[3], 32);
  auto p = decode_packet(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(hypercore::Bytes(p->payload.begin(), p->payload.end()), payload);
}

TEST(UdxPacket, EveryTruncationOfAHeaderFails) {
  const auto bytes = encode_packet(Header{kTypeData, 0, 1, 2, 3, 4}, {}, {});
  for (size_t n = 0; n < kHeaderSize; n++) {
    auto p = decode_packet(std::span(bytes).first(n));
    ASSERT_FALSE(p) << n;
    EXPECT_EQ(p.error().code, UdxErrc::too_short) << n;
    EXPECT_FALSE(is_udx(std::span(bytes).first(n)));
  }
  EXPECT_TRUE(is_udx(bytes));
}

TEST(UdxPacket, EveryTruncationOfASackPacketIsRejectedOrShorter) {
  const std::vector<SackBlock> sacks{{5, 7}, {9, 10}, {12, 20}};
  const auto bytes = encode_packet(Header{0, 0, 1, 0, 3, 4}, sacks, {});
  for (size_t n = kHeaderSize; n < bytes.size(); n++) {
    auto p = decode_packet(std::span(bytes).first(n));
    if ((n - kHeaderSize) % 8 == 0) {
      ASSERT_TRUE(p) << n;
      EXPECT_EQ(p->sacks.size(), (n - kHeaderSize) / 8);
    } else {
      ASSERT_FALSE(p) << n;
      EXPECT_EQ(p.error().code, UdxErrc::bad_sack) << n;
    }
  }
}

TEST(UdxPacket, EveryTruncationOfAPaddedProbe) {
  const auto bytes = encode_packet(Header{kTypeData, 0, 1, 0, 0, 0}, {}, hypercore::Bytes(5, 1), 40);
  for (size_t n = kHeaderSize; n < bytes.size(); n++) {
    auto p = decode_packet(std::span(bytes).first(n));
    if (n - kHeaderSize < 40) {
      ASSERT_FALSE(p) << n;
      EXPECT_EQ(p.error().code, UdxErrc::bad_data_offset);
    } else {
      ASSERT_TRUE(p) << n;
      EXPECT_EQ(p->payload.size(), n - kHeaderSize - 40);
    }
  }
}

TEST(UdxPacket, BadMagicAndVersion) {
  auto bytes = encode_packet(Header{}, {}, {});
  bytes[0] = 0xfe;
  EXPECT_EQ(decode_packet(bytes).error().code, UdxErrc::bad_magic);
  EXPECT_FALSE(is_udx(bytes));
  bytes[0] = 0xff;
  bytes[1] = 2;
  EXPECT_EQ(decode_packet(bytes).error().code, UdxErrc::bad_version);
  EXPECT_FALSE(is_udx(bytes));
}

TEST(UdxPacket, SeqArithmeticWraps) {
  EXPECT_LT(seq_diff(0xffffffffu, 0), 0);
  EXPECT_GT(seq_diff(0, 0xffffffffu), 0);
  EXPECT_EQ(seq_diff(5, 5), 0);
}
