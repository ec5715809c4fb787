// A progress bar on stderr for commands that may run long (bee batch, import, export). It
// stays silent unless stderr is a terminal and the work has already taken a second, so
// scripts, pipes and tests never see it; it is erased when the work ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace bee::cli {

class Progress {
 public:
  // `total` = 0 when unknown (a counter is shown instead of a bar).
  Progress(std::string label, uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(uint64_t done);
  // Erases the bar (also done by the destructor).
  void finish();

 private:
  std::string label_;
  uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace bee::cli
