// Merkle proofs both ways against the Node reference (tests/interop/proof_oracle.js), over
// random trees of 1..300 blocks, some of them forked, and the request shapes of the spec
// tables (../shared/spec/hypercore.md §6):
//  1. for every request the reference's proof equals ours node for node (or both refuse
//     the request), and verify_proof accepts the reference's proof on a requester holding
//     exactly the requester's nodes, yielding the writer's block, nodes and signed head;
//  2. the reference accepts our proofs and rejects mutations of them, which we reject too.
// Also compared: the requester's missing-node counts and the writer's local seek.
// One node process runs every case.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "hypercore/crypto.hpp"
#include "hypercore/flat_tree.hpp"
#include "hypercore/manifest.hpp"
#include "hypercore/proof.hpp"
#include "tests/support/memory_tree.hpp"
#include "tests/hypercore/proof_json.hpp"
#include "tests/support/oracle.hpp"

namespace {

using namespace hypercore;
using bee_test::MemoryTree;
namespace ft = flat_tree;
using namespace proof_wire;

// Same generator as proof_oracle.js, so no block bytes travel to the script.
Bytes block_bytes(uint64_t seed, uint64_t i) {
  Bytes out((seed + 7 * i) % 20);
  for (uint64_t j = 0; j < out.size(); j++) out[j] = static_cast<uint8_t>((seed * 3 + i * 11 + j * 5) & 0xff);
  return out;
}

struct TreeSpec {
  Seed key_seed{};
  uint64_t block_seed = 0;
  uint64_t length = 0;
  bool forked = false;
  uint64_t junk = 0;  // forked: length before the truncation
  uint64_t at = 0;    // forked: truncated to this length (fork 1), then appended to `length`
};

struct Writer {
  TreeSpec spec;
  KeyPair key_pair;
  Identity identity = Identity::from_key(Hash{});
  std::vector<Bytes> blocks;
  MemoryTree tree;  // final tree
  TreeHead head;    // signed, at fork 1 when forked
  MemoryTree pre;   // forked: the fork-0 tree before the truncation (`junk` blocks)
};

Writer build_writer(const TreeSpec& spec) {
  Writer w;
  w.spec = spec;
  w.key_pair = KeyPair::from_seed(spec.key_seed);
  w.identity = Identity::compat(w.key_pair.public_key);
  for (uint64_t i = 0; i < spec.length; i++) w.blocks.push_back(block_bytes(spec.block_seed, i));
  w.tree = MemoryTree(w.blocks);
  const uint64_t fork = spec.forked ? 1 : 0;
  w.head = w.tree.head(spec.length, fork);
  w.head.signature = *w.identity.sign(w.key_pair, w.head.tree_hash(), spec.length, fork);
  if (spec.forked) {
    for (uint64_t i = 0; i < spec.junk; i++) {
      w.pre.append(block_bytes(i < spec.at ? spec.block_seed : spec.block_seed + 1000, i));
    }
  }
  return w;
}

struct Requester {
  uint64_t length = 0;
  bool pre = false;  // holds nodes of the pre-fork tree at fork 0 (a reorg)
  std::set<uint64_t> held;
};

struct Sent {
  std::string label;
  Proof proof;
  bool reference_lenient = false;  // a mutation the reference is known to accept
};

struct Case {
  size_t tree = 0;
  Requester requester;
  ProofRequest request;
  bool verifiable = true;  // the requester's state can check the proof
  Result<Proof> ours = fail(errc::invalid_argument, "not made");
  std::vector<Sent> sent;
};

const MemoryTree& source(const Writer& w, const Requester& r) { return r.pre ? w.pre : w.tree; }

MemoryTree requester_tree(const Writer& w, const Requester& r) {
  MemoryTree out;
  for (uint64_t i : r.held) out.put(*source(w, r).get(i));
  return out;
}

TreeHead requester_head(const Writer& w, const Requester& r) {
  return source(w, r).head(r.length, r.pre ? 0 : w.head.fork);
}

std::string input_json(const std::vector<Writer>& writers, const std::vector<Case>& cases) {
  std::string o = "{\"trees\":[";
  for (size_t i = 0; i < writers.size(); i++) {
    const TreeSpec& s = writers[i].spec;
    if (i) o += ",";
    o += "{\"keySeed\":\"" + to_hex(s.key_seed) + "\",\"blockSeed\":" + std::to_string(s.block_seed) +
         ",\"length\":" + std::to_string(s.length) + ",\"fork\":";
    o += s.forked ? "{\"junk\":" + std::to_string(s.junk) + ",\"at\":" + std::to_string(s.at) + "}" : "null";
    o += "}";
  }
  o += "],\"cases\":[";
  for (size_t i = 0; i < cases.size(); i++) {
    const Case& c = cases[i];
    if (i) o += ",";
    o += "{\"tree\":" + std::to_string(c.tree) + ",\"requester\":{\"length\":" + std::to_string(c.requester.length) +
         ",\"pre\":" + (c.requester.pre ? "true" : "false") + ",\"held\":[";
    bool first = true;
    for (uint64_t h : c.requester.held) {
      if (!first) o += ",";
      first = false;
      o += std::to_string(h);
    }
    o += "]},\"request\":" + request_json(c.request) + ",\"ours\":[";
    for (size_t k = 0; k < c.sent.size(); k++) {
      if (k) o += ",";
      o += proof_json(c.sent[k].proof);
    }
    o += "]}";
  }
  return o + "]}";
}

std::string describe_case(const Case& c) {
  return "tree " + std::to_string(c.tree) + " requester " + std::to_string(c.requester.length) +
         (c.requester.pre ? " (pre-fork)" : "") + " held " + std::to_string(c.requester.held.size()) +
         " request " + request_json(c.request);
}

// -------------------------------------------------------------------- generation

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  uint64_t below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }

  // The roots of `length` plus each other node of that tree with probability `percent`.
  std::set<uint64_t> held(const MemoryTree& src, uint64_t length, int percent) {
    std::set<uint64_t> out;
    for (uint64_t r : ft::full_roots(length)) out.insert(r);
    for (const auto& [index, node] : src.nodes()) {
      if (ft::right_span(index) < 2 * length && chance(percent)) out.insert(index);
    }
    return out;
  }

  int density() {
    const int choices[] = {0, 0, 30, 70, 100};
    return choices[below(5)];
  }

  std::optional<Sent> mutate(const Proof& original) {
    Proof p = original;
    struct List {
      const char* name;
      std::vector<Node>* nodes;
    };
    std::vector<List> lists;
    if (p.block && !p.block->nodes.empty()) lists.push_back({"block", &p.block->nodes});
    if (p.hash && !p.hash->nodes.empty()) lists.push_back({"hash", &p.hash->nodes});
    if (p.seek && !p.seek->nodes.empty()) lists.push_back({"seek", &p.seek->nodes});
    if (p.upgrade && !p.upgrade->nodes.empty()) lists.push_back({"upgrade", &p.upgrade->nodes});
    if (p.upgrade && !p.upgrade->additional_nodes.empty()) lists.push_back({"additional", &p.upgrade->additional_nodes});

    Sent s;
    const uint64_t op = below(12);
    if (op < 6 && !lists.empty()) {
      List& l = lists[below(lists.size())];
      const size_t i = below(l.nodes->size());
      Node& n = (*l.nodes)[i];
      s.label = std::string(l.name) + "[" + std::to_string(i) + "] ";
      switch (op) {
        case 0: {
          const uint64_t bit = below(256);
          n.hash[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
          s.label += "hash bit";
          break;
        }
        case 1:
          n.size += 1;
          s.label += "size+1";
          // Compared with the stored node by hash alone, as the reference does.
          s.reference_lenient = std::string(l.name) == "hash" && l.nodes->size() == 1;
          break;
        case 2:
          n.index += 2;
          s.label += "index+2";
          break;
        case 3:
          l.nodes->erase(l.nodes->begin() + static_cast<ptrdiff_t>(i));
          s.label += "dropped";
          break;
        case 4: {
          if (l.nodes->size() < 2 || (std::string(l.name) == "seek" && i == 0)) return std::nullopt;
          const size_t j = i + 1 < l.nodes->size() ? i + 1 : i - 1;
          if (std::string(l.name) == "seek" && j == 0) return std::nullopt;
          std::swap((*l.nodes)[i], (*l.nodes)[j]);
          s.label += "swapped";
          break;
        }
        default:
          // A copy of the last upgrade node is left over, which the reference ignores.
          s.reference_lenient = std::string(l.name) == "upgrade" && i + 1 == l.nodes->size();
          l.nodes->insert(l.nodes->begin() + static_cast<ptrdiff_t>(i), Node(n));
          s.label += "duplicated";
          break;
      }
    } else if (op == 6 && p.block && !p.block->value.empty()) {
      p.block->value[below(p.block->value.size())] ^= 0x10;
      s.label = "block byte";
    } else if (op == 7 && p.block) {
      p.block->value.push_back(0);
      s.label = "block longer";
    } else if (op == 8 && p.upgrade) {
      p.upgrade->signature[below(p.upgrade->signature.size())] ^= 0x04;
      s.label = "signature";
    } else if (op == 9) {
      p.fork += 1;
      s.label = "fork+1";
    } else if (op == 10 && p.upgrade) {
      if (p.upgrade->length > 1 && chance(50)) {
        p.upgrade->length -= 1;
        s.label = "length-1";
      } else {
        p.upgrade->length += 1;
        s.label = "length+1";
      }
    } else if (op == 11 && p.upgrade) {
      p.upgrade->start += 1;
      s.label = "start+1";
    } else {
      return std::nullopt;
    }
    s.proof = std::move(p);
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

// Byte range [offset, offset + size) of tree node `index`.
std::pair<uint64_t, uint64_t> byte_range(const Writer& w, uint64_t index) {
  return {*byte_offset(w.tree, w.head, index), w.tree.get(index)->size};
}

void random_cases(Generator& g, const Writer& w, size_t tree, int count, std::vector<Case>& out) {
  const uint64_t n = w.head.length;
  for (int k = 0; k < count; k++) {
    Case c;
    c.tree = tree;
    if (w.spec.forked && g.chance(25)) {
      // A reader still at fork 0 meets the fork-1 writer: full upgrade proof, maybe a block.
      c.requester.pre = true;
      c.requester.length = g.below(w.spec.junk + 1);
      c.requester.held = g.held(w.pre, c.requester.length, g.density());
      c.request.fork = w.head.fork;
      c.request.upgrade = ProofRequest::Upgrade{0, n};
      if (g.chance(50)) c.request.block = ProofRequest::Block{g.below(n), 0};
      out.push_back(std::move(c));
      continue;
    }

    const uint64_t s = g.chance(20) ? n : g.below(n + 1);
    c.requester.length = s;
    c.requester.held = g.held(w.tree, s, g.density());
    MemoryTree local = requester_tree(w, c.requester);
    c.request.fork = w.head.fork;
    auto upgrade_to = [&](uint64_t min_to) {
      const uint64_t to = g.chance(50) ? n : min_to + g.below(n - min_to + 1);
      c.request.upgrade = ProofRequest::Upgrade{s, to - s};
    };

    uint64_t kind = g.below(7);
    if (s == n) kind = g.chance(50) ? 1 : 3;  // nothing to upgrade: an old block or node
    if (s == 0 && (kind == 1 || kind == 3)) kind = 0;

    switch (kind) {
      case 0:  // upgrade only
        upgrade_to(s + 1);
        break;
      case 1: {  // a block the requester's tree covers, maybe with an upgrade and a seek
        const uint64_t b = g.below(s);
        uint64_t nodes = *missing_nodes(local, s, 2 * b);
        if (g.chance(10)) {
          nodes = g.below(8);  // any count: compare production only
          c.verifiable = false;
        }
        c.request.block = ProofRequest::Block{b, nodes};
        if (s < n && g.chance(50)) upgrade_to(s + 1);
        if (c.verifiable && g.chance(60)) {
          uint64_t root = 2 * b;
          for (uint64_t i = 0; i < nodes; i++) root = ft::parent(root);
          auto [offset, size] = byte_range(w, root);
          if (size > 0) {
            // Anywhere inside the proven subtree, often exactly where a block starts.
            uint64_t bytes = offset + g.below(size);
            if (g.chance(50)) {
              const uint64_t first = ft::left_span(root) / 2;
              bytes = *byte_offset(w.tree, w.head, 2 * (first + g.below(ft::leaves(root))));
            }
            c.request.seek = ProofRequest::Seek{bytes, g.chance(15) ? 1u : 0u};
          }
        }
        break;
      }
      case 2: {  // a block in the upgraded range
        const uint64_t b = s + g.below(n - s);
        c.request.block = ProofRequest::Block{b, 0};
        upgrade_to(b + 1);
        break;
      }
      case 3: {  // a tree node the requester's tree covers
        std::vector<uint64_t> candidates;
        for (const auto& [index, node] : w.tree.nodes()) {
          if (ft::right_span(index) < 2 * s) candidates.push_back(index);
        }
        const uint64_t h = candidates[g.below(candidates.size())];
        c.request.hash = ProofRequest::Hash{h, *missing_nodes(local, s, h)};
        if (s < n && g.chance(40)) upgrade_to(s + 1);
        break;
      }
      case 4: {  // seek with an upgrade
        upgrade_to(s + 1);
        const uint64_t to = s + c.request.upgrade->length;
        const TreeHead target = w.tree.head(to);
        // Mostly in the new range: a target the requester already holds needs no seek nodes.
        const uint64_t base = g.chance(60) ? w.tree.head(s).byte_length() : 0;
        uint64_t bytes = base + g.below(target.byte_length() - base + 3);
        if (g.chance(30)) {  // where a root ends
          bytes = 0;
          for (uint64_t r = 0, k = g.below(target.roots.size() + 1); r < k; r++) bytes += target.roots[r].size;
        } else if (g.chance(40)) {  // where a block starts
          bytes = *byte_offset(w.tree, w.head, 2 * g.below(to));
        }
        c.request.seek = ProofRequest::Seek{bytes, g.chance(15) ? 1u : 0u};
        break;
      }
      case 5: {  // a tree node in the upgraded range
        const uint64_t leaf = s + g.below(n - s);
        uint64_t h = 2 * leaf;
        while (g.chance(50) && ft::left_span(ft::parent(h)) >= 2 * s && ft::right_span(ft::parent(h)) < 2 * n) {
          h = ft::parent(h);
        }
        c.request.hash = ProofRequest::Hash{h, 0};
        upgrade_to(ft::right_span(h) / 2 + 1);
        break;
      }
      default: {  // requests both sides must refuse
        c.verifiable = false;
        const uint64_t which = g.below(4);
        if (which == 0) {
          c.request.block = ProofRequest::Block{n + g.below(3), 0};
        } else if (which == 1) {
          c.request.upgrade = ProofRequest::Upgrade{s, n - s + 1 + g.below(3)};
        } else if (which == 2 && s > 0) {
          c.request.block = ProofRequest::Block{g.below(s), 60};
        } else {
          c.request.fork = w.head.fork + 1;
          c.request.upgrade = ProofRequest::Upgrade{s, n - s};
        }
        break;
      }
    }
    out.push_back(std::move(c));
  }
}

// The request shapes of the spec's §6.2-§6.4 tables, on an 11-block tree.
void table_cases(const Writer& w, size_t tree, std::vector<Case>& out) {
  auto add = [&](uint64_t start, std::set<uint64_t> held, ProofRequest r) {
    Case c;
    c.tree = tree;
    c.requester.length = start;
    c.requester.held = std::move(held);
    c.request = r;
    out.push_back(std::move(c));
  };
  auto prefix = [&](uint64_t len) {
    std::set<uint64_t> s;
    const MemoryTree tree = w.tree.prefix(len);
    for (const auto& [i, node] : tree.nodes()) s.insert(i);
    return s;
  };
  auto block = [](uint64_t i, uint64_t nodes) {
    ProofRequest r;
    r.block = ProofRequest::Block{i, nodes};
    return r;
  };
  auto upgrade = [](ProofRequest r, uint64_t start, uint64_t length) {
    r.upgrade = ProofRequest::Upgrade{start, length};
    return r;
  };
  const std::set<uint64_t> roots = {7, 17, 20};
  add(11, prefix(11), block(5, 0));
  add(11, {7, 17, 20, 9}, block(5, 1));
  add(11, roots, block(5, 3));
  ProofRequest hash9;
  hash9.hash = ProofRequest::Hash{9, 2};
  add(11, roots, hash9);
  add(0, {}, upgrade({}, 0, 11));
  add(3, prefix(3), upgrade({}, 3, 8));
  add(3, prefix(3), upgrade({}, 3, 3));
  add(3, prefix(3), upgrade(block(9, 0), 3, 8));
  add(3, prefix(3), upgrade(block(4, 0), 3, 8));
  add(0, {}, upgrade(block(2, 0), 0, 11));
  add(5, prefix(5), upgrade(block(5, 0), 5, 6));
  ProofRequest seek = upgrade({}, 0, 11);
  seek.seek = ProofRequest::Seek{23, 0};
  add(0, {}, seek);
  ProofRequest block_seek = block(0, 3);
  block_seek.seek = ProofRequest::Seek{23, 0};
  add(11, roots, block_seek);
}

// ------------------------------------------------------------------------ the test

TEST(ProofInterop, BothWaysOverRandomTrees) {
  Generator g(0x70726f6f6673);  // fixed: the same cases on every run
  std::vector<Writer> writers;
  std::vector<Case> cases;

  TreeSpec table;
  table.key_seed.fill(1);
  table.block_seed = 5;
  table.length = 11;
  writers.push_back(build_writer(table));
  table_cases(writers[0], 0, cases);

  for (int t = 1; t <= 28; t++) {
    TreeSpec spec;
    for (auto& b : spec.key_seed) b = static_cast<uint8_t>(g.below(256));
    spec.block_seed = g.below(1000);
    spec.length = t % 4 == 0 ? 1 + g.below(300) : 1 + g.below(40);
    if (t % 3 == 0) {
      spec.forked = true;
      spec.at = g.below(spec.length + 1);
      spec.junk = spec.at + 1 + g.below(30);
    }
    writers.push_back(build_writer(spec));
    random_cases(g, writers.back(), writers.size() - 1, 16, cases);
  }

  // Our side: proofs for every request, and mutations for the reference to judge.
  size_t ours_ok = 0;
  for (Case& c : cases) {
    const Writer& w = writers[c.tree];
    c.ours = make_proof(w.tree, w.head, c.request);
    if (!c.ours) continue;
    ours_ok++;
    if (c.ours->block) c.ours->block->value = w.blocks[c.ours->block->index];
    if (!c.verifiable) continue;
    c.sent.push_back(Sent{"unmutated", *c.ours, false});
    for (int m = 0; m < 12 && c.sent.size() < 5; m++) {
      if (auto s = g.mutate(*c.ours)) c.sent.push_back(std::move(*s));
    }
  }
  ASSERT_GT(ours_ok, cases.size() / 2);

  auto output = bee_test::run_node(bee_test::interop_script("proof_oracle.js"), {}, input_json(writers, cases));
  ASSERT_TRUE(output) << output.error().to_string();

  simdjson::dom::parser parser;
  simdjson::padded_string padded(*output);
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(padded).get(doc), simdjson::SUCCESS) << "reference output is not JSON";

  // The writers' trees are the reference's.
  simdjson::dom::array trees = doc["trees"];
  ASSERT_EQ(trees.size(), writers.size());
  size_t t = 0;
  for (simdjson::dom::element e : trees) {
    const Writer& w = writers[t++];
    SCOPED_TRACE("tree " + std::to_string(t - 1));
    EXPECT_EQ(uint64_t(e["length"]), w.head.length);
    EXPECT_EQ(uint64_t(e["fork"]), w.head.fork);
    EXPECT_EQ(uint64_t(e["byteLength"]), w.head.byte_length());
    EXPECT_EQ(std::string_view(e["treeHash"]), to_hex(w.head.tree_hash()));
    EXPECT_EQ(std::string_view(e["signature"]), to_hex(w.head.signature));
  }

  simdjson::dom::array results = doc["cases"];
  ASSERT_EQ(results.size(), cases.size());
  size_t i = 0, compared = 0, verified = 0, judged = 0, lenient_accepted = 0;
  size_t seeks = 0, hashes = 0, additional = 0, reorgs = 0;
  for (simdjson::dom::element r : results) {
    const Case& c = cases[i++];
    const Writer& w = writers[c.tree];
    SCOPED_TRACE("case " + std::to_string(i - 1) + ": " + describe_case(c));
    MemoryTree local = requester_tree(w, c.requester);
    TreeHead local_head = requester_head(w, c.requester);

    // Missing-node counts of the requester.
    simdjson::dom::element missing = r["missing"];
    if (c.request.block) {
      EXPECT_EQ(uint64_t(missing["block"]), *missing_nodes(local, c.requester.length, 2 * c.request.block->index));
    }
    if (c.request.hash) {
      EXPECT_EQ(uint64_t(missing["hash"]), *missing_nodes(local, c.requester.length, c.request.hash->index));
    }
    // The writer's local seek.
    if (c.request.seek) {
      auto pos = seek_bytes(w.tree, w.head, c.request.seek->bytes, c.request.seek->padding);
      simdjson::dom::element expected = r["localSeek"];
      if (expected.is_null()) {
        EXPECT_FALSE(pos) << "we seek to block " << pos->first;
      } else {
        simdjson::dom::array a = expected;
        ASSERT_TRUE(pos) << pos.error().to_string();
        EXPECT_EQ(pos->first, uint64_t(a.at(0)));
        EXPECT_EQ(pos->second, uint64_t(a.at(1)));
      }
    }

    // 1. Production: identical proofs, or both refuse.
    simdjson::dom::element error = r["error"];
    if (!error.is_null()) {
      EXPECT_FALSE(c.ours) << "the reference refused (" << std::string_view(error) << ") but we made "
                           << describe(*c.ours);
      continue;
    }
    Proof theirs = parse_proof(r["proof"]);
    ASSERT_TRUE(c.ours) << "we refused (" << c.ours.error().to_string() << ") but the reference made "
                        << describe(theirs);
    compared++;
    seeks += theirs.seek.has_value();
    hashes += theirs.hash.has_value();
    additional += theirs.upgrade && !theirs.upgrade->additional_nodes.empty();
    reorgs += c.requester.pre;
    EXPECT_TRUE(same(*c.ours, theirs)) << "ours:   " << describe(*c.ours) << "\ntheirs: " << describe(theirs);

    // 1b. Their proof verifies on the requester's state.
    if (c.verifiable) {
      auto v = verify_proof(local, local_head, Identity::from_key(w.identity.key()), theirs);
      ASSERT_TRUE(v) << v.error().to_string() << " for " << describe(theirs);
      verified++;
      if (theirs.block) {
        ASSERT_TRUE(v->block);
        EXPECT_EQ(v->block->first, theirs.block->index);
        EXPECT_EQ(v->block->second, w.blocks[theirs.block->index]);
      }
      EXPECT_EQ(v->upgrade.has_value(), theirs.upgrade.has_value());
      if (v->upgrade) {
        EXPECT_EQ(*v->upgrade, w.head);
      }
      EXPECT_EQ(v->fork, w.head.fork);
      for (const Node& node : v->nodes) {
        auto expected = w.tree.get(node.index);
        ASSERT_TRUE(expected) << node.index;
        EXPECT_EQ(node, *expected) << "proven node " << node.index;
      }
    }

    // 2. The reference judges ours and its mutations; we reject every mutation too.
    simdjson::dom::array verdicts = r["verdicts"];
    ASSERT_EQ(verdicts.size(), c.sent.size());
    size_t k = 0;
    for (simdjson::dom::element e : verdicts) {
      const Sent& s = c.sent[k++];
      const bool accepted = bool(e);
      judged++;
      if (k == 1) {
        EXPECT_TRUE(accepted) << "the reference rejects our proof " << describe(s.proof);
        continue;
      }
      EXPECT_FALSE(verify_proof(local, local_head, Identity::from_key(w.identity.key()), s.proof))
          << "we accept mutation '" << s.label << "': " << describe(s.proof);
      if (s.reference_lenient) {
        lenient_accepted += accepted;
      } else {
        EXPECT_FALSE(accepted) << "the reference accepts mutation '" << s.label << "': " << describe(s.proof);
      }
    }
  }
  // The run must have exercised every part.
  EXPECT_GT(compared, 350u);
  EXPECT_GT(verified, 300u);
  EXPECT_GT(judged, 1200u);
  EXPECT_GT(seeks, 20u);
  EXPECT_GT(hashes, 20u);
  EXPECT_GT(additional, 20u);
  EXPECT_GT(reorgs, 10u);
  std::printf("proof interop: %zu cases, %zu proofs compared (%zu with seek, %zu hash, %zu with additional "
              "nodes, %zu reorgs), %zu verified, %zu judged by the reference (%zu lenient mutations it "
              "accepted)\n",
              cases.size(), compared, seeks, hashes, additional, reorgs, verified, judged, lenient_accepted);
}

}  // namespace
