// An MdnsNode on a real link: a UDP socket bound to 0.0.0.0:5353 (SO_REUSEADDR and
// SO_REUSEPORT, so a system Avahi can share the port), joined to 224.0.0.251 on the chosen
// interfaces, sending with IP TTL 255; a steady timer wakes the node when poll() asked.
// The caller owns and runs the io_context (one thread), which must outlive the socket.
// Asio types stay out of this header.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/mdns/mdns_node.hpp"

namespace boost::asio {
class io_context;
}

namespace net::mdns {

struct MdnsSocketOptions {
  // IPv4 addresses of the interfaces to join the group on; the first one is also where
  // multicast goes out. Empty: every up, multicast-capable, non-loopback IPv4 interface
  // (local_ipv4_addresses()); with none of those the open fails.
  std::vector<Ipv4> interfaces;
  // The port to bind and send to. 5353 everywhere but in tests that must stay off a
  // system responder's port.
  uint16_t port = kMdnsPort;
};

// Up, multicast-capable, non-loopback IPv4 interface addresses (getifaddrs).
std::vector<Ipv4> local_ipv4_addresses();

// Parses "10.77.0.2"; nullopt if it is not a dotted IPv4 address.
std::optional<Ipv4> parse_ipv4(const std::string& text);

class MdnsSocket {
 public:
  using EventHandler = std::function<void(const MdnsEvent&)>;

  // Binds and joins at once (errors: io_error, with the failing step). When
  // node_options.addresses is empty it is set to the interfaces used. `on_event` runs on
  // the io_context's thread for every event of the node.
  static Result<std::unique_ptr<MdnsSocket>> open(boost::asio::io_context& io, MdnsOptions node_options,
                                                  MdnsSocketOptions options, EventHandler on_event);

  virtual ~MdnsSocket() = default;
  virtual Result<void> announce(ByteSpan topic) = 0;
  virtual void unannounce(ByteSpan topic) = 0;
  virtual void browse(ByteSpan topic) = 0;
  virtual void stop_browse(ByteSpan topic) = 0;
  // Sends the goodbyes and closes the socket; pending waits end. Idempotent.
  virtual void close() = 0;
  virtual const MdnsNode& node() const = 0;
  // The node's clock (milliseconds since open).
  virtual Time now() const = 0;
};

}  // namespace net::mdns
