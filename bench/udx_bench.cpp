// UDX stream throughput on 127.0.0.1: our UdxSocket (net/udx/) beside udx-native 1.21.3
// (libudx, through tests/interop/udx_peer.js), every pair in one run (STYLE.md rule 9). A
// plain driver rather than Google Benchmark: each figure is one long one-way transfer.
//
//   ours -> ours (1 thread)    both sockets on one io_context
//   ours -> ours (2 threads)   each socket on its own io_context and thread
//   ours -> node, node -> ours our socket and a udx_peer.js child process
//   node -> node (1 process)   udx_peer.js --bench: two sockets in one Node process
//   node -> node (2 processes) two udx_peer.js children
//
// MB/s are 10^6 payload bytes per second, from the first write to the receiver's END.
// With --loss P --rtt MS every pair but the one-process Node one runs through a user-space
// lossy link (tests/net/udx/udx_relay.hpp, on its own thread): P% of datagrams dropped each
// way, MS/2 of delay each way; the machine's kernel may have no netem.
// Run from a release build (the oracle installed by scripts/setup.sh):
//   build/release/bench/udx_bench [--mib 64] [--no-node] [--loss 1 --rtt 20] [--mtu-max 1200]
// Environment: BEE_ORACLE_DIR (default <source>/.cache/oracle).
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/transport/event_loop.hpp"
#include "net/udx/udx_socket.hpp"
#include "tests/net/udx/udx_relay.hpp"
#include "tests/support/child_process.hpp"

#ifndef BEE_SOURCE_DIR
#define BEE_SOURCE_DIR "."
#endif

namespace {

using namespace net::udx;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Config {
  uint64_t bytes = 64ull << 20;
  bool node = true;
  std::string oracle;
  double loss_percent = 0;
  int rtt_ms = 0;
  bool impaired() const { return loss_percent > 0 || rtt_ms > 0; }
};

// Where A and B send to reach each other: straight to the other's port, or through the
// lossy link (A -> link side 0 -> B, B -> link side 1 -> A), which runs on its own thread
// while this lives.
class Link {
 public:
  Link(const Config& c, uint16_t port_a, uint16_t port_b) : to_b_(port_b), to_a_(port_a) {
    if (!c.impaired()) return;
    udx_test::Impairment impairment;
    impairment.loss = c.loss_percent / 100.0;
    impairment.delay = std::chrono::milliseconds(c.rtt_ms / 2);
    relay_ = std::make_shared<udx_test::Relay>(io_, impairment, 42);
    relay_->set_peer(0, port_a);
    relay_->set_peer(1, port_b);
    to_b_ = relay_->port(0);
    to_a_ = relay_->port(1);
    relay_->start();
    thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  ~Link() {
    if (!relay_) return;
    boost::asio::post(io_, [this] {
      relay_->stop();
      io_.stop();
    });
    thread_.join();
  }
  uint16_t a_sends_to() const { return to_b_; }
  uint16_t b_sends_to() const { return to_a_; }
  Address a_target() const { return Address::v4(127, 0, 0, 1, to_b_); }
  Address b_target() const { return Address::v4(127, 0, 0, 1, to_a_); }

 private:
  boost::asio::io_context io_;
  std::shared_ptr<udx_test::Relay> relay_;
  std::thread thread_;
  uint16_t to_b_, to_a_;
};

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "udx_bench: %s\n", why.c_str());
  std::exit(1);
}

// One stream end: sends `bytes` (64 KiB writes, at most 1 MiB queued) then END, or counts
// what arrives until the peer's END.
// --mtu-max N: caps our streams' MTU probing (1200 = none), to compare packet sizes.
uint16_t g_mtu_max = 1500;
net::udx::StreamOptions stream_options() {
  net::udx::StreamOptions o;
  o.mtu_max = g_mtu_max;
  return o;
}

struct End {
  std::shared_ptr<UdxSocket> socket;
  Stream* stream = nullptr;
  uint64_t to_send = 0, sent = 0, received = 0;
  bool ended = false;
  std::atomic<bool> remote_ended{false};
  Clock::time_point end_at{};
  std::vector<uint8_t> chunk = std::vector<uint8_t>(65536, 0x5a);

