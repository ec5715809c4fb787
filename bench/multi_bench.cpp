// Many writers (multi/), beside the single-writer bee in the same run. A plain driver:
// each workload is one long run.
//
//   index      ops indexed per second into the last-writer-wins view: --writers logs of
//              N/writers ops each (bee_bench's keys: 16-byte random keys, 100-byte values)
//              are copied into a fresh device, whose catch_up() is timed; beside it, the
//              same N puts into a plain bee::Bee in batches of --batch (one flush each),
//              timed the same way. Directory storage in a temp folder, for each N of
//              --sizes. The ratio is the figure (goal >= 0.5).
//   converge   3 writers each write --converge-ops ops while partitioned (each its own
//              group folder), then meet over loopback TCP (two dial the third): the time
//              from the first connect until all three are in sync with equal views.
//   many       a group of --many-writers writers with --many-ops ops each, served over
//              loopback; a new device syncs it from one peer: time to sync, channels on
//              that connection, and the growth of the process's peak RSS.
//
//   build/release/bench/multi_bench [--workloads index,converge,many] [--sizes 10000,100000,1000000]
//       [--writers 3] [--batch 4096] [--converge-ops 10000] [--many-writers 100] [--many-ops 100]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bee/bee.hpp"
#include "hypercore/proof.hpp"
#include "multi/group.hpp"
#include "net/transport/event_loop.hpp"
#include "net/multi/group_node.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using hypercore::Bytes;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

[[noreturn]] void die(const std::string& what, const hypercore::Error& e) {
  std::fprintf(stderr, "multi_bench: %s: %s\n", what.c_str(), e.to_string().c_str());
  std::exit(1);
}

template <class T>
T must(hypercore::Result<T> r, const std::string& what) {
  if (!r) die(what, r.error());
  return std::move(*r);
}
void must(hypercore::Result<void> r, const std::string& what) {
  if (!r) die(what, r.error());
}

struct TempFolder {
  std::string path;
  TempFolder() {
    char pattern[] = "/tmp/multi_bench-XXXXXX";
    path = mkdtemp(pattern);
  }
  ~TempFolder() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

// bee_bench's workload: 16-byte random keys, 100-byte values.
std::vector<std::pair<Bytes, Bytes>> make_entries(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::pair<Bytes, Bytes>> out(n);
  for (auto& [k, v] : out) {
    k.resize(16);
    for (auto& b : k) b = static_cast<uint8_t>(rng());
    v.assign(100, static_cast<uint8_t>(rng()));
  }
  return out;
}

// Verified proofs from `from` into `to`: the signed length, then every block.
void copy_core(const hypercore::Core& from, hypercore::Core& to) {
  if (from.length() > to.length()) {
    hypercore::ProofRequest r;
    r.upgrade = hypercore::ProofRequest::Upgrade{to.length(), from.length() - to.length()};
    auto proof = must(from.proof(r), "upgrade proof");
    must(to.apply(must(to.verify_proof(proof), "verify upgrade")), "apply upgrade");
  }
  for (uint64_t i = 0; i < to.length(); ++i) {
    if (to.has(i)) continue;
    hypercore::ProofRequest b;
    b.block = hypercore::ProofRequest::Block{i, must(hypercore::missing_nodes(to.nodes(), to.length(), 2 * i), "nodes")};
    auto proof = must(from.proof(b), "block proof");
    must(to.apply(must(to.verify_proof(proof), "verify block")), "apply block");
  }
}

// Until neither learns anything: the sync of tests/multi/group_sync.hpp, for setup.
void sync_full(multi::Group& a, multi::Group& b) {
  for (int round = 0; round < 8; ++round) {
    for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
      for (const auto& core : from->cores()) {
        auto target = to->writer_core(core->key());
        if (target && *target != core) copy_core(*core, **target);
      }
      must(to->catch_up(), "catch_up");
    }
  }
}

