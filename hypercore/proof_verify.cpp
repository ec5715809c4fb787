// Merkle proofs, requester side: verify_proof and the checks it is built from.
// Ported from the reference's lib/merkle-tree.js (hypercore 10.38.2): verifyTree /
// verifyUpgrade; the responder side is in proof.cpp. As there, the control flow follows
// the reference step by step, and checks added against hostile input say so.
// The verifier is stricter than the reference in four places, none of which an honest
// peer trips: it compares an unconsumed proof root with the stored node by size as well
// as hash, refuses left-over upgrade nodes, requires upgrade.start to be the local length
// (0 for a fork proof), and refuses a proof carrying both a block and a hash.
#include "hypercore/proof.hpp"

#include <limits>
#include <optional>
#include <set>
#include <span>
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

// A real proof list holds about one node per tree level (at most 2 x 57); a longer one is
// hostile and refused before any work is done.
constexpr size_t kMaxProofNodes = 256;

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

Result<std::vector<Node>> internal::extend_by_patch(std::span<const Node> roots, uint64_t length, uint64_t patch,
                                                    std::span<const Node> patch_nodes) {
  if (length > kMaxLength || patch > kMaxLength - length) {
    return fail(errc::invalid_proof, "patch: length out of range");
  }
  HC_CHECK(check_list(patch_nodes, "patch"));
  auto lookup = [&](uint64_t index) -> Result<Node> {
    // Last one wins, as in the reference's Map.
    for (auto it = patch_nodes.rbegin(); it != patch_nodes.rend(); ++it) {
      if (it->index == index) return *it;
    }
    return fail(errc::invalid_proof, "patch: node " + str(index) + " missing");
  };
  // generateUpgrade: the upgrade nodes from `length` to `length + patch`, looked up by index.
  Proof::Upgrade up{length, patch, {}, {}, {}};
  const uint64_t from = 2 * length;
  const uint64_t to = from + 2 * patch;
  bool started = false;
  for (FlatIterator ite(0); ite.full_root(to); ite.next_tree()) {
    if (ite.index() + ite.factor() / 2 < from) continue;
    if (!started && from > 0 && ite.contains(from - 2)) {
      started = true;
      const uint64_t root = ite.index();
      const uint64_t target = from - 2;
      ite.seek(target);
      while (ite.index() != root) {
        ite.sibling();
        if (ite.index() > target) {
          HC_TRY(n, lookup(ite.index()));
          up.nodes.push_back(n);
        }
        ite.parent();
      }
      continue;
    }
    started = true;
    HC_TRY(n, lookup(ite.index()));
    up.nodes.push_back(n);
  }
  std::vector<Node> out_roots(roots.begin(), roots.end());
  std::vector<Node> proven;
  HC_CHECK(verify_upgrade(up, std::nullopt, std::nullopt, out_roots, proven));
  HC_CHECK(checked_sum(out_roots, "patch"));
  return out_roots;
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
    if (!signer.verify(next.roots, next.length, next.fork, next.signature)) {
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

}  // namespace hypercore
