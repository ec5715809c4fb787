// The `hyperbee` replication extension against the real reference
// (tests/interop/bee_trace_vectors.js): the Extension message bytes both ways, and the
// seqs our responder's traces (bee::trace_get / trace_range) report for random gets and
// range scans, compared with what hyperbee 2.27.3's responder reports through `onseq`
// on the same blocks, at the same versions.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "bee/messages.hpp"
#include "bee/read_trace.hpp"
#include "hypercore/core.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/storage.hpp"
#include "tests/support/expect_errc.hpp"
#include "tests/support/oracle.hpp"

namespace {

using bee::Bytes;
using bee::ExtensionMessage;
using simdjson::dom::element;

std::string str(element e) { return std::string(std::string_view(e.get_string().value())); }

bool is_null(element e) { return e.is_null(); }

Bytes hex_bytes(element e) {
  auto b = hypercore::from_hex(str(e));
  EXPECT_TRUE(b.has_value()) << "bad hex " << str(e);
  return b.value_or(Bytes{});
}

std::optional<Bytes> optional_hex(element obj, const char* field) {
  element v;
  if (obj[field].get(v) != simdjson::SUCCESS || is_null(v)) return std::nullopt;
  return hex_bytes(v);
}

std::vector<uint64_t> uints(element arr) {
  std::vector<uint64_t> out;
  for (element x : arr.get_array()) out.push_back(uint64_t(x.get_int64().value()));
  return out;
}

struct Vectors {
  simdjson::dom::parser parser;
  element root;
  std::unique_ptr<hypercore::Core> core;
};

std::unique_ptr<Vectors> load(int seed, int count) {
  auto out = bee_test::run_node(bee_test::interop_script("bee_trace_vectors.js"),
                                {std::to_string(seed), std::to_string(count)});
  EXPECT_TRUE(out.has_value()) << (out ? "" : out.error().to_string());
  if (!out) return nullptr;
  auto v = std::make_unique<Vectors>();
  auto parsed = v->parser.parse(*out);
  EXPECT_EQ(parsed.error(), simdjson::SUCCESS);
  if (parsed.error() != simdjson::SUCCESS) return nullptr;
  v->root = parsed.value();
  auto core = hypercore::Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::random());
  EXPECT_TRUE(core.has_value());
  std::vector<Bytes> blocks;
  for (element b : v->root["blocks"].get_array()) blocks.push_back(hex_bytes(b));
  std::vector<hypercore::ByteSpan> spans(blocks.begin(), blocks.end());
  EXPECT_TRUE((*core)->append(spans).has_value());
  v->core = std::move(*core);
  return v;
}

ExtensionMessage::Iterator iterator_of(element q) {
  ExtensionMessage::Iterator it;
  it.version = uint64_t(q["version"].get_int64().value());
  it.gte = optional_hex(q, "gte");
  it.gt = optional_hex(q, "gt");
  it.lte = optional_hex(q, "lte");
  it.lt = optional_hex(q, "lt");
  it.limit = uint64_t(q["limit"].get_int64().value());
  it.reverse = q["reverse"].get_bool().value();
  it.checkpoint = uints(q["checkpoint"]);
  return it;
}

TEST(BeeTraceInterop, ExtensionMessagesAreByteIdenticalBothWays) {
  auto v = load(1, 50);
  ASSERT_TRUE(v);
  size_t checked = 0;
  for (element m : v->root["messages"].get_array()) {
    Bytes expected = hex_bytes(m["hex"]);
    auto decoded = bee::decode_extension(expected);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
    element msg = m["msg"];
    element part;
    if (msg["get"].get(part) == simdjson::SUCCESS) {
      ASSERT_TRUE(decoded->get);
      EXPECT_EQ(decoded->get->version, uint64_t(part["version"].get_int64().value()));
      EXPECT_EQ(decoded->get->key, hex_bytes(part["key"]));
    }
    if (msg["cache"].get(part) == simdjson::SUCCESS) {
      ASSERT_TRUE(decoded->cache);
      EXPECT_EQ(decoded->cache->start, uint64_t(part["start"].get_int64().value()));
      EXPECT_EQ(decoded->cache->end, uint64_t(part["end"].get_int64().value()));
      EXPECT_EQ(decoded->cache->blocks, uints(part["blocks"]));
    }
    if (msg["iterator"].get(part) == simdjson::SUCCESS) {
      ASSERT_TRUE(decoded->iterator);
      EXPECT_EQ(*decoded->iterator, iterator_of(part));
    }
    EXPECT_EQ(hypercore::to_hex(bee::encode_extension(*decoded)), hypercore::to_hex(expected));
    checked++;
  }
  EXPECT_EQ(checked, 4u);
}

TEST(BeeTraceInterop, HostileExtensionBytesFailCleanly) {
  const std::vector<std::string> bad = {
      "0a",                    // truncated field
      "0a05080110",            // cache: truncated varint inside
      "0a020801",              // cache without its required end
      "1a03420280",            // iterator: checkpoint with a truncated packed varint
      "12ffffffffffffffffff01",  // length varint over 10 bytes
  };
  for (const auto& hex : bad) {
    auto bytes = hypercore::from_hex(hex);
    ASSERT_TRUE(bytes);
    auto m = bee::decode_extension(*bytes);
    EXPECT_ERRC(m, hypercore::errc::corrupt) << hex;
  }
}