std::vector<multi::Write> writes_of(const std::vector<std::pair<Bytes, Bytes>>& entries, size_t first, size_t last) {
  std::vector<multi::Write> w;
  for (size_t i = first; i < last; ++i) w.push_back({multi::OpType::put, entries[i].first, entries[i].second, std::nullopt});
  return w;
}

void bench_index(const std::vector<size_t>& sizes, size_t writers, size_t batch) {
  std::printf("index: ops/s into the lww view (%zu writers, max_batch %zu) beside bee puts in batches of %zu\n", writers,
              batch, batch);
  std::printf("%10s %14s %14s %8s %10s\n", "ops", "group ops/s", "bee puts/s", "ratio", "view MB");
  for (size_t n : sizes) {
    TempFolder dir;
    auto entries = make_entries(n, n);
    multi::GroupOptions o;
    o.max_batch = batch;
    // The writers: a root and members, each writing its share.
    std::vector<std::unique_ptr<multi::Group>> w;
    w.push_back(must(multi::Group::create(dir / "w0", o), "create"));
    for (size_t i = 1; i < writers; ++i) {
      std::string name = "w";  // appended: g++ 12 at -O3 warns falsely on "w" + string
      name += std::to_string(i);
      w.push_back(must(multi::Group::join(dir / name, w[0]->key(), o), "join"));
      must(w[0]->add_writer(w[i]->local_writer()), "add_writer");
    }
    for (size_t i = 1; i < writers; ++i) sync_full(*w[0], *w[i]);
    for (size_t i = 0; i < writers; ++i) {
      size_t first = n * i / writers, last = n * (i + 1) / writers;
      for (size_t at = first; at < last; at += 10000) {
        auto chunk = writes_of(entries, at, std::min(last, at + 10000));
        must(w[i]->write(chunk), "write");
      }
    }
    // The device under test holds every log, indexes nothing yet.
    auto reader = must(multi::Group::join(dir / "reader", w[0]->key(), o), "join reader");
    for (int pass = 0; pass < 2; ++pass) {
      for (auto& g : w) {
        auto local = must(g->writer_core(g->local_writer()), "core");
        auto target = reader->writer_core(local->key());
        if (target) copy_core(*local, **target);
      }
      must(reader->catch_up(pass == 0 ? 1 : 0), "membership");  // learn the members, index (almost) nothing
    }
    for (auto& g : w) must(g->close(), "close writer");
    auto t0 = Clock::now();
    must(reader->catch_up(), "catch_up");
    double group_s = seconds_since(t0);
    auto view_core = must(reader->view_bee(), "view")->core().byte_length();

    // The same puts into a plain bee.
    auto storage = must(hypercore::open_directory_storage(dir / "bee"), "storage");
    auto core = must(hypercore::Core::create(storage, hypercore::KeyPair::random()), "core");
    auto bee = must(bee::Bee::open(std::shared_ptr<hypercore::Core>(std::move(core))), "bee");
    auto t1 = Clock::now();
    for (size_t at = 0; at < n; at += batch) {
      auto b = bee->batch();
      for (size_t i = at; i < std::min(n, at + batch); ++i) must(b.put(entries[i].first, entries[i].second), "bee put");
      must(b.flush(), "flush");
    }
    double bee_s = seconds_since(t1);
    double group_rate = static_cast<double>(n) / group_s, bee_rate = static_cast<double>(n) / bee_s;
    std::printf("%10zu %14.0f %14.0f %8.2f %10.1f\n", n, group_rate, bee_rate, group_rate / bee_rate,
                static_cast<double>(view_core) / 1e6);
    std::fflush(stdout);
    must(reader->close(), "close");
  }
}

bool views_equal(std::initializer_list<multi::Group*> groups) {
  std::vector<multi::KeyValues> first;
  bool have = false;
  for (auto* g : groups) {
    std::vector<multi::KeyValues> all;
    auto it = must(g->range(), "range");
    for (;;) {
      auto kv = must(it.next(), "next");
      if (!kv) break;
      all.push_back(std::move(*kv));
    }
    if (!have) {
      first = std::move(all);
      have = true;
    } else if (all != first) {
      return false;
    }
  }
  return true;
}

