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

PreparedNodes prepare_nodes(BlockStore& store, uint64_t first, const std::vector<NodeBlock>& written,
                            const std::vector<const Index*>& indexes) {
  PreparedNodes out;
  std::vector<CachedNode::KeyBytes> keys;
  for (size_t b = 0; b < written.size(); ++b) {
    const NodeBlock& block = written[b];
    uint64_t seq = first + b;
    bool deletion = is_deletion_block(block, seq);
    for (size_t j = 0; j < block.levels.size(); ++j) {
      const Level& level = block.levels[j];
      const TreeNode& node = *(*indexes[b])[j]->node;
      keys.assign(level.keys.size(), CachedNode::KeyBytes{});
      for (size_t i = 0; i < level.keys.size(); ++i) {
        uint64_t k = level.keys[i];
        if (k >= first && k - first < written.size()) {
          const NodeBlock& kb = written[k - first];
          keys[i] = {true, kb.key, kb.value.has_value(), true, kb.value ? ByteSpan(*kb.value) : ByteSpan()};
        } else {
          keys[i] = held_bytes(node, k);
        }
      }
      out.nodes.push_back(store.make_node(seq, uint32_t(j), level, block.key, deletion, keys));
      if (node.source) out.superseded.emplace_back(node.source->seq(), node.source->level());
    }
  }
  return out;
}

void remember_nodes(BlockStore& store, const PreparedNodes& prepared) {
  for (const NodeRef& n : prepared.nodes) store.remember(n);
  for (const auto& [seq, level] : prepared.superseded) store.drop(seq, level);
}

}  // namespace bee::internal::writer
