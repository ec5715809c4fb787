// Reads of a directory storage's file through a read-only shared memory mapping, so a read
// is a copy from the kernel's page cache instead of a system call (the page cache becomes
// the block cache, and its pages are the kernel's to reclaim, not the process's memory).
//
// A mapping is only read below the size this process knows the file to have (its own writes
// and truncations, or a size read from the file). A file that another program truncates under
// us would make such a read fault with SIGBUS: every copy runs under a guard that turns that
// fault into an errc::corrupt error (see guarded_copy), so the process survives.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "hypercore/error.hpp"

namespace hypercore::internal {

// Copies n bytes from mapped memory; false if a SIGBUS (the file behind `from` is shorter
// than the mapping) interrupted it. Safe from any thread.
bool guarded_copy(void* to, const void* from, size_t n);

class MappedFile {
 public:
  explicit MappedFile(std::string path) : path_(std::move(path)) {}
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Copies out.size() bytes at `offset` if they lie inside the known size: true if it did,
  // false if the caller must read with a system call (not mapped yet, or beyond the known
  // size). `fd` is an open descriptor of the file, used only to map or remap it.
  // errc::corrupt if the file turned out to be shorter than known (truncated by another
  // program), after which the known size is read again.
  Result<bool> read(int fd, uint64_t offset, std::span<uint8_t> out);
  // Starts loading the bytes into the processor's cache if they are mapped (a prefetch
  // instruction never faults: a page that is not in memory is simply skipped).
  void prefetch(uint64_t offset, size_t size) const;
  // What this process did to the file, so the known size follows it.
  void wrote(uint64_t end);
  void truncated(uint64_t size);

 private:
  struct Mapping {
    const uint8_t* base = nullptr;
    uint64_t length = 0;
  };
  void remap(int fd, uint64_t needed);  // under mutex_; on failure, unmappable_

  std::string path_;
  std::mutex mutex_;  // remaps and size refreshes; reads take none
  std::atomic<const Mapping*> current_{nullptr};
  // kUnknown until the first map; never above the file's real size unless another program
  // shrank it.
  static constexpr uint64_t kUnknown = UINT64_MAX;
  std::atomic<uint64_t> known_size_{kUnknown};
  // Replaced mappings stay mapped until the file closes: a reader on another thread may
  // still be copying from one.
  std::vector<std::unique_ptr<Mapping>> mappings_;
  bool unmappable_ = false;
};

}  // namespace hypercore::internal
