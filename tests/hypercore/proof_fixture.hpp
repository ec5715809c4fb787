// Shared fixtures of the proof tests: the writer of the spec's §6 examples (blocks
// "block0".."block10", seed 0x01, compat), request builders and sparse requesters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hypercore/crypto.hpp"
#include "hypercore/manifest.hpp"
#include "hypercore/proof.hpp"
#include "tests/support/memory_tree.hpp"

namespace proof_fixture {

using namespace hypercore;
using bee_test::MemoryTree;
using Indexes = std::vector<uint64_t>;

inline KeyPair seed_key_pair(uint8_t byte) {
  Seed seed;
  seed.fill(byte);
  return KeyPair::from_seed(seed);
}

inline Indexes indexes(const std::vector<Node>& nodes) {
  Indexes out;
  for (const Node& n : nodes) out.push_back(n.index);
  return out;
}

// The writer of §6: blocks "block0".."block9" (6 bytes) and "block10" (7 bytes), seed
// 0x01, compat mode, fork 0.
struct Writer {
  KeyPair key_pair = seed_key_pair(1);
  Identity identity = Identity::compat(key_pair.public_key);
  std::vector<Bytes> blocks;
  MemoryTree tree;
  TreeHead head;

  explicit Writer(std::vector<Bytes> b, uint64_t fork = 0) : blocks(std::move(b)), tree(blocks) {
    head = signed_head(blocks.size(), fork);
  }

  TreeHead signed_head(uint64_t length, uint64_t fork) const {
    TreeHead h = tree.head(length, fork);
    if (length > 0) h.signature = *identity.sign(key_pair, h.tree_hash(), length, fork);
    return h;
  }

  // make_proof with the block value filled in, as Core::proof does.
  Result<Proof> prove(const ProofRequest& request) const {
    HC_TRY(proof, make_proof(tree, head, request));
    if (proof.block) proof.block->value = blocks[proof.block->index];
    return proof;
  }
};

inline std::vector<Bytes> spec_blocks() {
  std::vector<Bytes> blocks;
  for (int i = 0; i < 11; i++) blocks.push_back(to_bytes("block" + std::to_string(i)));
  return blocks;
}

inline ProofRequest block_request(uint64_t index, uint64_t nodes) {
  ProofRequest r;
  r.block = ProofRequest::Block{index, nodes};
  return r;
}

inline ProofRequest upgrade_request(uint64_t start, uint64_t length) {
  ProofRequest r;
  r.upgrade = ProofRequest::Upgrade{start, length};
  return r;
}

// A requester holding the roots of `length` blocks of the writer's tree and nothing else.
inline MemoryTree roots_only(const MemoryTree& full, uint64_t length) {
  MemoryTree t;
  for (const Node& r : full.head(length).roots) t.put(r);
  return t;
}

}  // namespace proof_fixture
