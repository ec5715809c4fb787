// Protomux (replication.md §3): the frame codec, two of our Muxes wired back to back
// (pairing in either order, messages, reject, close, dense id reuse), and hostile input
// (invalid opens, unknown channels, truncated varints, absurd counts) -> the named
// teardown or the silent drop §3.3 prescribes, never a crash.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/mux/protomux.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using namespace net;
using hypercore::errc;
using hypercore::from_hex;
using hypercore::to_bytes;
using hypercore::to_hex;
using Kind = MuxEvent::Kind;

Bytes hex(const std::string& s) { return from_hex(s).value(); }

TEST(ProtomuxCodec, ControlMessages) {
  EXPECT_EQ(to_hex(encode_reject({5})), "000205");
  EXPECT_EQ(to_hex(encode_close({1})), "000301");
  EXPECT_EQ(to_hex(encode_open({300, "x", {}, hex("aa")})), "0001fd2c01017800aa");
  auto open = decode_open(hex("fd2c010178020102aa"));
  ASSERT_TRUE(open);
  EXPECT_EQ(*open, (OpenMessage{300, "x", hex("0102"), hex("aa")}));
  EXPECT_EQ(to_hex(encode_frame(1, 9, hex("0102"))), "01090102");
  // Non-canonical varints are accepted.
  auto f = decode_frame(hex("fd0100fd0200"));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->channel, 1u);
  EXPECT_EQ(f->type, 2u);
}

TEST(ProtomuxCodec, BatchWithChannelSwitches) {
  std::vector<BatchItem> items = {
      {1, 0, hex("07000300")}, {1, 8, hex("000003")}, {2, 3, hex("01")}, {0, 3, hex("01")}, {1, 4, hex("05")}};
  Bytes b = encode_batch(items);
  EXPECT_EQ(to_hex(b), "000001" "050007000300" "0408000003" "0002" "020301" "0000" "020301" "0001" "020405");
  auto back = decode_batch(ByteSpan(b).subspan(2));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), items.size());
  for (size_t i = 0; i < items.size(); i++) EXPECT_EQ((*back)[i].channel, items[i].channel);
  // An item running past the end is clamped, as protomux does.
  Bytes clamp_input = hex("0105aabb");
  auto clamped = decode_batch(clamp_input);
  ASSERT_TRUE(clamped);
  ASSERT_EQ(clamped->size(), 1u);
  EXPECT_EQ(to_hex((*clamped)[0].message), "aabb");
  // A separator with no channel after it is truncated.
  EXPECT_ERRC(decode_batch(hex("010100" "00")), errc::corrupt);
}

// Two Muxes whose outputs are delivered to each other until both are quiet.
struct Pair {
  Mux a, b;
  std::vector<MuxEvent> ea, eb;

  void pump() {
    for (bool moved = true; moved;) {
      moved = false;
      for (Bytes& f : a.take_output()) {
        ASSERT_TRUE(b.receive(f)) << to_hex(f);
        moved = true;
      }
      for (Bytes& f : b.take_output()) {
        ASSERT_TRUE(a.receive(f)) << to_hex(f);
        moved = true;
      }
    }
    for (auto& e : a.take_events()) ea.push_back(std::move(e));
    for (auto& e : b.take_events()) eb.push_back(std::move(e));
  }
};

