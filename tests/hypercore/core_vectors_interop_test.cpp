// Golden vectors from the Node reference (tests/interop/core_vectors.js) for hundreds of
// random append/truncate sequences: key, discovery key, id, every leaf hash, roots, tree
// hash, byte length, fork and signature after every action, in compat, manifest v1 and
// manifest v0 mode. The log under test sits behind LogUnderTest so that the same vectors
// check both the bare primitives (merkle.hpp + manifest.hpp) and hypercore::Core.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hypercore/core.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/flat_tree.hpp"
#include "hypercore/id.hpp"
#include "hypercore/internal/endian.hpp"
#include "hypercore/manifest.hpp"
#include "hypercore/merkle.hpp"
#include "hypercore/storage.hpp"
#include "tests/support/oracle.hpp"

namespace {

using namespace hypercore;

enum class Mode { compat, v1, v0 };

const char* mode_name(Mode m) { return m == Mode::compat ? "compat" : m == Mode::v1 ? "v1" : "v0"; }

struct Action {
  std::vector<uint64_t> append;  // block sizes of one append call
  std::optional<uint64_t> truncate;
};

struct Sequence {
  Seed key_seed{};
  Hash data_seed{};
  Mode mode = Mode::compat;
  std::vector<Action> actions;
};

// Block g of a sequence: BLAKE2b(data_seed ‖ u64le(g) ‖ u64le(counter)) chunks, cut to size.
Bytes block_bytes(const Hash& data_seed, uint64_t g, uint64_t size) {
  Bytes out(size);
  uint8_t gle[8], cle[8];
  internal::store_u64le(gle, g);
  for (uint64_t counter = 0, pos = 0; pos < size; counter++, pos += 32) {
    internal::store_u64le(cle, counter);
    Hash chunk = blake2b({data_seed, ByteSpan(gle, 8), ByteSpan(cle, 8)});
    std::copy_n(chunk.begin(), std::min<uint64_t>(32, size - pos), out.begin() + static_cast<ptrdiff_t>(pos));
  }
  return out;
}

// ---------------------------------------------------------------- the log under test

class LogUnderTest {
 public:
  virtual ~LogUnderTest() = default;
  virtual Result<void> append(const std::vector<Bytes>& blocks) = 0;
  virtual Result<void> truncate(uint64_t length) = 0;
  virtual Hash key() const = 0;
  virtual uint64_t length() const = 0;
  virtual uint64_t byte_length() const = 0;
  virtual uint64_t fork() const = 0;
  virtual std::vector<Node> roots() const = 0;
  virtual Hash tree_hash() const = 0;
  virtual Bytes signature() const = 0;
  // A stored node (the leaf hashes are read back through this).
  virtual std::optional<Node> node(uint64_t index) const = 0;
  virtual const Identity& identity() const = 0;
};

using LogFactory = std::function<Result<std::unique_ptr<LogUnderTest>>(const KeyPair&, Mode)>;

Identity identity_for(const KeyPair& kp, Mode mode) {
  switch (mode) {
    case Mode::compat: return Identity::compat(kp.public_key);
    case Mode::v1: return Identity::from_manifest(Manifest::default_signer(kp.public_key, 1));
    case Mode::v0: return Identity::from_manifest(Manifest::default_signer(kp.public_key, 0));
  }
  return Identity::compat(kp.public_key);
}

// The log built from the primitives alone: RootStack, leaf_node, tree_hash, Identity::sign.
// Keeps every node so that a truncation can restore the roots of a shorter length.
class PrimitiveLog final : public LogUnderTest {
 public:
  PrimitiveLog(const KeyPair& kp, Mode mode) : key_pair_(kp), identity_(identity_for(kp, mode)) {}

  Result<void> append(const std::vector<Bytes>& blocks) override {
    std::vector<Node> created;
    for (const Bytes& b : blocks) {
      Node leaf = leaf_node(stack_.length(), b);
      nodes_[leaf.index] = leaf;
      stack_.push(leaf, &created);
    }
    for (const Node& n : created) nodes_[n.index] = n;
    return sign();
  }

  Result<void> truncate(uint64_t length) override {
    std::vector<Node> roots;
    for (uint64_t index : flat_tree::full_roots(length)) {
      auto it = nodes_.find(index);
      if (it == nodes_.end()) return fail(errc::corrupt, "truncate: root " + std::to_string(index) + " not stored");
      roots.push_back(it->second);
    }
    // Nodes outside the shorter tree are rewritten by later appends.
    std::erase_if(nodes_, [&](const auto& kv) { return length == 0 || flat_tree::right_span(kv.first) > 2 * length - 2; });
    stack_ = RootStack(std::move(roots));
    fork_++;
    return sign();
  }

