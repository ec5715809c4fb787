// A HyperDHT peer that connects and accepts connections as hyperdht 6.34.0 does
// (docs/protocol/connect.md): a DHT node on two UDP sockets that also carry UDX streams,
// `listen(key_pair)` to be reachable by public key from any Hyperswarm/HyperDHT peer, and
// `connect(public_key)` to reach one. Each connection runs a PeerSession (secret stream keyed
// by the Noise IK handshake, protomux, the replicators of PeerSetup::cores) over a UDX
// stream, exactly as the TCP transport runs one over a socket, and is a net::Peer.
//
//   auto dht = net::connect::DhtPeer::open(io, {.bootstrap = {"127.0.0.1:49737"}});
//   (*dht)->listen(key_pair, setup);                       // announce H(pk), answer handshakes
//   (*dht)->connect(remote_key, {}, setup, [](auto peer, const ConnectInfo& info) { ... });
//
// Paths: a direct handshake, an open server, the server's address as its relay saw it when
// a PING there is answered, or a holepunch (holepunch_rounds.hpp) raced against that PING
// when the server is firewalled and offers one; ConnectInfo::path says which. A listening
// firewalled peer offers holepunching and answers PEER_HOLEPUNCH rounds. With a blind relay
// (DhtPeerOptions::relay_through, or the peer's own) such a connection goes through the
// relay first (ConnectPath::relay); when the server offers holepunching, the punch runs
// beside it, and the connection moves to the direct path if the punch gets through (as the
// reference: DhtPeerOptions::on_upgrade hears of it; docs/protocol/connect.md). A change
// of the machine's network (network_watch.hpp) makes it announce again; its connections
// send keepalives, so one whose path died fails and can be made again.
//
// Ownership: the caller owns the io_context (run it on one thread) and the cores; DhtPeer
// owns its sockets, its DHT node and its connections' streams. Call it from the io_context's
// thread (or before run()). Handlers run on that thread. Asio stays out of this header.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hypercore/crypto.hpp"
#include "net/connect/client_handshake.hpp"
#include "net/dht/address.hpp"
#include "net/transport/transport.hpp"

namespace boost::asio {
class io_context;
}

namespace net::dht {
class UdpDht;
class HyperDht;
}  // namespace net::dht

namespace net::udx {
class UdxSocket;
}