  void open(std::shared_ptr<UdxSocket> s, uint32_t id, uint32_t remote_id, const Address& remote) {
    socket = std::move(s);
    auto created = socket->create_stream(id, stream_options(), [this] { pump(); });
    if (!created) die("create_stream: " + created.error().to_string());
    stream = *created;
    stream->connect(remote_id, remote, socket->now());
  }
  void pump() {
    while (auto e = stream->poll_event()) {
      if (e->kind == StreamEvent::Kind::data) received += e->bytes.size();
      if (e->kind == StreamEvent::Kind::remote_end) {
        end_at = Clock::now();
        remote_ended = true;
        if (!ended && to_send == 0) {
          ended = true;
          (void)stream->end(socket->now());
        }
      }
    }
    while (sent < to_send && !stream->closed() && stream->queued_bytes() < (1u << 20)) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), to_send - sent));
      if (!stream->write(hypercore::ByteSpan(chunk.data(), n), socket->now())) break;
      sent += n;
    }
    if (to_send > 0 && sent == to_send && !ended) {
      ended = true;
      (void)stream->end(socket->now());
    }
    socket->flush();
  }
};

struct Result {
  std::string pair;
  uint64_t bytes = 0;
  double seconds = 0;
  uint64_t retransmits = 0;
  bool has_retransmits = false;
  StreamStats stats{};
};

void print(const Result& r) {
  if (r.seconds < 0) return;  // did not finish: said where it stalled
  const double mbps = r.seconds > 0 ? static_cast<double>(r.bytes) / 1e6 / r.seconds : 0;
  std::printf("%-28s %8.1f MiB %8.3f s %9.1f MB/s", r.pair.c_str(), static_cast<double>(r.bytes) / (1 << 20), r.seconds,
              mbps);
  if (r.has_retransmits) {
    std::printf("   sender: %llu retransmits, %llu recoveries, %llu RTOs, cwnd %u, mtu %u",
                static_cast<unsigned long long>(r.retransmits), static_cast<unsigned long long>(r.stats.fast_recoveries),
                static_cast<unsigned long long>(r.stats.rto_timeouts), r.stats.cwnd, r.stats.mtu);
  }
  std::printf("\n");
  std::fflush(stdout);
}

Result ours_one_thread(const Config& c) {
  net::EventLoop loop;
  auto a = *UdxSocket::open(loop.context(), "127.0.0.1", 0);
  auto b = *UdxSocket::open(loop.context(), "127.0.0.1", 0);
  Link link(c, a->port(), b->port());
  End sender, receiver;
  sender.open(a, 1, 2, link.a_target());
  receiver.open(b, 2, 1, link.b_target());
  sender.to_send = c.bytes;
  const auto start = Clock::now();
  sender.pump();
  while (!receiver.remote_ended && Clock::now() - start < 300s) loop.run_for(10ms);
  Result r{"ours -> ours (1 thread)", receiver.received,
           std::chrono::duration<double>(receiver.end_at - start).count(), sender.stream->stats().retransmits, true,
           sender.stream->stats()};
  a->close();
  b->close();
  return r;
}

Result ours_two_threads(const Config& c) {
  net::EventLoop la, lb;
  auto a = *UdxSocket::open(la.context(), "127.0.0.1", 0);
  auto b = *UdxSocket::open(lb.context(), "127.0.0.1", 0);
  Link link(c, a->port(), b->port());
  End sender, receiver;
  sender.open(a, 1, 2, link.a_target());
  receiver.open(b, 2, 1, link.b_target());
  sender.to_send = c.bytes;
  std::atomic<bool> stop{false};
  const auto start = Clock::now();
  std::thread tb([&] {
    while (!stop) lb.run_for(10ms);
  });
  sender.pump();
  while (!receiver.remote_ended && Clock::now() - start < 300s) la.run_for(10ms);
  stop = true;
  tb.join();
  Result r{"ours -> ours (2 threads)", receiver.received,
           std::chrono::duration<double>(receiver.end_at - start).count(), sender.stream->stats().retransmits, true,
           sender.stream->stats()};
  a->close();
  b->close();
  return r;
}