  Hash key() const override { return identity_.key(); }
  uint64_t length() const override { return stack_.length(); }
  uint64_t byte_length() const override { return stack_.byte_length(); }
  uint64_t fork() const override { return fork_; }
  std::vector<Node> roots() const override { return stack_.roots(); }
  Hash tree_hash() const override { return hypercore::tree_hash(stack_.roots()); }
  Bytes signature() const override { return signature_; }
  std::optional<Node> node(uint64_t index) const override {
    auto it = nodes_.find(index);
    if (it == nodes_.end()) return std::nullopt;
    return it->second;
  }
  const Identity& identity() const override { return identity_; }

 private:
  Result<void> sign() {
    signature_.clear();
    if (length() == 0) return {};  // length 0 is never signed
    HC_TRY(sig, identity_.sign(key_pair_, tree_hash(), length(), fork_));
    signature_ = std::move(sig);
    return {};
  }

  KeyPair key_pair_;
  Identity identity_;
  RootStack stack_;
  std::map<uint64_t, Node> nodes_;
  uint64_t fork_ = 0;
  Bytes signature_;
};

Result<std::unique_ptr<LogUnderTest>> make_primitive_log(const KeyPair& kp, Mode mode) {
  return std::make_unique<PrimitiveLog>(kp, mode);
}

// hypercore::Core on memory storage, driven through its public API.
class CoreLog final : public LogUnderTest {
 public:
  static Result<std::unique_ptr<LogUnderTest>> make(const KeyPair& kp, Mode mode) {
    auto storage = make_memory_storage();
    auto core = mode == Mode::compat
                    ? Core::create(storage, kp)
                    : Core::create(storage, kp, Manifest::default_signer(kp.public_key, mode == Mode::v1 ? 1 : 0));
    if (!core) return std::unexpected(core.error());
    return std::unique_ptr<LogUnderTest>(new CoreLog(std::move(*core)));
  }

  Result<void> append(const std::vector<Bytes>& blocks) override {
    std::vector<ByteSpan> spans(blocks.begin(), blocks.end());
    HC_TRY(length, core_->append(spans));
    (void)length;
    return {};
  }
  Result<void> truncate(uint64_t length) override { return core_->truncate(length); }
  Hash key() const override { return core_->key(); }
  uint64_t length() const override { return core_->length(); }
  uint64_t byte_length() const override { return core_->byte_length(); }
  uint64_t fork() const override { return core_->fork(); }
  std::vector<Node> roots() const override { return core_->head().roots; }
  Hash tree_hash() const override { return core_->tree_hash(); }
  Bytes signature() const override { return core_->signature(); }
  std::optional<Node> node(uint64_t index) const override {
    auto n = core_->nodes().node(index);
    return n ? *n : std::nullopt;
  }
  const Identity& identity() const override { return core_->identity(); }

