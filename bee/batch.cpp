// Writes through a Bee: single operations, and batches whose blocks are appended together.
// The tree work is in tree_writer.cpp; this file holds the one-open-batch rule.
//
// A batch holds the bee's write lock from Bee::batch() until flush(), discard() or its
// destruction (the reference takes it at the first op; with synchronous calls the two are
// indistinguishable except that an empty open batch already refuses Bee::put). A Batch
// must not outlive its Bee.
#include "bee/bee.hpp"
#include "bee/internal/tree_writer.hpp"

namespace bee {

using hypercore::errc;
using hypercore::fail;

namespace {
std::unexpected<Error> batch_closed() {
  return fail(errc::invalid_argument, "batch: closed (flushed or discarded), or another batch was already open");
}
std::unexpected<Error> batch_is_open(const char* what) {
  return fail(errc::invalid_argument, std::string(what) + ": refused while a batch is open; write through it");
}
}  // namespace

Result<bool> Bee::put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas) {
  if (batch_open_) return batch_is_open("put");
  return writer_->put(key, value, cas);
}

Result<bool> Bee::put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas, bool always_duplicate) {
  if (batch_open_) return batch_is_open("put");
  return writer_->put(key, value, cas, always_duplicate);
}

Result<bool> Bee::del(ByteSpan key, const Cas& cas) {
  if (batch_open_) return batch_is_open("del");
  return writer_->del(key, cas);
}

// A second batch while one is open is a closed batch: its operations fail.
Batch Bee::batch() {
  if (batch_open_) return Batch(nullptr);
  batch_open_ = true;
  writer_->begin_batch();
  return Batch(this);
}

Batch::Batch(Bee* bee) : bee_(bee) {}

Batch::Batch(Batch&& other) noexcept : bee_(std::exchange(other.bee_, nullptr)) {}

Batch& Batch::operator=(Batch&& other) noexcept {
  if (this != &other) {
    discard();
    bee_ = std::exchange(other.bee_, nullptr);
  }
  return *this;
}

Batch::~Batch() { discard(); }

Result<bool> Batch::put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas) {
  if (!bee_) return batch_closed();
  return bee_->writer_->put(key, value, cas);
}

Result<bool> Batch::put(ByteSpan key, std::optional<ByteSpan> value, const Cas& cas, bool always_duplicate) {
  if (!bee_) return batch_closed();
  return bee_->writer_->put(key, value, cas, always_duplicate);
}

Result<bool> Batch::del(ByteSpan key, const Cas& cas) {
  if (!bee_) return batch_closed();
  return bee_->writer_->del(key, cas);
}

Result<std::optional<Entry>> Batch::get(ByteSpan key) const {
  if (!bee_) return batch_closed();
  return bee_->writer_->get(key);
}

// The batch ends whether or not the append succeeds: compaction has already renumbered
// its records, so it could not be appended again.
Result<void> Batch::flush() {
  if (!bee_) return batch_closed();
  Bee* bee = std::exchange(bee_, nullptr);
  bee->batch_open_ = false;
  return bee->writer_->flush_batch();
}

void Batch::discard() {
  if (!bee_) return;
  Bee* bee = std::exchange(bee_, nullptr);
  bee->writer_->discard_batch();
  bee->batch_open_ = false;
}

}  // namespace bee
