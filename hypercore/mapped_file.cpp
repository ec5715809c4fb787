#include "hypercore/internal/mapped_file.hpp"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace hypercore::internal {

namespace {

// The guard of the copy running on this thread, if any. Set and cleared around the copy
// only, so the handler touches a thread-local that this thread has already used.
thread_local sigjmp_buf* t_guard = nullptr;
struct sigaction g_previous;

void on_sigbus(int sig, siginfo_t* info, void* context) {
  if (sigjmp_buf* env = t_guard) {
    t_guard = nullptr;
    siglongjmp(*env, 1);
  }
  // Not a guarded copy: whatever handled SIGBUS before us does (by default the process dies
  // when the faulting instruction runs again).
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler == SIG_DFL || g_previous.sa_handler == SIG_IGN) {
    ::signal(SIGBUS, SIG_DFL);
    return;
  }
  g_previous.sa_handler(sig);
}

void install_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    // NODEFER: the handler leaves by siglongjmp without restoring the signal mask, so
    // SIGBUS must not stay blocked after it.
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &g_previous);
  });
}

constexpr uint64_t kMinMapping = 1 << 20;

}  // namespace

bool guarded_copy(void* to, const void* from, size_t n) {
  static std::atomic<bool> installed{false};
  if (!installed.load(std::memory_order_acquire)) {
    install_handler();
    installed.store(true, std::memory_order_release);
  }
  sigjmp_buf env;
  // 0: no signal mask saved (that would be a system call per copy).
  if (sigsetjmp(env, 0) != 0) return false;
  t_guard = &env;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  std::memcpy(to, from, n);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  t_guard = nullptr;
  return true;
}

MappedFile::~MappedFile() {
  for (auto& m : mappings_) ::munmap(const_cast<uint8_t*>(m->base), m->length);
}

Result<bool> MappedFile::read(int fd, uint64_t offset, std::span<uint8_t> out) {
  if (out.empty()) return true;
  uint64_t end = offset + out.size();
  if (end < offset) return false;
  uint64_t known = known_size_.load(std::memory_order_acquire);
  const Mapping* m = current_.load(std::memory_order_acquire);
  if (known == kUnknown || !m || end > m->length) {
    std::lock_guard lock(mutex_);
    if (unmappable_) return false;
    if (known_size_.load() == kUnknown) {
      struct stat st;
      if (::fstat(fd, &st) != 0) return false;  // the system call path reports it
      known_size_.store(uint64_t(st.st_size));
    }
    known = known_size_.load();
    if (end > known) return false;
    if (!current_.load() || end > current_.load()->length) remap(fd, end);
    m = current_.load();
    if (!m || end > m->length) return false;  // a failed remap leaves the old, shorter mapping
  }
  if (end > known) return false;
  if (guarded_copy(out.data(), m->base + offset, out.size())) return true;
  std::lock_guard lock(mutex_);
  struct stat st;
  if (::fstat(fd, &st) == 0) known_size_.store(std::min<uint64_t>(known_size_.load(), uint64_t(st.st_size)));
  return fail(errc::corrupt, "read " + path_ + " at offset " + std::to_string(offset) +
                                 ": the mapped file could not be read there (another program truncated it, or "
                                 "the device failed)");
}

void MappedFile::prefetch(uint64_t offset, size_t size) const {
  const Mapping* m = current_.load(std::memory_order_acquire);
  uint64_t known = known_size_.load(std::memory_order_acquire);
  if (!m || known == kUnknown || offset >= std::min(known, m->length)) return;
  // A block's first lines are what a decoder reads first; a long one streams in anyway.
  uint64_t end = std::min<uint64_t>({offset + std::min<uint64_t>(size, 512), known, m->length});
  for (uint64_t at = offset & ~uint64_t(63); at < end; at += 64) __builtin_prefetch(m->base + at);
}

void MappedFile::remap(int fd, uint64_t needed) {
  // Twice what is needed, so a growing file is remapped a logarithmic number of times.
  uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
  uint64_t length = std::max(kMinMapping, 2 * needed);
  length = (length + page - 1) / page * page;
  void* base = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    // A file system that cannot map (or no address space left): system calls from now on.
    unmappable_ = true;
    return;
  }
  mappings_.push_back(std::make_unique<Mapping>(Mapping{static_cast<const uint8_t*>(base), length}));
  current_.store(mappings_.back().get(), std::memory_order_release);
}

void MappedFile::wrote(uint64_t end) {
  std::lock_guard lock(mutex_);
  uint64_t known = known_size_.load();
  if (known != kUnknown && end > known) known_size_.store(end, std::memory_order_release);
}

void MappedFile::truncated(uint64_t size) {
  std::lock_guard lock(mutex_);
  uint64_t known = known_size_.load();
  if (known != kUnknown) known_size_.store(std::min(known, size), std::memory_order_release);
}

}  // namespace hypercore::internal
