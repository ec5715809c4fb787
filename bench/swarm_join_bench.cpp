// Time to first block over the LAN path of net::Swarm: how long after a reader's
// Swarm::join(topic) the first block of a core is downloaded and verified, when a writer
// already serves that core on the link. mDNS only (mode lan, no DHT, empty bootstrap list).
//
// Per run: a fresh writer core in memory (--blocks blocks of --block-bytes bytes, one
// signed append) served by a writer Swarm that joins the core's discovery key with
// announce + lookup (as `bee serve --swarm --lan`); after --settle-ms (default 4 s: a
// server that is already up) a reader Swarm
// with a fresh in-memory replica and fresh keys joins the topic with lookup only and
// download_all (as `bee clone --swarm --lan`). The clock starts right before the reader's
// join() and stops when block 0 is verified and stored in the replica. Breakdown, each from
// the previous step:
//   discovery  join -> the writer found by mDNS (the reader's first query waits 20-120 ms,
//              RFC 6762 §5.2; the writer's answer to a shared PTR question 20-120 ms, §6)
//   tcp        -> TCP connected (the reader is lookup-only, so it dials at once)
//   noise      -> the core's channel open (Noise XX + secretstream header, protomux open,
//              capability checked)
//   block      -> block 0 verified and stored (sync, upgrade to the signed length, request)
// Why the settle time: the writer probes (RFC 6762 §8.1: 0-250 ms, then 3 probes 250 ms
// apart) and announces twice, 1 s apart, so its last announcement goes out about 2 s after
// its join; for 1 s after that, §6's rate limit (a record is not multicast again within 1 s)
// holds back its answer to the reader's first query until the second has passed. With
// --settle-ms 2000 discovery takes about 0.8-1.0 s instead of about 0.1 s: the figure for a
// reader that joins while the server is still starting. (Before the responder deferred such
// answers it dropped them, and the reader found the writer only with its second query,
// 1.1-1.2 s after joining.)
//
// Network: both swarms run in this one process, on one io_context, in a private network
// namespace made with unshare(CLONE_NEWNET) whose loopback interface is set up with the
// MULTICAST flag and a 224.0.0.0/4 route (`ip link`, `ip route`). Both bind 127.0.0.1 and the
// real mDNS port 5353 (nothing else listens there in the private namespace) and hear each
// other's multicast through IP_MULTICAST_LOOP, exactly as two hosts on a link hear each
// other, minus the wire: every protocol timer (mDNS query and response delays, TCP, Noise,
// replication round trips) is the real one; a veth pair between two namespaces
// (tests/net/swarm_netns_test.cpp) would add only its few microseconds. The namespace is the
// process's own: the kernel removes it when the process exits, whatever the exit path, so
// there is nothing to clean up. Needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN) and iproute2.
//
// Run from a release build:
//   build/release/bench/swarm_join_bench [RUNS=10] [--blocks 300] [--block-bytes 1024]
//       [--settle-ms 4000] [--timeout-ms 20000]
// Prints one line per run, then median and p90 (nearest rank) of each column. Exit status
// 1 if any run failed or timed out (each run is bounded by --timeout-ms).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "hypercore/core.hpp"
#include "hypercore/storage.hpp"
#include "net/transport/event_loop.hpp"
#include "net/swarm/swarm.hpp"
#include "tests/support/private_netns.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Args {
  int runs = 10;
  uint64_t blocks = 300;
  size_t block_bytes = 1024;
  milliseconds settle{4000};
  milliseconds timeout{20000};
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "swarm_join_bench: %s\nusage: swarm_join_bench [RUNS=10] [--blocks N] [--block-bytes N] "
               "[--settle-ms MS] [--timeout-ms MS]\n",
               why);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    auto value = [&]() -> long {
      if (i + 1 >= argc) usage(("missing value for " + arg).c_str());
      char* end = nullptr;
      long v = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || v <= 0) usage(("bad value for " + arg).c_str());
      return v;
    };
    if (arg == "--blocks") {
      a.blocks = static_cast<uint64_t>(value());
    } else if (arg == "--block-bytes") {
      a.block_bytes = static_cast<size_t>(value());
    } else if (arg == "--settle-ms") {
      a.settle = milliseconds(value());
    } else if (arg == "--timeout-ms") {
      a.timeout = milliseconds(value());
    } else if (!arg.empty() && arg[0] != '-') {
      a.runs = std::atoi(arg.c_str());
      if (a.runs <= 0) usage("RUNS must be a positive number");
    } else {
      usage(("unknown option " + arg).c_str());
    }
  }
  return a;
}

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

struct Run {
  std::string failure;  // empty: it worked
  // Milliseconds since join(), at each step.
  double found = 0, tcp = 0, opened = 0, block = 0;
};