TEST(Mux, PairsInEitherOrderAndReusesIdsDensely) {
  Pair p;
  // b accepts "echo" opens it has not opened itself, and refuses anything else.
  p.b.on_remote_open([](const RemoteOpen& o) {
    return o.protocol == "echo" ? OpenDecision::accept(to_bytes("b-hs")) : OpenDecision::reject();
  });

  // Both open "chat"/k1 before seeing each other's open: paired by (protocol, id).
  auto a1 = p.a.open("chat", hex("01"), to_bytes("a-hs"));
  auto b1 = p.b.open("chat", hex("01"), to_bytes("b-hs"));
  ASSERT_TRUE(a1 && b1);
  EXPECT_EQ(*a1, 1u);
  EXPECT_EQ(*b1, 1u);
  // b opens "chat"/k2 first; a opens it after b's open has arrived.
  auto b2 = p.b.open("chat", hex("02"), to_bytes("b2"));
  ASSERT_TRUE(b2);
  p.a.on_remote_open([](const RemoteOpen&) { return OpenDecision::defer(); });
  p.pump();
  auto a2 = p.a.open("chat", hex("02"), to_bytes("a2"));  // answers the pending open
  ASSERT_TRUE(a2);
  EXPECT_EQ(*a2, 2u);
  // a opens "echo": b's handler accepts it.
  auto a3 = p.a.open("echo", {}, to_bytes("e"));
  ASSERT_TRUE(a3);
  EXPECT_EQ(*a3, 3u);
  // a opens "nope": refused.
  auto a4 = p.a.open("nope", {}, {});
  ASSERT_TRUE(a4);
  EXPECT_EQ(*a4, 4u);
  p.pump();

  EXPECT_TRUE(p.a.is_open(1) && p.a.is_open(2) && p.a.is_open(3));
  EXPECT_FALSE(p.a.is_open(4));
  ASSERT_EQ(p.ea.size(), 4u);
  EXPECT_EQ(p.ea[0].kind, Kind::opened);
  EXPECT_EQ(p.ea[0].channel, 1u);
  EXPECT_EQ(p.ea[0].payload, to_bytes("b-hs"));
  EXPECT_EQ(p.ea[1].kind, Kind::opened);
  EXPECT_EQ(p.ea[1].channel, 2u);  // k2 opened when a answered b's pending open
  EXPECT_EQ(p.ea[1].payload, to_bytes("b2"));
  EXPECT_EQ(p.ea[2].kind, Kind::opened);
  EXPECT_EQ(p.ea[2].channel, 3u);
  EXPECT_EQ(p.ea[3].kind, Kind::rejected);
  EXPECT_EQ(p.ea[3].channel, 4u);
  EXPECT_EQ(p.a.channels_in_use(), 3u);
  p.ea.clear();
  // b's side: chat/k1 on 1, chat/k2 on 2, echo on 3 (accepted by the handler).
  ASSERT_EQ(p.eb.size(), 3u);
  EXPECT_EQ(p.eb[2].protocol, "echo");
  EXPECT_EQ(p.eb[2].channel, 3u);
  p.eb.clear();

  // Messages both ways, each delivered on the receiver's own id for the channel.
  ASSERT_TRUE(p.a.send(2, 5, to_bytes("hello")));
  ASSERT_TRUE(p.b.send(3, 0, to_bytes("pong")));
  p.pump();
  ASSERT_EQ(p.eb.size(), 1u);
  EXPECT_EQ(p.eb[0].kind, Kind::message);
  EXPECT_EQ(p.eb[0].channel, 2u);
  EXPECT_EQ(p.eb[0].type, 5u);
  EXPECT_EQ(p.eb[0].payload, to_bytes("hello"));
  ASSERT_EQ(p.ea.size(), 1u);
  EXPECT_EQ(p.ea[0].channel, 3u);
  p.ea.clear();
  p.eb.clear();

  // a closes channel 1; b learns it; both free id 1, and the next open takes it again.
  ASSERT_TRUE(p.a.close(1));
  p.pump();
  ASSERT_EQ(p.eb.size(), 1u);
  EXPECT_EQ(p.eb[0].kind, Kind::closed);
  EXPECT_EQ(p.eb[0].channel, 1u);
  p.eb.clear();
  EXPECT_FALSE(p.a.send(1, 0, {}));
  // A frame for the closed channel is dropped silently.
  ASSERT_TRUE(p.b.receive(encode_frame(1, 0, to_bytes("late"))));
  EXPECT_TRUE(p.b.take_events().empty());

  auto b_new = p.b.open("chat", hex("03"), {});
  auto a_new = p.a.open("chat", hex("03"), {});
  ASSERT_TRUE(a_new && b_new);
  EXPECT_EQ(*a_new, 1u);
  EXPECT_EQ(*b_new, 1u);
  p.pump();
  EXPECT_TRUE(p.a.is_open(1) && p.b.is_open(1));
  // Reopening a channel that is open fails locally.
  EXPECT_ERRC(p.a.open("chat", hex("03"), {}), errc::already_exists);

  // Close everything from b's side, then reopen: ids restart at 1.
  for (uint64_t id : {1, 2, 3}) ASSERT_TRUE(p.b.close(id));
  p.pump();
  EXPECT_EQ(p.a.channels_in_use(), 0u);
  EXPECT_EQ(p.b.channels_in_use(), 0u);
  EXPECT_EQ(*p.a.open("echo", {}, {}), 1u);
  p.pump();
  EXPECT_TRUE(p.a.is_open(1));
}

