// The write path (tree_writer.cpp): a write's block layout (spec §5.2) and a batch's flush
// with its compaction (spec §5.7).
#include <algorithm>
#include <string>
#include <vector>

#include "bee/internal/tree_writer_state.hpp"

namespace bee::internal {

using hypercore::errc;
using hypercore::fail;

using namespace writer;

namespace {

CachedNode::KeyBytes written_key(ByteSpan key, std::optional<ByteSpan> value) {
  return {true, key, value.has_value(), true, value ? *value : ByteSpan()};
}

}  // namespace

const NodeBlock& BlockScratch::fill(ByteSpan key, std::optional<ByteSpan> value, const Index& index) {
  block_.key.assign(key.begin(), key.end());
  if (value) {
    if (!block_.value) block_.value.emplace();
    block_.value->assign(value->begin(), value->end());
  } else {
    block_.value.reset();
  }
  std::vector<Level>& levels = block_.levels;
  while (levels.size() > index.size()) {
    spare_.push_back(std::move(levels.back()));
    levels.pop_back();
  }
  while (levels.size() < index.size()) {
    if (spare_.empty()) {
      levels.emplace_back();
    } else {
      levels.push_back(std::move(spare_.back()));
      spare_.pop_back();
    }
  }
  for (size_t j = 0; j < index.size(); ++j) {
    const TreeNode& node = *index[j]->node;
    Level& level = levels[j];
    level.keys.assign(node.keys.begin(), node.keys.end());
    level.children.resize(node.children.size() * 2);
    for (size_t c = 0; c < node.children.size(); ++c) {
      level.children[2 * c] = node.children[c]->seq;
      level.children[2 * c + 1] = node.children[c]->offset;
    }
  }
  return block_;
}

// Pre-order over the changed nodes: their records get (seq, offset) and join the index.
uint64_t TreeWriter::State::visit_changed(TreeNode& node, uint64_t seq, Index& index) {
  uint64_t offset = index.size();
  index.push_back(nullptr);
  node.changed = false;
  for (const PtrRef& rec : node.children) {
    if (!rec->node || !rec->node->changed) continue;
    rec->seq = seq;
    rec->offset = visit_changed(*rec->node, seq, index);
    index[rec->offset] = rec;
  }
  return offset;
}

// §5.2: level 0 is the root, then the changed nodes in pre-order.
Result<void> TreeWriter::State::write(NodePtr root_node, uint64_t seq, ByteSpan key, std::optional<ByteSpan> value) {
  Index index(arena_.pool());
  index.reserve(8);  // deeper than most trees: one allocation
  visit_changed(*root_node, seq, index);
  index[0] = arena_.ptr(seq, 0, root_node);
  current_seq_.reset();

  if (batch_) {
    std::optional<std::pmr::vector<uint8_t>> v;
    if (value) v.emplace(value->begin(), value->end(), arena_.pool());
    pending_.push_back(PendingBlock{seq, std::pmr::vector<uint8_t>(key.begin(), key.end(), arena_.pool()),
                                   std::move(v), std::move(index)});
    return {};
  }
  const NodeBlock& block = scratch_.fill(key, value, index);
  Bytes bytes = encode_node(block);
  PreparedNodes prepared;
  CachedNode::KeyBytes own = written_key(key, value);
  prepare_nodes(*store_, seq, block, index, seq, std::span(&own, 1), prepared);
  HC_CHECK(store_->core().append(ByteSpan(bytes)));
  remember_nodes(*store_, prepared);
  return {};
}

// §5.7: every block but the last loses its superseded root and the levels rewritten later
// in the batch; the survivors are renumbered in place (their parents emit the new offsets).
Result<void> TreeWriter::State::flush() {
  if (pending_.empty()) {
    end_batch();
    return {};
  }
  const uint64_t first = pending_.front().seq;
  std::vector<CachedNode::KeyBytes> batch_keys;
  batch_keys.reserve(pending_.size());
  for (const PendingBlock& p : pending_) {
    batch_keys.push_back(written_key(p.key, p.value ? std::optional<ByteSpan>(*p.value) : std::nullopt));
  }
  std::vector<Bytes> blocks;
  blocks.reserve(pending_.size());
  // The blocks' nodes go to the cache after the append: the next batch reads them first.
  PreparedNodes prepared;
  for (size_t i = 0; i < pending_.size(); ++i) {
    PendingBlock& p = pending_[i];
    Index& index = p.index;
    if (i + 1 < pending_.size()) {
      index[0] = nullptr;
      size_t j = 0;
      while (j < index.size()) {
        const PtrRef& rec = index[j];
        if (rec && rec->seq == p.seq) {
          rec->offset = j++;
          continue;
        }
        if (j + 1 == index.size()) {
          index.pop_back();
        } else {
          index[j] = index.back();
          index.pop_back();
        }
      }
    }
    const NodeBlock& block = scratch_.fill(p.key, p.value ? std::optional<ByteSpan>(*p.value) : std::nullopt, index);
    blocks.push_back(encode_node(block));
    prepare_nodes(*store_, p.seq, block, index, first, batch_keys, prepared);
  }
  end_batch();
  std::vector<ByteSpan> spans(blocks.begin(), blocks.end());
  HC_CHECK(store_->core().append(std::span<const ByteSpan>(spans)));
  remember_nodes(*store_, prepared);
  return {};
}

}  // namespace bee::internal
