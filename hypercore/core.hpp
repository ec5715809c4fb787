// A Hypercore 10 log: an append-only sequence of blocks under a Merkle tree whose state is
// signed with Ed25519, byte-compatible with the Node.js reference (hypercore 10.38.2).
// A Core is either writable (it holds the secret key), or a replica opened from the key
// alone that is filled block by block from verified proofs (a sparse replica holding
// blocks 5..9 of 20 is a normal state).
//
// Durability (the `durability` option): append and truncate write to the OS before they
// return, so a returned call survives the process being killed (kill -9) under either
// setting. With Durability::sync the log is also fdatasync'ed before the call returns, so
// it survives power loss; with Durability::os call flush() to get that guarantee for
// everything appended so far. Reopening after any crash recovers the last consistent
// state; a store whose bytes fail their checksums fails with errc::corrupt naming the file
// and offset, never returning wrong data.
//
// Thread-safety: none; use one Core from one thread at a time (a Snapshot likewise).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/error.hpp"
#include "hypercore/manifest.hpp"
#include "hypercore/merkle.hpp"
#include "hypercore/proof.hpp"
#include "hypercore/storage.hpp"

namespace hypercore {

enum class Durability {
  os,    // writes reach the OS before a call returns: survives kill -9, not power loss
  sync,  // and the log is fdatasync'ed: survives power loss
};

struct CoreOptions {
  // Where in the storage the core's files live ("" = the storage root, one core per
  // directory; "cores/<hex discovery key>" when a storage holds many).
  std::string prefix;
  Durability durability = Durability::os;
  // Largest block append accepts (the reference refuses over 15 MiB).
  size_t max_block_size = 15 * 1024 * 1024;
  // Log bytes written after which the index, tree and bitfield are checkpointed, which
  // bounds the replay work of the next open. Default 64 MiB.
  uint64_t checkpoint_bytes = 64ull << 20;
  // Memory for cached pages of the block index (16 bytes per block), so a warm get is one
  // read of the block's bytes. 0 disables it. Default 4 MiB (262,144 blocks).
  size_t index_cache_bytes = 4 << 20;
  // open(): signs with this key pair when the store holds no secret key (a core created
  // elsewhere); its public key must be a signer of the core, else errc::invalid_argument.
  std::optional<KeyPair> key_pair;
  // open(): a reader that writes nothing to the storage (except a missing lock file,
  // which it creates so that a writer cannot start unseen). It takes the lock shared (any
  // number of readers, no writer: errc::locked either way round), loads no secret key
  // (append, truncate and apply fail with errc::session_not_writable), replays the log
  // written after the last checkpoint into memory instead of into the files, and close()
  // does not checkpoint. It sees the core as it was when opened. create() and
  // open_replica() refuse it.
  bool read_only = false;
  // A lock the caller holds that covers this core (a group's one lock over its many
  // cores), kept for as long as the core is open: the core then takes no lock of its own,
  // which saves a file descriptor per core. Empty: the core locks its own files.
  std::shared_ptr<void> held_lock;
};

// Everything `bee core info` shows.
struct CoreInfo {
  Hash key{};
  Hash discovery_key{};
  uint64_t length = 0;
  uint64_t byte_length = 0;
  uint64_t fork = 0;
  uint64_t contiguous_length = 0;  // blocks 0..n-1 all held locally
  Hash tree_hash{};
  Bytes signature;  // empty at length 0
  bool writable = false;
  bool compat = true;
};

class Snapshot;

// What changed the core's head: blocks appended (by this process or applied from a
// peer's proof) or a truncation.
struct CoreEvent {
  enum class Kind { append, truncate };
  Kind kind = Kind::append;
  uint64_t length = 0;           // the new length
  uint64_t previous_length = 0;  // the length before the change
  uint64_t fork = 0;
};
using CoreListener = std::function<void(const CoreEvent&)>;

class Core {
 public:
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // A new writable core signed by `key_pair` in compat mode (key = public key), or by the
  // given manifest. Fails with errc::already_exists if the location holds a core.
  static Result<std::unique_ptr<Core>> create(std::shared_ptr<Storage> storage, const KeyPair& key_pair,
                                              CoreOptions options = {});
  static Result<std::unique_ptr<Core>> create(std::shared_ptr<Storage> storage, const KeyPair& key_pair,
                                              const Manifest& manifest, CoreOptions options = {});
  // Opens the core stored at options.prefix; writable if its secret key is stored.
  static Result<std::unique_ptr<Core>> open(std::shared_ptr<Storage> storage, CoreOptions options = {});
  // Opens, or creates empty, a replica of the core with this key (no secret key).
  static Result<std::unique_ptr<Core>> open_replica(std::shared_ptr<Storage> storage, const Hash& key,
                                                    CoreOptions options = {});

