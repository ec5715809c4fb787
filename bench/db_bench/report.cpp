// docs/benchmarks.md and its plots. The Markdown is regenerated whole on every run (the
// closing note included, from note.cpp), so nothing in it is edited by hand.
#include "report.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace db_bench {
namespace fs = std::filesystem;

namespace {

// The workloads whose time per operation the growth plot follows from 10k to 1M keys.
const std::vector<std::string> kGrowthWorkloads = {"fill_random", "get_random_warm", "range100_warm", "overwrite"};

std::string escape_gnuplot(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '_' ? std::string("\\\\_") : std::string(1, c);
  return out;
}

std::string mib(uint64_t bytes) { return format_fixed(static_cast<double>(bytes) / (1 << 20), 1); }

std::string file_tag(const Sizes& s) { return std::to_string(s.keys) + "_" + std::to_string(s.value_size); }

// A plot is drawn or left out: "" when drawn, else why (the report says so in its place; a
// plot that cannot be drawn never fails the run, whose figures are in the tables and CSV).
using PlotOutcome = std::string;

PlotOutcome run_gnuplot(const std::string& script_path) {
  std::string command = "gnuplot '" + script_path + "'";
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "bee_db_bench: gnuplot failed on %s (is gnuplot-nox installed? scripts/setup.sh); the plot is left out\n",
                 script_path.c_str());
    return "gnuplot failed on it";
  }
  return "";
}

// The image, or a note in its place.
std::string image(const std::string& alt, const std::string& png_rel, const PlotOutcome& outcome) {
  if (outcome.empty()) return "![" + alt + "](" + png_rel + ")";
  return "*(The plot is left out: " + outcome + ".)*";
}

// Clustered bars of ops/s per workload, one bar per engine, log scale.
PlotOutcome plot_throughput(const RunContext& ctx, const std::vector<Row>& rows, const Sizes& s, const fs::path& tmp,
                            const fs::path& png) {
  auto engines = engines_at(ctx, rows, s);
  fs::path data = tmp / ("throughput_" + file_tag(s) + ".dat");
  std::ofstream d(data);
  d << "workload";
  for (const auto& e : engines) d << ' ' << e;
  d << "\n";
  for (const Workload& w : workloads()) {
    d << escape_gnuplot(w.name);
    for (const auto& e : engines) {
      const Row* r = find_row(rows, e, w.name, s);
      d << ' ' << (r && r->status == "ok" ? format_fixed(r->ops_per_sec, 1) : "-");
    }
    d << "\n";
  }
  d.close();
  fs::path script = tmp / ("throughput_" + file_tag(s) + ".gp");
  std::ofstream g(script);
  g << "set terminal pngcairo size 1400,560 font 'sans,10'\n"
    << "set output '" << png.string() << "'\n"
    << "set title 'Throughput, " << size_label(s)
    << (s.runs == 1 ? " (one run" : " (median of " + std::to_string(s.runs) + " runs") << "; higher is better)'\n"
    << "set style data histograms\nset style histogram clustered gap 1\n"
    << "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
    << "set logscale y\nset ylabel 'operations per second (log scale)'\nset format y '%.0s%c'\n"
    << "set grid ytics\nset xtics rotate by 30 right nomirror\nset key outside right top vertical\n"
    << "set datafile missing '-'\nset yrange [1:*]\n"
    << "plot for [i=2:" << engines.size() + 1 << "] '" << data.string() << "' using i:xtic(1) title columnheader(i)\n";
  g.close();
  return run_gnuplot(script.string());
}

