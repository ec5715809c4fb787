// Hostile input: every malformed, truncated, oversized or tampered frame ends the
// connection with a named error, never a crash, and nothing is delivered after it.
#include <gtest/gtest.h>

#include "net/stream/secret_stream.hpp"
#include "tests/net/stream_test_util.hpp"
#include "tests/support/expect_errc.hpp"

using namespace net;
using hypercore::ByteSpan;
using hypercore::Bytes;
using net_test::failure_of;
using net_test::framed;

namespace {

SecretStreamOptions keys(uint8_t s, uint8_t e, size_t max_frame = kMaxFrameSize) {
  SecretStreamOptions o;
  o.keys = {net_test::seeded(s), net_test::seeded(e)};
  o.max_frame_size = max_frame;
  return o;
}

// Splits a wire capture into frame bodies.
std::vector<Bytes> frames_of(const Bytes& wire) {
  std::vector<Bytes> out;
  size_t pos = 0;
  while (pos + 3 <= wire.size()) {
    size_t n = wire[pos] | (wire[pos + 1] << 8) | (wire[pos + 2] << 16);
    out.emplace_back(wire.begin() + pos + 3, wire.begin() + pos + 3 + n);
    pos += 3 + n;
  }
  return out;
}

// The §2.8 handshake run honestly, frame by frame, so tests can tamper with any step.
struct Transcript {
  Bytes msg1, msg2, msg3, i_header, r_header;
  Transcript() {
    SecretStream i(true, keys(1, 3)), r(false, keys(2, 4));
    msg1 = frames_of(i.take_output()).at(0);
    r.feed(framed(msg1));
    msg2 = frames_of(r.take_output()).at(0);
    i.feed(framed(msg2));
    auto i_out = frames_of(i.take_output());
    msg3 = i_out.at(0);
    i_header = i_out.at(1);
    r.feed(framed(msg3));
    r_header = frames_of(r.take_output()).at(0);
  }
};

// A connected pair; `wire_to_r` holds frames the initiator has produced but not delivered.
struct Pair {
  SecretStream i{true, keys(1, 3)};
  SecretStream r{false, keys(2, 4)};
  Pair() {
    for (int k = 0; k < 4; k++) {
      r.feed(i.take_output());
      i.feed(r.take_output());
    }
    EXPECT_TRUE(i.is_open() && r.is_open());
  }
};

void expect_dead_with(SecretStream& s, const std::vector<StreamEvent>& events, StreamErrc code) {
  const StreamError* f = failure_of(events);
  ASSERT_NE(f, nullptr) << "expected " << errc_name(code);
  EXPECT_ERRC(*f, code);
  EXPECT_TRUE(s.is_dead());
  ASSERT_ERRC(s.error(), code);
  // Dead stays dead: nothing more comes out of it.
  EXPECT_TRUE(s.feed(framed(Bytes(40, 1))).empty());
  auto sent = s.send(hypercore::to_bytes("x"));
  ASSERT_ERRC(sent, StreamErrc::closed);
  EXPECT_TRUE(std::holds_alternative<StreamFailed>(events.back()));  // the failure is the last event
}

}  // namespace

