// Replication workloads over loopback TCP, our peers beside the Node reference's, so that a
// figure always comes with its comparison (STYLE.md rule 9). A plain driver rather than
// Google Benchmark: each workload is one long run between two peers (one of them a Node
// child process), not a loop of short iterations.
//
//   clone       a full clone of a core of --clone-mib MiB in blocks of --block-kib KiB
//               (memory storage on both sides): C++ -> C++ (server and client on two
//               threads of this process, each with its own event loop), and Node -> Node
//               (bench/replication_node.js serve-core / clone-core, two processes). MB/s
//               are 10^6 bytes of block payload per second, connect to last block. Also
//               C++ -> C++ over UDX: the same clone through HyperDHT's connect path (the
//               server's DhtPeer listens on a key, a local testnet of 3 nodes beside it;
//               the client's connects by that key: Noise IK, a UDX stream).
//   get         sparse remote gets, cold: for each of --gets random keys of a bee of
//               --entries entries (bee_bench's keys and 100-byte values, batches of 1000),
//               a fresh in-memory replica on a fresh connection waits for the remote's
//               length, then one get is timed from its start (net::RemoteBeeClient; Node:
//               Hyperbee over a sparse Hypercore, bench/replication_node.js gets). Median
//               and p99 latency, blocks fetched and round trips per get. Pairs: C++
//               client -> C++ server (bee::Bee served by net::listen_tcp with
//               net::BeeExtensionResponder), Node -> Node (peer.js serve --bee, the same
//               ops and seed: the same core key, checked), C++ client -> Node server.
//               "-ext": the client does not use the hyperbee extension
//               (RemoteQueryOptions::use_extension; Hyperbee's `extension: false`).
//   get-disk    the cold gets of `get` against a bee in a folder (--serve-dir, made for
//               example by `bee batch DIR --group 1000` of db_bench's keys: key%010d of
//               i * 2654435761 mod 2^32 for i below --serve-entries), served from its
//               files as `bee serve` does: what a remote get costs at 1M or 10M entries.
//   concurrent  --concurrent gets in flight at once on one replica (one connection):
//               total time, gets/s, blocks fetched; the same pairs.
//
// The Node processes get TCP_NODELAY on their sockets (bench/node_nodelay.js), as our
// transports set it: with Node's default (Nagle on; --node-nagle) a loopback round trip
// often waits ~40 ms for a delayed ACK, which is not what the stack costs.
//
// Run from a release build (the oracle installed by scripts/setup.sh):
//   build/release/bench/replication_bench [--workloads clone,get,concurrent,get-disk]
//       [--serve-dir DIR --serve-entries N]
//       [--clone-mib 1024] [--block-kib 64] [--entries 100000] [--gets 200]
//       [--concurrent 1000] [--max-inflight 32] [--no-node] [--node-nagle]
// Environment: BEE_ORACLE_DIR (default <source>/.cache/oracle), BEE_BENCH_CLONE_MIB (the
// --clone-mib default). The machine's load average is printed with the figures.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bee/bee.hpp"
#include "hypercore/core.hpp"
#include "hypercore/storage.hpp"
#include "net/remote/bee_extension.hpp"
#include "net/transport/event_loop.hpp"
#include "net/remote/remote_bee_async.hpp"
#include "net/transport/tcp_transport.hpp"
#include "net/connect/dht_peer.hpp"
#include "tests/net/local_dht_node.hpp"

#ifndef BEE_SOURCE_DIR
#define BEE_SOURCE_DIR "."
#endif