// seed, ops: small bees (3 levels) and bigger ones (4-5 levels), under the 2,176-block cap.
class TraceSeeds : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(TraceSeeds, GetAndRangeTracesMatchTheReferenceResponder) {
  auto [seed, count] = GetParam();
  auto v = load(seed, count);
  ASSERT_TRUE(v);
  hypercore::Core& core = *v->core;
  size_t gets = 0, nonempty = 0;
  for (element q : v->root["gets"].get_array()) {
    uint64_t version = uint64_t(q["version"].get_int64().value());
    Bytes key = hex_bytes(q["key"]);
    EXPECT_EQ(bee::trace_get(core, version, key), uints(q["seqs"]))
        << "get " << str(q["key"]) << " at version " << version;
    gets++;
    nonempty += !uints(q["seqs"]).empty();
  }
  EXPECT_GE(gets, 100u);
  EXPECT_GE(nonempty, 90u);

  size_t scans = 0, with_checkpoint = 0;
  for (element q : v->root["iterators"].get_array()) {
    ExtensionMessage::Iterator it = iterator_of(q);
    std::vector<uint64_t> expected = uints(q["seqs"]);
    std::vector<uint64_t> ours = bee::trace_range(core, it);
    if (!it.checkpoint.empty()) {
      // The reference restores the stack with reads it then reports; ours leaves those
      // blocks out (the asker holds them), so compare what follows them.
      std::vector<uint64_t> stack_seqs;
      for (size_t j = 0; j < it.checkpoint.size(); j += 3) {
        if (std::find(stack_seqs.begin(), stack_seqs.end(), it.checkpoint[j]) == stack_seqs.end()) {
          stack_seqs.push_back(it.checkpoint[j]);
        }
      }
      std::erase_if(expected, [&](uint64_t s) {
        return std::find(stack_seqs.begin(), stack_seqs.end(), s) != stack_seqs.end();
      });
      with_checkpoint++;
    }
    if (it.limit == 0 && !it.reverse && it.checkpoint.empty()) {
      // Unlimited forward scans also preload ahead (iterators/range.js _preloadQuery),
      // concurrently, and the reference stops its preloads when the scan closes: its
      // blocks are ours (in another order), but it may stop before a few of our preloads.
      std::sort(expected.begin(), expected.end());
      std::sort(ours.begin(), ours.end());
      std::vector<uint64_t> missing, extra;
      std::set_difference(expected.begin(), expected.end(), ours.begin(), ours.end(), std::back_inserter(missing));
      std::set_difference(ours.begin(), ours.end(), expected.begin(), expected.end(), std::back_inserter(extra));
      EXPECT_TRUE(missing.empty()) << "scan #" << scans << ": " << missing.size() << " reference blocks not traced";
      EXPECT_LE(extra.size(), std::max<size_t>(3, expected.size() / 10)) << "scan #" << scans;
      scans++;
      continue;
    }
    EXPECT_EQ(ours, expected) << "scan #" << scans << " version " << it.version << " limit " << it.limit
                              << " reverse " << it.reverse << " checkpoint " << it.checkpoint.size();
    scans++;
  }
  EXPECT_GE(scans, 100u);
  EXPECT_GE(with_checkpoint, 10u);
}

INSTANTIATE_TEST_SUITE_P(Bees, TraceSeeds,
                         ::testing::Values(std::pair{3, 600}, std::pair{4, 1500}, std::pair{5, 200},
                                           std::pair{6, 1900}));

TEST(BeeTrace, BoundsAndDamage) {
  auto v = load(7, 400);
  ASSERT_TRUE(v);
  hypercore::Core& core = *v->core;
  uint64_t length = core.length();
  Bytes key = {'k', '0', '0', '0', '0', '1'};
  // Versions it cannot answer: nothing, as the reference ignores them.
  EXPECT_TRUE(bee::trace_get(core, 0, key).empty());
  EXPECT_TRUE(bee::trace_get(core, 1, key).empty());
  EXPECT_TRUE(bee::trace_get(core, length + 1, key).empty());
  // The cap holds, and what is reported is a prefix of the uncapped trace.
  ExtensionMessage::Iterator all;
  all.version = length;
  auto full = bee::trace_range(core, all);
  ASSERT_GT(full.size(), 20u);
  auto capped = bee::trace_range(core, all, 7);
  ASSERT_EQ(capped.size(), 7u);
  EXPECT_TRUE(std::equal(capped.begin(), capped.end(), full.begin()));
  // A checkpoint naming blocks that are not tree nodes, or beyond the version: nothing.
  ExtensionMessage::Iterator hostile = all;
  hostile.checkpoint = {length + 5, 0, 1};
  EXPECT_TRUE(bee::trace_range(core, hostile).empty());
  hostile.checkpoint = {length - 1, 999, 1};
  EXPECT_TRUE(bee::trace_range(core, hostile).empty());
  hostile.checkpoint = {length - 1, 0, uint64_t(1) << 62};
  EXPECT_TRUE(bee::trace_range(core, hostile).empty());
  hostile.checkpoint = {1, 2};  // not triples
  EXPECT_TRUE(bee::trace_range(core, hostile).empty());
}

}  // namespace
