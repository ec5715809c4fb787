// IPv4 endpoints and node ids of dht-rpc (../shared/spec/dht.md §1.3): a node's id is
// BLAKE2b-256 over the 6-byte wire encoding of its public server address, so ids are never
// trusted from the wire, only recomputed from addresses.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hypercore/bytes.hpp"

namespace net::dht {

using NodeId = hypercore::Hash;

struct Ipv4Address {
  std::array<uint8_t, 4> host{};  // network order, as on the wire
  uint16_t port = 0;

  auto operator<=>(const Ipv4Address&) const = default;

  // "127.0.0.1" (no port): the string the reference hashes into tokens.
  std::string host_string() const;
  // "127.0.0.1:49737".
  std::string to_string() const;
  // Parses "a.b.c.d:port"; also "suggested@name:port" (keeps the suggested IP, §1.9).
  static std::optional<Ipv4Address> parse(std::string_view text);
  static std::optional<std::array<uint8_t, 4>> parse_host(std::string_view host);
  // The 6-byte wire form: 4 address bytes then the port little endian.
  std::array<uint8_t, 6> encode() const;
  static Ipv4Address decode(const uint8_t* six_bytes);
};

struct Ipv4AddressHash {
  size_t operator()(const Ipv4Address& a) const noexcept {
    return (static_cast<size_t>(a.host[0]) << 40) ^ (static_cast<size_t>(a.host[1]) << 32) ^
           (static_cast<size_t>(a.host[2]) << 24) ^ (static_cast<size_t>(a.host[3]) << 16) ^ a.port;
  }
};

// id = H(ipv4(host, port)).
NodeId node_id(const Ipv4Address& address);

// XOR-distance order towards `target`: negative when `a` is closer than `b`.
int compare_distance(const NodeId& target, const NodeId& a, const NodeId& b);

// Index (from the most significant bit) of the first bit where a and b differ; 256 if equal.
int common_prefix_bits(const NodeId& a, const NodeId& b);

}  // namespace net::dht
