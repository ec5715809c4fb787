// The hypercore channel (replication.md §4): the §4.1 capability and discovery-key vector,
// and every frame of the §5 session transcripts decoded and re-encoded byte for byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hypercore/crypto.hpp"
#include "net/replication/hypercore_messages.hpp"
#include "net/mux/protomux.hpp"
#include "tests/net/frame_roundtrip.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using namespace net;
using hypercore::from_hex;
using hypercore::hash_from_hex;
using hypercore::to_hex;

Bytes hex(const std::string& s) {
  auto b = from_hex(s);
  EXPECT_TRUE(b.has_value()) << s;
  return b.value_or(Bytes{});
}

const std::string kHandshakeHash =
    "aa42bcea44d843e3803e549191ae7eac847a85dccf21ef3918a7cf228d87b788"
    "9b194cdb190b8b2cf82daf543e71e86871532b84ba1d7982489eb3040dcfc412";
const std::string kCoreKey = "6e7a1cdd29b0b78fd13af4c5598feff4ef2a97166e3ca6f2e4fbfccd80505bf1";
const std::string kDiscoveryKey = "d8a6a75cb4756cb91998beba60e5875e3bfc57e3980990e7772e56f287c822f0";
const std::string kCapI = "bf0617b7ff1ba39fff9b7faaf08d1dc5c0672be8dfafff981e4cb5e3eb08ccc3";
const std::string kCapR = "9b99baf0fba1b3f2db2aecb7b984d3bbedb3c595287c13a0b3d2be2b372e7c32";

TEST(HypercoreMessages, CapabilityAndDiscoveryKeyVector) {
  hypercore::Hash key = *hash_from_hex(kCoreKey);
  // The core key is the Ed25519 public key of seed 32 x 05.
  hypercore::Seed seed;
  seed.fill(5);
  EXPECT_EQ(to_hex(hypercore::KeyPair::from_seed(seed).public_key), kCoreKey);
  EXPECT_EQ(to_hex(hypercore::discovery_key(key)), kDiscoveryKey);
  Bytes hh = hex(kHandshakeHash);
  EXPECT_EQ(to_hex(capability(NoiseRole::initiator, hh, key)), kCapI);
  EXPECT_EQ(to_hex(capability(NoiseRole::responder, hh, key)), kCapR);
  EXPECT_EQ(to_hex(hypercore::caps::replicate_initiator()),
            "51812a2a359b50369536775df89e18e47740f3db72ac0ae70b29594c194dc316");
  EXPECT_EQ(to_hex(hypercore::caps::replicate_responder()),
            "0438492d02970cc13528ac0262bca0074e0926260256865accc0bf15bd79127d");
}

// F1 / F2 of §5.1: the opens of both sides, handshake included.
TEST(HypercoreMessages, TranscriptOpens) {
  for (const auto& [cap, role] : {std::pair{kCapI, NoiseRole::initiator}, std::pair{kCapR, NoiseRole::responder}}) {
    Bytes frame = hex("0001010f6879706572636f72652f616c70686120" + kDiscoveryKey + "01" + cap);
    ASSERT_EQ(frame.size(), 85u);
    auto f = decode_frame(frame);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->channel, 0u);
    EXPECT_EQ(f->type, kControlOpen);
    auto open = decode_open(f->payload);
    ASSERT_TRUE(open) << open.error().message;
    EXPECT_EQ(open->local_id, 1u);
    EXPECT_EQ(open->protocol, kHypercoreProtocol);
    EXPECT_EQ(to_hex(open->id), kDiscoveryKey);
    auto hs = decode_handshake(open->handshake);
    ASSERT_TRUE(hs);
    EXPECT_TRUE(hs->seeks);
    hypercore::Hash key = *hash_from_hex(kCoreKey);
    EXPECT_EQ(hs->capability, capability(role, hex(kHandshakeHash), key));
    // Built from scratch, the open is the same 85 bytes.
    Bytes ours = encode_open({1, std::string(kHypercoreProtocol), Bytes(open->id),
                              encode_handshake({true, capability(role, hex(kHandshakeHash), key)})});
    EXPECT_EQ(to_hex(ours), to_hex(frame));
  }
}

