// Hostile peers, built from the raw SecretStream + Mux so every hypercore message is the
// test's choice: wrong proofs, wrong signatures, impossible requests, a bad capability and
// garbage frames each end the connection with their named error and leave the replica's
// stored data as it was.
#include <gtest/gtest.h>

#include "tests/net/replication_test_util.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using namespace repl_test;

// A replica session (Noise initiator) against a fake serving peer that announces the
// writer's length and answers requests through `answer`.
struct Hostile {
  std::unique_ptr<Core> writer = make_writer(20);
  std::unique_ptr<Core> replica = make_replica(*writer);
  TimePoint now = Clock::now();
  PeerSession session{NoiseRole::initiator};
  FakePeer fake{NoiseRole::responder, writer->key()};
  std::vector<SessionEvent> events;

  explicit Hostile(std::function<void(FakePeer&, const Request&, Core&)> answer, ReplicatorOptions o = {}) {
    o.download_all = true;
    session.add_core(*replica, o, now);
    fake.on_open = [this](FakePeer& f) {
      Sync s;
      s.can_upgrade = s.uploading = true;
      s.length = writer->length();
      f.send(s);
      f.send(Range{false, 0, writer->length()});
    };
    fake.on_message = [this, answer](FakePeer& f, const Message& m) {
      if (auto* r = std::get_if<Request>(&m)) answer(f, *r, *writer);
    };
  }

  void run() {
    Duplex d{endpoint(session, now), fake.endpoint()};
    EXPECT_TRUE(d.run());
    drain(session, events);
  }

  void expect_failed(ReplicationErrc code) {
    ASSERT_TRUE(session.failed());
    EXPECT_ERRC(session.error(), code);
    const ReplicationError* e = first_error(events);
    ASSERT_NE(e, nullptr);
    EXPECT_ERRC(*e, code);
    // Dead: nothing more comes out, nothing more is taken in.
    EXPECT_TRUE(session.take_output().empty());
    auto ok = replica->verify();
    EXPECT_TRUE(ok) << ok.error().to_string();
  }
};

Data honest(const Request& r, Core& writer) { return Data{r.id, writer.proof(r.proof).value()}; }

TEST(ReplicatorHostile, WrongBlockProof) {
  Hostile h([](FakePeer& f, const Request& r, Core& w) {
    Data d = honest(r, w);
    if (d.proof.block && d.proof.block->index == 3) d.proof.block->value[0] ^= 1;
    f.send(d);
  });
  h.run();
  h.expect_failed(ReplicationErrc::invalid_proof);
  EXPECT_FALSE(h.replica->has(3));
  EXPECT_EQ(h.replica->length(), 20u);  // the honest upgrade stands
}

TEST(ReplicatorHostile, WrongTreeNode) {
  Hostile h([](FakePeer& f, const Request& r, Core& w) {
    Data d = honest(r, w);
    if (d.proof.block && !d.proof.block->nodes.empty()) d.proof.block->nodes[0].hash[0] ^= 1;
    f.send(d);
  });
  h.run();
  h.expect_failed(ReplicationErrc::invalid_proof);
  for (uint64_t i = 0; i < 20; i++) EXPECT_FALSE(h.replica->has(i) && h.replica->get(i).value() != content(i));
}

TEST(ReplicatorHostile, WrongSignature) {
  Hostile h([](FakePeer& f, const Request& r, Core& w) {
    Data d = honest(r, w);
    if (d.proof.upgrade) d.proof.upgrade->signature[5] ^= 0x40;
    f.send(d);
  });
  h.run();
  h.expect_failed(ReplicationErrc::invalid_signature);
  EXPECT_EQ(h.replica->length(), 0u);
}

TEST(ReplicatorHostile, UpgradeFromAnotherWriter) {
  auto other = make_writer(20, 0x77);
  Core* o = other.get();
  Hostile h([o](FakePeer& f, const Request& r, Core&) { f.send(Data{r.id, o->proof(r.proof).value()}); });
  h.run();
  h.expect_failed(ReplicationErrc::invalid_signature);
  EXPECT_EQ(h.replica->length(), 0u);
}

TEST(ReplicatorHostile, BadCapability) {
  Hostile h([](FakePeer& f, const Request& r, Core& w) { f.send(honest(r, w)); });
  Hash bad{};
  bad[0] = 1;
  h.fake.capability_override = bad;
  h.run();
  h.expect_failed(ReplicationErrc::invalid_capability);
  EXPECT_EQ(h.replica->length(), 0u);
}

TEST(ReplicatorHostile, GarbageChannelMessage) {
  Hostile h([](FakePeer& f, const Request& r, Core&) {
    Bytes junk = {0xff, 0xff, 0xff};  // a data message with a truncated varint
    f.send_raw(static_cast<uint64_t>(MessageType::data), junk);
    (void)r;
  });
  h.run();
  h.expect_failed(ReplicationErrc::invalid_message);
  EXPECT_EQ(h.replica->length(), 0u);
}