TEST(Mux, DeferredOpenBuffersFramesAndDropsUnknownTypes) {
  Pair p;
  p.b.on_remote_open([](const RemoteOpen&) { return OpenDecision::defer(); });
  ASSERT_TRUE(p.a.open("p", {}, to_bytes("hs")));
  ASSERT_TRUE(p.a.send(1, 0, to_bytes("first")));
  ASSERT_TRUE(p.a.send(1, 7, to_bytes("beyond the table")));
  ASSERT_TRUE(p.a.send(1, 1, to_bytes("second")));
  p.pump();
  EXPECT_TRUE(p.eb.empty());
  auto id = p.b.accept(1, {}, ChannelOptions{2});
  ASSERT_TRUE(id);
  p.pump();
  ASSERT_EQ(p.eb.size(), 3u);
  EXPECT_EQ(p.eb[0].kind, Kind::opened);
  EXPECT_EQ(p.eb[0].payload, to_bytes("hs"));
  EXPECT_EQ(p.eb[1].payload, to_bytes("first"));
  EXPECT_EQ(p.eb[2].payload, to_bytes("second"));
  EXPECT_ERRC(p.b.accept(1, {}), errc::not_found);

  // A close while b still defers: b refuses it, and a's reserved id comes free.
  p.eb.clear();
  ASSERT_TRUE(p.a.open("q", {}, {}));
  ASSERT_TRUE(p.a.close(2));
  EXPECT_EQ(p.a.channels_in_use(), 2u);  // id 2 held until b answers
  p.pump();
  ASSERT_EQ(p.eb.size(), 1u);
  EXPECT_EQ(p.eb[0].kind, Kind::withdrawn);
  EXPECT_EQ(p.a.channels_in_use(), 1u);
  EXPECT_EQ(*p.a.open("r", {}, {}), 2u);
}

TEST(Mux, ReceivesBatchesWithNestedChannelSwitches) {
  Mux m;
  m.on_remote_open([](const RemoteOpen&) { return OpenDecision::accept({}); });
  // A batch that opens two channels and sends on both, switching channels twice.
  Bytes open1 = encode_open({1, "x", {}, {}});
  Bytes open2 = encode_open({2, "y", {}, {}});
  std::vector<BatchItem> items = {
      {0, kControlOpen, Bytes(open1.begin() + 2, open1.end())},
      {0, kControlOpen, Bytes(open2.begin() + 2, open2.end())},
      {2, 4, to_bytes("to y")},
      {1, 3, to_bytes("to x")},
  };
  Bytes batch = encode_batch(items);
  ASSERT_TRUE(m.receive(batch));
  auto events = m.take_events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2].kind, Kind::message);
  EXPECT_EQ(events[2].channel, 2u);
  EXPECT_EQ(events[2].payload, to_bytes("to y"));
  EXPECT_EQ(events[3].channel, 1u);
  // A batch inside a batch is followed too.
  Bytes inner = encode_batch({{1, 0, to_bytes("nested")}});
  ASSERT_TRUE(m.receive(encode_batch({{0, 0, Bytes(inner.begin() + 2, inner.end())}})));
  events = m.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, to_bytes("nested"));
}

