// The client side of the blind-relay protocol on one connection to a relay (blind-relay
// 1.6.1 BlindRelayClient, as hyperdht's relayConnection uses it): open the "blind-relay"
// channel with our public key as its id, send `pair {isInitiator, token, id: our UDX stream}`
// and wait for the relay's `pair` with the same token and role, whose id is the relay's
// stream to send to. Bounded: `timeout` from the start (the reference: 15 s).
//
// Usage: make one, pass setup() to DhtPeer::connect(relay key), call attach() with the Peer
// when the connect succeeds. `done` runs once: the relay's stream id, or why not. Internal.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "hypercore/crypto.hpp"
#include "net/blind_relay/blind_relay_messages.hpp"
#include "net/transport/transport.hpp"

namespace boost::asio {
class io_context;
}

namespace net::connect::detail {

class RelayPairing : public std::enable_shared_from_this<RelayPairing> {
 public:
  using Done = std::function<void(hypercore::Result<uint32_t> remote_stream_id)>;

  static std::shared_ptr<RelayPairing> create(boost::asio::io_context& io, const hypercore::PublicKey& our_key,
                                              bool is_initiator, const blind_relay::Token& token, uint32_t stream_id,
                                              std::chrono::milliseconds timeout, Done done);
  ~RelayPairing();

  // For the connection to the relay: no cores, the channel opened as soon as it is up.
  PeerSetup setup();
  // The connection to the relay, once made (kept open while this lives, and after success
  // by whoever holds it: the relayed stream needs it no longer, the reference keeps it).
  void attach(std::shared_ptr<Peer> relay);
  void fail(const std::string& why);
  const std::shared_ptr<Peer>& relay() const { return relay_; }
  bool finished() const { return finished_; }

 private:
  struct Impl;
  RelayPairing() = default;
  void on_open(Peer& peer);
  void finish(hypercore::Result<uint32_t> result);

  std::unique_ptr<Impl> impl_;
  hypercore::PublicKey our_key_{};
  bool is_initiator_ = false;
  blind_relay::Token token_{};
  uint32_t stream_id_ = 0;
  uint64_t channel_ = 0;
  bool finished_ = false;
  std::shared_ptr<Peer> relay_;
  Done done_;
};

}  // namespace net::connect::detail
