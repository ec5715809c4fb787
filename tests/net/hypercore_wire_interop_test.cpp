// Both directions against the Node reference (tests/interop/hypercore_wire_vectors.js), in
// one node invocation:
//  * Node's own encoders (hypercore/lib/messages wire.*) encode random messages of every
//    type and a real Protomux emits open / message / reject / close / batch frames; we
//    decode every one and must re-encode the same bytes.
//  * We encode random messages and frames; Node decodes them and re-encodes what it read,
//    which must give back our bytes (the encodings are canonical, so equal bytes = equal
//    values).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <random>
#include <string>
#include <vector>

#include "hypercore/crypto.hpp"
#include "net/replication/hypercore_messages.hpp"
#include "net/mux/protomux.hpp"
#include "tests/support/oracle.hpp"

namespace {

using namespace net;
using hypercore::from_hex;
using hypercore::to_hex;

constexpr int kCasesPerType = 60;

struct Gen {
  std::mt19937_64 rng{20261122};

  uint64_t below(uint64_t n) { return rng() % n; }
  bool coin() { return rng() & 1; }
  // Every varint width, below 2^53 (the reference holds numbers as doubles).
  uint64_t uint() {
    switch (below(5)) {
      case 0: return below(253);
      case 1: return 253 + below(65536 - 253);
      case 2: return 65536 + below(4294967296ULL - 65536);
      case 3: return 4294967296ULL + below((1ULL << 53) - 4294967296ULL);
      default: return below(8);
    }
  }
  Bytes bytes(size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    return b;
  }
  hypercore::Hash hash() {
    hypercore::Hash h;
    for (auto& x : h) x = static_cast<uint8_t>(rng());
    return h;
  }
  std::vector<hypercore::Node> nodes() {
    std::vector<hypercore::Node> out(below(7));
    for (auto& n : out) n = {uint(), uint(), hash()};
    return out;
  }
  hypercore::Manifest manifest() {
    hypercore::Manifest m;
    auto signer = [&] { return hypercore::Signer{hash(), hash()}; };
    m.version = below(4) == 0 ? 0 : 1;
    if (m.version == 0) {
      switch (below(3)) {
        case 0: m.quorum = 0, m.prologue = hypercore::Prologue{hash(), 0}; break;
        case 1: m.quorum = 1, m.signers = {signer()}; break;
        default:
          m.allow_patch = true, m.quorum = below(5);
          for (uint64_t i = below(4); i > 0; i--) m.signers.push_back(signer());
      }
      return m;
    }
    m.allow_patch = coin();
    m.quorum = below(5);
    for (uint64_t i = below(4); i > 0; i--) m.signers.push_back(signer());
    if (coin()) m.prologue = hypercore::Prologue{hash(), uint()};
    return m;
  }

  Message message(uint64_t type) {
    switch (static_cast<MessageType>(type)) {
      case MessageType::sync: return Sync{coin(), coin(), coin(), coin(), uint(), uint(), uint()};
      case MessageType::request: {
        Request r;
        r.id = uint();
        r.priority = coin() ? 0 : uint();
        r.proof.fork = uint();
        if (coin()) r.proof.block = hypercore::ProofRequest::Block{uint(), uint()};
        if (coin()) r.proof.hash = hypercore::ProofRequest::Hash{uint(), uint()};
        if (coin()) r.proof.seek = hypercore::ProofRequest::Seek{uint(), uint()};
        if (coin()) r.proof.upgrade = hypercore::ProofRequest::Upgrade{uint(), uint()};
        r.proof.manifest = coin();
        return r;
      }
      case MessageType::cancel: return Cancel{uint()};
      case MessageType::data: {
        Data d;
        d.request = uint();
        d.proof.fork = uint();
        if (coin()) d.proof.block = hypercore::Proof::Block{uint(), bytes(below(3) == 0 ? 0 : below(300)), nodes()};
        if (coin()) d.proof.hash = hypercore::Proof::Hash{uint(), nodes()};
        if (coin()) d.proof.seek = hypercore::Proof::Seek{uint(), nodes()};
        if (coin()) {
          size_t sig = std::vector<size_t>{0, 64, 64, 100}[below(4)];
          d.proof.upgrade = hypercore::Proof::Upgrade{uint(), uint(), nodes(), nodes(), bytes(sig)};
        }
        if (coin()) d.proof.manifest = manifest();
        return d;
      }
      case MessageType::no_data: return NoData{uint()};
      case MessageType::want: return Want{uint(), uint()};
      case MessageType::unwant: return Unwant{uint(), uint()};
      case MessageType::bitfield: {
        Bitfield b{uint() / 32 * 32, {}};
        b.words.resize(below(4) == 0 ? 1024 : below(40));
        for (auto& w : b.words) w = below(4) == 0 ? 0 : static_cast<uint32_t>(rng());
        return b;
      }
      case MessageType::range: return Range{coin(), uint(), coin() ? 1 : uint()};
      case MessageType::extension: {
        const char* names[] = {"", "my-ext", "hypercore/alpha/ext", "\xc3\xbcn"};
        return Extension{names[below(4)], bytes(below(40))};
      }
    }
    return Sync{};
  }

