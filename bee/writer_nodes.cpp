#include "bee/internal/writer_nodes.hpp"

namespace bee::internal::writer {

namespace {
// A node near the root would otherwise collect a source per split below it in a batch; a
// key found in none costs one cache lookup, not a wrong answer.
constexpr size_t kMaxAdopted = 8;
}  // namespace

CachedNode::KeyBytes held_bytes(const TreeNode& node, uint64_t seq) {
  if (const CachedNode* src = node.source.get()) {
    size_t at = src->find_key(seq);
    if (at < src->key_count()) return src->key_bytes_of(at);
  }
  for (const NodeRef& a : node.adopted) {
    size_t at = a->find_key(seq);
    if (at < a->key_count()) return a->key_bytes_of(at);
  }
  return {};
}

void adopt(TreeNode& to, const TreeNode& from) {
  auto add = [&](const NodeRef& r) {
    if (!r || r.get() == to.source.get() || to.adopted.size() >= kMaxAdopted) return;
    for (const NodeRef& a : to.adopted) {
      if (a.get() == r.get()) return;
    }
    to.adopted.push_back(r);
  };
  add(from.source);
  for (const NodeRef& a : from.adopted) add(a);
}

void prepare_nodes(BlockStore& store, uint64_t seq, const NodeBlock& block, const Index& index, uint64_t first,
                   std::span<const CachedNode::KeyBytes> batch_keys, PreparedNodes& out) {
  std::vector<CachedNode::KeyBytes>& keys = out.scratch;
  for (size_t j = 0; j < block.levels.size(); ++j) {
    const Level& level = block.levels[j];
    const TreeNode& node = *index[j]->node;
    keys.resize(level.keys.size());
    // Keys taken from the source keep their order, so the next one is usually right after
    // the last one found: one probe instead of a scan of the source per key.
    const CachedNode* src = node.source.get();
    size_t next = 0;
    for (size_t i = 0; i < level.keys.size(); ++i) {
      uint64_t k = level.keys[i];
      if (k >= first && k - first < batch_keys.size()) {
        keys[i] = batch_keys[k - first];
        continue;
      }
      if (src) {
        size_t at = next < src->key_count() && src->key_seq(next) == k ? next : src->find_key(k);
        if (at < src->key_count()) {
          keys[i] = src->key_bytes_of(at);
          next = at + 1;
          continue;
        }
      }
      keys[i] = held_bytes(node, k);
    }
    out.nodes.push_back(store.make_node(seq, uint32_t(j), level, block.key, own_key_at(block, seq, j), keys));
    if (node.source) out.superseded.emplace_back(node.source->seq(), node.source->level());
  }
}

void remember_nodes(BlockStore& store, const PreparedNodes& prepared) {
  for (const NodeRef& n : prepared.nodes) store.remember(n);
  for (const auto& [seq, level] : prepared.superseded) store.drop(seq, level);
}

}  // namespace bee::internal::writer