TEST(SecretStreamHostile, FlippedBitInMsg1NeverCompletesBothSides) {
  Transcript t;
  for (size_t bit = 0; bit < t.msg1.size() * 8; bit++) {
    Bytes m = t.msg1;
    m[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
    SecretStream i(true, keys(1, 3)), r(false, keys(2, 4));
    i.take_output();
    auto r_events = r.feed(framed(m));
    if (failure_of(r_events)) {  // not a usable point: the responder cannot answer
      EXPECT_EQ(failure_of(r_events)->code, StreamErrc::handshake_failed);
      continue;
    }
    // The responder answered a different ephemeral key: the initiator must refuse msg2.
    auto i_events = i.feed(r.take_output());
    expect_dead_with(i, i_events, StreamErrc::handshake_failed);
  }
}

TEST(SecretStreamHostile, FlippedBitInMsg2) {
  Transcript t;
  for (size_t bit = 0; bit < t.msg2.size() * 8; bit++) {
    Bytes m = t.msg2;
    m[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
    SecretStream i(true, keys(1, 3));
    i.take_output();
    auto events = i.feed(framed(m));
    expect_dead_with(i, events, StreamErrc::handshake_failed);
    EXPECT_FALSE(net_test::handshake_of(events)) << bit;
  }
}

TEST(SecretStreamHostile, FlippedBitInMsg3) {
  Transcript t;
  for (size_t bit = 0; bit < t.msg3.size() * 8; bit++) {
    Bytes m = t.msg3;
    m[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
    SecretStream r(false, keys(2, 4));
    r.feed(framed(t.msg1));
    r.take_output();
    auto events = r.feed(framed(m));
    expect_dead_with(r, events, StreamErrc::handshake_failed);
    EXPECT_FALSE(net_test::handshake_of(events)) << bit;
  }
}

TEST(SecretStreamHostile, TruncatedHandshakeMessages) {
  Transcript t;
  {
    SecretStream r(false, keys(2, 4));
    expect_dead_with(r, r.feed(framed(ByteSpan(t.msg1).first(31))), StreamErrc::handshake_failed);
  }
  {
    SecretStream r(false, keys(2, 4));
    expect_dead_with(r, r.feed(framed(Bytes{})), StreamErrc::handshake_failed);
  }
  for (size_t cut : {0, 32, 80, 95}) {
    SecretStream i(true, keys(1, 3));
    expect_dead_with(i, i.feed(framed(ByteSpan(t.msg2).first(cut))), StreamErrc::handshake_failed);
  }
  for (size_t cut : {0, 47, 48, 63}) {
    SecretStream r(false, keys(2, 4));
    r.feed(framed(t.msg1));
    expect_dead_with(r, r.feed(framed(ByteSpan(t.msg3).first(cut))), StreamErrc::handshake_failed);
  }
}

TEST(SecretStreamHostile, BothInitiators) {
  SecretStream a(true), b(true);
  Bytes a_out = a.take_output();
  expect_dead_with(b, b.feed(a_out), StreamErrc::handshake_failed);
}

TEST(SecretStreamHostile, SmallOrderEphemeralKey) {
  // The identity point and the all-zero encoding are refused by the DH.
  for (Bytes key : {Bytes(32, 0), [] { Bytes k(32, 0); k[0] = 1; return k; }()}) {
    SecretStream r(false);
    expect_dead_with(r, r.feed(framed(key)), StreamErrc::handshake_failed);
    EXPECT_TRUE(r.take_output().empty());
  }
}

TEST(SecretStreamHostile, OversizedLengths) {
  {
    SecretStream r(false);
    Bytes len = {0x00, 0x00, 0x01};  // 65536: over the Noise maximum
    expect_dead_with(r, r.feed(len), StreamErrc::frame_too_large);
  }
  {
    SecretStream i(true, keys(1, 3)), r(false, keys(2, 4, 1000));
    for (int k = 0; k < 4; k++) {
      r.feed(i.take_output());
      i.feed(r.take_output());
    }
    ASSERT_TRUE(r.is_open());
    // Only the 3 length bytes arrive: refused before any body is buffered.
    expect_dead_with(r, r.feed(Bytes{0xe9, 0x03, 0x00}), StreamErrc::frame_too_large);  // 1001
  }
  {  // at the default limit the 24-bit maximum is legal: it waits for the body
    Pair p;
    EXPECT_TRUE(p.r.feed(Bytes{0xff, 0xff, 0xff}).empty());
    EXPECT_FALSE(p.r.is_dead());
  }
}

TEST(SecretStreamHostile, HeaderFrameOfWrongLength) {
  Transcript t;
  for (size_t n : {0, 55, 57, 200}) {
    SecretStream r(false, keys(2, 4));
    r.feed(framed(t.msg1));
    Bytes h = t.i_header;
    h.resize(n, 0);
    auto wire = framed(t.msg3);
    auto hf = framed(h);
    wire.insert(wire.end(), hf.begin(), hf.end());
    auto events = r.feed(wire);
    EXPECT_TRUE(net_test::handshake_of(events));
    expect_dead_with(r, events, StreamErrc::invalid_header);
  }
}

TEST(SecretStreamHostile, WrongStreamId) {
  Transcript t;
  // Every flipped bit of the id, and a reflected header (the responder's own id).
  std::vector<Bytes> bad;
  for (size_t bit = 0; bit < 32 * 8; bit++) {
    Bytes h = t.i_header;
    h[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
    bad.push_back(h);
  }
  Bytes reflected = t.r_header;
  bad.push_back(reflected);
  for (const auto& h : bad) {
    SecretStream r(false, keys(2, 4));
    r.feed(framed(t.msg1));
    r.feed(framed(t.msg3));
    expect_dead_with(r, r.feed(framed(h)), StreamErrc::invalid_stream_id);
  }
}

TEST(SecretStreamHostile, FlippedBitInTransportFrames) {
  Pair base;
  ASSERT_TRUE(base.i.send(hypercore::to_bytes("a message of some length")));
  Bytes frame = base.i.take_output();  // framed
  for (size_t bit = 24; bit < frame.size() * 8; bit++) {  // every body bit
    Pair p;
    ASSERT_TRUE(p.i.send(hypercore::to_bytes("a message of some length")));
    Bytes f = p.i.take_output();
    f[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
    auto events = p.r.feed(f);
    expect_dead_with(p.r, events, StreamErrc::decryption_failed);
    EXPECT_TRUE(net_test::messages(events).empty());
  }
}

TEST(SecretStreamHostile, FlippedBitInSecretstreamHeader) {
  Transcript t;
  for (size_t bit = 32 * 8; bit < 56 * 8; bit += 7) {
    SecretStream i(true, keys(1, 3)), r(false, keys(2, 4));
    r.feed(i.take_output());
    i.feed(r.take_output());
    ASSERT_TRUE(i.send(hypercore::to_bytes("hello")));
    auto frames = frames_of(i.take_output());  // msg3, header, message
    ASSERT_EQ(frames.size(), 3u);
    frames[1][bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
    Bytes wire;
    for (auto& f : frames) {
      auto ff = framed(f);
      wire.insert(wire.end(), ff.begin(), ff.end());
    }
    expect_dead_with(r, r.feed(wire), StreamErrc::decryption_failed);
  }
}

TEST(SecretStreamHostile, WrongTransportLengths) {
  {  // shorter than the secretstream overhead
    for (size_t n : {0, 1, 16}) {
      Pair p;
      expect_dead_with(p.r, p.r.feed(framed(Bytes(n, 0))), StreamErrc::invalid_message);
    }
  }
  {  // a frame whose length says one byte less (truncated ciphertext)
    Pair p;
    ASSERT_TRUE(p.i.send(hypercore::to_bytes("hello world")));
    auto body = frames_of(p.i.take_output()).at(0);
    body.pop_back();
    expect_dead_with(p.r, p.r.feed(framed(body)), StreamErrc::decryption_failed);
  }
  {  // a length one byte longer swallows the next frame's first byte
    Pair p;
    ASSERT_TRUE(p.i.send(hypercore::to_bytes("hello world")));
    ASSERT_TRUE(p.i.send(hypercore::to_bytes("second")));
    Bytes wire = p.i.take_output();
    wire[0]++;
    expect_dead_with(p.r, p.r.feed(wire), StreamErrc::decryption_failed);
  }
  {  // replayed and reordered frames
    Pair p;
    ASSERT_TRUE(p.i.send(hypercore::to_bytes("one")));
    Bytes one = p.i.take_output();
    ASSERT_TRUE(p.i.send(hypercore::to_bytes("two")));
    Bytes two = p.i.take_output();
    EXPECT_EQ(net_test::messages(p.r.feed(one)).size(), 1u);
    expect_dead_with(p.r, p.r.feed(one), StreamErrc::decryption_failed);
    Pair q;
    ASSERT_TRUE(q.i.send(hypercore::to_bytes("one")));
    one = q.i.take_output();
    ASSERT_TRUE(q.i.send(hypercore::to_bytes("two")));
    two = q.i.take_output();
    expect_dead_with(q.r, q.r.feed(two), StreamErrc::decryption_failed);
  }
}

TEST(SecretStreamHostile, GoodMessagesBeforeTheBadFrameAreDelivered) {
  Pair p;
  ASSERT_TRUE(p.i.send(hypercore::to_bytes("good")));
  Bytes wire = p.i.take_output();
  Bytes junk = framed(Bytes(30, 0x55));
  wire.insert(wire.end(), junk.begin(), junk.end());
  ASSERT_TRUE(p.i.send(hypercore::to_bytes("never seen")));
  Bytes after = p.i.take_output();
  wire.insert(wire.end(), after.begin(), after.end());
  auto events = p.r.feed(wire);
  ASSERT_EQ(events.size(), 2u);
  auto msgs = net_test::messages(events);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], hypercore::to_bytes("good"));
  EXPECT_EQ(failure_of(events)->code, StreamErrc::decryption_failed);
}
