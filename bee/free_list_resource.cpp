#include "bee/internal/free_list_resource.hpp"

#include <new>

namespace bee::internal {

void* FreeListResource::do_allocate(size_t bytes, size_t alignment) {
  if (bytes > kMaxSmall || alignment > kGrain) return ::operator new(bytes, std::align_val_t(alignment));
  size_t c = (bytes + kGrain - 1) / kGrain;
  if (c == 0) c = 1;
  if (FreeBlock* b = free_[c]) {
    free_[c] = b->next;
    return b;
  }
  size_t size = c * kGrain;
  if (size_t(end_ - next_) < size) {
    // Plain new: it is aligned enough, and an aligned new goes through memalign, whose
    // search for an aligned piece costs more than the rest of a batch's chunk handling.
    static_assert(kGrain <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    chunks_.push_back(::operator new(kChunkBytes));
    next_ = static_cast<char*>(chunks_.back());
    end_ = next_ + kChunkBytes;
  }
  void* p = next_;
  next_ += size;
  return p;
}

void FreeListResource::do_deallocate(void* p, size_t bytes, size_t alignment) {
  if (bytes > kMaxSmall || alignment > kGrain) {
    ::operator delete(p, std::align_val_t(alignment));
    return;
  }
  size_t c = (bytes + kGrain - 1) / kGrain;
  if (c == 0) c = 1;
  auto* b = static_cast<FreeBlock*>(p);
  b->next = free_[c];
  free_[c] = b;
}

void FreeListResource::release() {
  for (void* chunk : chunks_) ::operator delete(chunk);
  chunks_.clear();
  for (FreeBlock*& f : free_) f = nullptr;
  next_ = end_ = nullptr;
}

}  // namespace bee::internal
