// Where the responder and the browser send from: splits a message into packets that fit
// the configured size and remembers what we multicast, so the node can tell its own
// packets (looped back by the kernel) from a neighbour's identical ones.
#pragma once

#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "net/mdns/mdns_node.hpp"

namespace net::mdns::internal {

class Outbox {
 public:
  Outbox(SendFunction send, size_t max_packet_bytes, std::vector<Ipv4> own_addresses);

  // Sends `message`, split into packets of at most max_packet_bytes: questions first, then
  // answers, authorities, additionals, in order. A query that needs several packets
  // carries the TC bit in all but the last (RFC 6762 §7.2: more known answers follow).
  // A single record larger than the limit goes alone, oversized. Unencodable records
  // (bad names from a hostile peer's rdata) are dropped.
  void send(const Message& message, Time now, std::optional<Endpoint> to = std::nullopt);

  // True when `packet` is byte-identical to one we multicast in the last two seconds and
  // comes from one of our addresses (or loopback, where everyone shares 127.0.0.1).
  bool is_own(ByteSpan packet, const Endpoint& from, Time now);

 private:
  void emit(const Message& message, Time now, const std::optional<Endpoint>& to);
  void forget_old(Time now);

  SendFunction send_;
  size_t max_bytes_;
  std::vector<Ipv4> own_addresses_;
  std::deque<std::pair<Time, uint64_t>> recent_;  // (sent at, FNV-1a of the bytes)
};

}  // namespace net::mdns::internal
