// The closing note of docs/benchmarks.md: bee's ratios to each rival quoted from this run,
// and, where bee is behind, the reason in figures measured in the same run (signatures and
// hashed bytes per operation times their measured cost, bytes written per entry, fsyncs).
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "bee/bee.hpp"
#include "report.hpp"

namespace db_bench {

const Row* find_row(const std::vector<Row>& rows, const std::string& engine, const std::string& workload,
                    const Sizes& s) {
  for (const Row& r : rows) {
    if (r.engine == engine && r.workload == workload && r.keys == s.keys && r.value_size == s.value_size) return &r;
  }
  return nullptr;
}

std::vector<std::string> engines_at(const RunContext& ctx, const std::vector<Row>& rows, const Sizes& s) {
  std::vector<std::string> out;
  for (const std::string& e : ctx.engines) {
    bool any = std::any_of(rows.begin(), rows.end(), [&](const Row& r) {
      return r.engine == e && r.keys == s.keys && r.value_size == s.value_size;
    });
    if (any) out.push_back(e);
  }
  return out;
}

std::string format_fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string format_count(double v) {
  if (v < 100 && v != static_cast<double>(static_cast<uint64_t>(v))) return format_fixed(v, v < 10 ? 2 : 1);
  std::string digits = format_fixed(v, 0), out;
  for (size_t i = 0; i < digits.size(); i++) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string size_label(const Sizes& s) {
  return format_count(static_cast<double>(s.keys)) + " keys x " +
         (s.value_size == 1024 ? std::string("1 KiB") : std::to_string(s.value_size) + " B");
}

double ratio(const std::vector<Row>& rows, const std::string& rival, const std::string& workload, const Sizes& s) {
  const Row* b = find_row(rows, "bee", workload, s);
  const Row* r = find_row(rows, rival, workload, s);
  if (!b || !r || b->status != "ok" || r->status != "ok" || r->ops_per_sec <= 0) return -1;
  return b->ops_per_sec / r->ops_per_sec;
}

namespace {

// "100k", "1M", "100k x 1 KiB": for lists that repeat the size.
std::string short_label(const Sizes& s) {
  std::string keys = s.keys % 1000000 == 0 ? std::to_string(s.keys / 1000000) + "M"
                     : s.keys % 1000 == 0  ? std::to_string(s.keys / 1000) + "k"
                                           : std::to_string(s.keys);
  return s.value_size == 100 ? keys
                             : keys + " x " + (s.value_size == 1024 ? "1 KiB" : std::to_string(s.value_size) + " B");
}

std::string x(double v) { return v < 0 ? "n/a" : format_fixed(v, v < 10 ? 2 : 0) + "x"; }

double us_per_op(const Row* r) { return r && r->status == "ok" && r->ops_per_sec > 0 ? 1e6 / r->ops_per_sec : 0; }

double per_op(const Row* r, const char* counter) {
  if (!r || !r->counters.count(counter) || r->ops == 0) return 0;
  return static_cast<double>(r->counters.at(counter)) / static_cast<double>(r->ops);
}

// "fill_random: 0.40x leveldb, 0.30x rocksdb, ..." for one size.
std::string ratio_line(const std::vector<Row>& rows, const std::vector<std::string>& rivals, const std::string& w,
                       const Sizes& s) {
  std::string out = "`" + w + "`: ";
  bool first = true;
  for (const std::string& r : rivals) {
    double v = ratio(rows, r, w, s);
    if (v < 0) continue;
    out += (first ? "" : ", ") + x(v) + " " + r;
    first = false;
  }
  return first ? "" : out;
}

// Ratios from 0.9 up count as even: run-to-run spread on a shared 2-core machine is of that
// order (results.csv has each row's min and max).
constexpr double kEven = 0.9;

const char* const kBatched = "Batched writes";
const char* const kSingle = "Single puts";
const char* const kSync = "Durable single puts";
const char* const kPoint = "Point reads";
const char* const kScan = "Scans and ranges";

struct Group {
  const char* title;
  std::vector<std::string> workloads;
};

const std::vector<Group>& groups() {
  static const std::vector<Group> kGroups = {
      {kBatched, {"fill_seq", "fill_random", "overwrite", "delete"}},
      {kSingle, {"put_single"}},
      {kSync, {"put_single_sync"}},
      {kPoint, {"get_random_cold", "get_random_warm"}},
      {kScan, {"scan_cold", "scan_warm", "range100_cold", "range100_warm"}},
  };
  return kGroups;
}

// "leveldb on `fill_random` (0.45x at 100,000 keys x 100 B, 0.40x at 1,000,000 keys x 100 B), ..."
std::string behind_list(const RunContext& ctx, const std::vector<Row>& rows, const std::vector<std::string>& ws,
                        const std::vector<const Sizes*>& sizes) {
  std::string out;
  for (const std::string& rival : ctx.engines) {
    if (rival.starts_with("bee")) continue;
    std::string per_rival;
    for (const std::string& w : ws) {
      std::string cells;
      for (const Sizes* s : sizes) {
        double v = ratio(rows, rival, w, *s);
        if (v < 0 || v >= kEven) continue;
        cells += (cells.empty() ? "" : ", ") + x(v) + (sizes.size() > 1 ? " at " + short_label(*s) : "");
      }
      if (!cells.empty()) per_rival += (per_rival.empty() ? "" : "; ") + ("`" + w + "` " + cells);
    }
    if (!per_rival.empty()) out += (out.empty() ? "" : "; ") + ("**" + rival + "** (" + per_rival + ")");
  }
  return out;
}

// "; per durable write the engines took 0.12 to 6.1 ms in this run" over every size.
std::string sync_spread(const RunContext& ctx, const std::vector<Row>& rows) {
  double lo = 0, hi = 0;
  for (const Sizes& s : ctx.configs) {
    for (const std::string& e : ctx.engines) {
      const Row* r = find_row(rows, e, "put_single_sync", s);
      if (!r || r->status != "ok" || r->ops_per_sec_min <= 0) continue;
      double fast = 1e3 / r->ops_per_sec_max, slow = 1e3 / r->ops_per_sec_min;
      lo = lo == 0 ? fast : std::min(lo, fast);
      hi = std::max(hi, slow);
    }
  }
  if (lo == 0) return "";
  return " (a durable write took from " + format_fixed(lo, 2) + " to " + format_fixed(hi, 2) +
         " ms across engines and runs here: the virtual disk's flush latency varies with the other load on the "
         "host)";
}

// The Node reference stores the same blocks in its own file layout; the difference per entry
// is what bee's storage layout (log records, block index, Merkle nodes) costs on top.
std::string node_layout(const std::vector<Row>& rows, const Sizes& ref) {
  const Row* n = find_row(rows, "node-disk", "fill_random", ref);
  if (!n || n->status != "ok" || n->disk_bytes == 0) return "";
  double node_per_entry = static_cast<double>(n->disk_bytes) / static_cast<double>(ref.keys);
  return "The Node reference keeps the same blocks in " + format_count(node_per_entry) +
         " bytes per entry: the difference is bee's storage layout (checksummed log records, a 16-byte block "
         "index, Merkle nodes in their own file; docs/format/hypercore-storage.md), not the format. ";
}

// BeeOptions' default cache, as the report names it.
std::string default_cache() { return std::to_string(bee::BeeOptions{}.cache_bytes >> 20) + " MiB"; }

// What bee-bigcache (1 GiB cache) changes at the largest size it ran, for `workloads`.
std::string cache_evidence(const RunContext& ctx, const std::vector<Row>& rows, const std::vector<std::string>& ws) {
  const Sizes* at = nullptr;
  for (const Sizes& s : ctx.configs) {
    if (find_row(rows, "bee-bigcache", "fill_random", s) && (!at || s.keys > at->keys)) at = &s;
  }
  if (!at) return "";
  std::string out;
  for (const std::string& w : ws) {
    const Row* small = find_row(rows, "bee", w, *at);
    const Row* big = find_row(rows, "bee-bigcache", w, *at);
    if (!small || !big || small->status != "ok" || big->status != "ok") continue;
    out += (out.empty() ? "" : ", ") +
           ("`" + w + "` " + format_count(small->ops_per_sec) + " -> " + format_count(big->ops_per_sec) + " ops/s (" +
            x(big->ops_per_sec / small->ops_per_sec) + ")");
  }
  if (out.empty()) return "";
  const Row* fill = find_row(rows, "bee", "fill_random", *at);
  std::string size =
      fill && fill->status == "ok"
          ? " (the database is " + format_fixed(static_cast<double>(fill->disk_bytes) / (1 << 20), 0) + " MiB on disk)"
          : "";
  return " Measured in this run at " + size_label(*at) + size +
         ", a 1 GiB cache instead of the default " + default_cache() + " (`bee-bigcache`) gives " +
         out + ".";
}

}  // namespace

std::string closing_note(const RunContext& ctx, const std::vector<Row>& rows) {
  std::ostringstream md;
  md << "## Closing note\n\n";
  if (ctx.quick) {
    md << "A `--quick` run checks that the driver runs every engine and workload; its figures are not "
          "comparable and no conclusion is drawn from them.\n\n";
  }
  // The reference size: 100,000 keys x 100 B (every rival and the Node reference ran it),
  // else the last one; the largest 100-byte size is quoted beside it.
  if (ctx.configs.empty()) return md.str();
  const Sizes* ref_ptr = &ctx.configs.back();
  for (const Sizes& s : ctx.configs) {
    if (s.keys == 100000 && s.value_size == 100) ref_ptr = &s;
  }
  const Sizes& ref = *ref_ptr;
  std::vector<const Sizes*> order;
  for (const Sizes& s : ctx.configs) order.push_back(&s);

  md << "bee's throughput over each rival's (above 1: bee is faster), quoted from the tables above.\n\n";
  for (const Sizes* s : order) {
    auto r = engines_at(ctx, rows, *s);
    std::erase_if(r, [](const std::string& e) { return e.starts_with("bee"); });
    md << "**" << size_label(*s) << "**\n\n";
    for (const Workload& w : workloads()) {
      std::string line = ratio_line(rows, r, w.name, *s);
      if (!line.empty()) md << "- " << line << "\n";
    }
    md << "\n";
  }

  const Calibration& c = ctx.calibration;
  // Sizes to quote besides the reference: the largest with 100-byte values.
  std::vector<const Sizes*> quoted = {&ref};
  for (const Sizes& s : ctx.configs) {
    if (&s != &ref && s.value_size == ref.value_size && s.keys > quoted.back()->keys) {
      if (quoted.size() > 1) quoted.pop_back();
      quoted.push_back(&s);
    }
  }
  auto bee = [&](const char* w) { return find_row(rows, "bee", w, ref); };
  auto ok = [](const Row* r) { return r && r->status == "ok"; };

  md << "### Where bee leads\n\nAt " << size_label(ref) << ", 1.1x or more:";
  {
    std::string leads;
    for (const std::string& rival : ctx.engines) {
      if (rival.starts_with("bee")) continue;
      std::string cells;
      for (const Workload& w : workloads()) {
        double v = ratio(rows, rival, w.name, ref);
        if (v >= 1.1) cells += (cells.empty() ? "" : ", ") + ("`" + w.name + "` " + x(v));
      }
      if (!cells.empty()) leads += "\n- over **" + rival + "**: " + cells;
    }
    md << (leads.empty() ? " nowhere." : leads) << "\n\n";
  }
  md << "### Where bee is behind, and why\n\nBehind means below " << format_fixed(kEven, 1)
     << "x (closer is within this machine's run-to-run spread). Figures from " << size_label(ref)
     << " unless named; costs measured on this machine at the start of the run.\n\n";
  int behind_groups = 0;
  for (const Group& g : groups()) {
    std::string behind = behind_list(ctx, rows, g.workloads, quoted);
    if (behind.empty()) {
      md << "- **" << g.title << "**: bee is ahead of every rival that ran them.\n";
      continue;
    }
    behind_groups++;
    md << "- **" << g.title << "**: behind " << behind << ". ";
    if (g.title == kBatched) {
      const Row* fill = bee("fill_random");
      if (!ok(fill)) continue;
      double per_entry = static_cast<double>(fill->disk_bytes) / static_cast<double>(ref.keys);
      double hashed = per_op(fill, "bytes_hashed");
      double hash_us = hashed / c.blake2b_mb_per_s;  // bytes / (MB/s) = µs
      double sign_us = per_op(fill, "signatures") * c.sign_us;
      md << "*Format.* Every entry is its own block of the log, `Node{index, key, value}`, whose index carries "
            "the B-tree nodes the write changed (compacted across a batch; docs/format/hyperbee-blocks.md), and "
            "every block adds a leaf and about one parent node to the Merkle tree, plus 16 bytes of block index: "
            "bee keeps "
         << format_count(per_entry) << " bytes per entry on disk for " << 13 + ref.value_size
         << " bytes of key and value. LevelDB and RocksDB append the key and value to a write-ahead log, sort "
            "in memory and leave the rest to background compaction the timed section does not wait for (and "
            "their Snappy compression does well on these generated values, which repeat every 26 bytes); "
            "LMDB updates its B+-tree pages in place, one transaction per batch. "
         << node_layout(rows, ref) << "*Hashing* is a small share: " << format_count(hashed)
         << " bytes per entry, about " << format_fixed(hash_us, 2) << " µs of bee's "
         << format_fixed(us_per_op(fill), 2)
         << " µs per entry; *signing* (one Ed25519 signature per batch of "
            "1,000) about "
         << format_fixed(sign_us, 3)
         << " µs. The rest is the B-tree writer: a perf profile of `fill_random` at 100k keys, taken while "
            "building this driver, puts the most time in loading and re-encoding tree nodes and in memory "
            "allocation. What would close it: reuse decoded nodes across the writes of a batch and allocate "
            "less in the writer (no format change); at 1M keys, a cache that holds the upper tree levels."
         << cache_evidence(ctx, rows, {"fill_random", "overwrite"})
         << " The per-entry block and Merkle nodes themselves are the price of a log any peer can verify and "
            "read key by key.\n";
    } else if (g.title == kSingle) {
      const Row* single = bee("put_single");
      if (!ok(single)) continue;
      double share = c.sign_us * per_op(single, "signatures") / us_per_op(single);
      md << "*Signing.* Each put is one append, so one Ed25519 signature (" << format_fixed(c.sign_us, 1)
         << " µs here): " << format_fixed(100 * share, 0) << "% of bee's " << format_fixed(us_per_op(single), 1)
         << " µs per put, before the tree write and the Merkle hashes. No rival signs anything. What would close "
            "it: batches (one signature per batch, see `fill_random`), or a group commit that signs once for the "
            "writes queued while the previous signature was computed; a log that signs every version can at best "
            "approach the signature's cost.\n";
    } else if (g.title == kSync) {
      const Row* sync = bee("put_single_sync");
      if (!ok(sync)) continue;
      md << "*fsync.* A 4 KiB write + fdatasync takes " << format_fixed(c.fdatasync_ms, 2)
         << " ms on this machine and bee takes " << format_fixed(us_per_op(sync) / 1000, 2)
         << " ms per durable put. Under `Durability::sync` bee fdatasyncs one file per append, its log (the "
            "index, tree and bitfield files are rebuilt from the log and synced only at checkpoints; "
            "docs/format/hypercore-storage.md), as the WAL engines sync their write-ahead log; the record it syncs "
            "is larger (block, tree nodes, signature). Every engine here waits for the device, so these ratios "
            "measure the device more than the engines"
         << sync_spread(ctx, rows) << "; group commit is what would move them.\n";
    } else if (g.title == kPoint) {
      const Row* warm = bee("get_random_warm");
      const Row* cold = bee("get_random_cold");
      md << "*Format.* A Hyperbee node lists its keys by the seq of the block that holds them, so a node "
            "read from the log costs its own block and every key block it names (bee reads them all, to keep "
            "the node's keys inline in its cache): a lookup that misses the cache on a level reads several "
            "blocks there (their reads overlapped by a prefetch), each a copy out of the memory-mapped log, a "
            "checksum and a decode";
      if (ok(warm)) md << " (" << format_fixed(us_per_op(warm), 2) << " µs per get warm";
      if (ok(warm) && ok(cold))
        md << "; " << format_fixed(us_per_op(cold), 2)
           << " µs cold, where each of those blocks is a read from the device";
      if (ok(warm)) md << ")";
      md << ". LMDB and SQLite keep keys inline in their pages, so a lookup is a few page visits; LevelDB and "
            "RocksDB search each table's block index and read one data block. Warm, once the path of each "
            "key is in the cache (`BeeOptions::cache_bytes`, "
         << default_cache()
         << " by default), a get compares keys inline in cached nodes and reads nothing. What would close the "
            "cold gap further: reading only the key blocks a node's binary search compares (about 3 of 8) on a "
            "miss, and filling the rest in once the node proves hot."
         << cache_evidence(ctx, rows, {"get_random_warm"}) << "\n";
    } else {
      const Row* scan = bee("scan_warm");
      md << "*Format.* An ordered read visits every entry's own block and decodes it";
      if (ok(scan)) md << " (" << format_fixed(us_per_op(scan), 2) << " µs per entry warm)";
      const Row* fill = bee("fill_random");
      if (ok(fill) && fill->disk_bytes > bee::BeeOptions{}.cache_bytes) {
        md << "; at this size the database (" << format_fixed(static_cast<double>(fill->disk_bytes) / (1 << 20), 0)
           << " MiB) is already larger than the default " << default_cache() << " cache of decoded blocks";
      }
      md << ", while LSM and B+-tree engines read sorted keys and values packed together in pages; cold, bee's "
            "entries are scattered in write order through the log. A database whose decoded tree is larger than "
            "the cache is read from the log again on every full scan: the cache keeps what was read last, and a "
            "scan reads everything once. What would close it: prefetching the blocks of the next leaf nodes in "
            "one read, decoding only the key and value of an entry block, and a scan that does not evict the "
            "nodes other reads keep hot."
         << cache_evidence(ctx, rows, {"scan_warm", "range100_warm"}) << "\n";
    }
  }
  if (behind_groups == 0) md << "\nbee is not behind any rival on any workload in this run.\n";
  // Same format, same work: compare the counters of every write workload both ran.
  int compared = 0, equal = 0;
  std::string names;
  for (const Workload& w : workloads()) {
    const Row* b = find_row(rows, "bee", w.name, ref);
    const Row* n = find_row(rows, "node-disk", w.name, ref);
    if (!ok(b) || !ok(n) || b->ops != n->ops || !b->counters.count("blocks_appended") ||
        b->counters.at("blocks_appended") == 0)
      continue;
    compared++;
    if (b->counters == n->counters) equal++;
    names += (names.empty() ? "`" : ", `") + w.name + "`";
  }
  md << "\nThe Node reference (hyperbee 2.27.3) writes the same format";
  if (compared > 0) {
    md << " — its blocks appended, signatures and hashed bytes equal bee's in " << equal << " of the " << compared
       << " write workloads both ran with the same operations (" << names << ") at " << size_label(ref);
  }
  md << "; bee against `node-disk` is what the C++ implementation gains on that format:";
  std::string gains;
  for (const char* w : {"fill_random", "put_single", "get_random_warm", "scan_warm", "range100_warm"}) {
    double v = ratio(rows, "node-disk", w, ref);
    if (v > 0) gains += std::string(gains.empty() ? " " : ", ") + "`" + w + "` " + x(v);
  }
  md << (gains.empty() ? " not measured in this run" : gains) << ".\n";
  return md.str();
}

}  // namespace db_bench
