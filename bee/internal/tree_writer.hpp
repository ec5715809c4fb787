// The write path (spec §5): put, del, split, rebalance, block layout and batches with the
// reference's quirks, producing byte-identical blocks. A port of the oracle's model.js.
#pragma once

#include <memory>
#include <optional>

#include "bee/bee.hpp"
#include "bee/internal/block_store.hpp"

namespace bee::internal {

class TreeWriter {
 public:
  TreeWriter(std::shared_ptr<BlockStore> store, const BeeOptions& options);
  ~TreeWriter();

  // Outside a batch each effective operation appends its block at once (after the header
  // block, when the core is empty). Return whether a block was (or, in a batch, will be)
  // written.
  Result<bool> put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas);
  // With the duplicate rule given per call (sub-databases always write duplicates).
  Result<bool> put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas, bool always_duplicate);
  Result<bool> del(ByteSpan key, const Cas& cas);

  void begin_batch();
  bool in_batch() const;
  // Appends every pending block in one core append.
  Result<void> flush_batch();
  void discard_batch();
  // A lookup that sees the pending operations of the open batch.
  Result<std::optional<Entry>> get(ByteSpan key);

  class State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace bee::internal