// What §3.3 calls an invalid open tears the connection down with a named error.
TEST(Mux, HostileInput) {
  auto expect_teardown = [](const std::string& frame, const std::string& words) {
    Mux m;
    m.on_remote_open([](const RemoteOpen&) { return OpenDecision::accept({}); });
    ASSERT_TRUE(m.receive(encode_open({1, "p", {}, {}})));
    auto r = m.receive(hex(frame));
    EXPECT_ERRC_MSG(r, errc::corrupt, words) << frame;
    EXPECT_TRUE(m.destroyed());
    EXPECT_ERRC(m.receive(hex("0100")), errc::closed);
    EXPECT_ERRC(m.open("z", {}, {}), errc::closed);
  };
  expect_teardown("000103017000", "skips ids");          // id 3 when only 1 was seen
  expect_teardown("000101017000", "still in use");       // id 1 again
  expect_teardown("000100017000", "channel id 0");       // id 0
  expect_teardown("0002fd2c01", "invalid reject");       // reject of an id we never opened
  expect_teardown("fd01", "truncated varint");           // channel varint cut short
  expect_teardown("01", "truncated varint");             // no type
  expect_teardown("0001fe", "truncated varint");         // open id cut short
  expect_teardown("000102ff", "truncated varint");       // protocol length cut short
  expect_teardown("00010270fe000000ff", "exceeds the input");  // absurd string length
  expect_teardown("00000100", "truncated varint");       // batch: separator with no channel
  // Batches nested past the depth limit: P0 = `01`, item = `00 ‖ P`, P' = `00 ‖ len ‖ item`.
  Bytes payload = {0x01};
  for (int i = 0; i < kMaxBatchDepth + 2; i++) {
    Bytes next = {0x00, static_cast<uint8_t>(payload.size() + 1), 0x00};
    next.insert(next.end(), payload.begin(), payload.end());
    payload = next;
  }
  Bytes deep = {0x00, 0x00};
  deep.insert(deep.end(), payload.begin(), payload.end());
  {
    Mux m;
    auto r = m.receive(deep);
    EXPECT_ERRC_MSG(r, errc::corrupt, "nested");
  }

  // Silent drops: frames for unknown or never-opened channels, unknown control types,
  // close of unknown ids, empty frames.
  Mux m;
  for (const char* frame : {"0500", "ff0000000000000001000a", "0009", "000300", "000309", "00077777"}) {
    ASSERT_TRUE(m.receive(hex(frame))) << frame;
  }
  ASSERT_TRUE(m.receive(ByteSpan{}));
  EXPECT_TRUE(m.take_events().empty());
  EXPECT_TRUE(m.take_output().empty());
  // Without a handler, a remote open is rejected with `00 02 <id>`.
  ASSERT_TRUE(m.receive(encode_open({1, "hypercore/alpha", hex("ab"), {}})));
  auto out = m.take_output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(to_hex(out[0]), "000201");
  // ...and its id is free again for the peer.
  ASSERT_TRUE(m.receive(encode_open({1, "hypercore/alpha", hex("ab"), {}})));

  // A second open of a (protocol, id) that is already open is rejected.
  Mux n;
  n.on_remote_open([](const RemoteOpen&) { return OpenDecision::accept({}); });
  ASSERT_TRUE(n.receive(encode_open({1, "p", {}, {}})));
  n.take_output();
  ASSERT_TRUE(n.receive(encode_open({2, "p", {}, {}})));
  out = n.take_output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(to_hex(out[0]), "000202");

  // Frames buffered for a deferred open are capped.
  Mux d;
  d.set_max_buffered(1000);
  d.on_remote_open([](const RemoteOpen&) { return OpenDecision::defer(); });
  ASSERT_TRUE(d.receive(encode_open({1, "p", {}, {}})));
  Result<void> r;
  for (int i = 0; i < 10 && r; i++) r = d.receive(encode_frame(1, 0, Bytes(200, 1)));
  EXPECT_ERRC_MSG(r, errc::corrupt, "exceeded the buffer");
}

}  // namespace
