// Views: what a group's ops are folded into. A view is a deterministic reducer over the
// ops of every member's log, written into a local Bee (the view's own log), kappa-core's
// `core.use(name, version, {map})`. The driver (multi/group.hpp) hands it batches of ops
// in an order it does not promise: the content a view writes must depend only on the set
// of ops it was given, never on their order or on how they were batched. The view's writes
// and the driver's record of what it indexed go into one flush (one append), so no crash
// separates them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "bee/bee.hpp"
#include "multi/op.hpp"

namespace multi {

// One op handed to a view: its address, and the op (put or del; the driver keeps header
// and membership ops to itself).
struct IndexedOp {
  OpId id;
  const Op* op = nullptr;
};

// A view's writes: a bee::Batch that refuses the keys the driver keeps its state in
// (every key starting with byte 0x00), and reads through the pending writes.
class ViewWriter {
 public:
  explicit ViewWriter(bee::Batch& batch) : batch_(batch) {}
  Result<void> put(ByteSpan key, ByteSpan value);
  Result<void> del(ByteSpan key);
  Result<std::optional<Bytes>> get(ByteSpan key) const;

 private:
  bee::Batch& batch_;
};

class View {
 public:
  virtual ~View() = default;
  // Letters, digits, '-' and '_'; names the view's folder (views/<name>/).
  virtual std::string_view name() const = 0;
  // Bump it when apply() changes: the view is rebuilt beside the old one, which keeps
  // answering (as it was) until the new one has caught up.
  virtual uint32_t version() const = 0;
  virtual Result<void> apply(std::span<const IndexedOp> ops, ViewWriter& out) = 0;
};

}  // namespace multi