// Microseconds per operation against the number of keys, one panel per workload that has
// figures (a run of some workloads only measures some of kGrowthWorkloads: gnuplot refuses
// a panel with no point, "x range is invalid").
PlotOutcome plot_growth(const RunContext& ctx, const std::vector<Row>& rows, const std::vector<Sizes>& sizes,
                        const fs::path& tmp, const fs::path& png) {
  std::vector<std::string> growth_engines;  // bee-bigcache runs at one size only
  for (const std::string& e : ctx.engines) {
    if (e != "bee-bigcache") growth_engines.push_back(e);
  }
  std::vector<std::string> panels;
  for (const std::string& workload : kGrowthWorkloads) {
    bool any = false;
    for (const std::string& e : growth_engines) {
      for (const Sizes& s : sizes) {
        const Row* r = find_row(rows, e, workload, s);
        any = any || (r && r->status == "ok" && r->ops_per_sec > 0);
      }
    }
    if (any) panels.push_back(workload);
  }
  if (panels.empty()) return "this run measured none of " + std::to_string(kGrowthWorkloads.size()) + " growth workloads";
  fs::path script = tmp / "growth.gp";
  std::ofstream g(script);
  g << "set terminal pngcairo size 1400,900 font 'sans,10'\n"
    << "set output '" << png.string() << "'\n"
    << "set multiplot layout " << (panels.size() + 1) / 2 << "," << std::min<size_t>(panels.size(), 2)
    << " title 'Time per operation as the database grows (100-byte values; lower is better)'\n"
    << "set logscale xy\nset xlabel 'keys in the database'\nset ylabel 'microseconds per operation'\n"
    << "set format x '%.0s%c'\nset grid\nset key top left opaque\nset datafile missing '-'\n";
  for (const std::string& workload : panels) {
    fs::path data = tmp / ("growth_" + workload + ".dat");
    std::ofstream d(data);
    for (const std::string& e : growth_engines) {
      d << "\"" << e << "\"\n";
      for (const Sizes& s : sizes) {
        const Row* r = find_row(rows, e, workload, s);
        if (r && r->status == "ok" && r->ops_per_sec > 0) d << s.keys << ' ' << 1e6 / r->ops_per_sec << "\n";
      }
      d << "\n\n";
    }
    d.close();
    g << "set title '" << workload << "' noenhanced\n"
      << "plot for [i=0:" << growth_engines.size() - 1 << "] '" << data.string()
      << "' index i using 1:2 with linespoints lw 2 pt 7 title columnheader(1)\n";
  }
  g << "unset multiplot\n";
  g.close();
  return run_gnuplot(script.string());
}

void engines_section(std::ostream& md, const RunContext& ctx) {
  md << "## Engines and durability\n\n"
     << "Every workload but `put_single_sync` runs at the **os** level: a write has reached the operating system "
        "when the call returns (it survives `kill -9` of the process, not a power loss). `put_single_sync` runs at "
        "the **sync** level: each write is on stable storage before it returns.\n\n"
     << "| engine | version | os level | sync level | settings (library defaults otherwise) |\n"
     << "|---|---|---|---|---|\n";
  for (const std::string& e : ctx.engines) {
    md << "| " << e << " | " << engine_version(e) << " | " << durability_setting(e, Durability::os) << " | "
       << durability_setting(e, Durability::sync) << " | " << engine_settings(e) << " |\n";
  }
  md << "\n";
}

void workloads_section(std::ostream& md, const RunContext& ctx) {
  md << "## Workloads\n\n"
     << "Key *i* is `key` + the 10-digit zero-padded decimal of (*i* x 2654435761 mod 2^32) (random order for "
        "increasing *i*); value *i* is bytes `'a' + (i + k) % 26` (bench/db_bench/keys.hpp, mirrored by "
        "hyperbee_runner.js). Read keys and range starts are drawn the same way, so every engine does the same "
        "operations. Read, overwrite and delete workloads run on the database the last `fill_random` run made; "
        "overwrite and delete touch different keys in each run. Timing excludes open and close.\n\n"
     << "Operations per run:\n\n| workload | what one run does";
  for (const Sizes& s : ctx.configs) md << " | " << size_label(s);
  md << " |\n|---|---";
  for (size_t i = 0; i < ctx.configs.size(); i++) md << "|---:";
  md << "|\n";
  for (const Workload& w : workloads()) {
    md << "| `" << w.name << "` | " << w.description;
    for (const Sizes& s : ctx.configs) md << " | " << format_count(static_cast<double>(ops_of(w, s)));
    md << " |\n";
  }
  Sizes node = node_sizes(Sizes{});
  md << "\nThe Node engines run fewer operations per run (their throughput is per operation all the same): "
        "`put_single` at most "
     << format_count(static_cast<double>(node.single_cap)) << ", `get_random_*` "
     << format_count(static_cast<double>(node.read_cap)) << ", `range100_*` "
     << format_count(static_cast<double>(node.range_cap)) << ", `overwrite` and `delete` "
     << format_count(static_cast<double>(node.write_cap)) << " (results.csv has each row's count).\n\n";
}

