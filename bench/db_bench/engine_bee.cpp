// bee over a directory storage: one Hypercore per database folder, BeeOptions and
// CoreOptions at their defaults except the durability level (and, for the "bee-bigcache"
// variant, BeeOptions::cache_bytes).
//
// Counters: the public API exposes the core's length and byte length and a watch called
// once per append, and every append signs the new head exactly once (hypercore/core.hpp),
// so "signatures" counts append events. The bytes BLAKE2b hashes are not counted inside
// hypercore; they are computed from the Merkle tree's definition (docs/format): per block
// 1 + 8 + its size (leaf), per new parent node 1 + 8 + 32 + 32, per append the tree hash
// over the roots, 1 + 48 per root. That is what any correct implementation must hash once;
// signing's own SHA-512 is not included.
#include <bit>
#include <filesystem>

#include "bee/bee.hpp"
#include "engine.hpp"

namespace db_bench {
namespace {

using hypercore::ByteSpan;

uint64_t parents_of(uint64_t length) { return length - static_cast<uint64_t>(std::popcount(length)); }

class BeeEngine final : public Engine {
 public:
  BeeEngine(const EngineOptions& options, size_t cache_bytes) {
    std::error_code ec;
    bool exists = std::filesystem::exists(options.dir, ec) && !std::filesystem::is_empty(options.dir, ec);
    auto storage = hypercore::open_directory_storage(options.dir);
    if (!storage) fail_engine("bee", storage.error().to_string());
    hypercore::CoreOptions core_options;
    core_options.durability =
        options.durability == Durability::sync ? hypercore::Durability::sync : hypercore::Durability::os;
    auto core = exists ? hypercore::Core::open(*storage, core_options)
                       : hypercore::Core::create(*storage, key_pair(), core_options);
    if (!core) fail_engine("bee", core.error().to_string());
    core_ = std::shared_ptr<hypercore::Core>(std::move(*core));
    opened_length_ = core_->length();
    last_length_ = core_->length();
    last_byte_length_ = core_->byte_length();
    watch_ = core_->watch([this](const hypercore::CoreEvent& event) { on_event(event); });
    bee::BeeOptions bee_options;
    if (cache_bytes > 0) bee_options.cache_bytes = cache_bytes;
    auto bee = bee::Bee::open(core_, bee_options);
    if (!bee) fail_engine("bee", bee.error().to_string());
    bee_ = std::move(*bee);
  }
  ~BeeEngine() override { close(); }

  void put(std::string_view key, std::string_view value) override {
    auto r = bee_->put(hypercore::as_bytes(key), hypercore::as_bytes(value));
    if (!r) fail_engine("bee", r.error().to_string());
  }

  void write_batch(const std::vector<Write>& writes) override {
    auto batch = bee_->batch();
    for (const Write& w : writes) {
      auto r = w.del ? batch.del(hypercore::as_bytes(w.key))
                     : batch.put(hypercore::as_bytes(w.key), hypercore::as_bytes(w.value));
      if (!r) fail_engine("bee", r.error().to_string());
    }
    auto r = batch.flush();
    if (!r) fail_engine("bee", r.error().to_string());
  }

  bool get(std::string_view key, std::string* value) override {
    auto e = bee_->get(hypercore::as_bytes(key));
    if (!e) fail_engine("bee", e.error().to_string());
    if (!*e) return false;
    const auto& v = (*e)->value;
    if (v) value->assign(v->begin(), v->end());
    return true;
  }

  uint64_t scan(uint64_t* bytes) override { return drain(bee_->snapshot().range({}), bytes); }

  uint64_t range(std::string_view start, uint64_t limit, uint64_t* bytes) override {
    bee::Range r;
    r.gte = hypercore::to_bytes(start);
    r.limit = static_cast<int64_t>(limit);
    return drain(bee_->snapshot().range(r), bytes);
  }

  void del(std::string_view key) override {
    auto r = bee_->del(hypercore::as_bytes(key));
    if (!r) fail_engine("bee", r.error().to_string());
  }

  void close() override {
    if (!core_) return;
    watch_.reset();
    bee_.reset();
    auto r = core_->close();
    if (!r) fail_engine("bee", r.error().to_string());
    core_.reset();
  }

  std::vector<std::pair<std::string, uint64_t>> counters() const override {
    return {{"blocks_appended", last_length_ - opened_length_},
            {"bytes_hashed", bytes_hashed_},
            {"signatures", signatures_}};
  }

 private:
  static hypercore::KeyPair key_pair() {
    hypercore::Seed seed;
    seed.fill(7);
    return hypercore::KeyPair::from_seed(seed);
  }

  void on_event(const hypercore::CoreEvent& event) {
    if (event.kind != hypercore::CoreEvent::Kind::append) return;
    uint64_t blocks = event.length - event.previous_length;
    uint64_t byte_length = core_->byte_length();
    signatures_++;
    bytes_hashed_ += (byte_length - last_byte_length_) + 9 * blocks;
    bytes_hashed_ += 73 * (parents_of(event.length) - parents_of(event.previous_length));
    bytes_hashed_ += 1 + 48 * static_cast<uint64_t>(std::popcount(event.length));
    last_length_ = event.length;
    last_byte_length_ = byte_length;
  }

  uint64_t drain(bee::RangeIterator it, uint64_t* bytes) {
    uint64_t n = 0;
    while (true) {
      auto e = it.next();
      if (!e) fail_engine("bee", e.error().to_string());
      if (!*e) return n;
      if ((*e)->value) *bytes += (*e)->value->size();
      n++;
    }
  }

  std::shared_ptr<hypercore::Core> core_;
  std::unique_ptr<bee::Bee> bee_;
  std::shared_ptr<void> watch_;
  uint64_t opened_length_ = 0;
  uint64_t last_length_ = 0;
  uint64_t last_byte_length_ = 0;
  uint64_t bytes_hashed_ = 0;
  uint64_t signatures_ = 0;
};

}  // namespace

std::unique_ptr<Engine> open_bee(const EngineOptions& options, size_t cache_bytes) {
  return std::make_unique<BeeEngine>(options, cache_bytes);
}

}  // namespace db_bench
