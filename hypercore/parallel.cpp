#include "hypercore/internal/parallel.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace hypercore::internal {

namespace {

class Worker {
 public:
  Worker() : thread_([this] { loop(); }) {}
  ~Worker() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  // Runs `mine` here and `theirs` on the worker; false (nothing run) if the worker is busy.
  bool run_both(const std::function<void()>& mine, const std::function<void()>& theirs) {
    std::unique_lock owner(owner_, std::try_to_lock);
    if (!owner) return false;
    {
      std::lock_guard lock(mutex_);
      task_ = &theirs;
      done_ = false;
    }
    wake_.notify_one();
    mine();
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [this] { return done_; });
    return true;
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return task_ != nullptr || stop_; });
      if (stop_) return;
      const std::function<void()>* task = task_;
      task_ = nullptr;
      lock.unlock();
      (*task)();
      lock.lock();
      done_ = true;
      finished_.notify_one();
    }
  }

  std::mutex owner_;  // one caller at a time
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  const std::function<void()>* task_ = nullptr;
  bool done_ = true;
  bool stop_ = false;
  std::thread thread_;
};

Worker* worker() {
  static Worker* w = std::thread::hardware_concurrency() > 1 ? new Worker() : nullptr;  // lives until exit
  return w;
}

}  // namespace

void parallel_ranges(size_t n, size_t min_parallel, const std::function<void(size_t, size_t)>& fn) {
  if (n >= min_parallel && n >= 2) {
    if (Worker* w = worker()) {
      size_t mid = n / 2;
      if (w->run_both([&] { fn(0, mid); }, [&] { fn(mid, n); })) return;
    }
  }
  fn(0, n);
}

}  // namespace hypercore::internal
