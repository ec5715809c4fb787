// The parent side of a measured run: start the child process (this driver in --child mode,
// or node with hyperbee_runner.js), read its result line, and take what only the parent
// can see: the child's peak RSS (wait4) and the database's bytes on disk.
#pragma once

#include <string>
#include <vector>

#include "results.hpp"

namespace db_bench {

// Runs argv[0] with argv and parses the "result ..." line the child prints.
RunResult run_child(const std::vector<std::string>& argv);

// Allocated bytes (st_blocks * 512) of every file under `dir`; 0 if it does not exist.
uint64_t disk_usage(const std::string& dir);

// Writes back and drops the page-cache pages of every file under `dir`
// (fdatasync + posix_fadvise(DONTNEED)), so the next open reads from the device. Touches
// only these files, needs no privileges, and leaves other processes' caches alone.
void evict_from_page_cache(const std::string& dir);

Calibration calibrate(const std::string& work_dir);
std::string machine_description();
std::string load_average();
std::string utc_now();

}  // namespace db_bench
