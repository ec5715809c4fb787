// blind-relay messages (bytes from blind-relay 1.6.1's m.pair / m.unpair via
// compact-encoding) and the relay's PairingTable.
#include <gtest/gtest.h>

#include "hypercore/bytes.hpp"
#include "net/blind_relay/pairing_table.hpp"

namespace {

using namespace net::blind_relay;

hypercore::Bytes unhex(const std::string& hex) { return *hypercore::from_hex(hex); }

Token counting_token() {
  Token t;
  for (size_t i = 0; i < t.size(); i++) t[i] = static_cast<uint8_t>(i);
  return t;
}

const std::string kTokenHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

TEST(BlindRelayMessages, PairMatchesTheReference) {
  // c.encode(m.pair, {isInitiator: true, token: 0..31, id: 300, seq: 0})
  EXPECT_EQ(encode_pair({true, counting_token(), 300, 0}), unhex("01" + kTokenHex + "fd2c0100"));
  // {isInitiator: false, id: 0xdeadbeef, seq: 5}
  EXPECT_EQ(encode_pair({false, counting_token(), 0xdeadbeef, 5}), unhex("00" + kTokenHex + "feefbeadde05"));
  auto m = decode_pair(unhex("00" + kTokenHex + "feefbeadde05"));
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, (PairMessage{false, counting_token(), 0xdeadbeef, 5}));
}

TEST(BlindRelayMessages, UnpairMatchesTheReference) {
  EXPECT_EQ(encode_unpair({counting_token()}), unhex("00" + kTokenHex));
  auto m = decode_unpair(unhex("00" + kTokenHex));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->token, counting_token());
}

TEST(BlindRelayMessages, WideBitfieldFlagsDecodeAsTheReferenceDoes) {
  // compact-encoding-bitfield reads fd ‖ 2 bytes; the reference decodes this as
  // {isInitiator: true, id: 7, seq: 0}.
  auto m = decode_pair(unhex("fd0100" + kTokenHex + "0700"));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is_initiator);
  EXPECT_EQ(m->id, 7u);
}

TEST(BlindRelayMessages, TruncatedMessagesFail) {
  auto full = encode_pair({true, counting_token(), 300, 0});
  for (size_t n = 0; n < full.size(); n++) {
    EXPECT_FALSE(decode_pair(hypercore::ByteSpan(full.data(), n))) << n;
  }
  EXPECT_FALSE(decode_unpair(unhex("00" + kTokenHex.substr(0, 60))));
  EXPECT_FALSE(decode_pair(unhex("ff0102")));
}

TEST(BlindRelayMessages, RandomTokensDiffer) { EXPECT_NE(random_token(), random_token()); }

Token token_of(uint8_t n) {
  Token t{};
  t[0] = n;
  return t;
}

TEST(PairingTable, TwoHalvesWithTheSameTokenMatch) {
  PairingTable t;
  auto first = t.on_pair(1, {true, token_of(1), 11, 0}, Millis(0));
  ASSERT_TRUE(first);
  EXPECT_FALSE(*first);
  EXPECT_EQ(t.stats().pending, 1u);
  auto second = t.on_pair(2, {false, token_of(1), 22, 0}, Millis(5));
  ASSERT_TRUE(second);
  ASSERT_TRUE(*second);
  const Match& m = **second;
  EXPECT_EQ(m.halves[0].session, 2u);
  EXPECT_FALSE(m.halves[0].is_initiator);
  EXPECT_EQ(m.halves[0].remote_stream_id, 22u);
  EXPECT_EQ(m.halves[1].session, 1u);
  EXPECT_EQ(m.halves[1].remote_stream_id, 11u);
  EXPECT_TRUE(t.is_active(token_of(1)));
  EXPECT_EQ(t.stats().pending, 0u);
  EXPECT_EQ(t.stats().matched, 1u);
  // Both sessions take part in the link: either one's departure names it.
  EXPECT_EQ(t.remove_session(2), std::vector<Token>{token_of(1)});
  t.link_closed(token_of(1));
  EXPECT_FALSE(t.is_active(token_of(1)));
}

