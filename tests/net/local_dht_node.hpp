// A persistent DHT node on 127.0.0.1, as a testnet node is: its id is H(host:port), so the
// port is taken first (a probe socket) and the node bound there; and a testnet of them (each
// also answering HyperDHT's commands). Shared by the tests and benchmarks that run a DHT
// of their own on loopback.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "net/transport/event_loop.hpp"

namespace net_test {

inline std::unique_ptr<net::dht::UdpDht> open_persistent_node(net::EventLoop& loop,
                                                              const std::vector<std::string>& bootstrap = {}) {
  for (int attempt = 0; attempt < 5; attempt++) {
    auto probe = net::dht::UdpDht::open(loop, "127.0.0.1", 0, {});
    if (!probe) continue;
    uint16_t port = (*probe)->server_port();
    (*probe)->close();
    probe->reset();
    net::dht::DhtNodeOptions options;
    options.ephemeral = false;
    options.known_address = net::dht::Ipv4Address{{127, 0, 0, 1}, port};
    for (const auto& b : bootstrap) {
      if (auto a = net::dht::Ipv4Address::parse(b)) options.bootstrap.push_back(*a);
    }
    if (auto opened = net::dht::UdpDht::open(loop, "127.0.0.1", port, options)) return std::move(*opened);
  }
  return nullptr;
}

// `size` persistent nodes bootstrapped from the first, on `loop`. ok() once all opened.
struct LocalTestnet {
  std::vector<std::unique_ptr<net::dht::UdpDht>> nodes;
  std::vector<std::unique_ptr<net::dht::HyperDht>> hyper;
  std::vector<std::string> bootstrap;  // the first node, "127.0.0.1:PORT"
  size_t size;

  explicit LocalTestnet(net::EventLoop& loop, size_t size = 3) : size(size) {
    for (size_t i = 0; i < size; i++) {
      auto udp = open_persistent_node(loop, bootstrap);
      if (!udp) return;
      hyper.push_back(std::make_unique<net::dht::HyperDht>(udp->node()));
      udp->node().bootstrap(udp->now());
      udp->reschedule();
      if (bootstrap.empty()) bootstrap.push_back("127.0.0.1:" + std::to_string(udp->server_port()));
      nodes.push_back(std::move(udp));
    }
  }
  LocalTestnet(const LocalTestnet&) = delete;
  LocalTestnet& operator=(const LocalTestnet&) = delete;
  ~LocalTestnet() {
    hyper.clear();
    for (auto& n : nodes) n->close();
  }
  bool ok() const { return nodes.size() == size; }
};

}  // namespace net_test