// tests/interop/udx_peer.js as a child: JSON lines in on stdin, out on stdout.
class NodePeer {
 public:
  NodePeer(const Config& c, const std::vector<std::string>& args) : child_(argv(args), options(c)) {
    if (!child_.started()) die("cannot start node");
  }
  void send(const std::string& line) {
    std::string l = line + "\n";
    if (write(child_.in, l.data(), l.size()) != static_cast<ssize_t>(l.size())) die("write to node");
  }
  // The next line containing `needle`, pumping `pump` meanwhile; nullopt at the deadline.
  std::optional<std::string> wait_line(const std::string& needle, const std::function<void()>& pump,
                                       Clock::duration limit) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
      for (size_t nl; (nl = buf_.find('\n')) != std::string::npos;) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (line.find(needle) != std::string::npos) return line;
      }
      if (Clock::now() > deadline) return std::nullopt;
      if (pump) {
        pump();
      } else {
        pollfd p{child_.out, POLLIN, 0};
        poll(&p, 1, 10);
      }
      char b[65536];
      for (ssize_t n; (n = read(child_.out, b, sizeof b)) > 0;) buf_.append(b, static_cast<size_t>(n));
    }
  }
  static uint64_t field(const std::string& line, const std::string& key) {
    auto at = line.find("\"" + key + "\":");
    return at == std::string::npos ? 0 : std::strtoull(line.c_str() + at + key.size() + 3, nullptr, 10);
  }

 private:
  static std::vector<std::string> argv(const std::vector<std::string>& args) {
    std::vector<std::string> v = {"node", std::string(BEE_SOURCE_DIR) + "/tests/interop/udx_peer.js"};
    v.insert(v.end(), args.begin(), args.end());
    return v;
  }
  static bee_test::ChildProcess::Options options(const Config& c) {
    bee_test::ChildProcess::Options o;
    o.env.push_back("NODE_PATH=" + c.oracle + "/node_modules");
    o.pipe_stdin = true;
    o.nonblocking_stdout = true;
    return o;
  }

  bee_test::ChildProcess child_;
  std::string buf_;
};

std::string stream_cmd(uint32_t id, uint32_t remote_id, uint16_t port, uint64_t send, bool end) {
  return "{\"cmd\":\"stream\",\"id\":" + std::to_string(id) + ",\"remoteId\":" + std::to_string(remote_id) +
         ",\"port\":" + std::to_string(port) + ",\"host\":\"127.0.0.1\",\"send\":" + std::to_string(send) +
         ",\"seed\":7,\"end\":" + (end ? "true" : "false") + "}";
}

// A udx-native sender's counters, from udx_peer.js's "finish" line (its END acknowledged).
void node_sender_stats(NodePeer& node, const std::function<void()>& pump, Result& r) {
  auto line = node.wait_line("\"finish\"", pump, 5s);
  if (!line) return;
  r.has_retransmits = true;
  r.retransmits = NodePeer::field(*line, "retransmits");
  r.stats.fast_recoveries = NodePeer::field(*line, "recoveries");
  r.stats.rto_timeouts = NodePeer::field(*line, "rtos");
  r.stats.cwnd = static_cast<uint32_t>(NodePeer::field(*line, "cwnd"));
  r.stats.mtu = static_cast<uint32_t>(NodePeer::field(*line, "mtu"));
}

Result ours_to_node(const Config& c, bool we_send) {
  net::EventLoop loop;
  auto sock = *UdxSocket::open(loop.context(), "127.0.0.1", 0);
  NodePeer node(c, {});
  auto pump = [&] { loop.run_for(2ms); };
  auto ready = node.wait_line("\"ready\"", pump, 20s);
  if (!ready) die("udx_peer.js did not start");
  const uint16_t port = static_cast<uint16_t>(NodePeer::field(*ready, "port"));
  Link link(c, sock->port(), port);
  End ours;
  ours.open(sock, 1, 2, link.a_target());
  Result r;
  if (we_send) {
    node.send(stream_cmd(2, 1, link.b_sends_to(), 0, false));
    // Packets for a stream udx-native does not have yet are dropped: wait for it.
    if (!node.wait_line("\"connected\"", pump, 10s)) die("node did not create its stream");
    ours.to_send = c.bytes;
    const auto start = Clock::now();
    ours.pump();
    auto end = node.wait_line("\"end\"", pump, 300s);
    if (!end) die("node did not receive everything");
    r = {"ours -> node", NodePeer::field(*end, "bytes"), std::chrono::duration<double>(Clock::now() - start).count(),
         ours.stream->stats().retransmits, true, ours.stream->stats()};
  } else {
    const auto start = Clock::now();
    node.send(stream_cmd(2, 1, link.b_sends_to(), c.bytes, true));
    while (!ours.remote_ended && Clock::now() - start < (c.impaired() ? 60s : 300s)) loop.run_for(2ms);
    r = {"node -> ours", ours.received, std::chrono::duration<double>(ours.end_at - start).count(), 0, false};
    if (ours.remote_ended) node_sender_stats(node, pump, r);
    if (!ours.remote_ended) {
      const auto st = ours.stream->stats();
      std::printf("%-28s %8.1f MiB   did not finish (%llu packets received, %llu dropped, our stream %s)\n",
                  "node -> ours", static_cast<double>(ours.received) / (1 << 20),
                  static_cast<unsigned long long>(st.packets_received), static_cast<unsigned long long>(st.dropped_packets),
                  ours.stream->closed() ? "closed" : "open");
      r.seconds = -1;
    }
  }
  sock->close();
  return r;
}

