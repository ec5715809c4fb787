#include "bee/cli/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace bee::cli {

namespace {
constexpr auto kDelay = std::chrono::seconds(1);
constexpr auto kInterval = std::chrono::milliseconds(100);
constexpr int kWidth = 30;
}  // namespace

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), enabled_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(uint64_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - start_ < kDelay || (drawn_ && now - last_draw_ < kInterval)) return;
  last_draw_ = now;
  drawn_ = true;
  if (total_ == 0) {
    std::fprintf(stderr, "\r%s %llu", label_.c_str(), static_cast<unsigned long long>(done));
  } else {
    int filled = static_cast<int>(done >= total_ ? kWidth : done * kWidth / total_);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    std::fprintf(stderr, "\r%s [%s] %llu/%llu", label_.c_str(), bar.c_str(), static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total_));
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);  // erase the line
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace bee::cli
