// The server's half of PEER_HANDSHAKE for one key pair (../shared/spec/dht.md §3.1-§3.5;
// hyperdht 6.34.0 server.js _onpeerhandshake/_addHandshake), sans-I/O: the DHT glue hands
// it the Noise bytes of a handshake addressed to H(our key) with where it came from, and
// sends back the Noise reply this returns (a direct response, or FROM_SERVER through the
// relay). What to do with the connection (a UDX stream with the agreed ids, then the secret
// stream keyed by the handshake) is the glue's; this decides only the bytes and the plan.
//
// Like the reference, a client's Noise message is answered once: the same bytes again (the
// client sends one message through several relays at once) get the same reply and no second
// connection. Remembered handshakes are bounded (max_pending, oldest forgotten first) and
// expire after `remember`, so a flood of distinct handshakes costs bounded memory.
//
// The holepunch rounds themselves are holepunch_rounds.hpp's (the glue runs them for the
// connection whose id the client names); the blind relay is not here.
// Not thread-safe: one owner drives it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "net/connect/messages.hpp"
#include "net/connect/noise_ik.hpp"

namespace net::connect {

using Millis = std::chrono::milliseconds;

struct ServerHandshakeOptions {
  // What we tell clients about our reachability: open when we know our public address (a
  // client then dials addresses4 at once), unknown otherwise (the reference's two cases).
  Firewall firewall = Firewall::unknown;
  // Our public address first when known, then local interface addresses with our port.
  std::vector<Ipv4Address> addresses4;
  // The DHT nodes we announce through (at most 3), sent as relayAddresses; empty: omitted.
  std::vector<Ipv4Address> relay_addresses;
  // Our announce relays with our address as each saw it: offered as `holepunch` (id = the
  // connection's local stream id) unless we are open, as server.js does when firewalled.
  // Empty: no holepunch offered.
  std::vector<RelayInfo> holepunch_relays;
  // A blind relay every connection should go through (server.js relayThrough): each reply
  // names it with a fresh token, and a connection the client does not dial directly pairs
  // there (AcceptedConnection::relay). Unset: none, unless the client names one.
  std::optional<hypercore::PublicKey> relay_through;
  // Decides on the client's key before we answer (the reference's `firewall` option):
  // false refuses silently, as Node does. Default: everyone.
  std::function<bool(const hypercore::PublicKey& remote, const NoisePayload& payload)> allow;
  // Handshakes remembered to answer repeats identically. Default 256 (each ~1 KB).
  size_t max_pending = 256;
  // How long a handshake's reply is replayed. Default 10 s, the reference's clear delay.
  Millis remember{10000};
};

// A handshake we accepted: the glue opens a UDX stream `local_stream_id` towards
// `remote_stream_id` and runs the secret stream as responder with `keys`.
struct AcceptedConnection {
  IkOutcome keys;
  NoisePayload remote_payload;
  uint32_t local_stream_id = 0;
  uint32_t remote_stream_id = 0;
  // The client as the handshake saw it: the request's source (direct), or the address the
  // relay put in FROM_RELAY.
  Ipv4Address client_address;
  // Connect the stream to client_address now (the handshake came directly, or the client
  // says it is reachable); otherwise the first UDX packet for our id, from wherever it comes,
  // binds the stream (the client dials us after a relayed handshake).
  bool connect_now = false;
  // server.js: unless connect_now, pair the stream at a blind relay: ours (initiator) when
  // relay_through is set, else the client's (not initiator). The stream still binds to a
  // direct first packet if one comes before the pairing.
  std::optional<RelayPlan> relay;
};

struct ServerAnswer {
  hypercore::Bytes noise;                    // the Noise reply (msg2)
  std::optional<AcceptedConnection> accepted;  // empty for a repeat or a refusal with an error payload
};

class ServerHandshakes {
 public:
  ServerHandshakes(hypercore::KeyPair key_pair, ServerHandshakeOptions options = {});

  const hypercore::KeyPair& key_pair() const { return key_pair_; }
  ServerHandshakeOptions& options() { return options_; }

  // A handshake's Noise bytes for us. `direct`: the request came straight from the client
  // (mode FROM_CLIENT to our socket), else through a relay that saw the client at
  // `client_address`. `local_stream_id`: a free UDX id on our socket, used only if the
  // handshake is accepted. nullopt: drop silently (undecryptable Noise, refused key).
  std::optional<ServerAnswer> on_handshake(hypercore::ByteSpan noise, const Ipv4Address& client_address, bool direct,
                                           uint32_t local_stream_id, Millis now);

  // Forgets handshakes older than `remember`.
  void expire(Millis now);
  size_t remembered() const { return order_.size(); }

 private:
  struct Remembered {
    hypercore::Bytes reply;
    Millis at{0};
  };

  hypercore::KeyPair key_pair_;
  ServerHandshakeOptions options_;
  std::map<std::string, Remembered> replies_;  // by the client's Noise bytes
  std::deque<std::string> order_;              // oldest first
};

}  // namespace net::connect
