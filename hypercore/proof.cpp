// Merkle proofs, ported from the reference's lib/merkle-tree.js (hypercore 10.38.2):
// generateProof and its helpers for the responder, verifyTree / verifyUpgrade for the
// requester. The control flow deliberately follows the reference step by step (same
// iterator moves, same order of node lists) because the exact node lists are wire
// format: a peer rejects a proof whose nodes come in another order. Where the reference
// would loop forever or misbehave on hostile input, explicit checks are added and say so.
#include "hypercore/proof.hpp"

#include <limits>
#include <set>
#include <span>
#include <string>

#include "hypercore/flat_tree.hpp"
#include "hypercore/internal/flat_iterator.hpp"

namespace hypercore {

namespace {

using internal::FlatIterator;

// Longest tree (in blocks) either side accepts: index arithmetic then stays far below
// 2^64, and the reference, computing in doubles, is exact only below 2^53 anyway.
constexpr uint64_t kMaxLength = uint64_t{1} << 56;
constexpr uint64_t kMaxIndex = 2 * kMaxLength;
// A real proof list holds about one node per tree level (at most 2 x 57); a longer one is
// hostile and refused before any work is done.
constexpr size_t kMaxProofNodes = 256;

// Seek arithmetic subtracts padding per block and may go below zero in the reference
// (plain JS numbers); exact signed 128-bit values reproduce its comparisons.
__extension__ typedef __int128 Wide;

std::string str(uint64_t n) { return std::to_string(n); }

Wide unpadded_size(const Node& node, uint64_t padding, uint64_t leaves) {
  return static_cast<Wide>(node.size) - static_cast<Wide>(padding) * static_cast<Wide>(leaves);
}

Result<uint64_t> checked_sum(std::span<const Node> nodes, const char* what) {
  uint64_t sum = 0;
  for (const Node& n : nodes) {
    if (n.size > std::numeric_limits<uint64_t>::max() - sum) {
      return fail(errc::invalid_proof, std::string(what) + ": node sizes overflow 64 bits");
    }
    sum += n.size;
  }
  return sum;
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

// ---------------------------------------------------------------------------------------
// Requester side

// NodeQueue: proof nodes consumed in a fixed order, plus one node `extra` computed from
// the block or seek part that may stand in for any of them.
class NodeQueue {
 public:
  NodeQueue(std::span<const Node> nodes, std::optional<Node> extra) : nodes_(nodes), extra_(std::move(extra)) {}

  size_t size() const { return nodes_.size() - next_ + (extra_ ? 1 : 0); }
  size_t left_in_list() const { return nodes_.size() - next_; }
  bool extra_consumed() const { return !extra_; }

  Result<Node> shift(uint64_t index, const char* list) {
    if (extra_ && extra_->index == index) {
      Node n = *extra_;
      extra_.reset();
      return n;
    }
    if (next_ >= nodes_.size()) {
      return fail(errc::invalid_proof, std::string(list) + ": expected node " + str(index) + ", got none");
    }
    const Node& n = nodes_[next_++];
    if (n.index != index) {
      return fail(errc::invalid_proof,
                  std::string(list) + ": expected node " + str(index) + ", got node " + str(n.index));
    }
    return n;
  }

 private:
  std::span<const Node> nodes_;
  size_t next_ = 0;
  std::optional<Node> extra_;
};

Result<Node> combine(const Node& a, const Node& b) {
  if (a.size > std::numeric_limits<uint64_t>::max() - b.size) {
    return fail(errc::invalid_proof,
                "nodes " + str(a.index) + " and " + str(b.index) + ": sizes overflow 64 bits");
  }
  return parent_node(a, b);
}

Result<void> check_list(std::span<const Node> nodes, const char* list) {
  if (nodes.size() > kMaxProofNodes) {
    return fail(errc::invalid_proof, std::string(list) + ": " + str(nodes.size()) + " nodes, more than any tree needs");
  }
  for (const Node& n : nodes) {
    if (n.index >= kMaxIndex) {
      return fail(errc::invalid_proof, std::string(list) + ": node index " + str(n.index) + " out of range");
    }
  }
  return {};
}

// Folds a list of siblings onto `cur` (§6.2), recording every node given and computed.
Result<Node> fold(Node cur, NodeQueue& q, const char* list, std::vector<Node>& out) {
  FlatIterator ite(cur.index);
  out.push_back(cur);
  while (q.size() > 0) {
    HC_TRY(sibling, q.shift(ite.sibling(), list));
    ite.parent();
    HC_TRY(parent, combine(cur, sibling));
    out.push_back(sibling);
    out.push_back(parent);
    cur = parent;
  }
  return cur;
}

// verifyTree: the node the block/hash/seek parts prove, unverified until it meets the
// upgrade or a stored node.
Result<std::optional<Node>> verify_tree(const Proof& proof, std::vector<Node>& out) {
  const bool has_seek = proof.seek && !proof.seek->nodes.empty();
  if (!proof.block && !proof.hash && !has_seek) return std::optional<Node>();

  std::optional<Node> root;
  if (has_seek) {
    NodeQueue q(proof.seek->nodes, std::nullopt);
    HC_TRY(first, q.shift(proof.seek->nodes[0].index, "seek"));
    HC_TRY(folded, fold(first, q, "seek", out));
    root = folded;
  }
  if (!proof.block && !proof.hash) return root;

  const std::vector<Node>& nodes = proof.block ? proof.block->nodes : proof.hash->nodes;
  const char* list = proof.block ? "block" : "hash";
  NodeQueue q(nodes, root);
  Node first;
  if (proof.block) {
    first = leaf_node(proof.block->index, proof.block->value);
  } else {
    HC_TRY(given, q.shift(proof.hash->index, list));
    first = given;
  }
  HC_TRY(folded, fold(first, q, list, out));
  return std::optional<Node>(folded);
}

// appendRoot: adds a node right of the roots and merges siblings, keeping `ite` on the
// last root.
Result<void> append_root(const Node& node, FlatIterator& ite, std::vector<Node>& roots, std::vector<Node>& out) {
  roots.push_back(node);
  out.push_back(node);
  while (roots.size() > 1) {
    const Node a = roots[roots.size() - 1];
    const Node b = roots[roots.size() - 2];
    if (ite.sibling() != b.index) {
      ite.sibling();
      break;
    }
    ite.parent();
    HC_TRY(parent, combine(a, b));
    out.push_back(parent);
    roots.pop_back();
    roots.back() = parent;
  }
  return {};
}

// verifyUpgrade: extends `roots` with the upgrade and additional nodes. Returns whether
// `x` (the block/seek result) was used as one of the upgrade's nodes.
Result<bool> verify_upgrade(const Proof::Upgrade& up, std::optional<Node> x, const std::optional<Prologue>& prologue,
                            std::vector<Node>& roots, std::vector<Node>& out) {
  if (prologue && up.start < prologue->length && (up.start != 0 || up.length < prologue->length)) {
    return fail(errc::invalid_proof, "upgrade from " + str(up.start) + " does not cover the prologue");
  }

  NodeQueue q(up.nodes, std::move(x));
  bool grow = !roots.empty();
  size_t i = 0;
  const uint64_t to = 2 * (up.start + up.length);
  FlatIterator ite(0);
  for (; ite.full_root(to); ite.next_tree()) {
    if (i < roots.size() && roots[i].index == ite.index()) {
      i++;
      continue;
    }
    if (grow) {
      grow = false;
      const uint64_t root = ite.index();
      if (i < roots.size()) {
        // Merge into the old tail: climb from the last local root to this new root.
        if (!FlatIterator(root).contains(roots.back().index)) {
          return fail(errc::invalid_proof, "upgrade: root " + str(root) + " does not extend the local tree");
        }
        ite.seek(roots.back().index);
        while (ite.index() != root) {
          HC_TRY(n, q.shift(ite.sibling(), "upgrade"));
          HC_CHECK(append_root(n, ite, roots, out));
        }
        continue;
      }
    }
    HC_TRY(n, q.shift(ite.index(), "upgrade"));
    HC_CHECK(append_root(n, ite, roots, out));
  }
  if (roots.empty()) return fail(errc::invalid_proof, "upgrade: no roots");
  // Stricter than the reference, which ignores unused upgrade nodes: no honest responder
  // sends them, so they mark a malformed proof.
  if (q.left_in_list() > 0) {
    return fail(errc::invalid_proof, "upgrade: " + str(q.left_in_list()) + " nodes left over");
  }

  if (prologue) {
    uint64_t length = 0;
    for (const Node& r : roots) length += flat_tree::leaves(r.index);
    if (length == prologue->length && tree_hash(roots) != prologue->hash) {
      return fail(errc::invalid_proof, "upgrade: tree hash at the prologue length does not match the prologue");
    }
  }

  const std::vector<Node>& extra = up.additional_nodes;
  ite.seek(roots.back().index);
  size_t k = 0;
  while (k < extra.size() && extra[k].index == ite.sibling()) {
    HC_CHECK(append_root(extra[k++], ite, roots, out));
  }
  while (k < extra.size()) {
    const Node& n = extra[k++];
    while (n.index != ite.index()) {
      if (ite.factor() == 2) {
        return fail(errc::invalid_proof, "upgrade: unexpected additional node " + str(n.index));
      }
      ite.left_child();
    }
    HC_CHECK(append_root(n, ite, roots, out));
    ite.sibling();
  }
  return q.extra_consumed();
}

// The nodes proven, each once (the reference may list a node twice when it is both the
// block's root and an upgrade node).
std::vector<Node> unique_nodes(const std::vector<Node>& nodes) {
  std::vector<Node> out;
  std::set<uint64_t> seen;
  for (const Node& n : nodes) {
    if (seen.insert(n.index).second) out.push_back(n);
  }
  return out;
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

Result<VerifiedProof> verify_proof(const NodeReader& local, const TreeHead& local_head, const Identity& identity,
                                   const Proof& proof) {
  if (proof.fork < local_head.fork) {
    return fail(errc::invalid_proof,
                "proof is for fork " + str(proof.fork) + ", the local tree is at fork " + str(local_head.fork));
  }
  // A larger fork is a reorg: the proof must carry the whole new tree, checked without
  // relying on local state.
  const bool reorg = proof.fork > local_head.fork;
  if (reorg && !proof.upgrade) {
    return fail(errc::invalid_proof, "proof for fork " + str(proof.fork) + " carries no upgrade");
  }
  if (proof.block && proof.hash) return fail(errc::invalid_proof, "proof carries both a block and a hash");
  if (proof.block) {
    if (proof.block->index >= kMaxLength) return fail(errc::invalid_proof, "proof: block index out of range");
    HC_CHECK(check_list(proof.block->nodes, "block"));
  }
  if (proof.hash) {
    if (proof.hash->index >= kMaxIndex) return fail(errc::invalid_proof, "proof: tree index out of range");
    HC_CHECK(check_list(proof.hash->nodes, "hash"));
  }
  if (proof.seek) HC_CHECK(check_list(proof.seek->nodes, "seek"));
  if (proof.upgrade) {
    const auto& up = *proof.upgrade;
    if (up.start > kMaxLength || up.length > kMaxLength || up.start + up.length > kMaxLength) {
      return fail(errc::invalid_proof, "upgrade: length out of range");
    }
    if (up.length == 0) return fail(errc::invalid_proof, "upgrade of length 0");
    const uint64_t expected_start = reorg ? 0 : local_head.length;
    if (up.start != expected_start) {
      return fail(errc::invalid_proof, "upgrade starts at " + str(up.start) + ", the local tree has length " +
                                           str(expected_start));
    }
    HC_CHECK(check_list(up.nodes, "upgrade"));
    HC_CHECK(check_list(up.additional_nodes, "additional"));
  }

  VerifiedProof verified;
  verified.fork = proof.fork;
  std::vector<Node> proven;
  HC_TRY(x, verify_tree(proof, proven));

  bool consumed = !x;
  if (proof.upgrade) {
    const auto& up = *proof.upgrade;
    std::vector<Node> roots;
    if (!reorg) roots = local_head.roots;
    std::optional<Prologue> prologue;
    if (identity.manifest()) prologue = identity.manifest()->prologue;
    HC_TRY(used, verify_upgrade(up, x, prologue, roots, proven));
    consumed = used;

    TreeHead next;
    next.fork = proof.fork;
    for (const Node& r : roots) next.length += flat_tree::leaves(r.index);
    HC_CHECK(checked_sum(roots, "upgrade"));
    next.roots = std::move(roots);
    next.signature = up.signature;

    // A core that knows no manifest yet learns it from the first signed upgrade; a compat
    // core assumes the default signer manifest of its key.
    Identity signer = identity;
    if (!identity.manifest()) {
      Manifest manifest;
      if (proof.manifest) {
        manifest = *proof.manifest;
      } else if (identity.compat()) {
        manifest = Manifest::default_signer(identity.key());
      } else {
        return fail(errc::invalid_signature, "upgrade: no manifest to check the signature with");
      }
      if (!signer.learn_manifest(manifest)) {
        return fail(errc::invalid_signature, "upgrade: proof contains a manifest that does not match the key");
      }
      verified.manifest = manifest;
    }
    if (!signer.verify(next.tree_hash(), next.length, next.fork, next.signature)) {
      return fail(errc::invalid_signature, "upgrade to length " + str(next.length) + " at fork " + str(next.fork) +
                                               ": signature does not verify");
    }
    verified.upgrade = std::move(next);
  } else if (proof.manifest && !identity.manifest()) {
    if (proof.manifest->hash() != identity.key()) {
      return fail(errc::bad_manifest, "proof contains a manifest whose hash is not the key");
    }
    verified.manifest = *proof.manifest;
  }

  if (!consumed) {
    if (reorg) return fail(errc::invalid_proof, "fork proof: block part not covered by the upgrade");
    // Not part of the upgrade: it must be a node the local tree already trusts.
    const Node& node = *x;
    if (FlatIterator(node.index).right_span() >= 2 * local_head.length) {
      return fail(errc::invalid_proof, "proof: node " + str(node.index) + " is beyond the local tree");
    }
    std::optional<Node> stored;
    for (const Node& r : local_head.roots) {
      if (r.index == node.index) stored = r;
    }
    if (!stored) {
      HC_TRY(held, local.node(node.index));
      stored = held;
    }
    if (!stored) return fail(errc::invalid_proof, "proof: node " + str(node.index) + " is not held locally");
    if (stored->hash != node.hash || stored->size != node.size) {
      return fail(errc::invalid_proof, "proof: node " + str(node.index) + " does not match the local tree");
    }
  }

  if (proof.block) verified.block = std::make_pair(proof.block->index, proof.block->value);
  verified.nodes = unique_nodes(proven);
  return verified;
}

Result<uint64_t> byte_offset(const NodeReader& nodes, const TreeHead& head, uint64_t index) {
  if (head.length > kMaxLength || index > 2 * head.length ||
      (index < 2 * head.length && flat_tree::right_span(index) >= 2 * head.length)) {
    return fail(errc::out_of_range, "byte offset: tree index " + str(index) + " is beyond the tree");
  }
  return Producer(nodes, head).byte_offset(index);
}

Result<std::pair<uint64_t, uint64_t>> seek_bytes(const NodeReader& nodes, const TreeHead& head, uint64_t bytes,
                                                 uint64_t padding) {
  using Pos = std::pair<uint64_t, uint64_t>;
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
