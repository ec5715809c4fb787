// results.csv: one line per (engine, workload, keys, value size), RFC 4180 quoting.
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "results.hpp"

namespace db_bench {
namespace {

const char* const kHeader =
    "engine,workload,keys,value_size,status,ops,runs,ops_per_sec,ops_per_sec_min,ops_per_sec_max,us_per_op,"
    "peak_rss_kb,disk_bytes,cpu_user_s,cpu_sys_s,blocks_appended,bytes_hashed,signatures,durability,note,"
    "peak_anon_kb";
// Before peak_anon_kb (RssAnon) was measured; still read.
const char* const kHeaderWithoutAnon =
    "engine,workload,keys,value_size,status,ops,runs,ops_per_sec,ops_per_sec_min,ops_per_sec_max,us_per_op,"
    "peak_rss_kb,disk_bytes,cpu_user_s,cpu_sys_s,blocks_appended,bytes_hashed,signatures,durability,note";

std::string quote(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); i++) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        i++;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::string number(double v, const char* format = "%.1f") {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace

bool write_csv(const std::vector<Row>& rows, const std::string& path) {
  std::ofstream out(path);
  out << kHeader << "\n";
  for (const Row& r : rows) {
    auto counter = [&](const char* name) {
      auto it = r.counters.find(name);
      return it == r.counters.end() ? std::string() : std::to_string(it->second);
    };
    bool ok = r.status == "ok";
    out << quote(r.engine) << ',' << quote(r.workload) << ',' << r.keys << ',' << r.value_size << ',' << r.status << ','
        << r.ops << ',' << r.runs << ',' << (ok ? number(r.ops_per_sec, "%.3f") : "") << ','
        << (ok ? number(r.ops_per_sec_min, "%.3f") : "") << ',' << (ok ? number(r.ops_per_sec_max, "%.3f") : "") << ','
        << (ok && r.ops_per_sec > 0 ? number(1e6 / r.ops_per_sec, "%.3f") : "") << ','
        << (ok ? std::to_string(r.peak_rss_kb) : "") << ',' << (ok ? std::to_string(r.disk_bytes) : "") << ','
        << (ok ? number(r.user_seconds, "%.3f") : "") << ',' << (ok ? number(r.sys_seconds, "%.3f") : "") << ','
        << counter("blocks_appended") << ',' << counter("bytes_hashed") << ',' << counter("signatures") << ','
        << quote(r.durability) << ',' << quote(r.note) << ',' << counter("peak_anon_kb") << "\n";
  }
  out.close();
  if (!out) {
    std::fprintf(stderr, "bee_db_bench: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

bool read_csv(const std::string& path, std::vector<Row>* rows) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line) || (line != kHeader && line != kHeaderWithoutAnon)) {
    std::fprintf(stderr, "bee_db_bench: %s: missing or wrong header\n", path.c_str());
    return false;
  }
  const size_t columns = fields_of(line).size();
  while (std::getline(in, line)) {
    auto f = fields_of(line);
    if (f.size() != columns) {
      std::fprintf(stderr, "bee_db_bench: %s: a line with %zu fields\n", path.c_str(), f.size());
      return false;
    }
    auto num = [](const std::string& v) { return v.empty() ? 0.0 : std::stod(v); };
    auto count = [](const std::string& v) { return v.empty() ? uint64_t{0} : std::stoull(v); };
    Row r;
    r.engine = f[0];
    r.workload = f[1];
    r.keys = count(f[2]);
    r.value_size = count(f[3]);
    r.status = f[4];
    r.ops = count(f[5]);
    r.runs = static_cast<int>(count(f[6]));
    r.ops_per_sec = num(f[7]);
    r.ops_per_sec_min = num(f[8]);
    r.ops_per_sec_max = num(f[9]);
    r.peak_rss_kb = count(f[11]);
    r.disk_bytes = count(f[12]);
    r.user_seconds = num(f[13]);
    r.sys_seconds = num(f[14]);
    if (!f[15].empty()) r.counters["blocks_appended"] = count(f[15]);
    if (!f[16].empty()) r.counters["bytes_hashed"] = count(f[16]);
    if (!f[17].empty()) r.counters["signatures"] = count(f[17]);
    r.durability = f[18];
    r.note = f[19];
    if (columns > 20 && !f[20].empty()) r.counters["peak_anon_kb"] = count(f[20]);
    rows->push_back(std::move(r));
  }
  return true;
}

bool write_context(const RunContext& c, const std::string& path) {
  std::ofstream out(path);
  out << "command\t" << c.command << "\nstarted\t" << c.started << "\nload_before\t" << c.load_before
      << "\nload_after\t" << c.load_after << "\nmachine\t" << c.machine << "\nrevision\t" << c.revision
      << "\nwork_dir\t" << c.work_dir << "\ncold_definition\t" << c.cold_definition << "\nwall_seconds\t"
      << c.wall_seconds << "\nquick\t" << c.quick << "\nnode_disk_cap\t" << c.node_disk_cap << "\nnode_mem_cap\t"
      << c.node_mem_cap << "\nsign_us\t" << c.calibration.sign_us << "\nblake2b_mb_per_s\t"
      << c.calibration.blake2b_mb_per_s << "\nfdatasync_ms\t" << c.calibration.fdatasync_ms << "\n";
  for (const std::string& e : c.engines) out << "engine\t" << e << "\n";
  for (const Sizes& s : c.configs) {
    out << "config\t" << s.keys << ' ' << s.value_size << ' ' << s.runs << ' ' << s.single_cap << ' ' << s.sync_cap
        << ' ' << s.read_cap << ' ' << s.range_cap << ' ' << s.write_cap << "\n";
  }
  out.close();
  return static_cast<bool>(out);
}

bool read_context(const std::string& path, RunContext* c) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "bee_db_bench: cannot read %s\n", path.c_str());
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::string k = line.substr(0, tab), v = line.substr(tab + 1);
    if (k == "command") c->command = v;
    if (k == "started") c->started = v;
    if (k == "load_before") c->load_before = v;
    if (k == "load_after") c->load_after = v;
    if (k == "machine") c->machine = v;
    if (k == "revision") c->revision = v;
    if (k == "work_dir") c->work_dir = v;
    if (k == "cold_definition") c->cold_definition = v;
    if (k == "wall_seconds") c->wall_seconds = std::stod(v);
    if (k == "quick") c->quick = v == "1";
    if (k == "node_disk_cap") c->node_disk_cap = std::stoull(v);
    if (k == "node_mem_cap") c->node_mem_cap = std::stoull(v);
    if (k == "sign_us") c->calibration.sign_us = std::stod(v);
    if (k == "blake2b_mb_per_s") c->calibration.blake2b_mb_per_s = std::stod(v);
    if (k == "fdatasync_ms") c->calibration.fdatasync_ms = std::stod(v);
    if (k == "engine") c->engines.push_back(v);
    if (k == "config") {
      Sizes s;
      std::istringstream f(v);
      f >> s.keys >> s.value_size >> s.runs >> s.single_cap >> s.sync_cap >> s.read_cap >> s.range_cap >> s.write_cap;
      c->configs.push_back(s);
    }
  }
  return true;
}