// Every other frame of §5.1, §5.2 and §5.3.
const std::vector<std::string> kTranscriptFrames = {
    // 5.1
    "0000010500070003000408000003", "000001050007000000", "00000106010801000003", "010007000300",
    "0103080100000302010a56826d33f98cbe1757d804b3ad818a97b61d7ae83d505ba5ca4fb619646355f90401b36033c7b2681d147288"
    "6ca6716b628f44b608bd6486174487e02615533dfaad0040210739c21b8b35e2d66dcba00a56b5218a7cefa5da3cfdcaa26db6491db1"
    "5f76a987b89a469e1726e5f2b4635c933fcf1c9e7fde7393bcd8cf9d5dda8d23cc02",
    "010006000003", "010006000303", "01010101000200", "01010102000001", "01010103000101", "010007000300",
    "010301010002012100",
    "0103010200000568656c6c6f010205993ec5ef8bbc7f1d174f00e650b8d51599124a9bf93885f33cec5b9060b75c1c",
    "01030103000105776f726c64010005f2391083cfaa8043205fed76cdff843902146ca92aebcd7a196814ec45d8c8f8",
    // 5.2
    "000001050007000000070500fe00002000", "000001050006000003", "0101210100010101",
    "01030101000105776f726c64010005f2391083cfaa8043205fed76cdff843902146ca92aebcd7a196814ec45d8c8f8",
    // 5.3
    "0108000302", "010007000503", "01010803000302", "0101210300040001", "01012903000500030401", "01080204",
    "0109066d792d6578740570696e6731", "0109000570696e6732", "000301",
};

TEST(HypercoreMessages, TranscriptFramesRoundTrip) {
  std::vector<std::string> frames = kTranscriptFrames;
  // The sparse holder's batch: sync, then a bitfield of 1024 words whose first byte is 0a.
  std::string bitfield = "0700fd00040a" + std::string(4095 * 2, '0');
  frames.push_back("000001050007000500fd0510" + bitfield);
  for (const std::string& h : frames) {
    Bytes frame = hex(h);
    auto again = net_test::reencode_frame(frame);
    ASSERT_TRUE(again) << h.substr(0, 60) << ": " << again.error().message;
    EXPECT_EQ(to_hex(*again), h.size() > 200 ? to_hex(frame) : h);
  }
}

Message decode_channel_frame(const std::string& h) {
  Bytes frame = hex(h);
  auto f = decode_frame(frame);
  EXPECT_TRUE(f);
  auto m = decode_message(f->type, f->payload);
  EXPECT_TRUE(m) << h;
  return m.value_or(Message{});
}

