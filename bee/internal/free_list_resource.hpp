// A memory resource for the writer's many small, short-lived objects (tree nodes, child
// records, level indexes): size-class free lists carved from large chunks, so an allocation
// or a free is a pointer swap. std::pmr::unsynchronized_pool_resource costs several times
// more per call (a search over its chunk bitmaps). Not thread-safe; memory is returned by
// release() (every object must be gone) or the destructor.
#pragma once

#include <cstddef>
#include <memory_resource>
#include <vector>

namespace bee::internal {

class FreeListResource : public std::pmr::memory_resource {
 public:
  FreeListResource() = default;
  FreeListResource(const FreeListResource&) = delete;
  FreeListResource& operator=(const FreeListResource&) = delete;
  ~FreeListResource() override { release(); }

  void release();

 private:
  static constexpr size_t kGrain = 16;        // size classes of 16 bytes, 16-byte aligned
  static constexpr size_t kMaxSmall = 1024;   // larger blocks go to operator new
  static constexpr size_t kChunkBytes = 64 << 10;

  struct FreeBlock {
    FreeBlock* next;
  };

  void* do_allocate(size_t bytes, size_t alignment) override;
  void do_deallocate(void* p, size_t bytes, size_t alignment) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override { return this == &other; }

  FreeBlock* free_[kMaxSmall / kGrain + 1] = {};
  std::vector<void*> chunks_;
  char* next_ = nullptr;  // unused rest of the newest chunk
  char* end_ = nullptr;
};

}  // namespace bee::internal