void results_section(std::ostream& md, const RunContext& ctx, const std::vector<Row>& rows, const Sizes& s,
                     const std::string& png_rel, const PlotOutcome& plot) {
  auto engines = engines_at(ctx, rows, s);
  md << "## " << size_label(s) << "\n\n" << image("throughput, " + size_label(s), png_rel, plot) << "\n\n"
     << "Operations per second ("
     << (s.runs == 1 ? std::string("one run") : "median of " + std::to_string(s.runs) + " runs")
     << "), and bee's throughput over each rival's "
     << "(above 1: bee is faster).\n\n| workload |";
  for (const auto& e : engines) md << ' ' << e << " |";
  std::vector<std::string> rivals;
  for (const auto& e : engines) {
    if (!e.starts_with("bee")) rivals.push_back(e);
  }
  for (const auto& e : rivals) md << " bee / " << e << " |";
  md << "\n|---|";
  for (size_t i = 0; i < engines.size() + rivals.size(); i++) md << "---:|";
  md << "\n";
  for (const Workload& w : workloads()) {
    md << "| `" << w.name << "` |";
    for (const auto& e : engines) {
      const Row* r = find_row(rows, e, w.name, s);
      md << ' ' << (!r ? "" : r->status == "ok" ? format_count(r->ops_per_sec) : r->status) << " |";
    }
    for (const auto& e : rivals) {
      double x = ratio(rows, e, w.name, s);
      md << ' ' << (x < 0 ? "" : format_fixed(x, x < 10 ? 2 : 0) + "x") << " |";
    }
    md << "\n";
  }
  md << "\nPeak RSS of the measuring process, with its peak anonymous part (RssAnon: heap and stacks; the rest is "
        "file pages mapped from the page cache, which the kernel reclaims as it needs), in MiB, and CPU of the "
        "timed section (user + sys seconds), median run:\n\n"
     << "| workload |";
  for (const auto& e : engines) md << ' ' << e << " |";
  md << "\n|---|";
  for (size_t i = 0; i < engines.size(); i++) md << "---:|";
  md << "\n";
  for (const Workload& w : workloads()) {
    md << "| `" << w.name << "` |";
    for (const auto& e : engines) {
      const Row* r = find_row(rows, e, w.name, s);
      if (r && r->status == "ok") {
        md << ' ' << format_fixed(static_cast<double>(r->peak_rss_kb) / 1024, 0);
        if (auto anon = r->counters.find("peak_anon_kb"); anon != r->counters.end()) {
          md << " (anon " << format_fixed(static_cast<double>(anon->second) / 1024, 0) << ")";
        }
        md << " MiB, "
           << format_fixed(r->user_seconds, 2) << " + " << format_fixed(r->sys_seconds, 2) << " s |";
      } else {
        md << " |";
      }
    }
    md << "\n";
  }
  md << "\nBytes on disk after `fill_random` (the database every read workload used), and after the last "
        "`delete` run:\n\n| engine | after fill_random | bytes per entry | key+value bytes per entry | after "
        "overwrite and delete |\n|---|---:|---:|---:|---:|\n";
  for (const auto& e : engines) {
    const Row* fill = find_row(rows, e, "fill_random", s);
    const Row* del = find_row(rows, e, "delete", s);
    if (!fill || fill->status != "ok" || e == "node-mem" || e == "bee-bigcache") continue;
    md << "| " << e << " | " << mib(fill->disk_bytes) << " MiB | "
       << format_count(static_cast<double>(fill->disk_bytes) / static_cast<double>(s.keys)) << " | "
       << 13 + s.value_size << " | " << (del && del->status == "ok" ? mib(del->disk_bytes) + " MiB" : "") << " |\n";
  }
  md << "\n";
  for (const Row& r : rows) {
    if (r.keys == s.keys && r.value_size == s.value_size && r.status == "failed") {
      md << "- **failed**: " << r.engine << " `" << r.workload << "`: " << r.note << "\n";
    }
  }
}