TEST(HypercoreMessages, TranscriptValues) {
  // F3: a batch of sync and range on channel 1.
  Bytes f3 = hex("010500070003000408000003");
  auto batch = decode_batch(f3);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 2u);
  EXPECT_EQ((*batch)[0].channel, 1u);
  auto sync = decode_message(0, ByteSpan((*batch)[0].message).subspan(1));
  ASSERT_TRUE(sync);
  EXPECT_EQ(std::get<Sync>(*sync), (Sync{true, true, true, false, 0, 3, 0}));
  auto range = decode_message(8, ByteSpan((*batch)[1].message).subspan(1));
  EXPECT_EQ(std::get<Range>(*range), (Range{false, 0, 3}));

  // F7: the upgrade proof.
  Message f7 = decode_channel_frame(kTranscriptFrames[4]);  // owned: the views below stay valid
  const Data& data = std::get<Data>(f7);
  EXPECT_EQ(data.request, 1u);
  ASSERT_TRUE(data.proof.upgrade);
  EXPECT_FALSE(data.proof.block);
  const auto& up = *data.proof.upgrade;
  EXPECT_EQ(up.start, 0u);
  EXPECT_EQ(up.length, 3u);
  ASSERT_EQ(up.nodes.size(), 2u);
  EXPECT_EQ(up.nodes[0].index, 1u);
  EXPECT_EQ(up.nodes[0].size, 10u);
  EXPECT_EQ(to_hex(up.nodes[0].hash), "56826d33f98cbe1757d804b3ad818a97b61d7ae83d505ba5ca4fb619646355f9");
  EXPECT_EQ(up.nodes[1].index, 4u);
  EXPECT_EQ(up.nodes[1].size, 1u);
  EXPECT_TRUE(up.additional_nodes.empty());
  EXPECT_EQ(up.signature.size(), 64u);

  // F14: block 2 = "!" with no nodes.
  Message f14_message = decode_channel_frame("010301010002012100");
  const Data& f14 = std::get<Data>(f14_message);
  ASSERT_TRUE(f14.proof.block);
  EXPECT_EQ(f14.proof.block->index, 2u);
  EXPECT_EQ(f14.proof.block->value, hypercore::to_bytes("!"));
  EXPECT_TRUE(f14.proof.block->nodes.empty());

  // §5.3: block + upgrade + priority in one request.
  Message req_message = decode_channel_frame("01012903000500030401");
  const Request& req = std::get<Request>(req_message);
  EXPECT_EQ(req.id, 3u);
  EXPECT_EQ(req.priority, 1u);
  ASSERT_TRUE(req.proof.block && req.proof.upgrade);
  EXPECT_EQ(req.proof.block->index, 5u);
  EXPECT_EQ(req.proof.block->nodes, 0u);
  EXPECT_EQ(req.proof.upgrade->start, 3u);
  EXPECT_EQ(req.proof.upgrade->length, 4u);
  EXPECT_FALSE(req.proof.hash || req.proof.seek || req.proof.manifest);

  // §5.2: the want of a whole segment; §5.3: the compact range and the extensions.
  Bytes want_input = hex("01050007000000070500fe00002000");
  auto want_batch = decode_batch(want_input);
  ASSERT_TRUE(want_batch);
  auto want = decode_message(5, ByteSpan((*want_batch)[1].message).subspan(1));
  EXPECT_EQ(std::get<Want>(*want), (Want{0, 2097152}));
  EXPECT_EQ(std::get<Range>(decode_channel_frame("01080204")), (Range{false, 4, 1}));
  EXPECT_EQ(std::get<Extension>(decode_channel_frame("0109066d792d6578740570696e6731")),
            (Extension{"my-ext", hex("0570696e6731")}));
  EXPECT_EQ(std::get<Extension>(decode_channel_frame("0109000570696e6732")), (Extension{"", hex("0570696e6732")}));
}

TEST(HypercoreMessages, BitfieldBitOrder) {
  std::string h = "00fd00040a" + std::string(4095 * 2, '0');
  auto m = decode_message(7, hex(h));
  ASSERT_TRUE(m);
  const Bitfield& b = std::get<Bitfield>(*m);
  ASSERT_EQ(b.words.size(), 1024u);
  EXPECT_EQ(b.words[0], 0x0au);  // blocks 1 and 3
}

TEST(HypercoreMessages, DecodersRefuseHostileInput) {
  // Truncated varints, fields missing, counts beyond the input, unknown types.
  EXPECT_ERRC(decode_message(0, hex("07fd")), hypercore::errc::corrupt);
  EXPECT_ERRC(decode_message(1, hex("0801")), hypercore::errc::corrupt);
  EXPECT_ERRC(decode_message(3, hex("080100000003ff")), hypercore::errc::corrupt);
  // 2^20 + 1 nodes, and a count the input cannot hold.
  EXPECT_ERRC(decode_message(3, hex("02010000fe01001000")), hypercore::errc::corrupt);
  EXPECT_ERRC(decode_message(3, hex("02010000fe00001000")), hypercore::errc::corrupt);
  EXPECT_ERRC(decode_message(7, hex("00ffffffffffffffff7f")), hypercore::errc::corrupt);
  EXPECT_ERRC(decode_message(7, hex("00fe00000040")), hypercore::errc::corrupt);
  EXPECT_ERRC(decode_message(9, hex("05616263")), hypercore::errc::corrupt);
  EXPECT_ERRC(decode_message(10, hex("00")), hypercore::errc::unsupported);
  EXPECT_ERRC(decode_handshake(hex("01aabb")), hypercore::errc::corrupt);
  // A manifest the reference refuses (version 4; hypercore 11 knows 0 to 3).
  auto bad = decode_message(3, hex("10010004"));
  ASSERT_ERRC(bad, hypercore::errc::bad_manifest);
  // Trailing bytes and unknown flag bits are ignored, as the reference does.
  auto lax = decode_message(0, hex("2f00030099"));
  ASSERT_TRUE(lax);
  EXPECT_EQ(std::get<Sync>(*lax), (Sync{true, true, true, true, 0, 3, 0}));  // 0x99 trails
}

