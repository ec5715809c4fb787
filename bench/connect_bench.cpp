// Time from "I know a key" to the first verified block over HyperDHT's connect path
// (UDX, Noise IK, the secret stream), ours beside Node Hyperswarm's in the same testnet:
//
//   ours -> Node   a fresh net::connect::DhtPeer (bootstrap included) looks the core's
//                  discovery key up, connects to the announcing Node Hyperswarm server by
//                  its key through its relays and downloads block 0
//   Node -> Node   a fresh Node Hyperswarm client (tests/interop/hyperswarm_peer.js
//                  swarm-first-block: its clock starts when it makes its swarm) against
//                  the same server. In the loopback namespace its first connection times
//                  out (~13 s, "connection timed out") and Hyperswarm's retry gets the block
//                  at ~15 s: the report shows its first 'connection' event beside it.
//   ours -> ours   the same client against a DhtPeer of ours that listens and announces
//
// Each run is timed with the milliseconds split: bootstrap (DhtPeer open -> bootstrapped),
// lookup (-> a record for the topic), handshake (-> the Noise IK reply), block (-> block 0
// verified and stored). Node's process start-up is outside its clock, as ours is.
//
// Network: a private network namespace (unshare) with only loopback, a Node HyperDHT
// testnet of 3 nodes (.cache/oracle/dht-testnet.js): nothing leaves the machine, and the
// peers' advertised interface addresses are loopback only. Needs root and node.
//
//   build/release/bench/connect_bench [RUNS=10]
#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hypercore/core.hpp"
#include "tests/support/child_process.hpp"
#include "net/connect/dht_peer.hpp"
#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "net/transport/event_loop.hpp"

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "connect_bench: %s\n", why.c_str());
  std::exit(1);
}

std::string oracle_dir() {
  const char* env = std::getenv("BEE_ORACLE_DIR");
  return env ? env : std::string(BEE_SOURCE_DIR) + "/.cache/oracle";
}

// A Node process with its stdout piped here; killed on destruction.
struct Child : bee_test::ChildProcess {
  explicit Child(const std::vector<std::string>& argv) : ChildProcess(argv, options()) {
    if (!started()) die("cannot start " + argv.front());
  }
  static Options options() {
    Options o;
    o.env.push_back("NODE_PATH=" + oracle_dir() + "/node_modules");
    return o;
  }
  // The first line, waiting at most `limit`.
  std::string line(std::chrono::milliseconds limit) {
    auto deadline = Clock::now() + limit;
    char buf[4096];
    while (buffer.find('\n') == std::string::npos && Clock::now() < deadline) {
      pollfd fd{out, POLLIN, 0};
      if (poll(&fd, 1, 100) <= 0) continue;
      ssize_t n = read(out, buf, sizeof buf);
      if (n <= 0) break;
      buffer.append(buf, static_cast<size_t>(n));
    }
    auto nl = buffer.find('\n');
    if (nl == std::string::npos) die("no answer from " + std::to_string(pid) + ": " + buffer);
    std::string l = buffer.substr(0, nl);
    buffer.erase(0, nl + 1);
    return l;
  }
};

std::string field(const std::string& line, const std::string& name) {
  auto at = line.find("\"" + name + "\":");
  if (at == std::string::npos) die("no " + name + " in " + line);
  at += name.size() + 3;
  if (line[at] == '"') return line.substr(at + 1, line.find('"', at + 1) - at - 1);
  return line.substr(at, line.find_first_of(",}]", at) - at);
}

hypercore::Hash unhex32(const std::string& h) {
  auto v = hypercore::hash_from_hex(h);
  if (!v) die("bad hex " + h);
  return *v;
}

struct Split {
  double bootstrap = 0, lookup = 0, handshake = 0, block = 0, total = 0;
  double first_connection = 0;  // Node: its swarm's first 'connection' event
};

