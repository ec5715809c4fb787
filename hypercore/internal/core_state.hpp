// The state behind a Core, shared by its write path (core.cpp) and its open and recovery
// path (core_open.cpp).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hypercore/core.hpp"
#include "hypercore/internal/bitfield.hpp"
#include "hypercore/internal/core_format.hpp"
#include "hypercore/internal/page_cache.hpp"

namespace hypercore {

struct Core::Impl final : NodeReader {
  std::shared_ptr<Storage> storage;
  CoreOptions options;
  std::shared_ptr<void> lock;
  std::shared_ptr<File> header_file, log_file, index_file, tree_file, bitfield_file;
  // Index entries are written and read through this cache (a warm get is one read).
  std::unique_ptr<internal::PageCache> index_cache;

  Identity identity;
  std::optional<KeyPair> key_pair;
  bool secret_key_stored = false;
  TreeHead head;
  uint64_t byte_length = 0;
  internal::Bitfield bitfield;
  uint64_t contiguous = 0;

  uint64_t log_end = 0;            // where the next record goes
  uint64_t checkpoint_offset = 0;  // log bytes covered by the header
  uint64_t header_sequence = 0;
  uint64_t bitfield_pages = 0;     // page records written to the bitfield file so far
  bool closed = false;
  std::optional<Error> failure;  // set by an I/O error mid-write: the core refuses writes

  // Listeners registered by Core::watch; expired ones are dropped when events fire.
  std::vector<std::weak_ptr<CoreListener>> listeners;
  void notify(const CoreEvent& event);

  // Truncations, for snapshots: (sequence number, length truncated to).
  uint64_t truncations = 0;
  std::vector<std::pair<uint64_t, uint64_t>> truncation_history;

  std::string file_name(const char* kind) const {
    return options.prefix.empty() ? std::string(kind) : options.prefix + "/" + kind;
  }
  std::string where() const { return storage->describe() + (options.prefix.empty() ? "" : "/" + options.prefix); }

  // NodeReader: the stored node, or nullopt when absent or outside the current tree.
  Result<std::optional<Node>> node(uint64_t index) const override;

  // Writes a record's effects to the index, tree and bitfield and to the in-memory head.
  // `data` holds the record's block bytes in order; `roots`, when given, are the new head's
  // roots (else they are read from the tree).
  Result<void> apply_record(const format::Record& record, uint64_t data_position, std::span<const ByteSpan> data,
                            const std::vector<Node>* roots);
  // Frames the record into the log, then applies it; syncs under Durability::sync.
  Result<void> commit(const format::Record& record, std::span<const ByteSpan> data, const std::vector<Node>* roots);
  Result<void> checkpoint();
  Result<void> writable_check() const;

  // Opening (core_open.cpp).
  Result<void> open_files(bool create);
  Result<void> load_bitfield();
  Result<void> replay_log(bool writable_files);
  Result<void> check_replayed_record(const format::Record& record, uint64_t position);
};

}  // namespace hypercore