// A run's wait, at most MULTI_BENCH_LIMIT seconds (default 600).
std::chrono::seconds wait_limit() {
  const char* env = std::getenv("MULTI_BENCH_LIMIT");
  return std::chrono::seconds(env ? std::atoi(env) : 600);
}

void print_writers(const std::vector<multi::Group*>& groups) {
  for (auto* g : groups) {
    for (const auto& w : g->status().writers) {
      std::printf("  %.8s: writer %.8s length %llu local %llu indexed %llu\n", hypercore::to_hex(g->local_writer()).c_str(),
                  hypercore::to_hex(w.key).c_str(), static_cast<unsigned long long>(w.length),
                  static_cast<unsigned long long>(w.contiguous), static_cast<unsigned long long>(w.indexed));
    }
  }
}

bool pump(net::EventLoop& loop, const std::function<bool()>& done, std::chrono::seconds limit) {
  auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    loop.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

void bench_converge(size_t ops) {
  TempFolder dir;
  std::vector<std::unique_ptr<multi::Group>> g;
  g.push_back(must(multi::Group::create(dir / "a"), "create"));
  g.push_back(must(multi::Group::join(dir / "b", g[0]->key()), "join"));
  g.push_back(must(multi::Group::join(dir / "c", g[0]->key()), "join"));
  must(g[0]->add_writer(g[1]->local_writer()), "add");
  must(g[0]->add_writer(g[2]->local_writer()), "add");
  sync_full(*g[0], *g[1]);
  sync_full(*g[0], *g[2]);
  // Partitioned: each writes `ops` ops, half of them to keys the others write too.
  for (size_t i = 0; i < 3; ++i) {
    auto entries = make_entries(ops, 100 + i);
    auto shared = make_entries(ops / 2, 7);
    for (size_t k = 0; k < ops / 2; ++k) entries[k].first = shared[k].first;
    for (size_t at = 0; at < ops; at += 5000) must(g[i]->write(writes_of(entries, at, std::min(ops, at + 5000))), "write");
  }
  net::EventLoop loop;
  auto hub = must(net::multi::start_group_node(loop.context(), *g[0], {}), "serve");
  auto t0 = Clock::now();
  std::vector<std::unique_ptr<net::multi::GroupNode>> dialers;
  for (size_t i = 1; i < 3; ++i) {
    net::multi::GroupNodeOptions o;
    o.listen = false;
    o.connect.push_back(net::TcpPeer{"127.0.0.1", hub->port()});
    dialers.push_back(must(net::multi::start_group_node(loop.context(), *g[i], o), "dial"));
  }
  bool ok = pump(
      loop,
      [&] {
        return dialers[0]->peers_in_sync() == 1 && dialers[1]->peers_in_sync() == 1 && hub->peers_in_sync() == 2 &&
               views_equal({g[0].get(), g[1].get(), g[2].get()});
      },
      wait_limit());
  double s = seconds_since(t0);
  std::printf("converge: 3 writers x %zu ops after a partition, loopback TCP: %s in %.2f s (%.0f ops/s indexed per device)\n",
              ops, ok ? "converged" : "NOT converged", s, 2.0 * static_cast<double>(ops) / s);
  if (!ok) {
    std::printf("  in sync: hub %zu, dialers %zu %zu\n", hub->peers_in_sync(), dialers[0]->peers_in_sync(),
                dialers[1]->peers_in_sync());
    print_writers({g[0].get(), g[1].get(), g[2].get()});
  }
  std::fflush(stdout);
  for (auto& d : dialers) d->stop();
  hub->stop();
  pump(loop, [&] { return hub->peer_count() == 0; }, std::chrono::seconds(10));
}

void bench_many(size_t writers, size_t ops) {
  TempFolder dir;
  double rss0 = peak_rss_mb();
  auto root = must(multi::Group::create(dir / "root"), "create");
  // Each writer: its own group folder, invited by the root, writing `ops` ops.
  std::vector<multi::Hash> keys;
  auto root_log = must(root->writer_core(root->key()), "root core");
  for (size_t i = 1; i < writers; ++i) {
    std::string name = "w";
    name += std::to_string(i);
    auto w = must(multi::Group::join(dir / name, root->key()), "join");
    must(root->add_writer(w->local_writer()), "add");
    // The writer needs only the root's log (its invitation) to write; the root gets its log.
    copy_core(*root_log, *must(w->writer_core(root->key()), "root replica"));
    must(w->catch_up(), "catch_up");
    auto entries = make_entries(ops, i);
    must(w->write(writes_of(entries, 0, ops)), "write");
    copy_core(*must(w->writer_core(w->local_writer()), "writer core"), *must(root->writer_core(w->local_writer()), "replica"));
    must(w->close(), "close");
  }
  must(root->catch_up(), "catch_up");
  auto entries = make_entries(ops, 0);
  must(root->write(writes_of(entries, 0, ops)), "write");
  double rss_setup = peak_rss_mb();
  net::EventLoop loop;
  auto server = must(net::multi::start_group_node(loop.context(), *root, {}), "serve");
  auto fresh = must(multi::Group::join(dir / "new", root->key()), "join");
  net::multi::GroupNodeOptions o;
  o.listen = false;
  o.connect.push_back(net::TcpPeer{"127.0.0.1", server->port()});
  auto t0 = Clock::now();
  auto client = must(net::multi::start_group_node(loop.context(), *fresh, o), "dial");
  bool ok = pump(loop, [&] { return client->peers_in_sync() == 1 && views_equal({root.get(), fresh.get()}); },
                 wait_limit());
  if (!ok) {
    std::printf("many: no sync: in sync %zu/%zu\n", client->peers_in_sync(), server->peers_in_sync());
    print_writers({root.get(), fresh.get()});
  }
  double s = seconds_since(t0);
  auto st = fresh->status();
  std::printf("many: %zu writers x %zu ops; a new device %s in %.2f s; %zu writer cores = %zu channels on its connection "
              "(+1 group channel); peak RSS %.1f MB before serving (from %.1f), %.1f MB after the sync\n",
              writers, ops, ok ? "synced" : "did NOT sync", s, st.writers.size(), fresh->cores().size(), rss_setup,
              rss0, peak_rss_mb());
  client->stop();
  server->stop();
  pump(loop, [&] { return server->peer_count() == 0; }, std::chrono::seconds(10));
}

std::vector<size_t> parse_list(const char* text) {
  std::vector<size_t> out;
  std::string s(text);
  size_t at = 0;
  while (at < s.size()) {
    size_t comma = s.find(',', at);
    out.push_back(std::stoull(s.substr(at, comma - at)));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a line at a time, also into a pipe
  std::set<std::string> workloads = {"index", "converge", "many"};
  std::vector<size_t> sizes = {10000, 100000, 1000000};
  size_t writers = 3, batch = 4096, converge_ops = 10000, many_writers = 100, many_ops = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--workloads") {
      workloads.clear();
      std::string s(value);
      for (size_t at = 0; at <= s.size();) {
        size_t comma = s.find(',', at);
        workloads.insert(s.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
        if (comma == std::string::npos) break;
        at = comma + 1;
      }
    } else if (flag == "--sizes") {
      sizes = parse_list(value);
    } else if (flag == "--writers") {
      writers = std::stoull(value);
    } else if (flag == "--batch") {
      batch = std::stoull(value);
    } else if (flag == "--converge-ops") {
      converge_ops = std::stoull(value);
    } else if (flag == "--many-writers") {
      many_writers = std::stoull(value);
    } else if (flag == "--many-ops") {
      many_ops = std::stoull(value);
    } else {
      std::fprintf(stderr, "multi_bench: unknown option %s\n", flag.c_str());
      return 64;
    }
  }
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) > 0) std::printf("load average %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  if (workloads.contains("index")) bench_index(sizes, writers, batch);
  if (workloads.contains("converge")) bench_converge(converge_ops);
  if (workloads.contains("many")) bench_many(many_writers, many_ops);
  return 0;
}
