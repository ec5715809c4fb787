// Which IPv4 addresses are worth dialling from elsewhere, as the `bogon` package hyperdht
// 6.34.0 uses decides (connect.js picks the first non-bogon `addresses4` entry; the LAN
// shortcut uses the non-reserved ones). Pure functions on the 4 network-order bytes.
#pragma once

#include <array>
#include <cstdint>

namespace net::connect {

// 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16.
constexpr bool is_private(const std::array<uint8_t, 4>& ip) {
  return ip[0] == 10 || (ip[0] == 100 && ip[1] >= 64 && ip[1] <= 127) || ip[0] == 127 ||
         (ip[0] == 169 && ip[1] == 254) || (ip[0] == 172 && ip[1] >= 16 && ip[1] <= 31) ||
         (ip[0] == 192 && ip[1] == 168);
}

// 0/8, 192.0.0/24, the three TEST-NETs, 198.18/15, multicast, 240/4 and broadcast.
constexpr bool is_reserved(const std::array<uint8_t, 4>& ip) {
  return ip[0] == 0 || (ip[0] == 192 && ip[1] == 0 && ip[2] == 0) || (ip[0] == 192 && ip[1] == 0 && ip[2] == 2) ||
         (ip[0] == 198 && ip[1] >= 18 && ip[1] <= 19) || (ip[0] == 198 && ip[1] == 51 && ip[2] == 100) ||
         (ip[0] == 203 && ip[1] == 0 && ip[2] == 113) || ip[0] >= 224;
}

constexpr bool is_bogon(const std::array<uint8_t, 4>& ip) { return is_private(ip) || is_reserved(ip); }

}  // namespace net::connect
