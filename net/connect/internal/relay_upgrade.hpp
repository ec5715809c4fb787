// A connection through a blind relay moving to a direct, holepunched path, as hyperdht's
// connect.js and server.js do (`onsocket` with a connected raw stream, then
// relay-connection.js's confirmDirectUpgrade):
//   - the UDX stream changes remote (UdxSocket::change_remote) to the peer's own stream at
//     the address the punch reached, through the socket it reached it from;
//   - an empty UDX message goes over the new path at once, so the peer notices it;
//   - the connection to the relay is closed once the peer sends from the new address too
//     (Stream::path_confirmed).
// Either side may get through first. While watching, the stream's firewall moves it to the
// address of the peer's first direct packet (libudx's on_firewall in server.js/connect.js).
// It moves once; the watch ends at a deadline (a punch does not outlive kPunchLifetime).
// Internal to bee_connect_node; single-threaded, on the io_context's thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "net/transport/transport.hpp"
#include "net/udx/packet.hpp"

namespace boost::asio {
class io_context;
}
namespace net::udx {
class UdxSocket;
}

namespace net::connect::detail {

class RelayUpgrade : public std::enable_shared_from_this<RelayUpgrade> {
 public:
  // Runs once the peer confirmed the new path (and the relay connection was closed), with
  // the address the stream now talks to.
  using Confirmed = std::function<void(const udx::Address& to)>;

  // Stream `local_id` on `home`, connected through `relay`; `direct_remote_id` is the
  // peer's own stream id (from the handshake), which the direct path addresses.
  static std::shared_ptr<RelayUpgrade> create(boost::asio::io_context& io, std::shared_ptr<udx::UdxSocket> home,
                                              uint32_t local_id, uint32_t direct_remote_id,
                                              std::shared_ptr<Peer> relay, Confirmed confirmed);
  ~RelayUpgrade();

  // Lets the peer's first direct packet move the stream, until `deadline` from now.
  void watch(std::chrono::milliseconds deadline);
  // Moves the stream to `to`, its datagrams leaving through `via` (null or `home`: from
  // home). False when it moved already or the stream is gone.
  bool move(const udx::Address& to, std::shared_ptr<udx::UdxSocket> via);
  bool moved() const { return moved_; }
  // The connection ended: no more watching; the relay connection is closed.
  void stop();

 private:
  struct Impl;
  RelayUpgrade() = default;
  void unwatch();

  std::unique_ptr<Impl> impl_;
  std::weak_ptr<udx::UdxSocket> home_;
  uint32_t local_id_ = 0, direct_remote_id_ = 0;
  std::shared_ptr<Peer> relay_;
  Confirmed confirmed_;
  bool moved_ = false, stopped_ = false;
};

}  // namespace net::connect::detail