void counters_section(std::ostream& md, const RunContext& ctx, const std::vector<Row>& rows) {
  md << "## What the log costs: bee's counters\n\n"
     << "Per write workload (median run): blocks appended to the Hypercore (one per entry), signatures "
        "(one Ed25519 signature per append: per put, or per batch of 1,000), and bytes BLAKE2b hashed. The "
        "public API exposes the core's length, byte length and one event per append, so blocks and signatures "
        "are counted; hashed bytes are computed from the Merkle tree's definition (per block 9 + its size, per "
        "new parent node 73, per append 1 + 48 per root), what any correct implementation hashes. The Node "
        "reference is counted the same way from its `append` events.\n\n"
     << "| size | engine | workload | ops | blocks appended | signatures | bytes hashed | hashed per op |\n"
     << "|---|---|---|---:|---:|---:|---:|---:|\n";
  for (const Sizes& s : ctx.configs) {
    for (const std::string e : {"bee", "node-disk"}) {
      for (const Workload& w : workloads()) {
        const Row* r = find_row(rows, e, w.name, s);
        if (!r || r->status != "ok" || !r->counters.count("signatures") || r->counters.at("blocks_appended") == 0)
          continue;
        md << "| " << size_label(s) << " | " << e << " | `" << w.name << "` | "
           << format_count(static_cast<double>(r->ops)) << " | "
           << format_count(static_cast<double>(r->counters.at("blocks_appended"))) << " | "
           << format_count(static_cast<double>(r->counters.at("signatures"))) << " | "
           << mib(r->counters.at("bytes_hashed")) << " MiB | "
           << format_count(static_cast<double>(r->counters.at("bytes_hashed")) / static_cast<double>(r->ops))
           << " B |\n";
      }
    }
  }
  md << "\n";
}

}  // namespace

