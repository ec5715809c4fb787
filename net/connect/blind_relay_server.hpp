// A blind relay on a DhtPeer (blind-relay 1.6.1's BlindRelayServer as hyperdht's tests and
// relay CLIs wire it): listens on a key pair; every connection to it gets a "blind-relay"
// channel; two pair requests with the same token and opposite roles are matched, and the
// relay makes one UDX stream per side on that side's connection socket, relays them to each
// other (udx::Stream::relay_to: packets forwarded unread, ids rewritten) and answers each
// side with its stream's id. The relay sees only encrypted bytes: the two peers' secret
// stream is keyed by their own handshake.
//
// Bounded (PairingLimits): waiting pairings per connection, in total and in time; active
// links per connection; connections (max_sessions, over it new ones are closed). A link ends
// when either stream closes (a DESTROY, a closing connection, unpair); its streams are
// released to their sockets.
//
// Ownership: the DhtPeer must outlive the server (close() the server first). Call it on the
// io_context's thread. Asio stays out of this header.
#pragma once

#include <memory>

#include "net/blind_relay/pairing_table.hpp"
#include "net/connect/dht_peer.hpp"

namespace net::connect {

struct BlindRelayServerOptions {
  blind_relay::PairingLimits limits;
  // Connections served at once; more are closed at once. Default 4096.
  size_t max_sessions = 4096;
};

struct BlindRelayStats {
  blind_relay::PairingStats pairings;
  size_t sessions = 0;
  uint64_t relayed_packets = 0;  // by links that have ended
};

class BlindRelayServer {
 public:
  // Listens on `key_pair` through `dht` (announcing it) and relays for every connection.
  static std::shared_ptr<BlindRelayServer> start(DhtPeer& dht, const hypercore::KeyPair& key_pair,
                                                 BlindRelayServerOptions options = {});
  ~BlindRelayServer();
  BlindRelayServer(const BlindRelayServer&) = delete;
  BlindRelayServer& operator=(const BlindRelayServer&) = delete;

  const hypercore::PublicKey& public_key() const;
  BlindRelayStats stats() const;
  // Stops listening, ends every link and closes every connection. Idempotent.
  void close();

 private:
  struct Impl;
  explicit BlindRelayServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace net::connect