 private:
  explicit CoreLog(std::unique_ptr<Core> core) : core_(std::move(core)) {}
  std::unique_ptr<Core> core_;
};

// ---------------------------------------------------------------- random sequences

std::vector<Sequence> random_sequences(size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto below = [&](uint64_t n) { return rng() % n; };
  // Sizes skewed small: most blocks are tiny, some are up to 10 KiB, a few are empty.
  auto block_size = [&]() -> uint64_t {
    uint64_t r = below(100);
    if (r < 8) return 0;
    if (r < 65) return 1 + below(64);
    if (r < 92) return 65 + below(1024 - 65);
    return 1024 + below(10 * 1024 - 1024 + 1);
  };
  std::vector<Sequence> out(count);
  for (size_t s = 0; s < count; s++) {
    Sequence& seq = out[s];
    for (auto& b : seq.key_seed) b = static_cast<uint8_t>(rng());
    for (auto& b : seq.data_seed) b = static_cast<uint8_t>(rng());
    uint64_t m = below(100);
    seq.mode = m < 70 ? Mode::compat : m < 85 ? Mode::v1 : Mode::v0;
    uint64_t r = below(100);
    uint64_t max_length = r < 50 ? 1 + below(40) : r < 85 ? 41 + below(110) : 151 + below(150);
    // Long logs get more and larger appends so that they do reach their length.
    bool long_log = max_length > 150;
    uint64_t actions = long_log ? 10 + below(30) : 1 + below(20);
    uint64_t length = 0;
    for (uint64_t a = 0; a < actions; a++) {
      Action act;
      if (length > 0 && below(100) < 25) {
        // Truncations: anywhere, including to 0 and to the same length (a fork bump).
        uint64_t t = below(100);
        act.truncate = t < 10 ? 0 : t < 20 ? length : below(length + 1);
        length = *act.truncate;
      } else {
        if (length >= max_length) break;
        uint64_t room = max_length - length;
        uint64_t wide = long_log ? 64 : below(100) < 80 ? 8 : 64;
        uint64_t k = below(100) < 40 ? 1 : 1 + below(std::min<uint64_t>(room, wide));
        for (uint64_t i = 0; i < k; i++) act.append.push_back(block_size());
        length += k;
      }
      seq.actions.push_back(std::move(act));
    }
    if (seq.actions.empty()) seq.actions.push_back(Action{{block_size()}, std::nullopt});
  }
  return out;
}

std::string to_json(std::span<const Sequence> sequences) {
  std::string out = "{\"sequences\":[";
  for (size_t s = 0; s < sequences.size(); s++) {
    const Sequence& seq = sequences[s];
    if (s) out += ',';
    out += "{\"keySeed\":\"" + to_hex(seq.key_seed) + "\",\"dataSeed\":\"" + to_hex(seq.data_seed) + "\",\"mode\":\"" +
           mode_name(seq.mode) + "\",\"actions\":[";
    for (size_t a = 0; a < seq.actions.size(); a++) {
      const Action& act = seq.actions[a];
      if (a) out += ',';
      if (act.truncate) {
        out += "{\"truncate\":" + std::to_string(*act.truncate) + "}";
        continue;
      }
      out += "{\"append\":[";
      for (size_t i = 0; i < act.append.size(); i++) {
        if (i) out += ',';
        out += std::to_string(act.append[i]);  // appended, not "," + ...: g++ 12 -O3 -Wrestrict
      }
      out += "]}";
    }
    out += "]}";
  }
  return out + "]}";
}

// ---------------------------------------------------------------- comparison

std::string str(simdjson::dom::element e) { return std::string(std::string_view(e)); }

// Replays one sequence on a fresh log and compares every step with the reference.
// Returns an empty string on success, else a description of the first difference.
std::string check_sequence(const LogFactory& factory, const Sequence& seq, simdjson::dom::element expected) {
  KeyPair kp = KeyPair::from_seed(seq.key_seed);
  auto made = factory(kp, seq.mode);
  if (!made) return "cannot create the log: " + made.error().to_string();
  LogUnderTest& log = **made;

  if (to_hex(log.key()) != str(expected["key"])) return "key " + to_hex(log.key()) + " != " + str(expected["key"]);
  if (to_hex(discovery_key(log.key())) != str(expected["discoveryKey"])) return "discovery key differs";
  if (key_to_id(log.key()) != str(expected["id"])) return "id " + key_to_id(log.key()) + " != " + str(expected["id"]);

  simdjson::dom::array steps = expected["steps"];
  if (steps.size() != seq.actions.size()) return "reference printed a different number of steps";
  uint64_t generated = 0;
  size_t a = 0;
  for (simdjson::dom::element step : steps) {
    const Action& act = seq.actions[a];
    std::string where = "action " + std::to_string(a++) + ": ";
    uint64_t first_new = log.length();
    if (act.truncate) {
      if (auto r = log.truncate(*act.truncate); !r) return where + "truncate failed: " + r.error().to_string();
    } else {
      std::vector<Bytes> blocks;
      for (uint64_t size : act.append) blocks.push_back(block_bytes(seq.data_seed, generated++, size));
      if (auto r = log.append(blocks); !r) return where + "append failed: " + r.error().to_string();
    }

    if (log.length() != uint64_t(step["length"])) return where + "length " + std::to_string(log.length());
    if (log.byte_length() != uint64_t(step["byteLength"])) return where + "byte length " + std::to_string(log.byte_length());
    if (log.fork() != uint64_t(step["fork"])) return where + "fork " + std::to_string(log.fork());

    simdjson::dom::array leaves = step["leaves"];
    uint64_t j = first_new;
    for (simdjson::dom::element leaf : leaves) {
      auto node = log.node(2 * j);
      if (!node) return where + "leaf of block " + std::to_string(j) + " not stored";
      if (to_hex(node->hash) != str(leaf)) return where + "leaf hash of block " + std::to_string(j);
      j++;
    }
    if (j - first_new != (act.truncate ? 0 : act.append.size())) return where + "reference printed a different leaf count";

    simdjson::dom::array roots = step["roots"];
    std::vector<Node> ours = log.roots();
    if (ours.size() != roots.size()) return where + "root count " + std::to_string(ours.size());
    size_t i = 0;
    for (simdjson::dom::array r : roots) {
      const Node& n = ours[i++];
      if (n.index != uint64_t(r.at(0)) || n.size != uint64_t(r.at(1)) || to_hex(n.hash) != str(r.at(2))) {
        return where + "root " + std::to_string(n.index) + " differs";
      }
    }
    Hash th = log.tree_hash();
    if (to_hex(th) != str(step["treeHash"])) return where + "tree hash " + to_hex(th);
    Bytes sig = log.signature();
    if (to_hex(sig) != str(step["signature"])) return where + "signature " + to_hex(sig) + " != " + str(step["signature"]);
    if (log.length() > 0 && !log.identity().verify(th, log.length(), log.fork(), sig)) {
      return where + "our own verify rejects the reference's signature";
    }
  }
  return "";
}

struct Vectors {
  std::vector<Sequence> sequences;
  simdjson::dom::parser parser;
  simdjson::dom::array results;
  std::string error;
};

// Generated and run through the reference once for all tests of this file.
Vectors& vectors() {
  static Vectors* v = [] {
    auto* out = new Vectors;
    out->sequences = random_sequences(600, 0x5eed'c0de'2024ull);
    auto json = bee_test::run_node(bee_test::interop_script("core_vectors.js"), {}, to_json(out->sequences));
    if (!json) {
      out->error = json.error().to_string();
      return out;
    }
    simdjson::dom::element doc;
    if (auto err = out->parser.parse(*json).get(doc); err) {
      out->error = std::string("reference output is not JSON: ") + simdjson::error_message(err);
      return out;
    }
    if (auto err = doc["sequences"].get(out->results); err) out->error = "reference output has no sequences";
    return out;
  }();
  return *v;
}

void run_all(const LogFactory& factory) {
  Vectors& v = vectors();
  ASSERT_EQ(v.error, "");
  ASSERT_EQ(v.results.size(), v.sequences.size());
  size_t s = 0, failures = 0, steps = 0;
  for (simdjson::dom::element expected : v.results) {
    const Sequence& seq = v.sequences[s];
    steps += seq.actions.size();
    std::string diff = check_sequence(factory, seq, expected);
    if (!diff.empty()) {
      ADD_FAILURE() << "sequence " << s << " (" << mode_name(seq.mode) << "): " << diff;
      if (++failures >= 10) return;
    }
    s++;
  }
  EXPECT_GE(steps, 2000u) << "the random sequences are too short to mean much";
}

TEST(CoreVectorsInterop, SequencesCoverTheInterestingCases) {
  std::vector<Sequence> seqs = random_sequences(600, 0x5eed'c0de'2024ull);
  size_t truncations = 0, to_zero = 0, empty_blocks = 0, big_blocks = 0, long_logs = 0, v0 = 0, v1 = 0;
  for (const Sequence& s : seqs) {
    uint64_t length = 0, longest = 0;
    for (const Action& a : s.actions) {
      if (a.truncate) {
        truncations++;
        to_zero += *a.truncate == 0;
        length = *a.truncate;
      }
      for (uint64_t size : a.append) {
        empty_blocks += size == 0;
        big_blocks += size > 4096;
      }
      length += a.append.size();
      longest = std::max(longest, length);
    }
    EXPECT_LE(longest, 300u);
    long_logs += longest > 150;
    v0 += s.mode == Mode::v0;
    v1 += s.mode == Mode::v1;
  }
  EXPECT_GT(truncations, 300u);
  EXPECT_GT(to_zero, 20u);
  EXPECT_GT(empty_blocks, 100u);
  EXPECT_GT(big_blocks, 100u);
  EXPECT_GT(long_logs, 30u);
  EXPECT_GT(v0, 50u);
  EXPECT_GT(v1, 50u);
}

TEST(CoreVectorsInterop, PrimitivesMatchTheReference) { run_all(make_primitive_log); }

TEST(CoreVectorsInterop, CoreOnMemoryStorageMatchesTheReference) { run_all(&CoreLog::make); }

}  // namespace
