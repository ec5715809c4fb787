// Bee: opening a database over a core, versions and snapshots. The write path is in
// tree_writer.cpp and batch.cpp, reads in snapshot.cpp and the iterators.
#include "bee/bee.hpp"

#include "bee/internal/block_store.hpp"
#include "bee/internal/tree_writer.hpp"

namespace bee {

using hypercore::errc;
using hypercore::fail;

Bee::Bee(std::shared_ptr<hypercore::Core> core, BeeOptions options)
    : core_(std::move(core)), options_(std::move(options)) {
  store_ = std::make_shared<internal::BlockStore>(core_, options_.cache_bytes);
  writer_ = std::make_unique<internal::TreeWriter>(store_, options_);
}

Bee::~Bee() = default;

Result<std::unique_ptr<Bee>> Bee::open(std::shared_ptr<hypercore::Core> core, BeeOptions options) {
  if (!core) return fail(errc::invalid_argument, "no core given");
  std::unique_ptr<Bee> bee(new Bee(std::move(core), std::move(options)));
  // Block 0, when held, must be a hyperbee header: refuse to read some other log as a tree.
  if (bee->core_->length() > 0 && bee->core_->has(0)) HC_CHECK(bee->store_->header());
  return bee;
}

uint64_t Bee::version() const { return std::max<uint64_t>(1, core_->length()); }

Result<Header> Bee::header() const { return store_->header(); }

Snapshot Bee::snapshot() const { return Snapshot(store_, version()); }

Result<Snapshot> Bee::checkout(uint64_t v) const {
  if (v > version()) {
    return fail(errc::out_of_range, "version " + std::to_string(v) + " is beyond the current version " +
                                        std::to_string(version()));
  }
  return Snapshot(store_, std::max<uint64_t>(1, v));
}

hypercore::Core& Bee::core() { return *core_; }

Snapshot::Snapshot(std::shared_ptr<internal::BlockStore> store, uint64_t version)
    : store_(std::move(store)), version_(version) {}

}  // namespace bee