// Runs `loop` until `done` or `limit`.
bool run_until(net::EventLoop& loop, const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  while (!done() && Clock::now() < deadline) loop.run_for(10ms);
  return done();
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// One fresh client of ours: open, bootstrap, look the topic up, connect to the first
// record's key, download block 0.
Split our_client(const std::string& bootstrap, const hypercore::PublicKey& core_key, const hypercore::Hash& topic) {
  net::EventLoop loop;
  Split s;
  auto t0 = Clock::now();
  auto replica = hypercore::Core::open_replica(hypercore::make_memory_storage(), core_key);
  if (!replica) die("replica: " + replica.error().message);
  std::unique_ptr<net::connect::DhtPeer> peer;
  bool got = false;
  std::optional<std::string> failure;
  Clock::time_point t_boot, t_lookup, t_hs, t_block;
  net::PeerSetup setup;
  setup.cores = {replica->get()};
  setup.replicator.download_all = true;  // block 0 is the first one asked for
  setup.handlers.on_event = [&](net::Peer& p, const net::SessionEvent&) {
    if (!got && (*replica)->has(0)) {
      got = true;
      t_block = Clock::now();
      p.close();
      loop.stop();
    }
  };
  net::connect::DhtPeerOptions options;
  options.host = "127.0.0.1";
  options.bootstrap = {bootstrap};
  bool looked_up = false;
  auto opened = net::connect::DhtPeer::open(loop.context(), options, [&] {
    t_boot = Clock::now();
    peer->hyperdht().lookup(
        topic,
        [&](const net::dht::PeerReply& reply) {
          if (looked_up || reply.peers.empty()) return;
          looked_up = true;
          t_lookup = Clock::now();
          const auto& record = reply.peers[0];
          peer->connect(record.public_key, record.relay_addresses, setup,
                        [&](net::TransportResult<std::shared_ptr<net::Peer>> r, const net::connect::ConnectInfo&) {
                          t_hs = Clock::now();
                          if (!r) {
                            failure = r.error().to_string();
                            loop.stop();
                          }
                        });
        },
        [&](const net::dht::QueryResult&) {
          if (!looked_up) {
            failure = "the lookup found no record";
            loop.stop();
          }
        },
        peer->udp().now());
    peer->udp().reschedule();
  });
  if (!opened) die("open: " + opened.error().message);
  peer = std::move(*opened);
  loop.run_for(20s);
  peer->close();
  if (!got) die("no block: " + failure.value_or("timed out"));
  s.bootstrap = ms_between(t0, t_boot);
  s.lookup = ms_between(t_boot, t_lookup);
  s.handshake = ms_between(t_lookup, t_hs);
  s.block = ms_between(t_hs, t_block);
  s.total = ms_between(t0, t_block);
  return s;
}

void report(const char* name, std::vector<Split> runs) {
  auto median = [&](double Split::*f) {
    std::vector<double> v;
    for (const auto& r : runs) v.push_back(r.*f);
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<double> totals;
  for (const auto& r : runs) totals.push_back(r.total);
  std::sort(totals.begin(), totals.end());
  std::printf("%-14s runs %zu  total median %7.1f ms (min %7.1f, max %7.1f)", name, runs.size(), median(&Split::total),
              totals.front(), totals.back());
  if (runs[0].bootstrap > 0) {
    std::printf("  = bootstrap %.1f + lookup %.1f + handshake %.1f + block %.1f (medians)", median(&Split::bootstrap),
                median(&Split::lookup), median(&Split::handshake), median(&Split::block));
  }
  if (runs[0].first_connection > 0) std::printf("  (first 'connection' event: median %.1f ms)", median(&Split::first_connection));
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 10;
  if (runs < 1) die("RUNS must be positive");
  if (geteuid() != 0) die("needs root (a private network namespace)");
  if (unshare(CLONE_NEWNET) != 0) die("unshare(CLONE_NEWNET) failed");
  if (std::system("ip link set lo up") != 0) die("`ip link set lo up` failed");

  Child testnet({"node", oracle_dir() + "/dht-testnet.js", "--nodes", "3", "--seconds", "600"});
  std::string boot_line = testnet.line(30s);
  auto at = boot_line.find("\"bootstrapStrings\":[\"");
  if (at == std::string::npos) die("testnet: " + boot_line);
  at += 21;
  std::string bootstrap = boot_line.substr(at, boot_line.find('"', at) - at);

  std::string script = std::string(BEE_SOURCE_DIR) + "/tests/interop/hyperswarm_peer.js";
  Child server({"node", script, "swarm-serve", "--bootstrap", bootstrap, "--entries", "100", "--seconds", "600"});
  std::string served = server.line(30s);
  auto key = unhex32(field(served, "key"));
  auto topic = unhex32(field(served, "discoveryKey"));
  std::string key_hex = field(served, "key");

  std::vector<Split> ours, node, ours_ours;
  for (int i = 0; i < runs; i++) ours.push_back(our_client(bootstrap, key, topic));
  int node_timeouts = 0;
  for (int i = 0; i < runs; i++) {
    Child client({"node", script, "swarm-first-block", "--bootstrap", bootstrap, "--key", key_hex, "--seconds", "60"});
    Split s;
    // A Node client that got no block in 60 s (it gives up and prints nothing) is counted,
    // not fatal: in this namespace its first connection times out and the retry usually works.
    if (!client.wait_for("\n", 65s)) {
      node_timeouts++;
      continue;
    }
    std::string line = client.line(1s);
    s.total = std::stod(field(line, "ms"));
    s.first_connection = std::stod(field(line, "connectedMs"));
    node.push_back(s);
  }

  // Our server: a core of 100 blocks, listened for and announced under its discovery key.
  {
    net::EventLoop loop;
    std::thread thread;
    auto writer = hypercore::Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::random());
    if (!writer) die("writer");
    for (int i = 0; i < 100; i++) {
      std::string block = "block " + std::to_string(i);
      if (!(*writer)->append(hypercore::as_bytes(block))) die("append");
    }
    net::connect::DhtPeerOptions options;
    options.host = "127.0.0.1";
    options.bootstrap = {bootstrap};
    bool ready = false;
    auto opened = net::connect::DhtPeer::open(loop.context(), options, [&] { ready = true; });
    if (!opened) die("server open");
    auto& dht = **opened;
    auto keys = hypercore::KeyPair::random();
    net::PeerSetup setup;
    setup.cores = {writer->get()};
    bool announced = false;
    run_until(loop, [&] { return ready; }, 20s);
    dht.listen(keys, setup);
    run_until(loop, [&] { return !dht.relays(keys.public_key).empty(); }, 20s);
    dht.hyperdht().announce((*writer)->discovery_key(), keys, dht.relays(keys.public_key),
                            [&](const net::dht::QueryResult& r) { announced = r.commits_ok > 0; }, dht.udp().now());
    dht.udp().reschedule();
    run_until(loop, [&] { return announced; }, 20s);
    if (!announced) die("our server did not announce");
    thread = std::thread([&] { loop.run_for(600s); });
    for (int i = 0; i < runs; i++) ours_ours.push_back(our_client(bootstrap, (*writer)->key(), (*writer)->discovery_key()));
    loop.post([&] {
      dht.close();
      loop.stop();
    });
    thread.join();
  }

  std::printf("connect_bench: %d run(s) each, a Node testnet of 3 nodes on loopback in a private namespace\n", runs);
  report("ours -> Node", ours);
  if (!node.empty()) report("Node -> Node", node);
  if (node_timeouts > 0) std::printf("Node -> Node   %d of %d runs got no block within 60 s\n", node_timeouts, runs);
  report("ours -> ours", ours_ours);
  return 0;
}
