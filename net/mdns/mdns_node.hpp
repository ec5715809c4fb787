// An mDNS responder and DNS-SD browser for our service (docs/protocol/mdns.md), as a
// sans-I/O state machine: packets and time in, packets (through the injected send
// function) and events out. It owns no socket and no clock; mdns_socket.hpp drives it on
// UDP multicast, tests drive it with a simulated clock and network.
//
// The node publishes at most one service instance (named after the Noise public key) with
// one subtype PTR per announced topic, and browses the subtypes of the topics asked for.
// Topics never appear on the wire, only lan_id(topic) (service_names.hpp).
//
// Driving it: call receive() for every datagram from port 5353 (or any port: a query
// from another port is a "legacy" unicast query), and poll(now) whenever the time it
// returned has come; every call may send packets and queue events for take_events().
// `now` is any monotonic clock in milliseconds; it must never go backwards.
//
// Thread-safety: none; one thread drives a node.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "net/mdns/dns_message.hpp"
#include "net/mdns/service_names.hpp"

namespace net::mdns {

using Time = std::chrono::milliseconds;  // monotonic, arbitrary origin
inline constexpr Time kNever = Time::max();

inline constexpr uint16_t kMdnsPort = 5353;
inline constexpr std::array<uint8_t, 4> kMdnsGroupV4{224, 0, 0, 251};

using Ipv4 = std::array<uint8_t, 4>;

struct Endpoint {
  Ipv4 address{};
  uint16_t port = 0;
  std::string to_string() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct OutgoingPacket {
  Bytes bytes;
  // nullopt: to the multicast group (224.0.0.251:5353); else a unicast reply to a
  // legacy querier.
  std::optional<Endpoint> unicast_to;
};
using SendFunction = std::function<void(OutgoingPacket)>;

struct MdnsOptions {
  // Names our instance and host, and goes into TXT as pk=. Required.
  PublicKey public_key{};
  // The port our SRV record advertises (the node's DHT/UDX socket). Required to announce.
  uint16_t port = 0;
  // Our IPv4 addresses on the link, published as A records of our host. Required to
  // announce (a peer must be able to dial us); also used to recognise our own packets
  // looped back by the kernel.
  std::vector<Ipv4> addresses;
  // Seeds the jitter (probe delay, response delay, query delay, refresh spread). 0 takes
  // one from std::random_device; tests pass a fixed one for reproducible runs.
  uint64_t seed = 0;
  // Packets larger than this are split (spec: ≤ 1472 bytes = Ethernet MTU - IP - UDP).
  size_t max_packet_bytes = 1472;
  // Bounds the browser cache against a chatty or hostile link: records beyond it are
  // dropped (the oldest ones are not evicted, so a flood cannot push out known peers).
  size_t max_cache_records = 4096;
  // Whether browsing reports our own instance (off: a node does not discover itself).
  bool report_self = false;
};

// A peer resolved from PTR + SRV + TXT + A/AAAA.
struct PeerInfo {
  PublicKey public_key{};
  std::string instance;        // the instance label, e.g. "p2pdb-042dec8075cc1594"
  DnsName host;                // SRV target
  uint16_t port = 0;           // SRV port
  std::vector<Ipv4> ipv4;      // A records of the host, sorted
  std::vector<std::array<uint8_t, 16>> ipv6;  // AAAA records of the host, sorted
  friend bool operator==(const PeerInfo&, const PeerInfo&) = default;
};

// A peer for a browsed topic became complete, or its port/addresses changed.
struct PeerFound {
  Bytes topic;
  PeerInfo peer;
};
// A peer reported by PeerFound is gone (goodbye, TTL expiry, or its records flushed).
struct PeerGone {
  Bytes topic;
  PeerInfo peer;
};
// Probing finished and the first announcement went out under these names.
struct Announced {
  std::string instance;
  DnsName host;
};
// A name conflict made us pick new names; probing starts again.
struct Renamed {
  std::string instance;
  DnsName host;
};
using MdnsEvent = std::variant<PeerFound, PeerGone, Announced, Renamed>;

namespace internal {
class Responder;
class Browser;
class Outbox;
}  // namespace internal

class MdnsNode {
 public:
  MdnsNode(MdnsOptions options, SendFunction send);
  ~MdnsNode();
  MdnsNode(const MdnsNode&) = delete;
  MdnsNode& operator=(const MdnsNode&) = delete;

  // Publishes `topic`. The first topic starts probing for our names (≈ 0.75-1 s), then
  // announcing; later ones are announced at once. invalid_argument without a port or an
  // address. Idempotent.
  Result<void> announce(ByteSpan topic, Time now);
  // Withdraws a topic with a goodbye for its PTR; withdrawing the last one says goodbye
  // for the whole instance.
  void unannounce(ByteSpan topic, Time now);
  // Starts looking for peers of `topic` (first query after 20-120 ms, then 1 s, 2 s, ...).
  void browse(ByteSpan topic, Time now);
  // Stops; the topic's peers are forgotten without PeerGone events.
  void stop_browse(ByteSpan topic, Time now);
  // Goodbye for everything we published and stop browsing: call before closing the socket.
  void leave(Time now);

  // One datagram received from `from` (source address and port).
  void receive(ByteSpan packet, const Endpoint& from, Time now);
  // Runs what is due at `now`; returns when to call again (kNever: nothing scheduled).
  Time poll(Time now);

  std::vector<MdnsEvent> take_events();

  // Current names (they change after a conflict).
  std::string instance() const;
  DnsName host() const;
  bool announced() const;
  // The peers currently known for a browsed topic.
  std::vector<PeerInfo> peers(ByteSpan topic, Time now) const;

 private:
  MdnsOptions options_;
  std::mt19937_64 rng_;
  std::vector<MdnsEvent> events_;
  std::unique_ptr<internal::Outbox> outbox_;
  std::unique_ptr<internal::Responder> responder_;
  std::unique_ptr<internal::Browser> browser_;
};

}  // namespace net::mdns