Run run_once(const Args& args) {
  Run result;
  auto fail = [&](std::string why) {
    result.failure = std::move(why);
    return result;
  };

  // The writer: a core of args.blocks blocks, served.
  auto writer_core = hypercore::Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::random());
  if (!writer_core) return fail("writer core: " + writer_core.error().message);
  std::vector<hypercore::Bytes> payloads;
  std::vector<hypercore::ByteSpan> blocks;
  for (uint64_t i = 0; i < args.blocks; i++) payloads.emplace_back(args.block_bytes, static_cast<uint8_t>(i));
  for (const auto& p : payloads) blocks.emplace_back(p);
  if (auto r = (*writer_core)->append(blocks); !r) return fail("append: " + r.error().message);
  hypercore::Hash topic = (*writer_core)->discovery_key();
  auto replica = hypercore::Core::open_replica(hypercore::make_memory_storage(), (*writer_core)->key());
  if (!replica) return fail("replica: " + replica.error().message);

  // Declared after the cores (they outlive the connections it may still hold when it is
  // destroyed) and before the swarms (their sockets go before it).
  net::EventLoop loop;

  const std::vector<net::swarm::Ipv4> kLoopback{{127, 0, 0, 1}};
  net::swarm::SwarmOptions writer_options;
  writer_options.mode = net::swarm::DiscoveryMode::lan;
  writer_options.host = "127.0.0.1";
  writer_options.interfaces = kLoopback;
  writer_options.setup.cores = {writer_core->get()};
  auto writer = net::swarm::Swarm::open(loop.context(), std::move(writer_options));
  if (!writer) return fail("writer swarm: " + writer.error().message);
  if (auto r = (*writer)->join(topic, {.announce = true, .lookup = true}); !r) return fail("writer join: " + r.error().message);
  loop.run_for(args.settle);  // probing and announcing; work remains (the swarm), so it times out

  // The reader: a fresh replica that looks the topic up.
  std::optional<Clock::time_point> found, tcp, opened, block;
  net::swarm::SwarmOptions reader_options;
  reader_options.mode = net::swarm::DiscoveryMode::lan;
  reader_options.host = "127.0.0.1";
  reader_options.interfaces = kLoopback;
  reader_options.setup.cores = {replica->get()};
  reader_options.setup.replicator.download_all = true;
  reader_options.on_event = [&](const net::swarm::SwarmEvent& e) {
    auto now = Clock::now();
    if (e.kind == net::swarm::SwarmEvent::Kind::peer_found && !found) found = now;
    if (e.kind == net::swarm::SwarmEvent::Kind::peer_joined && !tcp) tcp = now;
  };
  reader_options.setup.handlers.on_event = [&](net::Peer&, const net::SessionEvent& e) {
    if (e.core == net::SessionEvent::kSessionEvent) return;
    auto now = Clock::now();
    if (e.event.kind == net::ReplicatorEvent::Kind::opened && !opened) opened = now;
    if (e.event.kind == net::ReplicatorEvent::Kind::block_downloaded && e.event.value == 0 && !block) {
      block = now;
      loop.stop();
    }
  };
  auto reader = net::swarm::Swarm::open(loop.context(), std::move(reader_options));
  if (!reader) return fail("reader swarm: " + reader.error().message);

  auto start = Clock::now();
  if (auto r = (*reader)->join(topic, {.announce = false, .lookup = true}); !r) return fail("reader join: " + r.error().message);
  loop.run_for(args.timeout);
  if (block) {
    // Verified and stored: the replica serves it.
    auto got = (*replica)->get(0);
    if (!got || *got != payloads[0]) return fail("block 0 downloaded but not readable from the replica");
  }

  (*reader)->close();
  (*writer)->close();
  loop.run_for(milliseconds(300));  // goodbyes and closes, bounded

  if (!found) return fail("no peer found by mDNS within the timeout");
  if (!tcp) return fail("found, but no TCP connection within the timeout");
  if (!opened) return fail("connected, but the channel did not open within the timeout");
  if (!block) return fail("channel open, but block 0 did not arrive within the timeout");
  result.found = ms_between(start, *found);
  result.tcp = ms_between(start, *tcp);
  result.opened = ms_between(start, *opened);
  result.block = ms_between(start, *block);
  return result;
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::max(1.0, std::ceil(p * static_cast<double>(values.size()))));
  return values[std::min(rank, values.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);
  if (auto why = test_support::enter_private_netns(); !why.empty()) {
    std::fprintf(stderr, "swarm_join_bench: %s\n", why.c_str());
    return 1;
  }
  std::printf("swarm join -> first block, LAN (mDNS only), %d runs, core of %llu blocks x %zu bytes, settle %lld ms\n",
              args.runs, static_cast<unsigned long long>(args.blocks), args.block_bytes,
              static_cast<long long>(args.settle.count()));
  std::printf("times in ms since join(); discovery/tcp/noise/block are the step durations\n");
  std::printf("%4s %10s %10s %10s %10s %12s\n", "run", "discovery", "tcp", "noise", "block", "total");
  std::vector<double> discovery, tcp, noise, block, total;
  int failures = 0;
  for (int i = 1; i <= args.runs; i++) {
    Run r = run_once(args);
    if (!r.failure.empty()) {
      std::printf("%4d failed: %s\n", i, r.failure.c_str());
      failures++;
      continue;
    }
    discovery.push_back(r.found);
    tcp.push_back(r.tcp - r.found);
    noise.push_back(r.opened - r.tcp);
    block.push_back(r.block - r.opened);
    total.push_back(r.block);
    std::printf("%4d %10.2f %10.2f %10.2f %10.2f %12.2f\n", i, discovery.back(), tcp.back(), noise.back(), block.back(),
                total.back());
    std::fflush(stdout);
  }
  if (!total.empty()) {
    for (auto [name, p] : {std::pair{"median", 0.5}, std::pair{"p90", 0.9}}) {
      std::printf("%6s %8.2f %10.2f %10.2f %10.2f %12.2f\n", name, percentile(discovery, p), percentile(tcp, p),
                  percentile(noise, p), percentile(block, p), percentile(total, p));
    }
  }
  if (failures) std::printf("%d of %d runs failed\n", failures, args.runs);
  return failures ? 1 : 0;
}
