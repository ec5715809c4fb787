// Merkle proofs, responder side: the tree head, make_proof, missing_nodes and byte seeks.
// Ported from the reference's lib/merkle-tree.js (hypercore 10.38.2): generateProof and
// its helpers; verifyTree / verifyUpgrade for the requester are in proof_verify.cpp. The
// control flow deliberately follows the reference step by step (same iterator moves, same
// order of node lists) because the exact node lists are wire format: a peer rejects a
// proof whose nodes come in another order. Where the reference would loop forever or
// misbehave on hostile input, explicit checks are added and say so.
#include "hypercore/proof.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hypercore/flat_tree.hpp"
#include "hypercore/internal/flat_iterator.hpp"
#include "hypercore/internal/proof_common.hpp"

namespace hypercore {

namespace {

using internal::checked_sum;
using internal::FlatIterator;
using internal::kMaxIndex;
using internal::kMaxLength;
using internal::str;

// Seek arithmetic subtracts padding per block and may go below zero in the reference
// (plain JS numbers); exact signed 128-bit values reproduce its comparisons.
__extension__ typedef __int128 Wide;

Wide unpadded_size(const Node& node, uint64_t padding, uint64_t leaves) {
  return static_cast<Wide>(node.size) - static_cast<Wide>(padding) * static_cast<Wide>(leaves);
}

bool roots_match_length(const TreeHead& head) {
  std::vector<uint64_t> expected = flat_tree::full_roots(head.length);
  if (expected.size() != head.roots.size()) return false;
  for (size_t i = 0; i < expected.size(); i++) {
    if (head.roots[i].index != expected[i]) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Responder side

// A block or hash request, normalised like the reference's normalizeIndexed.
struct Indexed {
  bool value = false;       // a block: its value proves the leaf, so the leaf is not sent
  uint64_t index = 0;       // tree index of the target
  uint64_t nodes = 0;       // how many levels the requester lacks
  uint64_t last_index = 0;  // last block below the target
};

// The node lists of a proof under construction. nullopt means "not started", which the
// reference's control flow tells apart from an empty list.
struct Parts {
  std::optional<std::vector<uint64_t>> node, seek, upgrade, additional;
};

class Producer {
 public:
  Producer(const NodeReader& reader, const TreeHead& head) : reader_(reader), head_(head) {}

  // A node that must exist (tree.get(i, true)).
  Result<Node> get(uint64_t index) const {
    HC_TRY(node, peek(index));
    if (!node) return fail(errc::block_not_available, "proof: tree node " + str(index) + " is not stored");
    return *node;
  }

  // A node that may be absent (tree.get(i, false)). Roots come from the head itself.
  Result<std::optional<Node>> peek(uint64_t index) const {
    for (const Node& r : head_.roots) {
      if (r.index == index) return std::optional<Node>(r);
    }
    HC_TRY(node, reader_.node(index));
    if (node) node->index = index;
    return node;
  }

  // getByteOffset: bytes before the first block under `index`.
  Result<uint64_t> byte_offset(uint64_t index) const {
    if (index == 2 * head_.length) return checked_sum(head_.roots, "byte offset");
    if (index & 1) index = flat_tree::left_span(index);
    uint64_t head = 0;
    uint64_t offset = 0;
    for (const Node& root : head_.roots) {
      head += 2 * ((root.index - head) + 1);
      if (index >= head) {
        offset += root.size;
        continue;
      }
      FlatIterator ite(root.index);
      while (ite.index() != index) {
        if (ite.factor() == 2) return fail(errc::corrupt, "byte offset: leaf " + str(index) + " not under its root");
        if (index < ite.index()) {
          ite.left_child();
        } else {
          HC_TRY(left, get(ite.left_child()));
          offset += left.size;
          ite.sibling();
        }
      }
      return offset;
    }
    return fail(errc::out_of_range, "byte offset: tree index " + str(index) + " is beyond the tree");
  }

  // seekTrustedTree: the node below `root` whose span starts the block holding `bytes`.
  Result<uint64_t> seek_trusted(uint64_t root, Wide bytes, uint64_t padding) const {
    if (bytes == 0) return root;
    FlatIterator ite(root);
    while (ite.index() & 1) {
      HC_TRY(left, peek(ite.left_child()));
      if (!left) {
        ite.parent();
        return ite.index();
      }
      Wide size = unpadded_size(*left, padding, ite.leaves());
      if (size == bytes) return ite.index();
      if (size > bytes) continue;
      bytes -= size;
      ite.sibling();
    }
    return ite.index();
  }

  // seekFromHead: the seek target among the roots of the tree whose head is `head`.
  Result<uint64_t> seek_from_head(uint64_t head, Wide bytes, uint64_t padding) const {
    for (uint64_t root : flat_tree::full_roots(head / 2)) {
      HC_TRY(node, get(root));
      Wide size = unpadded_size(node, padding, flat_tree::leaves(root));
      if (bytes == size) return root;
      if (bytes > size) {
        bytes -= size;
        continue;
      }
      return seek_trusted(root, bytes, padding);
    }
    return head;
  }

  // seekUntrustedTree: as seek_trusted, after checking `bytes` falls inside `root`.
  Result<uint64_t> seek_untrusted(uint64_t root, Wide bytes, uint64_t padding) const {
    HC_TRY(start, byte_offset(root));
    Wide offset = static_cast<Wide>(start) -
                  static_cast<Wide>(padding) * static_cast<Wide>(flat_tree::left_span(root) / 2);
    if (offset > bytes) return fail(errc::invalid_argument, "seek: byte offset lies before tree node " + str(root));
    if (offset == bytes) return root;
    bytes -= offset;
    HC_TRY(node, get(root));
    if (unpadded_size(node, padding, flat_tree::leaves(root)) <= bytes) {
      return fail(errc::invalid_argument, "seek: byte offset lies after tree node " + str(root));
    }
    return seek_trusted(root, bytes, padding);
  }

  // seekProof: the seek target and its siblings up to `root`.
  Result<void> seek_proof(uint64_t seek_root, uint64_t root, Parts& p) const {
    if (!FlatIterator(root).contains(seek_root)) {
      return fail(errc::invalid_argument, "seek: node " + str(seek_root) + " is not below " + str(root));
    }
    FlatIterator ite(seek_root);
    p.seek.emplace();
    p.seek->push_back(ite.index());
    while (ite.index() != root) {
      p.seek->push_back(ite.sibling());
      ite.parent();
    }
    return {};
  }

  // blockAndSeekProof: the target (for a hash) and its siblings up to `root`; a sibling
  // holding the seek target is replaced by the seek proof.
  Result<void> block_and_seek_proof(const std::optional<Indexed>& node, bool seek, uint64_t seek_root,
                                    uint64_t root, Parts& p) const {
    if (!node) return seek_proof(seek_root, root, p);
    // The reference would climb forever here for a hash request it cannot place.
    if (!FlatIterator(root).contains(node->index)) {
      return fail(errc::invalid_argument, "proof: node " + str(node->index) + " is not below " + str(root));
    }
    FlatIterator ite(node->index);
    p.node.emplace();
    if (!node->value) p.node->push_back(ite.index());
    while (ite.index() != root) {
      ite.sibling();
      if (seek && ite.contains(seek_root) && ite.index() != seek_root) {
        HC_CHECK(seek_proof(seek_root, ite.index(), p));
      } else {
        p.node->push_back(ite.index());
      }
      ite.parent();
    }
    return {};
  }

  // upgradeProof: the nodes that take a tree of from/2 blocks to to/2 blocks (§6.3).
  Result<void> upgrade_proof(const std::optional<Indexed>& node, bool seek, uint64_t from, uint64_t to,
                             uint64_t sub_tree, Parts& p) const {
    if (from == 0) p.upgrade.emplace();
    for (FlatIterator ite(0); ite.full_root(to); ite.next_tree()) {
      // The requester already has this root.
      if (ite.index() + ite.factor() / 2 < from) continue;

      // Connect the requester's last root to this one.
      if (!p.upgrade && ite.contains(from - 2)) {
        p.upgrade.emplace();
        const uint64_t root = ite.index();
        const uint64_t target = from - 2;
        ite.seek(target);
        while (ite.index() != root) {
          ite.sibling();
          if (ite.index() > target) {
            if (!p.node && !p.seek && ite.contains(sub_tree)) {
              HC_CHECK(block_and_seek_proof(node, seek, sub_tree, ite.index(), p));
            } else {
              p.upgrade->push_back(ite.index());
            }
          }
          ite.parent();
        }
        continue;
      }

      if (!p.upgrade) p.upgrade.emplace();
      // A requested block below this root proves it, instead of sending it twice.
      if (!p.node && !p.seek && ite.contains(sub_tree)) {
        HC_CHECK(block_and_seek_proof(node, seek, sub_tree, ite.index(), p));
        continue;
      }
      p.upgrade->push_back(ite.index());
    }
    return {};
  }

  // additionalUpgradeProof: from the requested length on to the responder's head.
  void additional_upgrade_proof(uint64_t from, uint64_t to, Parts& p) const {
    if (from == 0) p.additional.emplace();
    for (FlatIterator ite(0); ite.full_root(to); ite.next_tree()) {
      if (ite.index() + ite.factor() / 2 < from) continue;
      if (!p.additional && ite.contains(from - 2)) {
        p.additional.emplace();
        const uint64_t root = ite.index();
        const uint64_t target = from - 2;
        ite.seek(target);
        while (ite.index() != root) {
          ite.sibling();
          if (ite.index() > target) p.additional->push_back(ite.index());
          ite.parent();
        }
        continue;
      }
      if (!p.additional) p.additional.emplace();
      p.additional->push_back(ite.index());
    }
  }

  Result<std::vector<Node>> settle(const std::optional<std::vector<uint64_t>>& indexes) const {
    std::vector<Node> out;
    if (!indexes) return out;
    out.reserve(indexes->size());
    for (uint64_t i : *indexes) {
      HC_TRY(node, get(i));
      out.push_back(node);
    }
    return out;
  }

 private:
  const NodeReader& reader_;
  const TreeHead& head_;
};

// nodesToRoot: the ancestor `nodes` levels above `index`, which must not reach `head`.
Result<uint64_t> nodes_to_root(uint64_t index, uint64_t nodes, uint64_t head) {
  FlatIterator ite(index);
  // Terminates: index < head, so within 58 levels an ancestor spans head.
  for (uint64_t i = 0; i < nodes; i++) {
    ite.parent();
    if (ite.contains(head)) {
      return fail(errc::invalid_argument, "proof: " + str(nodes) + " nodes above tree node " + str(index) +
                                              " cross the head of the tree");
    }
  }
  return ite.index();
}

}  // namespace

uint64_t TreeHead::byte_length() const {
  uint64_t n = 0;
  for (const Node& r : roots) n += r.size;
  return n;
}

Hash TreeHead::tree_hash() const { return hypercore::tree_hash(roots); }

Result<uint64_t> missing_nodes(const NodeReader& local, uint64_t length, uint64_t target) {
  if (length > kMaxLength) return fail(errc::invalid_argument, "missing nodes: length " + str(length) + " too large");
  const uint64_t head = 2 * length;
  if (target >= head) return uint64_t{0};
  FlatIterator ite(target);
  // Outside the current tree the requester cannot know; it asks with an upgrade instead.
  if (ite.right_span() >= head) return uint64_t{0};
  uint64_t count = 0;
  while (!ite.contains(head)) {
    HC_TRY(node, local.node(ite.index()));
    if (node) break;
    count++;
    ite.parent();
  }
  return count;
}

Result<Proof> make_proof(const NodeReader& nodes, const TreeHead& head, const ProofRequest& request) {
  if (request.fork != head.fork) {
    return fail(errc::invalid_argument,
                "proof: request is for fork " + str(request.fork) + ", the tree is at fork " + str(head.fork));
  }
  if (head.length > kMaxLength || !roots_match_length(head)) {
    return fail(errc::invalid_argument, "proof: tree head of length " + str(head.length) + " has the wrong roots");
  }
  Proof result;
  result.fork = head.fork;
  // The reference answers any request to an empty tree with a proof holding nothing.
  if (head.length == 0) return result;

  const uint64_t head_index = 2 * head.length;
  const auto& upgrade = request.upgrade;
  if (upgrade && (upgrade->start > kMaxLength || upgrade->length > kMaxLength)) {
    return fail(errc::invalid_argument, "proof: upgrade beyond the tree");
  }
  const uint64_t from = upgrade ? 2 * upgrade->start : 0;
  const uint64_t to = upgrade ? from + 2 * upgrade->length : head_index;
  if (from >= to || to > head_index) {
    return fail(errc::invalid_argument, "proof: invalid upgrade from " + str(from / 2) + " to " + str(to / 2) +
                                            " of a tree of " + str(head.length));
  }

  std::optional<Indexed> node;
  if (request.block) {
    if (request.block->index >= kMaxLength) return fail(errc::invalid_argument, "proof: block index out of range");
    node = Indexed{true, 2 * request.block->index, request.block->nodes, request.block->index};
  } else if (request.hash) {
    if (request.hash->index >= kMaxIndex) return fail(errc::invalid_argument, "proof: tree index out of range");
    node = Indexed{false, request.hash->index, request.hash->nodes, flat_tree::right_span(request.hash->index) / 2};
  }
  const bool seek = request.seek.has_value();
  if (seek && upgrade && node && node->index >= from) {
    return fail(errc::invalid_argument, "proof: cannot combine a seek with a block or hash in the upgraded range");
  }
  // The reference's tree would prove a block it does not have; its replicator then
  // answers nothing. Refuse it here.
  if (node && !upgrade && node->last_index >= head.length) {
    return fail(errc::invalid_argument, "proof: block " + str(node->last_index) + " is beyond the tree of length " +
                                            str(head.length));
  }

  Producer producer(nodes, head);
  Parts p;
  uint64_t sub_tree = head_index;
  if (node && (!upgrade || node->last_index < upgrade->start)) {
    HC_TRY(root, nodes_to_root(node->index, node->nodes, to));
    sub_tree = root;
    uint64_t seek_root = head_index;
    if (seek) {
      HC_TRY(found, producer.seek_untrusted(sub_tree, request.seek->bytes, request.seek->padding));
      seek_root = found;
    }
    HC_CHECK(producer.block_and_seek_proof(node, seek, seek_root, sub_tree, p));
  } else if ((node || seek) && upgrade) {
    if (seek) {
      HC_TRY(found, producer.seek_from_head(to, request.seek->bytes, request.seek->padding));
      sub_tree = found;
    } else {
      sub_tree = node->index;
    }
  }

  if (upgrade) {
    HC_CHECK(producer.upgrade_proof(node, seek, from, to, sub_tree, p));
    if (head_index > to) producer.additional_upgrade_proof(to, head_index, p);
  }

  if (request.block) {
    if (!p.node) return fail(errc::invalid_argument, "proof: invalid block request " + str(request.block->index));
    HC_TRY(list, producer.settle(p.node));
    result.block = Proof::Block{request.block->index, {}, std::move(list)};
  } else if (request.hash) {
    if (!p.node) return fail(errc::invalid_argument, "proof: invalid hash request " + str(request.hash->index));
    HC_TRY(list, producer.settle(p.node));
    result.hash = Proof::Hash{request.hash->index, std::move(list)};
  }
  if (seek && p.seek) {
    HC_TRY(list, producer.settle(p.seek));
    result.seek = Proof::Seek{request.seek->bytes, std::move(list)};
  }
  if (upgrade) {
    HC_TRY(list, producer.settle(p.upgrade));
    HC_TRY(additional, producer.settle(p.additional));
    result.upgrade = Proof::Upgrade{upgrade->start, upgrade->length, std::move(list), std::move(additional),
                                    head.signature};
  }
  return result;
}

Result<Proof> make_proof(const NodeReader& nodes, const TreeHead& head, const ProofRequest& request,
                         const Identity& identity) {
  ProofRequest adjusted = request;
  const auto& manifest = identity.manifest();
  // Below the prologue there are no signatures: upgrades always reach exactly its length.
  if (manifest && manifest->prologue && adjusted.upgrade) {
    const uint64_t prologue_length = manifest->prologue->length;
    if (adjusted.upgrade->start < prologue_length) {
      adjusted.upgrade->start = 0;
      adjusted.upgrade->length = prologue_length;
    }
  }
  HC_TRY(proof, make_proof(nodes, head, adjusted));
  if (request.manifest && !identity.compat() && manifest) proof.manifest = *manifest;
  return proof;
}

Result<uint64_t> byte_offset(const NodeReader& nodes, const TreeHead& head, uint64_t index) {
  if (head.length > kMaxLength || !roots_match_length(head)) {
    return fail(errc::invalid_argument, "byte offset: tree head of length " + str(head.length) + " has the wrong roots");
  }
  if (index > 2 * head.length ||
      (index < 2 * head.length && flat_tree::right_span(index) >= 2 * head.length)) {
    return fail(errc::out_of_range, "byte offset: tree index " + str(index) + " is beyond the tree");
  }
  return Producer(nodes, head).byte_offset(index);
}

Result<std::pair<uint64_t, uint64_t>> seek_bytes(const NodeReader& nodes, const TreeHead& head, uint64_t bytes,
                                                 uint64_t padding) {
  using Pos = std::pair<uint64_t, uint64_t>;
  if (head.length > kMaxLength || !roots_match_length(head)) {
    return fail(errc::invalid_argument, "seek: tree head of length " + str(head.length) + " has the wrong roots");
  }
  Producer producer(nodes, head);
  Wide rest = bytes;
  if (rest == 0) return Pos{0, 0};
  for (const Node& root : head.roots) {
    Wide size = unpadded_size(root, padding, flat_tree::leaves(root.index));
    if (rest == size) return Pos{(flat_tree::right_span(root.index) + 2) / 2, 0};
    if (rest > size) {
      rest -= size;
      continue;
    }
    FlatIterator ite(root.index);
    while (ite.index() & 1) {
      HC_TRY(left, producer.peek(ite.left_child()));
      if (!left) {
        return fail(errc::block_not_available, "seek to byte " + str(bytes) + ": tree node " + str(ite.index()) +
                                                   " is not stored");
      }
      size = unpadded_size(*left, padding, ite.leaves());
      if (size == rest) return Pos{(ite.right_span() + 2) / 2, 0};
      if (size > rest) continue;
      rest -= size;
      ite.sibling();
    }
    return Pos{ite.index() / 2, static_cast<uint64_t>(rest)};
  }
  return fail(errc::out_of_range, "seek to byte " + str(bytes) + ": beyond the end of the log");
}

}  // namespace hypercore
