// Our initiator against our responder over an in-memory duplex that delivers bytes in
// random-sized chunks: reassembly, ordering, keepalives, queued early sends, limits.
#include <gtest/gtest.h>

#include <random>

#include "net/stream/secret_stream.hpp"
#include "tests/net/stream_test_util.hpp"
#include "tests/support/expect_errc.hpp"

using namespace net;
using hypercore::Bytes;

namespace {

struct Side {
  SecretStream stream;
  std::vector<Bytes> received;
  std::optional<HandshakeDone> handshake;
  std::optional<StreamError> failure;
  int handshakes = 0;
};

// Moves every queued byte from `from` to `to` in chunks of 1..max_chunk bytes.
void deliver(Side& from, Side& to, std::mt19937& rng, size_t max_chunk) {
  Bytes wire = from.stream.take_output();
  size_t pos = 0;
  while (pos < wire.size()) {
    size_t n = std::min(wire.size() - pos, std::uniform_int_distribution<size_t>(1, max_chunk)(rng));
    for (auto& e : to.stream.feed(hypercore::ByteSpan(wire).subspan(pos, n))) {
      if (auto* m = std::get_if<MessageReceived>(&e)) to.received.push_back(std::move(m->message));
      if (auto* h = std::get_if<HandshakeDone>(&e)) to.handshake = *h, to.handshakes++;
      if (auto* f = std::get_if<StreamFailed>(&e)) to.failure = f->error;
    }
    pos += n;
  }
}

void pump(Side& a, Side& b, std::mt19937& rng, size_t max_chunk) {
  for (int round = 0; round < 8 && (a.stream.has_output() || b.stream.has_output()); round++) {
    deliver(a, b, rng, max_chunk);
    deliver(b, a, rng, max_chunk);
  }
}

Bytes random_bytes(std::mt19937& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Side make_side(bool initiator, size_t max_frame = kMaxFrameSize) {
  SecretStreamOptions options;
  options.max_frame_size = max_frame;
  return Side{SecretStream(initiator, options), {}, {}, {}, 0};
}

}  // namespace

TEST(SecretStream, HandshakeAgreesOnBothEnds) {
  std::mt19937 rng(1);
  Side i = make_side(true), r = make_side(false);
  EXPECT_FALSE(i.stream.handshake_complete());
  pump(i, r, rng, 7);
  ASSERT_TRUE(i.handshake && r.handshake);
  EXPECT_EQ(i.handshakes, 1);
  EXPECT_EQ(r.handshakes, 1);
  EXPECT_EQ(i.handshake->remote_public_key, r.stream.public_key());
  EXPECT_EQ(r.handshake->remote_public_key, i.stream.public_key());
  EXPECT_EQ(i.handshake->handshake_hash, r.handshake->handshake_hash);
  EXPECT_EQ(i.stream.handshake_hash(), r.stream.handshake_hash());
  EXPECT_TRUE(i.stream.is_open());
  EXPECT_TRUE(r.stream.is_open());
  EXPECT_NE(i.stream.public_key(), r.stream.public_key());  // random static keys by default
}

TEST(SecretStream, ManyMessagesBothWaysInRandomChunks) {
  for (uint32_t seed = 0; seed < 20; seed++) {
    std::mt19937 rng(seed);
    Side i = make_side(true), r = make_side(false);
    std::vector<Bytes> to_r, to_i;
    // Some sends happen before the handshake: they are queued, then flushed in order.
    for (int round = 0; round < 6; round++) {
      int count = std::uniform_int_distribution<int>(0, 12)(rng);
      for (int k = 0; k < count; k++) {
        size_t size = rng() % 4 == 0 ? 0 : std::uniform_int_distribution<size_t>(1, rng() % 5 == 0 ? 70000 : 300)(rng);
        Bytes m = random_bytes(rng, size);
        bool from_i = rng() % 2;
        ASSERT_TRUE((from_i ? i : r).stream.send(m));
        if (!m.empty()) (from_i ? to_r : to_i).push_back(m);  // empty plaintexts are keepalives
      }
      size_t max_chunk = std::uniform_int_distribution<size_t>(1, 5000)(rng);
      pump(i, r, rng, max_chunk);
    }
    EXPECT_FALSE(i.failure) << i.failure->to_string();
    EXPECT_FALSE(r.failure) << r.failure->to_string();
    EXPECT_EQ(r.received, to_r) << "seed " << seed;
    EXPECT_EQ(i.received, to_i) << "seed " << seed;
  }
}

TEST(SecretStream, MessagesUpToTheConfiguredLimit) {
  constexpr size_t kLimit = (1 << 20) + kStreamOverhead;
  std::mt19937 rng(7);
  Side i = make_side(true, kLimit), r = make_side(false, kLimit);
  pump(i, r, rng, 1000);
  Bytes biggest = random_bytes(rng, kLimit - kStreamOverhead);
  ASSERT_TRUE(i.stream.send(biggest));
  ASSERT_TRUE(r.stream.send(biggest));
  pump(i, r, rng, 65536);
  ASSERT_EQ(r.received.size(), 1u);
  ASSERT_EQ(i.received.size(), 1u);
  EXPECT_EQ(r.received[0], biggest);
  EXPECT_EQ(i.received[0], biggest);

  // One byte more is refused by the receiver as soon as the length prefix arrives.
  ASSERT_TRUE(i.stream.send(random_bytes(rng, kLimit - kStreamOverhead + 1)));
  pump(i, r, rng, 65536);
  ASSERT_ERRC(r.failure, StreamErrc::frame_too_large);
  EXPECT_TRUE(r.stream.is_dead());
}

TEST(SecretStream, LargestPlaintextAtTheDefaultLimit) {
  std::mt19937 rng(9);
  Side i = make_side(true), r = make_side(false);
  Bytes biggest(kMaxPlaintextSize, 0xab);
  biggest.front() = 1;
  biggest.back() = 2;
  ASSERT_TRUE(i.stream.send(biggest));  // before the handshake: queued
  pump(i, r, rng, 1 << 20);
  ASSERT_EQ(r.received.size(), 1u);
  EXPECT_EQ(r.received[0], biggest);

  auto too_big = i.stream.send(Bytes(kMaxPlaintextSize + 1));
  ASSERT_ERRC(too_big, StreamErrc::message_too_large);
  EXPECT_FALSE(i.stream.is_dead());  // a refused send does not kill the connection
  ASSERT_TRUE(i.stream.send(hypercore::to_bytes("still alive")));
  pump(i, r, rng, 100);
  ASSERT_EQ(r.received.size(), 2u);
  EXPECT_EQ(r.received[1], hypercore::to_bytes("still alive"));
}

TEST(SecretStream, ByteAtATimeDelivery) {
  std::mt19937 rng(3);
  Side i = make_side(true), r = make_side(false);
  ASSERT_TRUE(r.stream.send(hypercore::to_bytes("hello")));
  ASSERT_TRUE(i.stream.send(Bytes{}));
  ASSERT_TRUE(i.stream.send(hypercore::to_bytes("world")));
  pump(i, r, rng, 1);
  ASSERT_EQ(i.received.size(), 1u);
  ASSERT_EQ(r.received.size(), 1u);
  EXPECT_EQ(i.received[0], hypercore::to_bytes("hello"));
  EXPECT_EQ(r.received[0], hypercore::to_bytes("world"));
}

TEST(SecretStream, InjectedStaticKeysAreUsed) {
  SecretStreamOptions io, ro;
  io.keys.static_key_pair = net_test::seeded(1);
  ro.keys.static_key_pair = net_test::seeded(2);
  Side i{SecretStream(true, io), {}, {}, {}, 0}, r{SecretStream(false, ro), {}, {}, {}, 0};
  std::mt19937 rng(4);
  pump(i, r, rng, 50);
  ASSERT_TRUE(i.handshake && r.handshake);
  EXPECT_EQ(i.handshake->remote_public_key, net_test::seeded(2).public_key);
  EXPECT_EQ(r.handshake->remote_public_key, net_test::seeded(1).public_key);
}