Result node_one_process(const Config& c) {
  NodePeer node(c, {"--bench", std::to_string(c.bytes)});
  auto line = node.wait_line("\"bench\"", {}, 300s);
  if (!line) die("udx_peer.js --bench did not finish");
  return {"node -> node (1 process)", NodePeer::field(*line, "bytes"),
          static_cast<double>(NodePeer::field(*line, "ms")) / 1000.0, 0, false};
}

Result node_two_processes(const Config& c) {
  NodePeer a(c, {}), b(c, {});
  auto ra = a.wait_line("\"ready\"", {}, 20s), rb = b.wait_line("\"ready\"", {}, 20s);
  if (!ra || !rb) die("udx_peer.js did not start");
  const auto pa = static_cast<uint16_t>(NodePeer::field(*ra, "port")), pb = static_cast<uint16_t>(NodePeer::field(*rb, "port"));
  Link link(c, pa, pb);
  b.send(stream_cmd(2, 1, link.b_sends_to(), 0, false));
  if (!b.wait_line("\"connected\"", {}, 10s)) die("node did not create its stream");
  const auto start = Clock::now();
  a.send(stream_cmd(1, 2, link.a_sends_to(), c.bytes, true));
  auto end = b.wait_line("\"end\"", {}, 300s);
  if (!end) die("node -> node did not finish");
  Result r{"node -> node (2 processes)", NodePeer::field(*end, "bytes"),
           std::chrono::duration<double>(Clock::now() - start).count(), 0, false, {}};
  node_sender_stats(a, {}, r);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--mib" && i + 1 < argc) {
      c.bytes = std::strtoull(argv[++i], nullptr, 10) << 20;
    } else if (a == "--mtu-max" && i + 1 < argc) {
      g_mtu_max = static_cast<uint16_t>(std::atoi(argv[++i]));
    } else if (a == "--no-node") {
      c.node = false;
    } else if (a == "--loss" && i + 1 < argc) {
      c.loss_percent = std::strtod(argv[++i], nullptr);
    } else if (a == "--rtt" && i + 1 < argc) {
      c.rtt_ms = std::atoi(argv[++i]);
    } else {
      die("usage: udx_bench [--mib N] [--no-node] [--loss PERCENT] [--rtt MS] [--mtu-max BYTES]");
    }
  }
  const char* oracle = std::getenv("BEE_ORACLE_DIR");
  c.oracle = oracle && *oracle ? oracle : std::string(BEE_SOURCE_DIR) + "/.cache/oracle";
  if (c.node && (std::system("command -v node >/dev/null 2>&1") != 0 ||
                 !std::filesystem::exists(c.oracle + "/node_modules/udx-native"))) {
    std::printf("(node or udx-native missing in %s: our figures only)\n", c.oracle.c_str());
    c.node = false;
  }
  std::printf("UDX one-way stream throughput on 127.0.0.1, %llu MiB per transfer", static_cast<unsigned long long>(c.bytes >> 20));
  if (c.impaired()) std::printf(", through a link with %.1f%% loss each way and %d ms RTT", c.loss_percent, c.rtt_ms);
  std::printf("\n");
  print(ours_one_thread(c));
  print(ours_two_threads(c));
  if (c.node) {
    print(ours_to_node(c, true));
    print(ours_to_node(c, false));
    if (!c.impaired()) print(node_one_process(c));  // its two sockets talk directly
    print(node_two_processes(c));
  }
  return 0;
}
