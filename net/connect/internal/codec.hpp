// compact-encoding helpers shared by the connect codecs (not installed).
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "hypercore/compact_encoding.hpp"
#include "net/connect/connect_error.hpp"
#include "net/dht/address.hpp"

// Yields the value of a hypercore::Result or returns its error as ConnectErrc::malformed.
#define CX_TRY(var, expr)                                                                     \
  auto var##_result_ = (expr);                                                                \
  if (!var##_result_) {                                                                       \
    return ::net::connect::connect_fail(::net::connect::ConnectErrc::malformed,               \
                                        std::move(var##_result_.error().message));            \
  }                                                                                           \
  auto var = std::move(*var##_result_)

namespace net::connect::detail {

inline void put_ipv4(hypercore::cenc::Encoder& e, const net::dht::Ipv4Address& a) {
  auto six = a.encode();
  e.fixed(hypercore::ByteSpan(six.data(), six.size()));
}

inline ConnectResult<net::dht::Ipv4Address> get_ipv4(hypercore::cenc::Decoder& d) {
  CX_TRY(six, d.fixed(6));
  return net::dht::Ipv4Address::decode(six.data());
}

inline void put_ipv4_array(hypercore::cenc::Encoder& e, const std::vector<net::dht::Ipv4Address>& list) {
  e.uint(list.size());
  for (const auto& a : list) put_ipv4(e, a);
}

// Bounded by the bytes left (6 per entry) before anything is allocated.
inline ConnectResult<std::vector<net::dht::Ipv4Address>> get_ipv4_array(hypercore::cenc::Decoder& d) {
  CX_TRY(n, d.array_length(6));
  std::vector<net::dht::Ipv4Address> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; i++) {
    CX_TRY(a, get_ipv4(d));
    out.push_back(a);
  }
  return out;
}

// A uint that must fit 32 bits (modes, error codes, firewall types).
inline ConnectResult<uint32_t> get_u32(hypercore::cenc::Decoder& d, const char* what) {
  CX_TRY(v, d.uint());
  if (v > std::numeric_limits<uint32_t>::max()) {
    return connect_fail(ConnectErrc::malformed, std::string(what) + " " + std::to_string(v) + " exceeds 32 bits");
  }
  return static_cast<uint32_t>(v);
}

}  // namespace net::connect::detail