  // Appends blocks and signs the new length once. Returns the new length.
  Result<uint64_t> append(std::span<const ByteSpan> blocks);
  Result<uint64_t> append(ByteSpan block) { return append(std::span<const ByteSpan>(&block, 1)); }
  // Drops blocks >= new_length and signs the new state with fork + 1 (or `fork`).
  Result<void> truncate(uint64_t new_length, std::optional<uint64_t> fork = std::nullopt);
  // Makes every completed append durable (fdatasync), whatever the durability option.
  Result<void> flush();
  // Checkpoints and releases the files. Further calls fail with errc::closed.
  Result<void> close();

  // The block's bytes; errc::block_not_available if not held, errc::out_of_range if
  // index >= length.
  Result<Bytes> get(uint64_t index) const;
  // get() into `out`, whose capacity is reused: a reader of many blocks allocates once.
  Result<void> get_into(uint64_t index, Bytes& out) const;
  // A hint that these blocks will be read soon (a tree node's keys, a scan's next node):
  // where the storage maps its files, their bytes start loading at once, so the reads that
  // follow wait for memory once instead of once per block. Skips what it cannot find.
  void prefetch(std::span<const uint64_t> indices) const;
  bool has(uint64_t index) const;
  // The block containing byte offset `bytes`, and the offset inside it.
  Result<std::pair<uint64_t, uint64_t>> seek(uint64_t bytes) const;

  uint64_t length() const;
  uint64_t byte_length() const;
  uint64_t fork() const;
  uint64_t contiguous_length() const;
  Hash tree_hash() const;
  const Bytes& signature() const;
  const Hash& key() const;
  Hash discovery_key() const;
  bool writable() const;
  const Identity& identity() const;
  const TreeHead& head() const;
  CoreInfo info() const;

  // Calls `listener` after every change of the head, on the thread that made it, until the
  // returned handle is destroyed. A listener must not destroy the core.
  std::shared_ptr<void> watch(CoreListener listener);

  // A read view fixed at the current length. Reads through it fail with errc::out_of_range
  // once a truncation below its length has made it stale.
  Snapshot snapshot() const;

  // Re-hashes every held block, rebuilds the tree and checks the stored nodes, roots and
  // signature. The first failure is returned (errc::corrupt, errc::invalid_signature).
  Result<void> verify() const;

  // The Merkle tree as stored, for proofs.
  const NodeReader& nodes() const;

  // Proofs: produce one for a peer's request, check one from a peer against local state,
  // and store what a checked proof established (blocks, nodes, a new signed head).
  Result<Proof> proof(const ProofRequest& request) const;
  Result<VerifiedProof> verify_proof(const Proof& proof) const;
  Result<void> apply(const VerifiedProof& verified);

  struct Impl;

 private:
  explicit Core(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Snapshot;
};

class Snapshot {
 public:
  uint64_t length() const { return length_; }
  uint64_t fork() const { return fork_; }
  Result<Bytes> get(uint64_t index) const;

 private:
  friend class Core;
  Snapshot(const Core* core, uint64_t length, uint64_t fork, uint64_t truncations)
      : core_(core), length_(length), fork_(fork), truncations_(truncations) {}
  const Core* core_;
  uint64_t length_;
  uint64_t fork_;
  uint64_t truncations_;
};

}  // namespace hypercore