  // Frames of every protomux shape, batches with channel switches and control items.
  Bytes frame() {
    switch (below(5)) {
      case 0: return encode_open({1 + below(300), std::string(below(20), 'p'), coin() ? bytes(32) : Bytes{},
                                  bytes(below(40))});
      case 1: return encode_reject({uint()});
      case 2: return encode_close({uint()});
      case 3: return encode_frame(1 + uint(), below(12), bytes(below(300)));
      default: {
        std::vector<BatchItem> items(1 + below(6));
        for (auto& item : items) {
          item.channel = below(3) == 0 ? 0 : 1 + below(4);
          item.type = item.channel == 0 ? 1 + below(3) : below(12);
          if (item.channel == 0 && item.type == kControlOpen) {
            Bytes open = encode_open({1 + below(5), "q", bytes(below(3)), bytes(below(5))});
            item.payload = Bytes(open.begin() + 2, open.end());
          } else if (item.channel == 0) {
            item.payload = {static_cast<uint8_t>(1 + below(9))};
          } else {
            item.payload = bytes(below(300));
          }
        }
        return encode_batch(items);
      }
    }
  }
};

std::string type_json(uint64_t type) { return type == kHypercoreMessageTypes ? "\"handshake\"" : std::to_string(type); }

TEST(HypercoreWireInterop, BothWaysAgainstReference) {
  Gen gen;
  // Ours: every message type (10 = the open handshake), and protomux frames.
  std::vector<std::pair<uint64_t, Bytes>> ours;
  for (int i = 0; i < kCasesPerType; i++) {
    for (uint64_t type = 0; type < kHypercoreMessageTypes; type++) ours.push_back({type, encode_message(gen.message(type))});
    ours.push_back({kHypercoreMessageTypes, encode_handshake({gen.coin(), gen.hash()})});
  }
  std::vector<Bytes> our_frames;
  for (int i = 0; i < 200; i++) our_frames.push_back(gen.frame());

  std::string in = "{\"seed\":7,\"count\":" + std::to_string(kCasesPerType) + ",\"messages\":[";
  for (size_t i = 0; i < ours.size(); i++) {
    in += (i ? "," : "") + std::string("{\"type\":") + type_json(ours[i].first) + ",\"hex\":\"" + to_hex(ours[i].second) + "\"}";
  }
  in += "],\"frames\":[";
  for (size_t i = 0; i < our_frames.size(); i++) in += (i ? ",\"" : "\"") + to_hex(our_frames[i]) + "\"";
  in += "]}";

  auto out = bee_test::run_node(bee_test::interop_script("hypercore_wire_vectors.js"), {}, in);
  ASSERT_TRUE(out) << out.error().message;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(*out).get(doc), simdjson::SUCCESS);

  // Node decodes ours and re-encodes the same bytes.
  size_t i = 0;
  for (simdjson::dom::element e : simdjson::dom::array(doc["reencoded"])) {
    ASSERT_LT(i, ours.size());
    ASSERT_TRUE(e.is_string()) << "type " << ours[i].first << " " << to_hex(ours[i].second) << ": " << e;
    EXPECT_EQ(std::string_view(e), to_hex(ours[i].second)) << "type " << ours[i].first;
    i++;
  }
  EXPECT_EQ(i, ours.size());
  i = 0;
  for (simdjson::dom::element e : simdjson::dom::array(doc["frames_reencoded"])) {
    ASSERT_LT(i, our_frames.size());
    ASSERT_TRUE(e.is_string()) << to_hex(our_frames[i]) << ": " << e;
    EXPECT_EQ(std::string_view(e), to_hex(our_frames[i]));
    i++;
  }
  EXPECT_EQ(i, our_frames.size());

