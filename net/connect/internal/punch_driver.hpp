// Runs one holepunch (holepunch_rounds.hpp) on real sockets for DhtPeer (dht_peer.cpp):
// samples our NAT with PINGs from the DHT's request socket (our puncher socket 0: the
// socket the handshake went out on, where the UDX stream will run), sends the
// PEER_HOLEPUNCH requests and answers through the DHT node, sends the 1-byte probes,
// opens birthday sockets (UdxSockets, so a stream can run on the winner), and drives the
// schedule with one timer. Internal to bee_connect_node; Asio stays in the .cpp.
//
// Ownership: DhtPeer owns the drivers (shared_ptr, the callbacks hold weak ones); a driver
// borrows the UdpDht and HyperDht, which outlive it (DhtPeer stops drivers before closing).
// Single-threaded: the io_context's thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/connect/holepunch_rounds.hpp"
#include "net/dht/hyperdht.hpp"
#include "net/udx/packet.hpp"

namespace boost::asio {
class io_context;
}
namespace net::dht {
class UdpDht;
}
namespace net::udx {
class UdxSocket;
}

namespace net::connect::detail {

// The longest a punch lives: the random schedules run ~35 s after a few seconds of rounds.
inline constexpr std::chrono::seconds kPunchLifetime{60};

struct PunchEnv {
  boost::asio::io_context* io = nullptr;
  dht::UdpDht* udp = nullptr;
  dht::HyperDht* hyper = nullptr;
  std::shared_ptr<udx::UdxSocket> socket;  // puncher socket 0
  dht::Socket which = dht::Socket::client; // which of the DHT's sockets that is
  std::string host;                        // where birthday sockets bind
  hypercore::Hash target{};                // H(server public key)
};

// Where a client punch got through: the UDX stream goes from `socket` to `remote`.
struct PunchResult {
  std::shared_ptr<udx::UdxSocket> socket;
  Ipv4Address remote;
};

class PunchDriver : public std::enable_shared_from_this<PunchDriver> {
 public:
  using Done = std::function<void(ConnectResult<PunchResult>)>;

  static std::shared_ptr<PunchDriver> client(PunchEnv env, std::unique_ptr<ClientPunch> punch, Done done);
  static std::shared_ptr<PunchDriver> server(PunchEnv env, std::unique_ptr<ServerPunch> punch);
  ~PunchDriver();

  // The socket its probes arrive on (socket 0).
  const std::shared_ptr<udx::UdxSocket>& socket() const { return env_.socket; }
  // A 1-byte datagram on socket 0 from `from`.
  void on_probe(const Ipv4Address& from);
  // Server: a FROM_RELAY PEER_HOLEPUNCH for this connection.
  void on_holepunch(const dht::ServerHolepunch& holepunch, bool from_our_relay);
  // Server: the client's UDX stream got through to one of our birthday sockets (its first
  // packet for `stream_id` arrived there). The punch ends keeping that socket, and `moved`
  // gets it with the datagram, to run the stream's traffic through it
  // (UdxSocket::route_through).
  using Moved = std::function<void(std::shared_ptr<udx::UdxSocket> via, const udx::Address& from,
                                   hypercore::ByteSpan datagram)>;
  void on_stream_elsewhere(uint32_t stream_id, Moved moved);
  // Over: connected, failed, given up, or stopped.
  bool finished() const { return finished_; }
  void stop();

 private:
  struct Timer;
  explicit PunchDriver(PunchEnv env);
  Holepuncher& puncher();
  void sample();
  void sampled();
  void pump();
  void send_requests();
  void on_probe_at(size_t socket, const Ipv4Address& from);
  void on_datagram_at(size_t socket, const udx::Address& from, hypercore::ByteSpan datagram);
  void finish(ConnectResult<PunchResult> result);
  void answer(const dht::ServerHolepunch& holepunch, HolepunchAnswer answer);
  std::shared_ptr<udx::UdxSocket> socket_at(size_t index) const;

  PunchEnv env_;
  std::unique_ptr<ClientPunch> client_;
  std::unique_ptr<ServerPunch> server_;
  Done done_;
  std::vector<std::shared_ptr<udx::UdxSocket>> birthday_;  // sockets 1..n-1
  std::unique_ptr<Timer> timer_;
  size_t pings_pending_ = 0;
  std::optional<dht::ServerHolepunch> waiting_;  // server: answered once the NAT is known
  bool finished_ = false;
  bool pumping_ = false;
  uint32_t stream_id_ = 0;  // server: the connection's stream (on_stream_elsewhere)
  Moved moved_;
};

}  // namespace net::connect::detail
