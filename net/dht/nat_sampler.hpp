// Public-address estimation from the `to` fields of replies (../shared/spec/dht.md §1.10),
// a port of the reference's nat-sampler: a ring of the last 16 observations; the
// host:port pair is accepted when it reaches the threshold, else only the host (port 0 =
// "randomised" NAT), else nothing.
#pragma once

#include <array>
#include <optional>

#include "net/dht/address.hpp"

namespace net::dht {

class NatSampler {
 public:
  void add(const Ipv4Address& observed);

  std::optional<std::array<uint8_t, 4>> host() const { return host_; }
  uint16_t port() const { return port_; }  // 0 when the port is not consistent
  size_t size() const { return size_; }

 private:
  struct Sample {
    std::array<uint8_t, 4> host{};
    uint16_t port = 0;
    int hits = 0;
  };
  int bump(const std::array<uint8_t, 4>& host, uint16_t port, int inc);

  // Two entries per observation (host:port, host:0), 32 slots, as the reference. Samples are
  // indices into pool_ so that hits are shared between the slots that refer to one pair.
  std::array<int, 32> slots_{};
  std::array<Sample, 64> pool_{};
  size_t pool_next_ = 0;
  size_t filled_ = 0;
  size_t top_ = 0;
  size_t size_ = 0;
  int threshold_ = 0;
  int best_pair_ = -1;
  int best_host_ = -1;
  std::optional<std::array<uint8_t, 4>> host_;
  uint16_t port_ = 0;
};

}  // namespace net::dht
