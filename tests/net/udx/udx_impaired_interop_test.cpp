// Our UDX against udx-native through impaired links, 8 MB each way with identical bytes
// (SHA-256) and clean closes on both sides:
//  * UdxNetem: two network namespaces joined by a veth pair, `tc qdisc ... netem` on both
//    ends (loss 1 %, loss 5 %, delay 50 ms, reordering). Skipped when not root or when
//    ip / tc / the kernel's netem are not usable (the CI kernel has no sch_netem).
//  * UdxImpaired: the same impairments from a user-space relay on 127.0.0.1
//    (udx_relay.hpp), so they run everywhere.
// Skipped without node or udx-native.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/net/mdns/netns.hpp"
#include "tests/net/udx/udx_interop.hpp"
#include "tests/net/udx/udx_relay.hpp"

using namespace udx_test;

namespace {

constexpr uint64_t kBytes = 8 * 1024 * 1024;

// --- netem in namespaces

// The netns pair with `netem` (arguments after "netem") on both veth ends; "" or why not.
std::string netem_pair(mdns_test::NetnsPair& pair, const std::string& netem) {
  if (geteuid() != 0) return "needs root for ip netns";
  if (mdns_test::shell("command -v ip && command -v tc").first != 0) return "needs iproute2 (ip, tc)";
  if (auto why = pair.setup(); !why.empty()) return "ip netns not usable: " + why;
  for (const auto& [ns, dev] : {std::pair{pair.ns_a, pair.veth_a}, std::pair{pair.ns_b, pair.veth_b}}) {
    auto [code, out] = mdns_test::shell("timeout 10 ip netns exec " + ns + " tc qdisc replace dev " + dev + " root netem " + netem);
    if (code != 0) return "tc netem not usable (" + out.substr(0, out.find('\n')) + ")";
  }
  return "";
}

// Moves this thread into a named namespace until destroyed.
class InNamespace {
 public:
  explicit InNamespace(const std::string& ns) {
    original_ = open("/proc/self/ns/net", O_RDONLY);
    int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY);
    ok_ = fd >= 0 && original_ >= 0 && setns(fd, CLONE_NEWNET) == 0;
    if (fd >= 0) close(fd);
  }
  ~InNamespace() {
    if (ok_) (void)setns(original_, CLONE_NEWNET);
    if (original_ >= 0) close(original_);
  }
  bool ok() const { return ok_; }

 private:
  int original_ = -1;
  bool ok_ = false;
};

void netem_exchange(const std::string& netem, std::chrono::milliseconds limit) {
  if (auto why = node_unavailable(); !why.empty()) GTEST_SKIP() << why;
  mdns_test::NetnsPair pair;
  if (auto why = netem_pair(pair, netem); !why.empty()) GTEST_SKIP() << why;
  InNamespace inside(pair.ns_a);
  ASSERT_TRUE(inside.ok()) << "setns into " << pair.ns_a;
  Interop t("10.77.0.1", {"ip", "netns", "exec", pair.ns_b}, "10.77.0.2");
  ASSERT_TRUE(t.ready()) << t.node.log;
  exchange_both_ways(t, kBytes, limit, "netem " + netem);
}

// --- the user-space relay

void relay_exchange(const Impairment& impairment, std::chrono::milliseconds limit, const std::string& label,
                    uint64_t bytes = kBytes) {
  if (auto why = node_unavailable(); !why.empty()) GTEST_SKIP() << why;
  Interop t;
  ASSERT_TRUE(t.ready()) << t.node.log;
  auto relay = std::make_shared<Relay>(t.loop.context(), impairment, 7);
  relay->set_peer(0, t.sock->port());
  relay->set_peer(1, t.node.port);
  relay->trace = std::getenv("BEE_UDX_TRACE") != nullptr;
  relay->start();
  t.relay_port_for_us = relay->port(0);
  t.relay_port_for_node = relay->port(1);
  exchange_both_ways(t, bytes, limit, label);
  if (::testing::Test::HasFailure()) {
    for (auto& l : relay->log) std::fputs(l.c_str(), stdout);
  }
  std::printf("[ %s ] relay: %llu forwarded, %llu dropped, %llu duplicated\n", label.c_str(),
              static_cast<unsigned long long>(relay->forwarded), static_cast<unsigned long long>(relay->dropped),
              static_cast<unsigned long long>(relay->duplicated));
  relay->stop();
}

}  // namespace

TEST(UdxNetem, Loss1Percent) { netem_exchange("loss 1%", 30s); }
TEST(UdxNetem, Loss5Percent) { netem_exchange("loss 5%", 30s); }
TEST(UdxNetem, Delay50ms) { netem_exchange("delay 50ms", 30s); }
TEST(UdxNetem, Reorder) { netem_exchange("delay 10ms reorder 25% 50%", 30s); }

TEST(UdxImpaired, Loss1Percent) { relay_exchange({.loss = 0.01}, 30s, "loss 1%"); }
TEST(UdxImpaired, Loss5Percent) { relay_exchange({.loss = 0.05}, 30s, "loss 5%"); }
TEST(UdxImpaired, Delay50ms) { relay_exchange({.delay = 50ms}, 30s, "delay 50 ms"); }
TEST(UdxImpaired, ReorderAndDuplicate) {
  relay_exchange({.duplicate = 0.02, .delay = 5ms, .jitter = 10ms}, 30s, "jitter 10 ms, 2% duplicated");
}
// Loss on a path with a real round trip is where our loss-based window (docs/protocol/udx.md,
// "Deviations") is slowest against libudx's BBR: 2 MB here, not 8.
TEST(UdxImpaired, LossDelayAndReorder) {
  relay_exchange({.loss = 0.02, .delay = 20ms, .jitter = 5ms}, 30s, "loss 2%, delay 20 ms, jitter 5 ms",
                 2 * 1024 * 1024);
}
