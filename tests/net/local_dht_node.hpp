// A persistent DHT node on 127.0.0.1, as a testnet node is: its id is H(host:port), so the
// port is taken first (a probe socket) and the node bound there. Shared by the tests that
// run a DHT of their own on loopback.
#pragma once

#include <memory>
#include <string>
#include <vector>

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

}  // namespace net_test
