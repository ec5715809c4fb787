// Watching this machine's network interfaces, as libudx's interface events (udx-native's
// watchNetworkInterfaces, which dht-rpc turns into its 'network-change'): every `interval`
// the up interfaces' IPv4 addresses are listed (getifaddrs), and `changed` runs when the
// list differs from the one before (an address added or removed, an interface up or down,
// a laptop moved to another network). DhtPeer then announces again and its owner looks
// again (docs/protocol/connect.md, "Network changes").
//
// Single-threaded: the io_context's thread; `changed` runs on it, never inside a call.
// Asio stays out of this header.
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace net::connect {

struct InterfaceAddress {
  std::string name;
  std::array<uint8_t, 4> ip{};
  bool loopback = false;
  auto operator<=>(const InterfaceAddress&) const = default;
};

// The IPv4 addresses of the interfaces that are up, in the system's order (empty when
// getifaddrs fails).
std::vector<InterfaceAddress> interface_addresses();

class NetworkWatch {
 public:
  using Lister = std::function<std::vector<InterfaceAddress>()>;
  // Lists once now (the baseline), then every `interval`. `lister` replaces
  // interface_addresses() in tests.
  NetworkWatch(boost::asio::io_context& io, std::chrono::milliseconds interval, std::function<void()> changed,
               Lister lister = interface_addresses);
  ~NetworkWatch();
  NetworkWatch(const NetworkWatch&) = delete;
  NetworkWatch& operator=(const NetworkWatch&) = delete;

  // How many changes it has seen.
  uint64_t changes() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace net::connect
