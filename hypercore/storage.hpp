// The storage seam. Everything a Core persists goes through a Storage: a namespace of
// named random-access files ("<core>/log", "<core>/index", ...). Three implementations:
// files in a directory, memory, and a fault-injecting wrapper for tests. The on-disk
// layout a Core writes through it is described in docs/format/hypercore-storage.md.
//
// Thread-safety: a Storage and its Files may be used from several threads; each File
// serialises its own operations.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"

namespace hypercore {

// One file of a Storage. Offsets are absolute; there is no shared cursor.
class File {
 public:
  virtual ~File() = default;
  // Reads up to out.size() bytes at `offset`; returns how many were read (fewer only at
  // end of file).
  virtual Result<size_t> read(uint64_t offset, std::span<uint8_t> out) = 0;
  // Writes all of `data` at `offset`, extending the file (with zeros) if needed.
  virtual Result<void> write(uint64_t offset, ByteSpan data) = 0;
  virtual Result<uint64_t> size() = 0;
  virtual Result<void> truncate(uint64_t size) = 0;
  // Returns once every write so far is durable (fdatasync on a directory storage).
  virtual Result<void> sync() = 0;
  // Name within its storage, for error messages.
  virtual const std::string& name() const = 0;
  // True when reads are copies from memory rather than system calls (a mapped file), so
  // caching pages of it in the process would only cost memory.
  virtual bool reads_from_memory() const { return false; }
  // A hint that bytes [offset, offset + size) will be read soon: a mapped file starts
  // loading them into the processor's cache, so several reads' memory latencies overlap.
  // Never fails, never blocks; does nothing by default.
  virtual void prefetch(uint64_t offset, size_t size) { (void)offset, (void)size; }
};

// Who may hold a lock together: one exclusive holder (a writer), or any number of shared
// ones (read-only openers).
enum class LockMode { exclusive, shared };

class Storage {
 public:
  virtual ~Storage() = default;
  // Opens `name` (parts separated by '/'), creating it and its parent folders when
  // `create` is set; fails with errc::not_found otherwise.
  virtual Result<std::shared_ptr<File>> open(const std::string& name, bool create) = 0;
  virtual Result<bool> exists(const std::string& name) = 0;
  // Makes the creation of the files in folder `dir` durable ("" = the root).
  virtual Result<void> sync_dir(const std::string& dir) = 0;
  // Deletes folder `dir` ("a/b") and everything in it; nothing there is fine. Close what
  // uses those files first: files still open keep their old content, unreachable by name.
  virtual Result<void> remove_all(const std::string& dir) = 0;
  // Takes the lock named `name` for as long as the returned handle lives, so two processes
  // never write one core and nobody reads one while another writes it. Fails with
  // errc::locked naming the lock's file and whether a writer or readers hold it. Separate
  // opens conflict even within one process; the memory storage locks within the process.
  virtual Result<std::shared_ptr<void>> lock(const std::string& name, LockMode mode) = 0;
  // Human-readable location ("/var/db/x", "memory"), for messages.
  virtual std::string describe() const = 0;
};

struct DirectoryStorageOptions {
  // Open file descriptors kept at most, across every core in the storage (least recently
  // used ones are closed and reopened on demand). Locks are held separately, one per open
  // core. Default 64.
  size_t max_open_files = 64;
  // Create the root folder if it is missing; otherwise fail with errc::not_found.
  bool create_if_missing = true;
  // Read files through read-only shared memory mappings (a copy from the kernel's page
  // cache, no system call), falling back to pread() where a file cannot be mapped. A file
  // truncated by another program under a reader gives errc::corrupt, never a crash (the
  // library then handles SIGBUS, passing on faults that are not its own). Off: pread only.
  bool map_reads = true;
};

// Files under `root`; a missing root is created, or fails with not_found when
// options.create_if_missing is false.
Result<std::shared_ptr<Storage>> open_directory_storage(const std::string& root, DirectoryStorageOptions options = {});
// Everything in memory; lost when the last reference goes.
std::shared_ptr<Storage> make_memory_storage();

}  // namespace hypercore