TEST(ReplicatorHostile, GarbageTransportFrame) {
  Hostile h([](FakePeer&, const Request&, Core&) {});
  Duplex d{endpoint(h.session, h.now), h.fake.endpoint()};
  ASSERT_TRUE(d.run());
  ASSERT_TRUE(h.fake.opened);
  // A frame that does not authenticate.
  Bytes junk = {0x20, 0x00, 0x00};
  junk.resize(3 + 32, 0xab);
  h.session.feed(junk, h.now);
  drain(h.session, h.events);
  h.expect_failed(ReplicationErrc::stream_failed);
}

TEST(ReplicatorHostile, UnsolicitedDataIsIgnored) {
  // A data message for an id we never used is a late reply: dropped, not stored.
  Hostile h([](FakePeer& f, const Request& r, Core& w) {
    Data d = honest(r, w);
    d.request += 1000;
    f.send(d);
  });
  h.run();
  EXPECT_FALSE(h.session.failed());
  EXPECT_EQ(h.replica->length(), 0u);
}

TEST(ReplicatorHostile, ReplyWithWrongFieldsIsNoData) {
  Hostile h([](FakePeer& f, const Request& r, Core& w) {
    if (!r.proof.block) return f.send(honest(r, w));
    Request other = r;
    other.proof.block->index = (r.proof.block->index + 1) % 20;
    other.proof.block->nodes = 5;
    auto p = w.proof(other.proof);
    if (p) f.send(Data{r.id, *p});
  });
  h.run();
  EXPECT_FALSE(h.session.failed());
  EXPECT_EQ(h.replica->length(), 20u);
  for (uint64_t i = 0; i < 20; i++) EXPECT_FALSE(h.replica->has(i));
}

// The serving side: a fake downloader asking for an upgrade beyond the writer's length.
TEST(ReplicatorHostile, RequestBeyondLength) {
  auto writer = make_writer(10);
  auto before = writer->tree_hash();
  TimePoint now = Clock::now();
  PeerSession session(NoiseRole::responder);
  session.add_core(*writer, {}, now);
  FakePeer fake(NoiseRole::initiator, writer->key());
  fake.on_open = [](FakePeer& f) {
    Request r;
    r.id = 1;
    r.proof.upgrade = hypercore::ProofRequest::Upgrade{0, 11};
    f.send(r);
  };
  Duplex d{endpoint(session, now), fake.endpoint()};
  ASSERT_TRUE(d.run());
  ASSERT_TRUE(session.failed());
  EXPECT_ERRC(session.error(), ReplicationErrc::invalid_request);
  EXPECT_EQ(writer->tree_hash(), before);
  bool got_data = false;
  for (auto& m : fake.received) got_data |= std::holds_alternative<Data>(m);
  EXPECT_FALSE(got_data);
}

// Blocks not held, a wrong fork and seeks get noData; the session stays up.
TEST(ReplicatorHostile, UnanswerableRequestsGetNoData) {
  auto writer = make_writer(10);
  auto sparse = make_replica(*writer);
  {
    // A replica holding only the signed head (no blocks).
    TimePoint now = Clock::now();
    PeerSession a(NoiseRole::responder), b(NoiseRole::initiator);
    a.add_core(*writer, {}, now);
    b.add_core(*sparse, {}, now);
    Duplex d{endpoint(a, now), endpoint(b, now)};
    ASSERT_TRUE(d.run());
    ASSERT_EQ(sparse->length(), 10u);
  }
  TimePoint now = Clock::now();
  PeerSession session(NoiseRole::responder);
  session.add_core(*sparse, {}, now);
  FakePeer fake(NoiseRole::initiator, writer->key());
  fake.on_open = [](FakePeer& f) {
    Request block;
    block.id = 1;
    block.proof.block = hypercore::ProofRequest::Block{4, 0};
    f.send(block);
    Request fork = block;
    fork.id = 2;
    fork.proof.fork = 3;
    f.send(fork);
    Request beyond = block;
    beyond.id = 3;
    beyond.proof.block->index = 50;
    f.send(beyond);
    Request seek;
    seek.id = 4;
    seek.proof.seek = hypercore::ProofRequest::Seek{10, 0};
    f.send(seek);
  };
  Duplex d{endpoint(session, now), fake.endpoint()};
  ASSERT_TRUE(d.run());
  EXPECT_FALSE(session.failed());
  std::vector<uint64_t> no_data;
  for (auto& m : fake.received)
    if (auto* n = std::get_if<NoData>(&m)) no_data.push_back(n->request);
  EXPECT_EQ(no_data, (std::vector<uint64_t>{1, 2, 3, 4}));
}

}  // namespace