TEST(PairingTable, SameSideTwiceIsIgnoredAndDifferentTokensDoNotMatch) {
  PairingTable t;
  ASSERT_TRUE(t.on_pair(1, {true, token_of(1), 11, 0}, Millis(0)));
  auto again = t.on_pair(2, {true, token_of(1), 33, 0}, Millis(0));
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto other = t.on_pair(2, {false, token_of(2), 22, 0}, Millis(0));
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
  EXPECT_EQ(t.stats().pending, 2u);
  // The original initiator half is still the one that matches.
  auto m = t.on_pair(3, {false, token_of(1), 44, 0}, Millis(0));
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->halves[1].remote_stream_id, 11u);
}

TEST(PairingTable, UnpairCancelsWaitingAndNamesActive) {
  PairingTable t;
  ASSERT_TRUE(t.on_pair(1, {true, token_of(1), 11, 0}, Millis(0)));
  EXPECT_FALSE(t.on_unpair(1, token_of(1)));
  EXPECT_EQ(t.stats().pending, 0u);
  EXPECT_EQ(t.stats().cancelled, 1u);
  ASSERT_TRUE(t.on_pair(1, {true, token_of(2), 11, 0}, Millis(0)));
  ASSERT_TRUE(t.on_pair(2, {false, token_of(2), 22, 0}, Millis(0)));
  EXPECT_FALSE(t.on_unpair(3, token_of(2)));  // not a party to the link
  EXPECT_TRUE(t.on_unpair(2, token_of(2)));
}

TEST(PairingTable, WaitingHalvesExpire) {
  PairingLimits limits;
  limits.pending_timeout = Millis(1000);
  PairingTable t(limits);
  ASSERT_TRUE(t.on_pair(1, {true, token_of(1), 11, 0}, Millis(0)));
  EXPECT_EQ(t.next_timeout(), Millis(1000));
  t.expire(Millis(999));
  EXPECT_EQ(t.stats().pending, 1u);
  t.expire(Millis(1000));
  EXPECT_EQ(t.stats().pending, 0u);
  EXPECT_EQ(t.stats().expired, 1u);
  // The late half now waits alone.
  auto late = t.on_pair(2, {false, token_of(1), 22, 0}, Millis(1001));
  ASSERT_TRUE(late);
  EXPECT_FALSE(*late);
}

TEST(PairingTable, BoundsRefuseRequests) {
  PairingLimits limits;
  limits.max_pending_per_session = 2;
  limits.max_pending = 3;
  limits.max_links_per_session = 1;
  PairingTable t(limits);
  ASSERT_TRUE(t.on_pair(1, {true, token_of(1), 1, 0}, Millis(0)));
  ASSERT_TRUE(t.on_pair(1, {true, token_of(2), 1, 0}, Millis(0)));
  auto third = t.on_pair(1, {true, token_of(3), 1, 0}, Millis(0));
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, hypercore::errc::out_of_range);
  ASSERT_TRUE(t.on_pair(2, {true, token_of(4), 1, 0}, Millis(0)));
  auto total = t.on_pair(3, {true, token_of(5), 1, 0}, Millis(0));
  ASSERT_FALSE(total);
  EXPECT_EQ(t.stats().pending, 3u);
  EXPECT_EQ(t.stats().refused, 2u);
  // One active link per session: a second match involving session 1 is refused.
  ASSERT_TRUE(t.on_pair(3, {false, token_of(1), 9, 0}, Millis(0)));
  EXPECT_TRUE(t.is_active(token_of(1)));
  auto over = t.on_pair(4, {false, token_of(2), 9, 0}, Millis(0));
  EXPECT_FALSE(over);
  EXPECT_FALSE(t.is_active(token_of(2)));
  // A 33-bit stream id is refused, and so is pairing a token that relays already.
  EXPECT_FALSE(t.on_pair(5, {true, token_of(7), uint64_t{1} << 32, 0}, Millis(0)));
  EXPECT_FALSE(t.on_pair(5, {true, token_of(1), 1, 0}, Millis(0)));
}

TEST(PairingTable, RemovingASessionCancelsItsWaitingHalves) {
  PairingTable t;
  ASSERT_TRUE(t.on_pair(1, {true, token_of(1), 1, 0}, Millis(0)));
  ASSERT_TRUE(t.on_pair(1, {false, token_of(2), 1, 0}, Millis(0)));
  EXPECT_TRUE(t.remove_session(1).empty());
  EXPECT_EQ(t.stats().pending, 0u);
  EXPECT_EQ(t.stats().cancelled, 2u);
}

}  // namespace