namespace net::connect {

struct ConnectInfo;

struct DhtPeerOptions {
  // "host:port" of bootstrap nodes; empty: this node is the first of a network.
  std::vector<std::string> bootstrap;
  // Where both sockets bind. Default "0.0.0.0"; tests use "127.0.0.1".
  std::string host = "0.0.0.0";
  uint16_t port = 0;  // the server socket; 0 = any free port
  // Our identity for connect() (default: a random key pair per DhtPeer).
  std::optional<hypercore::KeyPair> key_pair;
  // How often a listening key is announced again. Records live 13-27 min at the nodes
  // (docs/protocol/dht.md), the reference refreshes every ~5 min. Default 5 min.
  std::chrono::milliseconds reannounce{5 * 60 * 1000};
  // How long connect() waits for a handshake reply from any relay. Default 10 s.
  std::chrono::milliseconds handshake_timeout{10000};
  // A blind relay (its public key, e.g. one `bee relay` runs) for our connections, as
  // Hyperswarm's relayThrough: connect() and listen() name it in their Noise payloads, and a
  // connection the two sides cannot make directly (the server firewalled and the handshake
  // relayed) goes through it. A peer that names its own relay is followed likewise (the
  // server's choice wins). Unset: no relay unless the peer asks for one.
  std::optional<hypercore::PublicKey> relay_through;
  // How long pairing at a blind relay may take, connecting to it included. Default 15 s
  // (the reference's relay timeout).
  std::chrono::milliseconds relay_timeout{15000};
  // With a blind relay, also try the direct paths beside it (the server's address, the LAN
  // shortcut, a holepunch), as the reference does: the first that works carries the
  // connection, and one that gets through after the relay takes it over (on_upgrade).
  // False: the relay alone carries relayed connections. Default true.
  bool punch_beside_relay = true;
  // The LAN shortcut (the reference's localConnection): when the relay saw us and a
  // firewalled server at one public IP, also try the server's own interface addresses,
  // racing the holepunch (docs/protocol/connect.md). Default on, as in the reference.
  bool lan_shortcut = true;
  // A connection made through a blind relay moved to a direct path (a holepunch raced beside
  // the relay got through, on either side, and the peer confirmed it; the relay connection
  // is closed). `info` is the connection's, with its new path and remote address.
  std::function<void(const ConnectInfo& info)> on_upgrade;
  // Every connection's keepalive (TransportOptions::keepalive, where its PeerSetup leaves it
  // 0): hyperdht's connectionKeepAlive, 5 s, so that a connection whose path died (a
  // network change on either side) fails within ~20 s and can be made again. 0: off.
  std::chrono::milliseconds keepalive{5000};
  // How often the network interfaces are checked for a change (network_watch.hpp; udx-native
  // polls every 5 s). On a change, as dht-rpc's 'network-change' in hyperdht: every listening
  // key is announced again at once (the nodes route handshakes to where our announcement came
  // from), and `on_network_change` runs (a Swarm looks up and announces its topics again).
  // 0: never. Default 5 s.
  std::chrono::milliseconds network_poll{5000};
  std::function<void()> on_network_change;
};

// How a connection was made.
struct ConnectInfo {
  ConnectPath path = ConnectPath::direct;
  std::string remote;          // the UDX peer, "host:port"
  std::string relay;           // where the handshake went ("" for an accepted connection)
  hypercore::PublicKey remote_public_key{};
  size_t handshakes_sent = 0;  // relays asked (connect)
  std::chrono::milliseconds elapsed{0};  // from connect() to the handshake reply
  // The UDX socket the connection's stream lives on (a blind relay creates the streams it
  // relays for a connection on the same socket).
  std::shared_ptr<udx::UdxSocket> socket;
};

class DhtPeer {
 public:
  using ConnectHandler = std::function<void(TransportResult<std::shared_ptr<Peer>>, const ConnectInfo&)>;
  using AcceptHandler = std::function<void(std::shared_ptr<Peer>, const ConnectInfo&)>;

  // Binds the sockets and bootstraps in the background; `on_ready` (optional) runs once
  // the bootstrap finished.
  static hypercore::Result<std::unique_ptr<DhtPeer>> open(boost::asio::io_context& io, DhtPeerOptions options,
                                                          std::function<void()> on_ready = {});
  ~DhtPeer();
  DhtPeer(const DhtPeer&) = delete;
  DhtPeer& operator=(const DhtPeer&) = delete;

  dht::UdpDht& udp();
  dht::HyperDht& hyperdht();
  const hypercore::KeyPair& key_pair() const;
  uint16_t port() const;

  // Accepts connections for `key_pair`: answers handshakes for H(public key) and announces
  // it to the closest nodes now and every `reannounce`. Each accepted connection runs
  // `setup` as the responder; `on_accept` (optional) hears of it. Replaces an earlier
  // listen() on the same key.
  void listen(const hypercore::KeyPair& key_pair, PeerSetup setup, AcceptHandler on_accept = {});
  // Stops answering for that key (connections already made stay).
  void unlisten(const hypercore::PublicKey& public_key);
  // The DHT nodes that hold our announcement of `public_key` (its relays), once announced.
  std::vector<dht::Ipv4Address> relays(const hypercore::PublicKey& public_key) const;

  // Connects to `remote`: the handshake goes to every address in `hints` (e.g. a topic
  // record's relay addresses) and to the nodes FIND_PEER finds holding its announcement;
  // the first reply wins. `done` runs once with the Peer (its on_open/on_close come through
  // setup.handlers) or the failure: TransportErrc::connect_failed naming why (not found,
  // refused, incompatible...).
  void connect(const hypercore::PublicKey& remote, std::vector<dht::Ipv4Address> hints, PeerSetup setup,
               ConnectHandler done);

  // Unannounces nothing (records expire), stops every connection, closes the sockets.
  void close();

 private:
  struct Impl;
  explicit DhtPeer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace net::connect
