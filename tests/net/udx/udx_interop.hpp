// The fixture of the UDX interop tests: our UdxSocket on an EventLoop and a udx-native peer
// (udx_node_peer.hpp), pumped together with a deadline; helpers that start streams on both
// sides and check how a transfer ended.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "net/transport/event_loop.hpp"
#include "tests/net/udx/udx_node_peer.hpp"
#include "tests/net/udx/udx_socket_util.hpp"

namespace udx_test {

using namespace std::chrono_literals;

struct Interop {
  // `host` is where both bind (node via --host); `node_prefix` runs node elsewhere (a
  // network namespace), `node_host` is then its address.
  explicit Interop(const std::string& host = "127.0.0.1", const std::vector<std::string>& node_prefix = {},
                   const std::string& node_host = "127.0.0.1")
      : node({"--host", node_host}, node_prefix), node_host_(node_host) {
    auto s = UdxSocket::open(loop.context(), host, 0);
    EXPECT_TRUE(s) << s.error().to_string();
    if (s) sock = *s;
  }
  ~Interop() {
    if (sock) sock->close();
  }

  bool ready() {
    return wait([&] { return node.port != 0; }, 20s);
  }

  // Pumps our loop and the child's output until done() or the deadline.
  bool wait(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      node.poll();
      if (done()) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      loop.run_for(2ms);
    }
  }

  Address node_address() const {
    auto a = *hypercore_ip(node_host_);
    a.port = node.port;
    return a;
  }

  // Our stream `id` connected to node's `node_id` (through the relay when set).
  std::unique_ptr<Endpoint> ours(uint32_t id, uint32_t node_id) {
    auto e = Endpoint::create(sock, id);
    EXPECT_TRUE(e);
    Address to = node_address();
    if (relay_port_for_us != 0) to.port = relay_port_for_us;
    e->connect(node_id, to);
    return e;
  }

  // With a relay in between: the ports each side sends to instead of the other's.
  uint16_t relay_port_for_us = 0, relay_port_for_node = 0;

  // Node's stream `id` connected to ours `our_id`, sending `send` bytes of Pattern(seed).
  void theirs(uint32_t id, uint32_t our_id, uint64_t send, uint32_t seed, bool end, uint64_t destroy_after = 0) {
    const Address& me = sock->local_address();
    std::string host = me.to_string();
    host = host.substr(0, host.rfind(':'));
    node.send("{\"cmd\":\"stream\",\"id\":" + std::to_string(id) + ",\"remoteId\":" + std::to_string(our_id) +
              ",\"port\":" + std::to_string(relay_port_for_node ? relay_port_for_node : me.port) + ",\"host\":\"" + (host == "0.0.0.0" ? node_host_ : host) +
              "\",\"send\":" + std::to_string(send) + ",\"seed\":" + std::to_string(seed) +
              ",\"end\":" + (end ? "true" : "false") + ",\"destroyAfter\":" + std::to_string(destroy_after) + "}");
    // Until udx-native has the stream, our packets for it are dropped as unknown (an RTO,
    // 1 s, for the first ones): wait for it, as the HyperDHT handshake orders things.
    EXPECT_TRUE(wait([&] { return node.streams[id].connected; }, 10s)) << "node stream " << id << "\n" << node.log;
  }

  void command(const std::string& cmd, uint32_t id, const std::string& extra = "") {
    node.send("{\"cmd\":\"" + cmd + "\",\"id\":" + std::to_string(id) + extra + "}");
  }

  static std::optional<Address> hypercore_ip(const std::string& dotted) {
    unsigned a, b, c, d;
    if (std::sscanf(dotted.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) != 4) return std::nullopt;
    return Address::v4(static_cast<uint8_t>(a), static_cast<uint8_t>(b), static_cast<uint8_t>(c),
                       static_cast<uint8_t>(d), 0);
  }

  net::EventLoop loop;
  std::shared_ptr<UdxSocket> sock;
  NodePeer node;

 private:
  std::string node_host_;
};

// `bytes` each way between our stream 1 and node's stream 2 (both end after sending), both
// sides checked by SHA-256 and a clean close; within `limit`.
inline void exchange_both_ways(Interop& t, uint64_t bytes, std::chrono::milliseconds limit, const std::string& label) {
  auto e = t.ours(1, 2);
  t.theirs(2, 1, bytes, 41, true);
  e->start_sending(bytes, 42, true);
  const auto start = std::chrono::steady_clock::now();
  const bool done = t.wait([&] { return e->closed && t.node.streams[2].closed; }, limit);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  if (!done) {
    auto st = e->stream->stats();
    std::printf("stalled: queued %zu cwnd %u srtt %u rto %u sent %llu rtx %llu rtos %llu dropped %llu rwnd %u\n",
                e->stream->queued_bytes(), st.cwnd, st.srtt_ms, st.rto_ms, (unsigned long long)st.packets_sent,
                (unsigned long long)st.retransmits, (unsigned long long)st.rto_timeouts,
                (unsigned long long)st.dropped_packets, e->stream->receive_window());
  }
  ASSERT_TRUE(done) << label << ": ours sent " << e->sent << " got " << e->received << " (" << e->close_text()
                    << "), node got " << t.node.streams[2].end_bytes << "/" << t.node.streams[2].bytes
                    << (t.node.streams[2].ended ? " ended" : "") << "\n"
                    << t.node.log;
  auto st = e->stream->stats();
  std::printf("[ %s ] %llu bytes each way in %lld ms; ours: %llu packets sent, %llu retransmits (%llu spurious), %llu RTOs, "
              "srtt %u ms\n",
              label.c_str(), static_cast<unsigned long long>(bytes), static_cast<long long>(ms.count()),
              static_cast<unsigned long long>(st.packets_sent), static_cast<unsigned long long>(st.retransmits),
              static_cast<unsigned long long>(st.spurious_losses), static_cast<unsigned long long>(st.rto_timeouts),
              st.srtt_ms);
  const auto expect_ours = pattern_sha256(42, bytes), expect_theirs = pattern_sha256(41, bytes);
  // libudx has no TIME_WAIT (docs/protocol/udx.md): once udx-native has closed it ignores our
  // retransmitted last packet, so when its ACK of that packet was lost our side ends with
  // `timeout` although node got every byte (checked below). Any other close is a failure.
  if (!e->clean_close()) {
    EXPECT_TRUE(t.node.streams[2].closed && e->close_text().find("timeout") != std::string::npos)
        << label << ": " << e->close_text();
  }
  EXPECT_EQ(e->received, bytes) << label;
  EXPECT_EQ(e->received_sha256, expect_theirs) << label;
  EXPECT_TRUE(t.node.streams[2].ended) << label;
  EXPECT_EQ(t.node.streams[2].end_bytes, bytes) << label;
  EXPECT_EQ(t.node.streams[2].end_sha256, expect_ours) << label;
  EXPECT_EQ(t.node.streams[2].error, "") << label;
}

}  // namespace udx_test