bool write_report(const RunContext& ctx, const std::vector<Row>& rows, const std::string& report_path,
                  const std::string& assets_dir) {
  fs::create_directories(assets_dir);
  if (!fs::path(report_path).parent_path().empty()) fs::create_directories(fs::path(report_path).parent_path());
  if (!write_csv(rows, assets_dir + "/results.csv") || !write_context(ctx, assets_dir + "/context.txt")) return false;
  fs::path assets = fs::absolute(assets_dir);
  fs::path rel = fs::relative(assets, fs::absolute(report_path).parent_path());
  fs::path tmp = fs::temp_directory_path() / ("bee-db-bench-plots-" + std::to_string(::getpid()));
  fs::create_directories(tmp);

  std::vector<PlotOutcome> throughput_plots;
  for (const Sizes& s : ctx.configs) {
    throughput_plots.push_back(plot_throughput(ctx, rows, s, tmp, assets / ("throughput_" + file_tag(s) + ".png")));
  }
  std::vector<Sizes> growth;
  for (const Sizes& s : ctx.configs) {
    if (s.value_size == 100) growth.push_back(s);
  }
  PlotOutcome growth_plot;
  if (growth.size() > 1) growth_plot = plot_growth(ctx, rows, growth, tmp, assets / "growth.png");
  if (!growth_plot.empty()) std::fprintf(stderr, "bee_db_bench: growth plot left out: %s\n", growth_plot.c_str());
  fs::remove_all(tmp);

  std::ofstream md(report_path);
  const Calibration& c = ctx.calibration;
  md << "# Storage benchmarks: bee against LevelDB, RocksDB, LMDB, SQLite and the Node reference\n\n"
     << "Generated by `scripts/bench.sh` (the driver is `bench/db_bench/`): rerun it to regenerate this page, "
        "its plots and [the CSV]("
     << (rel / "results.csv").string() << ") — nothing here is edited by hand. "
     << (ctx.quick ? "**This is a `--quick` smoke run: tiny sizes, one run, the figures mean nothing.** " : "")
     << "Each figure is the median of its runs, each run a fresh process on the same machine, all engines in one "
        "invocation.\n\n"
     << "| run | |\n|---|---|\n"
     << "| started | " << ctx.started << " |\n"
     << "| command | `" << ctx.command << "` |\n"
     << "| machine | " << ctx.machine << " |\n"
     << "| bee sources | " << (ctx.revision.empty() ? "not recorded (run through scripts/bench.sh)" : ctx.revision)
     << " |\n"
     << "| load average (1, 5, 15 min) | before: " << ctx.load_before << "; after: " << ctx.load_after << " |\n"
     << "| wall time | " << format_fixed(ctx.wall_seconds / 60, 1) << " min |\n"
     << "| database folders | under " << ctx.work_dir << " (removed afterwards) |\n"
     << "| measured here first | Ed25519 signature " << format_fixed(c.sign_us, 1) << " µs; BLAKE2b (128-byte inputs) "
     << format_count(c.blake2b_mb_per_s) << " MB/s; 4 KiB write + fdatasync " << format_fixed(c.fdatasync_ms, 2)
     << " ms |\n\n"
     << "**Cold** reads: " << ctx.cold_definition
     << ". **Warm** reads: the same operations run twice in one "
        "process, the second pass timed. The Node engines are capped to keep a full run within half an hour "
        "(Node Hyperbee does a few thousand writes per second): `node-disk` runs 100-byte values up to "
     << format_count(static_cast<double>(ctx.node_disk_cap)) << " keys, `node-mem` up to "
     << format_count(static_cast<double>(ctx.node_mem_cap))
     << " keys (it keeps nothing between processes, so it fills its database untimed before each read or update "
        "run and has no cold workloads).\n\n";
  engines_section(md, ctx);
  workloads_section(md, ctx);
  for (size_t i = 0; i < ctx.configs.size(); i++) {
    const Sizes& s = ctx.configs[i];
    results_section(md, ctx, rows, s, (rel / ("throughput_" + file_tag(s) + ".png")).string(), throughput_plots[i]);
  }
  if (growth.size() > 1) {
    md << "## Growth from " << format_count(static_cast<double>(growth.front().keys)) << " to "
       << format_count(static_cast<double>(growth.back().keys)) << " keys\n\n"
       << image("growth", (rel / "growth.png").string(), growth_plot)
       << "\n\nMicroseconds per operation:\n\n| workload | engine |";
    for (const Sizes& s : growth) md << ' ' << format_count(static_cast<double>(s.keys)) << " |";
    md << "\n|---|---|";
    for (size_t i = 0; i < growth.size(); i++) md << "---:|";
    md << "\n";
    for (const std::string& w : kGrowthWorkloads) {
      for (const std::string& e : ctx.engines) {
        if (e == "bee-bigcache") continue;
        md << "| `" << w << "` | " << e << " |";
        for (const Sizes& s : growth) {
          const Row* r = find_row(rows, e, w, s);
          md << ' ' << (r && r->status == "ok" ? format_fixed(1e6 / r->ops_per_sec, 2) : "") << " |";
        }
        md << "\n";
      }
    }
    md << "\n";
  }
  counters_section(md, ctx, rows);
  md << closing_note(ctx, rows);
  md.close();
  if (!md) {
    std::fprintf(stderr, "bee_db_bench: cannot write %s\n", report_path.c_str());
    return false;
  }
  return true;
}

}  // namespace db_bench
