#include "net/dht/address.hpp"

#include <bit>
#include <charconv>

#include "hypercore/crypto.hpp"

namespace net::dht {

std::string Ipv4Address::host_string() const {
  return std::to_string(host[0]) + "." + std::to_string(host[1]) + "." + std::to_string(host[2]) + "." +
         std::to_string(host[3]);
}

std::string Ipv4Address::to_string() const { return host_string() + ":" + std::to_string(port); }

std::optional<std::array<uint8_t, 4>> Ipv4Address::parse_host(std::string_view text) {
  std::array<uint8_t, 4> out{};
  for (size_t i = 0; i < 4; i++) {
    size_t end = i == 3 ? text.size() : text.find('.');
    if (end == std::string_view::npos || end == 0 || end > 3) return std::nullopt;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + end, v);
    if (ec != std::errc{} || p != text.data() + end || v > 255) return std::nullopt;
    out[i] = static_cast<uint8_t>(v);
    text.remove_prefix(i == 3 ? end : end + 1);
  }
  return out;
}

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  // "suggestedIP@hostname:port": the sans-I/O core never resolves names, it pings the IP.
  if (auto at = text.find('@'); at != std::string_view::npos) {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon < at) return std::nullopt;
    std::string joined = std::string(text.substr(0, at)) + std::string(text.substr(colon));
    return parse(joined);
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto host = parse_host(text.substr(0, colon));
  if (!host) return std::nullopt;
  auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || p != port_text.data() + port_text.size() || port > 65535) return std::nullopt;
  return Ipv4Address{*host, static_cast<uint16_t>(port)};
}

std::array<uint8_t, 6> Ipv4Address::encode() const {
  return {host[0], host[1], host[2], host[3], static_cast<uint8_t>(port & 0xff), static_cast<uint8_t>(port >> 8)};
}

Ipv4Address Ipv4Address::decode(const uint8_t* b) {
  return Ipv4Address{{b[0], b[1], b[2], b[3]}, static_cast<uint16_t>(b[4] | (b[5] << 8))};
}

NodeId node_id(const Ipv4Address& address) {
  auto six = address.encode();
  return hypercore::blake2b({hypercore::ByteSpan(six.data(), six.size())});
}

int compare_distance(const NodeId& target, const NodeId& a, const NodeId& b) {
  for (size_t i = 0; i < target.size(); i++) {
    if (a[i] == b[i]) continue;
    return static_cast<int>(target[i] ^ a[i]) - static_cast<int>(target[i] ^ b[i]);
  }
  return 0;
}

int common_prefix_bits(const NodeId& a, const NodeId& b) {
  for (size_t i = 0; i < a.size(); i++) {
    uint8_t x = a[i] ^ b[i];
    if (x != 0) return static_cast<int>(i * 8) + std::countl_zero(x);
  }
  return 256;
}

}  // namespace net::dht
