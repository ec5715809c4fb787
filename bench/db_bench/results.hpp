// What the driver measures and reports: one Row per engine, configuration and workload
// (the median of its runs), plus the run's context. Written by runner.cpp and main.cpp,
// read by report.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "workloads.hpp"

namespace db_bench {

// One measured child process.
struct RunResult {
  bool ok = false;
  std::string error;
  Measured measured;
  uint64_t peak_rss_kb = 0;  // the whole child process (wait4)
  uint64_t disk_bytes = 0;   // allocated bytes under the database folder after the run
  double ops_per_sec() const { return measured.seconds > 0 ? static_cast<double>(measured.ops) / measured.seconds : 0; }
};

struct Row {
  std::string engine;
  std::string workload;
  uint64_t keys = 0;
  size_t value_size = 0;
  std::string status;  // "ok", "n/a" (not applicable), "failed"
  std::string note;    // why n/a or failed
  std::string durability;
  uint64_t ops = 0;  // per run
  int runs = 0;
  double ops_per_sec = 0;  // median of the runs
  double ops_per_sec_min = 0, ops_per_sec_max = 0;
  // From the median run:
  uint64_t peak_rss_kb = 0;
  uint64_t disk_bytes = 0;
  double user_seconds = 0, sys_seconds = 0;
  std::map<std::string, uint64_t> counters;
};

// Costs measured on this machine when the run starts, quoted by the closing note.
struct Calibration {
  double sign_us = 0;           // one Ed25519 signature (hypercore::sign), 100-byte message
  double blake2b_mb_per_s = 0;  // BLAKE2b-256 over 128-byte inputs
  double fdatasync_ms = 0;      // a 4 KiB write + fdatasync in the work folder
};

struct RunContext {
  std::string command;
  std::string started;                  // UTC
  std::string load_before, load_after;  // /proc/loadavg
  std::string machine;                  // CPU model, cores, memory, kernel
  std::string revision;                 // of bee's sources, from scripts/bench.sh (git)
  std::string work_dir;
  std::string cold_definition;
  double wall_seconds = 0;
  bool quick = false;
  std::vector<std::string> engines;
  std::vector<Sizes> configs;
  uint64_t node_disk_cap = 0, node_mem_cap = 0;  // largest key count the Node engines ran
  Calibration calibration;
};

// CSV (one line per Row), then the Markdown report with plots rendered by gnuplot into
// assets_dir (the CSV goes there too). A plot gnuplot cannot draw is left out with a note
// in its place (and a line on stderr). Returns false with a message on stderr when a file
// cannot be written.
bool write_report(const RunContext& context, const std::vector<Row>& rows, const std::string& report_path,
                  const std::string& assets_dir);
bool write_csv(const std::vector<Row>& rows, const std::string& path);
// The inverse of write_csv, for --render (rows' durability, note and counters included).
bool read_csv(const std::string& path, std::vector<Row>* rows);
// context.txt beside the CSV: what write_report needs besides the rows, so --render can
// rewrite the report and plots from a finished run (to change the report, not the figures).
bool write_context(const RunContext& context, const std::string& path);
bool read_context(const std::string& path, RunContext* context);
// Checks a CSV written by write_csv: the header, the field count of every line, and that
// every (engine, workload, keys, value size) listed in `expected` is there with status ok or
// n/a. Prints what is wrong.
bool check_csv(const std::string& path, const std::vector<Row>& expected);

}  // namespace db_bench