  // We decode Node's messages and re-encode the same bytes.
  size_t count = 0, per_type[kHypercoreMessageTypes + 1] = {};
  for (simdjson::dom::element e : simdjson::dom::array(doc["messages"])) {
    std::string h{std::string_view(e["hex"])};
    Bytes bytes = from_hex(h).value();
    simdjson::dom::element t = e["type"];
    if (t.is_string()) {
      auto hs = decode_handshake(bytes);
      ASSERT_TRUE(hs) << h;
      EXPECT_EQ(to_hex(encode_handshake(*hs)), h);
      per_type[kHypercoreMessageTypes]++;
    } else {
      uint64_t type = uint64_t(t);
      auto m = decode_message(type, bytes);
      ASSERT_TRUE(m) << "type " << type << " " << h << ": " << m.error().message;
      EXPECT_EQ(to_hex(encode_message(*m)), h) << "type " << type;
      EXPECT_EQ(static_cast<uint64_t>(message_type(*m)), type);
      per_type[type]++;
    }
    count++;
  }
  EXPECT_EQ(count, static_cast<size_t>(kCasesPerType) * 11);
  for (size_t n : per_type) EXPECT_EQ(n, static_cast<size_t>(kCasesPerType));

  // We decode the real Protomux's frames and re-encode the same bytes.
  size_t frames = 0, batches = 0, opens = 0, rejects = 0, closes = 0;
  for (simdjson::dom::element e : simdjson::dom::array(doc["frames"])) {
    std::string h{std::string_view(e)};
    Bytes bytes = from_hex(h).value();
    // Channel messages here are raw bytes (not hypercore messages, whose decoders ignore
    // trailing bytes): only the frame layer must round-trip.
    auto f = decode_frame(bytes);
    ASSERT_TRUE(f) << h;
    if (f->channel != 0) {
      EXPECT_EQ(to_hex(encode_frame(f->channel, f->type, f->payload)), h);
    } else {
      if (f->type == kControlBatch) {
        batches++;
        auto items = decode_batch(f->payload);
        ASSERT_TRUE(items) << h;
        std::vector<BatchItem> copy;
        for (const BatchItemView& v : *items) {
          hypercore::cenc::Decoder d(v.message, "item");
          uint64_t type = *d.uint();
          copy.push_back({v.channel, type, Bytes(v.message.begin() + d.position(), v.message.end())});
        }
        EXPECT_EQ(to_hex(encode_batch(copy)), h);
      } else if (f->type == kControlOpen) {
        opens++;
        auto m = decode_open(f->payload);
        ASSERT_TRUE(m) << h;
        EXPECT_EQ(to_hex(encode_open(*m)), h);
      } else if (f->type == kControlReject) {
        rejects++;
        EXPECT_EQ(to_hex(encode_reject(*decode_reject(f->payload))), h);
      } else if (f->type == kControlClose) {
        closes++;
        EXPECT_EQ(to_hex(encode_close(*decode_close(f->payload))), h);
      }
    }
    frames++;
  }
  EXPECT_GT(frames, 40u);
  EXPECT_GT(batches, 0u);
  EXPECT_GT(opens, 0u);
  EXPECT_GT(rejects, 0u);
  EXPECT_GT(closes, 0u);

  // The reference's frames also drive a Mux without a protocol error: the opens are
  // rejected (no handler), and everything else is for channels we never paired.
  Mux mux;
  for (simdjson::dom::element e : simdjson::dom::array(doc["frames"])) {
    Bytes bytes = from_hex(std::string(std::string_view(e))).value();
    auto f = decode_frame(bytes);
    if (f->channel == 0 && f->type == kControlReject) continue;  // rejects of opens Node never sent us
    EXPECT_TRUE(mux.receive(bytes)) << to_hex(bytes);
  }
}

}  // namespace
