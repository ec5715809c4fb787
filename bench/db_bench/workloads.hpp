// The named workloads, defined once for every engine (hyperbee_runner.js mirrors them for
// the Node reference: same names, same key sequences). A workload runs in its own process
// (the driver's child mode) against a database folder the parent prepared.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine.hpp"

namespace db_bench {

struct Workload {
  std::string name;
  std::string description;  // for the report
  bool fresh = false;       // runs in an empty folder; otherwise on the database fill_random made
  bool warm = false;        // the op sequence runs once untimed first, in the same process
  bool cold = false;        // the database's files are evicted from the page cache first
  Durability durability = Durability::os;
};

// In execution order: fills and puts (fresh folders), then reads of the filled database,
// then the workloads that change it (overwrite, then delete).
const std::vector<Workload>& workloads();
const Workload* find_workload(const std::string& name);

// The size of one configuration and the caps that keep slow workloads bounded.
struct Sizes {
  uint64_t keys = 100000;
  size_t value_size = 100;
  int runs = 3;
  uint64_t single_cap = 20000;  // put_single
  uint64_t sync_cap = 200;      // put_single_sync (each write waits for the device)
  uint64_t read_cap = 50000;    // get_random_*
  uint64_t range_cap = 5000;    // range100_*
  uint64_t write_cap = 50000;   // overwrite, delete (delete: at most keys / runs)
};

// The Node reference does a few thousand operations per second at best (and ~1,000 random
// gets per second at 100k keys), so its per-run caps are lower; fills and scans still cover
// every key. The report states these caps.
Sizes node_sizes(const Sizes& sizes);

// How many operations one run of the workload does (scan: entries, range100: range reads).
uint64_t ops_of(const Workload& workload, const Sizes& sizes);

struct Measured {
  uint64_t ops = 0;
  double seconds = 0;
  double user_seconds = 0;  // CPU of the timed section, every thread of the process
  double sys_seconds = 0;
  std::vector<std::pair<std::string, uint64_t>> counters;
};

// Runs one workload on an open engine: `ops` operations of run number `run` (0-based;
// overwrite and delete touch different keys in each run).
Measured run_workload(Engine& engine, const Workload& workload, uint64_t keys, size_t value_size, uint64_t ops,
                      int run);

}  // namespace db_bench
