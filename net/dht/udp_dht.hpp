// A DhtNode bound to two UDP sockets on an EventLoop (../shared/spec/dht.md §1.1): the
// server socket (the advertised port) and the client socket (an ephemeral port). Owns the
// sockets and one timer that fires at the node's next_wakeup(); the clock is steady_clock.
// Asio stays behind this header so callers (tests, the bee tool) never include it.
#pragma once

#include <memory>
#include <string>

#include "hypercore/error.hpp"
#include "net/dht/dht_node.hpp"
#include "net/transport/event_loop.hpp"

namespace boost::asio {
class io_context;
}

namespace net::udx {
class UdxSocket;
}

namespace net::dht {

class UdpDht {
 public:
  // Binds both sockets on `host` (server on `server_port`, 0 = any) and creates the node.
  // options.server_port is filled in with the bound port.
  static hypercore::Result<std::unique_ptr<UdpDht>> open(EventLoop& loop, const std::string& host,
                                                        uint16_t server_port, DhtNodeOptions options);
  // The same on a bare io_context (the Swarm runs on one; it must outlive the UdpDht).
  static hypercore::Result<std::unique_ptr<UdpDht>> open(boost::asio::io_context& io, const std::string& host,
                                                        uint16_t server_port, DhtNodeOptions options);
  // The server socket is `server`, shared with its UDX streams as HyperDHT shares it: the
  // datagrams no stream takes go to the node (through the socket's datagram hook, which
  // this replaces and clears on close), the node's server sends go out through it. The
  // client socket is bound on the same host. The io_context is the socket's; the socket
  // is the caller's (close() leaves it open).
  static hypercore::Result<std::unique_ptr<UdpDht>> open(std::shared_ptr<net::udx::UdxSocket> server,
                                                        DhtNodeOptions options);
  // Both sockets shared with UDX streams, as a HyperDHT peer that connects needs: a
  // firewalled node sends its requests (handshakes included) from the client socket, so
  // that is where its UDX streams must run.
  static hypercore::Result<std::unique_ptr<UdpDht>> open(std::shared_ptr<net::udx::UdxSocket> server,
                                                        std::shared_ptr<net::udx::UdxSocket> client,
                                                        DhtNodeOptions options);
  ~UdpDht();
  UdpDht(const UdpDht&) = delete;
  UdpDht& operator=(const UdpDht&) = delete;

  DhtNode& node();
  uint16_t server_port() const;
  uint16_t client_port() const;
  // Milliseconds of the clock the node runs on.
  Millis now() const;
  // Call after driving the node directly (query, ping...) so the timer follows.
  void reschedule();
  // Closes the sockets (a shared server socket is only let go); the node stops receiving and
  // sending.
  void close();

 private:
  struct Impl;
  explicit UdpDht(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace net::dht
