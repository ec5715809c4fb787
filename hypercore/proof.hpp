// Merkle proofs (../shared/spec/hypercore.md §6): what a responder sends so a requester
// can verify blocks, tree nodes, byte seeks and upgrades to a longer signed length
// without trusting the responder. Producing and verifying are pure functions over a
// NodeReader and a TreeHead; Core::proof / Core::verify / Core::apply wrap them.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"
#include "hypercore/manifest.hpp"
#include "hypercore/merkle.hpp"

namespace hypercore {

// The signed state of a tree: its length, fork, full roots (left to right) and the
// signature field over (tree_hash(roots), length, fork). Empty signature at length 0.
struct TreeHead {
  uint64_t length = 0;
  uint64_t fork = 0;
  std::vector<Node> roots;
  Bytes signature;

  uint64_t byte_length() const;
  Hash tree_hash() const;
  friend bool operator==(const TreeHead&, const TreeHead&) = default;
};

struct ProofRequest {
  struct Block { uint64_t index = 0; uint64_t nodes = 0; };
  struct Hash { uint64_t index = 0; uint64_t nodes = 0; };
  struct Seek { uint64_t bytes = 0; uint64_t padding = 0; };
  struct Upgrade { uint64_t start = 0; uint64_t length = 0; };

  uint64_t fork = 0;
  std::optional<Block> block;
  std::optional<Hash> hash;
  std::optional<Seek> seek;
  std::optional<Upgrade> upgrade;
  bool manifest = false;
};

struct Proof {
  struct Block { uint64_t index = 0; Bytes value; std::vector<Node> nodes; };
  struct Hash { uint64_t index = 0; std::vector<Node> nodes; };
  struct Seek { uint64_t bytes = 0; std::vector<Node> nodes; };
  struct Upgrade {
    uint64_t start = 0;
    uint64_t length = 0;
    std::vector<Node> nodes;
    std::vector<Node> additional_nodes;
    Bytes signature;
  };

  uint64_t fork = 0;
  std::optional<Block> block;
  std::optional<Hash> hash;
  std::optional<Seek> seek;
  std::optional<Upgrade> upgrade;
  std::optional<Manifest> manifest;
};

// What a verified proof established, ready to be stored by Core::apply.
struct VerifiedProof {
  uint64_t fork = 0;
  std::vector<Node> nodes;                      // every node proven, given or computed
  std::optional<std::pair<uint64_t, Bytes>> block;  // block index and its verified bytes
  std::optional<TreeHead> upgrade;              // the new signed head, if upgraded
  std::optional<Manifest> manifest;             // a manifest learned from the proof
};

// Requester side (§6.1): how many nodes, from `target` (a tree index) upwards, the local
// tree lacks within `length`. 0 when the target is held or lies outside `length`.
Result<uint64_t> missing_nodes(const NodeReader& local, uint64_t length, uint64_t target);

// Responder side: the proof for `request` from a tree whose signed head is `head`. The
// block value is left empty for the caller to fill in. Fails with errc::invalid_argument
// (request beyond the head, wrong fork) or errc::block_not_available (a node not stored).
Result<Proof> make_proof(const NodeReader& nodes, const TreeHead& head, const ProofRequest& request);

// Requester side: checks `proof` against the local tree (`local`, `local_head`) and the
// core's signing identity. Fails with errc::invalid_proof or errc::invalid_signature.
Result<VerifiedProof> verify_proof(const NodeReader& local, const TreeHead& local_head, const Identity& identity,
                                   const Proof& proof);

// make_proof, plus the core's manifest when the request asks for it and the core is not in
// compat mode (a compat key already names its signer), as the reference responds.
Result<Proof> make_proof(const NodeReader& nodes, const TreeHead& head, const ProofRequest& request,
                         const Identity& identity);

// Byte offset of the first block under tree node `index` in the tree `head`; the leaf index
// 2 * head.length gives the byte length. errc::out_of_range beyond the head,
// errc::block_not_available when a node on the way is not stored.
Result<uint64_t> byte_offset(const NodeReader& nodes, const TreeHead& head, uint64_t index);

// Local seek (§6.4): the block holding byte `bytes` and the offset inside it, counting
// `padding` bytes less per block (block encryption). bytes == byte length gives
// (length, 0). errc::out_of_range past the end, errc::block_not_available when a node it
// needs is not stored (a sparse replica then asks a peer with a seek request).
Result<std::pair<uint64_t, uint64_t>> seek_bytes(const NodeReader& nodes, const TreeHead& head, uint64_t bytes,
                                                 uint64_t padding = 0);

}  // namespace hypercore