using namespace hypercore;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct Config {
  std::set<std::string> workloads{"clone", "get", "concurrent"};
  uint64_t clone_mib = 1024;
  uint64_t block_kib = 64;
  uint64_t entries = 100000;
  uint64_t gets = 200;
  uint64_t concurrent = 1000;
  uint64_t max_inflight = net::ReplicatorOptions{}.max_inflight;  // the clone's requests in flight
  bool node = true;
  bool node_nagle = false;  // leave Node's sockets as Node makes them (Nagle on)
  std::string oracle;
  std::string scratch;  // op and key files for the Node side
  std::string serve_dir;       // get-disk: the bee's folder
  uint64_t serve_entries = 0;  // get-disk: keys 0..N-1 of the key scheme are in it
};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "replication_bench: %s\n", message.c_str());
  std::exit(1);
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// CPU seconds (user + system) of the calling thread.
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// CPU seconds of another process so far (/proc/PID/stat utime + stime).
double cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t at = stat.rfind(')');  // the command name may hold spaces
  if (at == std::string::npos) return 0;
  std::istringstream fields(stat.substr(at + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; i++) {
    if (i >= 14) ticks += std::stod(field);  // fields 14 and 15: utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string seed_hex(uint8_t byte) {
  char buf[3];
  std::snprintf(buf, sizeof buf, "%02x", byte);
  std::string s;
  for (int i = 0; i < 32; i++) s += buf;
  return s;
}

KeyPair key_pair(uint8_t byte) {
  Seed seed;
  seed.fill(byte);
  return KeyPair::from_seed(seed);
}

// ---------------------------------------------------------------- the bee workload's data

std::string key_of(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key%010llu", static_cast<unsigned long long>((i * 2654435761ull) % (1ull << 32)));
  return buf;
}

std::string value_of(uint64_t i) {
  std::string v(100, 'a');
  for (size_t k = 0; k < v.size(); k++) v[k] = static_cast<char>('a' + (i + k) % 26);
  return v;
}

// `count` distinct indices below `n`, in random order.
std::vector<uint64_t> sample(uint64_t n, uint64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::set<uint64_t> seen;
  std::vector<uint64_t> out;
  while (out.size() < std::min(count, n)) {
    uint64_t i = rng() % n;
    if (seen.insert(i).second) out.push_back(i);
  }
  return out;
}

// ---------------------------------------------------------------- child processes

// A Node child with stdout piped here; SIGTERM, then SIGKILL, and reaped on destruction.
class Child {
 public:
  // argv[0] is "node": the sockets of the child get TCP_NODELAY (bench/node_nodelay.js)
  // unless config.node_nagle.
  Child(const Config& config, std::vector<std::string> argv) {
    if (!config.node_nagle) argv.insert(argv.begin() + 1, {"--require", std::string(BEE_SOURCE_DIR) + "/bench/node_nodelay.js"});
    int p[2];
    if (pipe(p) != 0) die("pipe failed");
    pid_ = fork();
    if (pid_ < 0) die("fork failed");
    if (pid_ == 0) {
      dup2(p[1], 1);
      close(p[0]);
      close(p[1]);
      std::string node_path = "NODE_PATH=" + config.oracle + "/node_modules";
      putenv(node_path.data());
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(p[1]);
    out_ = p[0];
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      for (int i = 0; i < 100 && waitpid(pid_, nullptr, WNOHANG) == 0; i++) usleep(20000);
      if (waitpid(pid_, nullptr, WNOHANG) == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    if (out_ >= 0) close(out_);
  }

  // The first line of stdout; dies after `limit`.
  std::string line(std::chrono::seconds limit, const std::string& what) {
    auto deadline = Clock::now() + limit;
    char buf[65536];
    while (buffer_.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) die(what + ": no answer within " + std::to_string(limit.count()) + " s");
      pollfd fd{out_, POLLIN, 0};
      int r = poll(&fd, 1, static_cast<int>(std::min<long long>(left, 200)));
      if (r <= 0) continue;
      ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) die(what + ": exited without an answer (" + buffer_ + ")");
      buffer_.append(buf, static_cast<size_t>(n));
    }
    return buffer_.substr(0, buffer_.find('\n'));
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

// A number or string field of a one-line JSON object (the Node scripts' flat output).
std::string json_field(const std::string& json, const std::string& name) {
  auto at = json.find("\"" + name + "\":");
  if (at == std::string::npos) die("no field " + name + " in " + json.substr(0, 200));
  at += name.size() + 3;
  if (json[at] == '"') return json.substr(at + 1, json.find('"', at + 1) - at - 1);
  if (json[at] == '[') return json.substr(at + 1, json.find(']', at) - at - 1);
  size_t end = json.find_first_of(",}", at);
  return json.substr(at, end - at);
}

std::vector<double> json_numbers(const std::string& list) {
  std::vector<double> out;
  size_t at = 0;
  while (at < list.size()) {
    size_t end = list.find(',', at);
    if (end == std::string::npos) end = list.size();
    out.push_back(std::stod(list.substr(at, end - at)));
    at = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------- our peers

// A server on its own thread and event loop, serving `core` until destroyed; for a bee,
// with the hyperbee extension answered (as `peer.js serve --bee` does).
class ServerThread {
 public:
  ServerThread(Core& core, bool bee_extension) {
    net::ServerOptions options;
    options.setup.cores = {&core};
    if (bee_extension) {
      auto& handlers = options.setup.handlers;
      handlers.on_open = [this, &core](net::Peer& peer) {
        responders_[&peer] = std::make_unique<net::BeeExtensionResponder>(core);
      };
      handlers.on_event = [this](net::Peer& peer, const net::SessionEvent& e) {
        if (e.core == 0) responders_.at(&peer)->on_event(e.event, peer.session().replicator(0), Clock::now());
      };
      handlers.on_close = [this](net::Peer& peer, const std::optional<net::TransportError>&) {
        responders_.erase(&peer);
      };
    }
    auto server = net::listen_tcp(loop_.context(), std::move(options));
    if (!server) die("listen: " + server.error().to_string());
    server_ = std::move(*server);
    thread_ = std::thread([this] { loop_.run_for(std::chrono::hours(24)); });
  }
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;
  ~ServerThread() {
    loop_.post([this] { server_->stop(); });
    thread_.join();
  }
  uint16_t port() const { return server_->port(); }
  // CPU seconds the server's thread has used so far.
  double cpu_seconds() {
    clockid_t clock;
    timespec t{};
    if (pthread_getcpuclockid(thread_.native_handle(), &clock) != 0 || clock_gettime(clock, &t) != 0) return 0;
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
  }

 private:
  std::map<net::Peer*, std::unique_ptr<net::BeeExtensionResponder>> responders_;  // the server thread's
  net::EventLoop loop_;
  std::unique_ptr<net::Server> server_;
  std::thread thread_;
};

using OpenResult = std::expected<std::shared_ptr<net::RemoteBeeClient>, net::RemoteQueryError>;

// The options of a client on a fresh sparse replica of `key` held in memory, connecting to
// our loopback server or Node's: one version is read, `limit` bounds the open.
net::RemoteBeeClientOptions client_options(const Hash& key, uint16_t port, std::chrono::milliseconds limit) {
  net::RemoteBeeClientOptions options;
  options.peer = net::TcpPeer{"127.0.0.1", port};
  options.key = key;
  options.open_timeout = limit;
  options.query_timeout = limit;
  options.replicator.live = false;
  options.transport.tick_interval = 20ms;
  return options;
}

// ---------------------------------------------------------------- figures

struct Row {
  std::string workload, peers, figure;
};
std::vector<Row> rows;

void add_row(std::string workload, std::string peers, std::string figure) {
  std::printf("  %-34s %-18s %s\n", workload.c_str(), peers.c_str(), figure.c_str());
  std::fflush(stdout);
  rows.push_back({std::move(workload), std::move(peers), std::move(figure)});
}

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

// ---------------------------------------------------------------- clone

// MB/s, then the CPU time of each peer and the rate the busier one would allow with a core
// of its own: on a loaded machine the wall-clock figure mostly measures the other load.
std::string clone_figure(uint64_t bytes, double seconds, double server_cpu, double client_cpu) {
  return format("%.0f MB/s (%.2f s); CPU s: server %.2f, client %.2f (%.0f MB/s if CPU-bound on idle cores)",
                static_cast<double>(bytes) / seconds / 1e6, seconds, server_cpu, client_cpu,
                static_cast<double>(bytes) / std::max(server_cpu, client_cpu) / 1e6);
}

// A replica that clones everything one connection offers; `finished` when it holds it all.
struct CloneClient {
  CloneClient(const Config& config, const hypercore::PublicKey& key) : config(config) {
    auto replica = Core::open_replica(make_memory_storage(), key);
    if (!replica) die(replica.error().to_string());
    copy = std::move(*replica);
  }
  net::PeerSetup setup() {
    net::PeerSetup s;
    s.cores = {copy.get()};
    s.replicator.download_all = true;
    s.replicator.max_inflight = config.max_inflight;
    s.handlers.on_event = [this](net::Peer& peer, const net::SessionEvent&) {
      auto remote = peer.session().replicator(0).remote_sync();
      if (done || !remote || copy->length() < remote->length || copy->contiguous_length() < copy->length()) return;
      done = true;
      finished = Clock::now();
      peer.close();
    };
    // The loop may hold more than this connection (a DhtPeer's sockets): stop it.
    s.handlers.on_close = [this](net::Peer&, const std::optional<net::TransportError>&) { loop.stop(); };
    return s;
  }
  void check(const std::string& what, const Hash& tree_hash, uint64_t bytes) const {
    if (!done) die(what + " did not complete");
    if (copy->tree_hash() != tree_hash || copy->byte_length() != bytes) die(what + " differs from its source");
  }

  const Config& config;
  net::EventLoop loop;
  std::unique_ptr<Core> copy;
  bool done = false;
  Clock::time_point finished;
};

// The clone over HyperDHT's connect path: the server (its DhtPeer and a testnet of three
// nodes on its own thread) listens on a key; the client connects by that key, the
// handshake through the server's relays, then a UDX stream.
void udx_clone(const Config& config, Core& core, const Hash& tree_hash, uint64_t bytes, const std::string& name,
               double tcp_mbps) {
  net::EventLoop server_loop;
  net_test::LocalTestnet testnet(server_loop);
  if (!testnet.ok()) die("UDX clone: the local testnet did not open");
  auto run_until = [](net::EventLoop& loop, const std::function<bool()>& done) {
    for (auto deadline = Clock::now() + 20s; !done() && Clock::now() < deadline;) loop.run_for(10ms);
    return done();
  };
  net::connect::DhtPeerOptions options;
  options.host = "127.0.0.1";
  options.bootstrap = testnet.bootstrap;
  bool server_ready = false;
  auto server = net::connect::DhtPeer::open(server_loop.context(), options, [&] { server_ready = true; });
  if (!server || !run_until(server_loop, [&] { return server_ready; })) die("UDX clone: the server's DhtPeer did not open");
  const auto keys = key_pair(6);
  net::PeerSetup served;
  served.cores = {&core};
  (*server)->listen(keys, served);
  if (!run_until(server_loop, [&] { return !(*server)->relays(keys.public_key).empty(); })) die("UDX clone: no announce");
  auto hints = (*server)->relays(keys.public_key);
  std::thread server_thread([&] { server_loop.run_for(std::chrono::hours(24)); });
  auto server_cpu_now = [&] {
    clockid_t clock;
    timespec t{};
    if (pthread_getcpuclockid(server_thread.native_handle(), &clock) != 0 || clock_gettime(clock, &t) != 0) return 0.0;
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
  };

  CloneClient client(config, core.key());
  bool client_ready = false;
  auto dht = net::connect::DhtPeer::open(client.loop.context(), options, [&] { client_ready = true; });
  if (!dht || !run_until(client.loop, [&] { return client_ready; })) die("UDX clone: the client's DhtPeer did not open");
  std::optional<std::string> failure;
  std::string path;
  double client_cpu = thread_cpu_seconds(), server_cpu = server_cpu_now();
  auto started = Clock::now();
  (*dht)->connect(keys.public_key, hints, client.setup(),
                  [&](net::TransportResult<std::shared_ptr<net::Peer>> r, const net::connect::ConnectInfo& info) {
                    path = net::connect::path_name(info.path);
                    if (!r) {
                      failure = r.error().to_string();
                      client.loop.stop();
                    }
                  });
  client.loop.after(10min, [&] { client.loop.stop(); });
  client.loop.run_for(11min);
  if (failure) die("UDX clone: " + *failure);
  client.check("C++ clone over UDX", tree_hash, bytes);
  client_cpu = thread_cpu_seconds() - client_cpu;
  server_cpu = server_cpu_now() - server_cpu;
  (*dht)->close();
  server_loop.post([&] {
    (*server)->close();
    server_loop.stop();
  });
  server_thread.join();
  const double seconds = std::chrono::duration<double>(client.finished - started).count();
  const double mbps = static_cast<double>(bytes) / seconds / 1e6;
  add_row(name, "C++ -> C++ UDX", clone_figure(bytes, seconds, server_cpu, client_cpu) + "; path " + path);
  add_row(name, "UDX / TCP", format("UDX at %.2fx TCP's MB/s", mbps / tcp_mbps));
}

void clone_workload(const Config& config) {
  const uint64_t bytes = config.clone_mib << 20;
  const uint64_t block_size = config.block_kib << 10;
  const std::string name = format("clone %llu MiB / %llu KiB blocks", static_cast<unsigned long long>(config.clone_mib),
                                  static_cast<unsigned long long>(config.block_kib));
  double cpp_mbps = 0, cpp_cpu = 0;
  {
    auto built = Clock::now();
    auto source = Core::create(make_memory_storage(), key_pair(5));
    if (!source) die(source.error().to_string());
    Core& core = **source;
    uint32_t x = 0x9e3779b9;  // xorshift32, as replication_node.js
    const uint64_t blocks = (bytes + block_size - 1) / block_size;
    const uint64_t per_append = std::max<uint64_t>(1, (4 << 20) / block_size);
    for (uint64_t i = 0; i < blocks; i += per_append) {
      std::vector<Bytes> batch;
      for (uint64_t b = i; b < std::min(blocks, i + per_append); b++) {
        Bytes block(std::min(block_size, bytes - b * block_size));
        for (size_t k = 0; k + 4 <= block.size(); k += 4) {
          x ^= x << 13;
          x ^= x >> 17;
          x ^= x << 5;
          std::memcpy(block.data() + k, &x, 4);
        }
        batch.push_back(std::move(block));
      }
      std::vector<ByteSpan> spans(batch.begin(), batch.end());
      if (auto appended = core.append(spans); !appended) die(appended.error().to_string());
    }
    std::printf("  (C++ source core built in %.1f s)\n", ms_since(built) / 1000);
    const Hash tree_hash = core.tree_hash();
    {
      ServerThread server(core, false);
      CloneClient client(config, core.key());
      double client_cpu = thread_cpu_seconds(), server_cpu = server.cpu_seconds();
      auto started = Clock::now();
      auto peer = net::connect_tcp(client.loop.context(), "127.0.0.1", server.port(), client.setup());
      client.loop.after(10min, [&] { peer->stop(); });
      client.loop.run_for(11min);
      client.check("C++ clone", tree_hash, bytes);
      client_cpu = thread_cpu_seconds() - client_cpu;
      server_cpu = server.cpu_seconds() - server_cpu;
      double seconds = std::chrono::duration<double>(client.finished - started).count();
      cpp_mbps = static_cast<double>(bytes) / seconds / 1e6;
      cpp_cpu = client_cpu + server_cpu;
      add_row(name, "C++ -> C++", clone_figure(bytes, seconds, server_cpu, client_cpu));
    }
    udx_clone(config, core, tree_hash, bytes, name, cpp_mbps);
  }
  if (!config.node) return;
  Child server(config, {"node", std::string(BEE_SOURCE_DIR) + "/bench/replication_node.js", "serve-core", "--bytes",
                        std::to_string(bytes), "--block-size", std::to_string(block_size), "--seed", seed_hex(5)});
  std::string info = server.line(30min, "replication_node.js serve-core");
  std::printf("  (Node source core built in %.1f s)\n", std::stod(json_field(info, "buildSeconds")));
  double server_cpu_before = cpu_seconds(server.pid());
  Child client(config, {"node", std::string(BEE_SOURCE_DIR) + "/bench/replication_node.js", "clone-core", "--key",
                        json_field(info, "key"), "--port", json_field(info, "port")});
  std::string result = client.line(60min, "replication_node.js clone-core");
  double server_cpu = cpu_seconds(server.pid()) - server_cpu_before;
  double client_cpu = std::stod(json_field(result, "cpuSeconds"));
  double seconds = std::stod(json_field(result, "seconds"));
  if (std::stoull(json_field(result, "bytes")) != bytes) die("Node clone: wrong size: " + result);
  double node_mbps = static_cast<double>(bytes) / seconds / 1e6;
  add_row(name, "Node -> Node", clone_figure(bytes, seconds, server_cpu, client_cpu));
  add_row(name, "C++ / Node", format("C++ at %.2fx Node's MB/s; Node uses %.1fx the CPU", cpp_mbps / node_mbps,
                                     (server_cpu + client_cpu) / cpp_cpu));
}

// ---------------------------------------------------------------- gets

struct GetFigures {
  std::vector<double> ms, blocks, round_trips;
  uint64_t found = 0;
};

// `extension`: the queries ask the peer with the hyperbee extension (RemoteQueryOptions).
// Each get on a client of its own (a fresh connection), timed from the query's start once
// the client is open; its blocks are all the connection downloaded.
GetFigures cold_gets(const Hash& key, uint16_t port, const std::vector<uint64_t>& keys, bool extension) {
  net::RemoteQueryOptions options;
  options.use_extension = extension;
  GetFigures f;
  for (uint64_t i : keys) {
    const std::string k = key_of(i);
    net::EventLoop loop;
    std::shared_ptr<net::RemoteBeeClient> client;
    bool answered = false;
    net::RemoteBeeClient::open(loop.context(), client_options(key, port, 30s), [&](const OpenResult& opened) {
      if (!opened) die("open for get " + k + ": " + opened.error().to_string());
      client = *opened;
      auto started = Clock::now();
      auto on_answer = [&, started](std::expected<net::GetResult, net::RemoteQueryError> r) {
        if (!r) die("remote get " + k + ": " + r.error().to_string());
        f.ms.push_back(ms_since(started));
        f.blocks.push_back(static_cast<double>(client->counters().blocks_down));
        f.round_trips.push_back(static_cast<double>(r->stats.round_trips));
        f.found += r->entry.has_value();
        answered = true;
        client->close();
      };
      client->async_get(Bytes(k.begin(), k.end()), options, on_answer);
    });
    if (!loop.run_for(35s) || !answered) die("remote get " + k + " did not complete");
  }
  return f;
}

void add_get_row(const std::string& name, const std::string& peers, const GetFigures& f, bool with_round_trips) {
  std::string figure = format("median %.2f ms, p99 %.2f ms, %.1f blocks/get", percentile(f.ms, 0.5), percentile(f.ms, 0.99),
                              mean(f.blocks));
  if (with_round_trips) figure += format(", %.1f round trips/get", mean(f.round_trips));
  figure += format(" (%llu found)", static_cast<unsigned long long>(f.found));
  add_row(name, peers, figure);
}

struct ConcurrentFigures {
  double ms = 0;
  uint64_t blocks = 0, found = 0, round_trips = 0;
};

// All gets started at once on one client (one replica, one connection) once it is open;
// the time is from their start to the last answer.
ConcurrentFigures concurrent_gets(const Hash& key, uint16_t port, const std::vector<uint64_t>& keys, bool extension) {
  net::RemoteQueryOptions options;
  options.use_extension = extension;
  ConcurrentFigures f;
  net::EventLoop loop;
  std::shared_ptr<net::RemoteBeeClient> client;
  size_t done = 0;
  Clock::time_point started;
  auto on_answer = [&](std::expected<net::GetResult, net::RemoteQueryError> r) {
    if (!r) die("concurrent get: " + r.error().to_string());
    f.found += r->entry.has_value();
    f.round_trips += r->stats.round_trips;
    if (++done < keys.size()) return;
    f.ms = ms_since(started);
    f.blocks = client->counters().blocks_down;
    client->close();
  };
  net::RemoteBeeClient::open(loop.context(), client_options(key, port, 120s), [&](const OpenResult& opened) {
    if (!opened) die("open for concurrent gets: " + opened.error().to_string());
    client = *opened;
    started = Clock::now();
    for (uint64_t i : keys) {
      std::string k = key_of(i);
      client->async_get(Bytes(k.begin(), k.end()), options, on_answer);
    }
  });
  if (!loop.run_for(125s) || done < keys.size()) die("concurrent gets did not complete");
  return f;
}

// get-disk: cold gets against a bee in a folder, served from its files.
void disk_gets(const Config& config) {
  if (config.serve_dir.empty() || config.serve_entries == 0) die("get-disk needs --serve-dir DIR and --serve-entries N");
  auto storage = hypercore::open_directory_storage(config.serve_dir, {.create_if_missing = false});
  if (!storage) die(storage.error().to_string());
  auto core = Core::open(*storage);
  if (!core) die(config.serve_dir + ": " + core.error().to_string());
  std::shared_ptr<Core> shared = std::move(*core);
  ServerThread server(*shared, true);
  const auto keys = sample(config.serve_entries, config.gets, 44);
  const std::string name = format("remote get, cold, %llu-entry bee on disk (%zu keys)",
                                  static_cast<unsigned long long>(config.serve_entries), keys.size());
  GetFigures f = cold_gets(shared->key(), server.port(), keys, true);
  if (f.found != keys.size()) die(format("get-disk: %llu of %zu keys found: is --serve-entries right?",
                                         static_cast<unsigned long long>(f.found), keys.size()));
  add_get_row(name, "C++ -> C++", f, true);
}

std::string write_keys(const Config& config, const std::string& name, const std::vector<uint64_t>& keys) {
  std::string path = config.scratch + "/" + name;
  std::ofstream f(path);
  for (uint64_t i : keys) f << "\"" << key_of(i) << "\"\n";
  return path;
}

void bee_workloads(const Config& config) {
  const bool gets = config.workloads.count("get") > 0;
  const bool concurrent = config.workloads.count("concurrent") > 0;
  auto built = Clock::now();
  auto core = Core::create(make_memory_storage(), key_pair(7));
  if (!core) die(core.error().to_string());
  std::shared_ptr<Core> shared = std::move(*core);
  auto opened = bee::Bee::open(shared);
  if (!opened) die(opened.error().to_string());
  bee::Bee& db = **opened;
  for (uint64_t i = 0; i < config.entries; i += 1000) {
    auto batch = db.batch();
    for (uint64_t k = i; k < std::min(config.entries, i + 1000); k++) {
      std::string key = key_of(k), value = value_of(k);
      if (!batch.put(as_bytes(key), as_bytes(value))) die("put failed");
    }
    if (!batch.flush()) die("flush failed");
  }
  std::printf("  (C++ bee of %llu entries built in %.1f s: %llu blocks)\n",
              static_cast<unsigned long long>(config.entries), ms_since(built) / 1000,
              static_cast<unsigned long long>(shared->length()));
  const Hash key = shared->key();
  ServerThread server(*shared, true);

  const auto get_keys = sample(config.entries, config.gets, 42);
  const auto concurrent_keys = sample(config.entries, config.concurrent, 43);
  const std::string get_name = format("remote get, cold (%zu keys)", get_keys.size());
  const std::string concurrent_name = format("%zu gets in flight, one replica", concurrent_keys.size());
  auto add_concurrent_row = [&](const std::string& peers, const ConcurrentFigures& f) {
    add_row(concurrent_name, peers,
            format("%.0f ms, %.0f gets/s, %llu blocks, %.1f round trips/get (%llu found)", f.ms,
                   static_cast<double>(concurrent_keys.size()) / (f.ms / 1000), static_cast<unsigned long long>(f.blocks),
                   static_cast<double>(f.round_trips) / static_cast<double>(concurrent_keys.size()),
                   static_cast<unsigned long long>(f.found)));
  };
  for (bool extension : {true, false}) {
    std::string peers = extension ? "C++ -> C++" : "C++ -> C++, -ext";
    if (gets) add_get_row(get_name, peers, cold_gets(key, server.port(), get_keys, extension), true);
    if (concurrent) add_concurrent_row(peers, concurrent_gets(key, server.port(), concurrent_keys, extension));
  }
  if (!config.node) return;

  // The Node server holds the same bee: the same ops (batches of 1000) and seed.
  std::string ops = config.scratch + "/ops.jsonl";
  {
    std::ofstream f(ops);
    for (uint64_t i = 0; i < config.entries; i += 1000) {
      f << "{\"op\":\"batch\",\"ops\":[";
      for (uint64_t k = i; k < std::min(config.entries, i + 1000); k++) {
        f << (k == i ? "" : ",") << "{\"op\":\"put\",\"key\":\"" << key_of(k) << "\",\"value\":\"" << value_of(k) << "\"}";
      }
      f << "]}\n";
    }
  }
  built = Clock::now();
  Child node_server(config, {"node", config.oracle + "/peer.js", "serve", "--seed", seed_hex(7), "--port", "0", "--bee",
                             ops, "--encoding", "utf-8"});
  std::string info = node_server.line(30min, "peer.js serve --bee");
  std::printf("  (Node bee built in %.1f s)\n", ms_since(built) / 1000);
  if (json_field(info, "key") != to_hex(key)) die("the Node bee differs from ours: " + info);
  const std::string node_port = json_field(info, "port");
  const std::string script = std::string(BEE_SOURCE_DIR) + "/bench/replication_node.js";
  auto port = static_cast<uint16_t>(std::stoul(node_port));

  if (gets) {
    std::string keys = write_keys(config, "get-keys.jsonl", get_keys);
    for (bool extension : {true, false}) {
      std::vector<std::string> argv{"node", script, "gets", "--key", to_hex(key), "--port", node_port, "--keys", keys};
      if (!extension) argv.push_back("--no-extension");
      Child client(config, argv);
      std::string result = client.line(30min, "replication_node.js gets");
      GetFigures f;
      f.ms = json_numbers(json_field(result, "ms"));
      f.blocks = json_numbers(json_field(result, "localBlocks"));
      f.found = std::stoull(json_field(result, "found"));
      add_get_row(get_name, extension ? "Node -> Node" : "Node -> Node, -ext", f, false);
    }
    add_get_row(get_name, "C++ -> Node", cold_gets(key, port, get_keys, true), true);
  }
  if (concurrent) {
    std::string keys = write_keys(config, "concurrent-keys.jsonl", concurrent_keys);
    for (bool extension : {true, false}) {
      std::vector<std::string> argv{"node", script, "concurrent", "--key", to_hex(key), "--port", node_port, "--keys", keys};
      if (!extension) argv.push_back("--no-extension");
      Child client(config, argv);
      std::string result = client.line(30min, "replication_node.js concurrent");
      ConcurrentFigures f;
      f.ms = std::stod(json_field(result, "ms"));
      f.blocks = std::stoull(json_field(result, "localBlocks"));
      f.found = std::stoull(json_field(result, "found"));
      add_row(concurrent_name, extension ? "Node -> Node" : "Node -> Node, -ext",
              format("%.0f ms, %.0f gets/s, %llu blocks (%llu found)", f.ms,
                     static_cast<double>(concurrent_keys.size()) / (f.ms / 1000), static_cast<unsigned long long>(f.blocks),
                     static_cast<unsigned long long>(f.found)));
    }
    add_concurrent_row("C++ -> Node", concurrent_gets(key, port, concurrent_keys, true));
  }
}

uint64_t number_arg(const std::string& name, const std::string& value) {
  char* end = nullptr;
  uint64_t v = std::strtoull(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || v == 0) die("--" + name + " needs a positive number, got '" + value + "'");
  return v;
}

Config parse(int argc, char** argv) {
  Config c;
  if (const char* env = std::getenv("BEE_BENCH_CLONE_MIB"); env && *env) c.clone_mib = number_arg("clone-mib", env);
  const char* oracle = std::getenv("BEE_ORACLE_DIR");
  c.oracle = oracle && *oracle ? oracle : std::string(BEE_SOURCE_DIR) + "/.cache/oracle";
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    std::string value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg != "--no-node" && arg != "--node-nagle" && arg != "--help" && i + 1 < argc) {
      value = argv[++i];
    }
    if (arg == "--workloads") {
      c.workloads.clear();
      size_t at = 0;
      while (at <= value.size()) {
        size_t end = std::min(value.find(',', at), value.size());
        std::string w = value.substr(at, end - at);
        if (w != "clone" && w != "get" && w != "concurrent" && w != "get-disk") die("unknown workload '" + w + "'");
        c.workloads.insert(w);
        at = end + 1;
      }
    } else if (arg == "--clone-mib") {
      c.clone_mib = number_arg("clone-mib", value);
    } else if (arg == "--block-kib") {
      c.block_kib = number_arg("block-kib", value);
    } else if (arg == "--entries") {
      c.entries = number_arg("entries", value);
    } else if (arg == "--gets") {
      c.gets = number_arg("gets", value);
    } else if (arg == "--concurrent") {
      c.concurrent = number_arg("concurrent", value);
    } else if (arg == "--max-inflight") {
      c.max_inflight = number_arg("max-inflight", value);
    } else if (arg == "--serve-dir") {
      c.serve_dir = value;
    } else if (arg == "--serve-entries") {
      c.serve_entries = number_arg("serve-entries", value);
    } else if (arg == "--no-node") {
      c.node = false;
    } else if (arg == "--node-nagle") {
      c.node_nagle = true;
    } else {
      std::printf(
          "usage: replication_bench [--workloads clone,get,concurrent,get-disk] [--clone-mib N] [--block-kib N]\n"
          "                         [--serve-dir DIR --serve-entries N]\n"
          "                         [--entries N] [--gets N] [--concurrent N] [--max-inflight N]\n"
          "                         [--no-node] [--node-nagle]\n"
          "env: BEE_ORACLE_DIR (the Node reference), BEE_BENCH_CLONE_MIB (default of --clone-mib)\n");
      std::exit(arg == "--help" ? 0 : 64);
    }
  }
  if (c.node && !std::filesystem::exists(c.oracle + "/node_modules")) {
    die("the Node reference is not installed in " + c.oracle + " (run scripts/setup.sh, or pass --no-node)");
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  Config config = parse(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  char scratch[] = "/tmp/replication-bench-XXXXXX";
  if (!mkdtemp(scratch)) die("mkdtemp failed");
  config.scratch = scratch;
  std::printf("replication_bench: loopback TCP, load average %s, %u cores; Node sockets %s\n",
              load_average().c_str(), std::thread::hardware_concurrency(),
              config.node_nagle ? "as Node makes them (Nagle on)" : "with TCP_NODELAY, as ours");
  if (config.workloads.count("clone")) clone_workload(config);
  if (config.workloads.count("get") || config.workloads.count("concurrent")) bee_workloads(config);
  if (config.workloads.count("get-disk")) disk_gets(config);
  std::filesystem::remove_all(config.scratch);

  std::printf("\n%-36s %-20s %s\n", "workload", "peers", "figure");
  // Grouped by workload, in the order the workloads ran.
  std::vector<std::string> order;
  for (const auto& r : rows) {
    if (std::find(order.begin(), order.end(), r.workload) == order.end()) order.push_back(r.workload);
  }
  auto rank = [&](const Row& r) { return std::find(order.begin(), order.end(), r.workload) - order.begin(); };
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) { return rank(a) < rank(b); });
  for (const auto& r : rows) std::printf("%-36s %-20s %s\n", r.workload.c_str(), r.peers.c_str(), r.figure.c_str());
  std::printf("load average at the end: %s\n", load_average().c_str());
  return 0;
}