bool check_csv(const std::string& path, const std::vector<Row>& expected) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line) || line != kHeader) {
    std::fprintf(stderr, "check: %s: missing or wrong header\n", path.c_str());
    return false;
  }
  const size_t columns = fields_of(kHeader).size();
  using Id = std::tuple<std::string, std::string, std::string, std::string>;
  std::set<Id> seen;
  bool good = true;
  for (int n = 2; std::getline(in, line); n++) {
    auto f = fields_of(line);
    if (f.size() != columns) {
      std::fprintf(stderr, "check: %s:%d: %zu fields, expected %zu\n", path.c_str(), n, f.size(), columns);
      good = false;
      continue;
    }
    if (f[4] == "ok" && !(std::stod(f[7]) > 0)) {
      std::fprintf(stderr, "check: %s:%d: status ok without a throughput\n", path.c_str(), n);
      good = false;
    }
    if (f[4] == "ok" || f[4] == "n/a") seen.insert({f[0], f[1], f[2], f[3]});
  }
  for (const Row& e : expected) {
    if (!seen.count({e.engine, e.workload, std::to_string(e.keys), std::to_string(e.value_size)})) {
      std::fprintf(stderr, "check: %s: no ok or n/a row for %s %s keys=%llu value=%zu\n", path.c_str(),
                   e.engine.c_str(), e.workload.c_str(), static_cast<unsigned long long>(e.keys), e.value_size);
      good = false;
    }
  }
  return good;
}

}  // namespace db_bench