// The fields hypercore 11.39.5 added (lib/messages.js wire.*): decoded whether present or
// not; encoded only when not at their default, so hypercore 10 sees its own bytes.
TEST(HypercoreMessages, Hypercore11Fields) {
  // sync allowPush (flag 16).
  auto sync = decode_message(0, hex("1f00030000"));
  ASSERT_TRUE(sync);
  EXPECT_EQ(std::get<Sync>(*sync), (Sync{true, true, true, true, 0, 3, 0, true}));
  EXPECT_EQ(encode_message(Sync{true, true, true, true, 0, 3, 0, true}), hex("1f000300"));
  EXPECT_EQ(encode_message(Sync{false, false, false, false, 0, 3, 0, false}), hex("00000300"));

  // noData: 10.38.2 `request`; 11.39.5 `request, flags, reason?` (it always writes flags).
  EXPECT_EQ(std::get<NoData>(*decode_message(4, hex("07"))), (NoData{7, 0}));
  EXPECT_EQ(std::get<NoData>(*decode_message(4, hex("0700"))), (NoData{7, 0}));
  EXPECT_EQ(std::get<NoData>(*decode_message(4, hex("070101"))), (NoData{7, 1}));
  EXPECT_EQ(std::get<NoData>(*decode_message(4, hex("070102"))), (NoData{7, 2}));
  EXPECT_EQ(encode_message(NoData{7, 0}), hex("07"));
  EXPECT_EQ(encode_message(NoData{7, static_cast<uint64_t>(NoDataReason::not_available)}), hex("070101"));
  ASSERT_ERRC(decode_message(4, hex("0701")), hypercore::errc::corrupt);  // flag without reason

  // want / unwant `any` (flags after the range, written only when set).
  EXPECT_EQ(std::get<Want>(*decode_message(5, hex("0a05"))), (Want{10, 5, false}));
  EXPECT_EQ(std::get<Want>(*decode_message(5, hex("0a0501"))), (Want{10, 5, true}));
  EXPECT_EQ(std::get<Want>(*decode_message(5, hex("0a0500"))), (Want{10, 5, false}));
  EXPECT_EQ(std::get<Unwant>(*decode_message(6, hex("0a0501"))), (Unwant{10, 5, true}));
  EXPECT_EQ(encode_message(Want{10, 5, false}), hex("0a05"));
  EXPECT_EQ(encode_message(Want{10, 5, true}), hex("0a0501"));
  EXPECT_EQ(encode_message(Unwant{10, 5, true}), hex("0a0501"));

  // data: an upgrade without a signature (11 encodes it as an optional buffer: 0 bytes
  // long, the same bytes as 10's empty buffer).
  auto data = decode_message(3, hex("0801000004000000"));
  ASSERT_TRUE(data);
  ASSERT_TRUE(std::get<Data>(*data).proof.upgrade);
  EXPECT_TRUE(std::get<Data>(*data).proof.upgrade->signature.empty());
}

TEST(HypercoreMessages, RequestAndDataCarryProofTypes) {
  Request r;
  r.id = 7;
  r.proof.fork = 2;
  r.proof.block = hypercore::ProofRequest::Block{5, 1};
  r.proof.manifest = true;
  EXPECT_EQ(to_hex(encode_message(r)), "110702" "0501");
  Data d;
  d.request = 7;
  d.proof.fork = 2;
  d.proof.block = hypercore::Proof::Block{5, hypercore::to_bytes("x"), {}};
  d.proof.manifest = hypercore::Manifest::default_signer(hypercore::PublicKey{});
  Bytes enc = encode_message(d);
  auto back = decode_message(3, enc);
  ASSERT_TRUE(back);
  EXPECT_EQ(std::get<Data>(*back), d);
  EXPECT_EQ(std::get<Data>(*back).proof.manifest, d.proof.manifest);
}

}  // namespace
