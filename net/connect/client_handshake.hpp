// The client's half of PEER_HANDSHAKE (../shared/spec/dht.md §3.1-§3.5; hyperdht 6.34.0
// connect.js connectThroughNode/holepunch), sans-I/O: it makes the one Noise IK message the
// glue sends (FROM_CLIENT) to the server's relays, or to the server itself, in parallel;
// the first reply that decrypts completes it and says where our UDX stream goes.
//
// Path choice, in the reference's order:
//   direct        the reply came from the address we sent to: dial that address.
//   open_server   the server is open, or relayed and it offers no holepunch: the first
//                 public (non-bogon) addresses4 entry, else the address the relay saw.
//   relayed_address  the server is firewalled and offers holepunching: we dial the address
//                 the relay saw it at (any first UDX packet for its stream id is accepted,
//                 §3.5), which reaches servers on loopback, the LAN and the open internet;
//                 `holepunch_offered` says a holepunch could follow if that stays silent.
// Named failures: the server's incompatible version (server_incompatible), its error
// payload (server_aborted, try_later), a reply without UDX data (server_aborted).
// Not thread-safe: one owner drives it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "net/connect/connect_error.hpp"
#include "net/connect/messages.hpp"
#include "net/connect/noise_ik.hpp"

namespace net::connect {

struct ClientHandshakeOptions {
  // Ours, as the server should see them (connect.js: open iff we know our public address).
  Firewall firewall = Firewall::unknown;
  std::vector<Ipv4Address> addresses4;
  // A blind relay we want the connection to go through (connect.js relayThrough): sent
  // with a fresh random token in our payload. The server may name its own instead.
  std::optional<hypercore::PublicKey> relay_through;
  // Only for deterministic tests: the Noise ephemeral key pair.
  std::optional<hypercore::KeyPair> ephemeral;
};

// holepunch: the glue's, after relayed_address with holepunch_offered: the rounds of
// holepunch_rounds.hpp found the path.
// relay: through a blind relay (ClientConnect::relay, the glue's too).
enum class ConnectPath { direct, open_server, relayed_address, holepunch, relay, lan };
const char* path_name(ConnectPath path);

struct ClientConnect {
  IkOutcome keys;
  NoisePayload remote_payload;
  uint32_t remote_stream_id = 0;
  Ipv4Address target;  // where our UDX stream sends its first packet
  ConnectPath path = ConnectPath::direct;
  bool holepunch_offered = false;
  // Set when either side asked for a blind relay: the server's relayThrough (we pair as
  // non-initiator with its token), else ours (initiator, our token).
  std::optional<RelayPlan> relay;
};

// 32 random bytes (a blind-relay token).
hypercore::Hash random_hash();

class ClientHandshake {
 public:
  ClientHandshake(const hypercore::KeyPair& key_pair, const hypercore::PublicKey& server, uint32_t local_stream_id,
                  ClientHandshakeOptions options = {});

  // The FROM_CLIENT Noise bytes: the same message to every relay (servers deduplicate on them).
  // Empty if the handshake could not be made (never for a valid key pair).
  const hypercore::Bytes& noise() const { return request_; }
  bool complete() const { return ik_.complete(); }

  // A reply to our FROM_CLIENT sent to `sent_to`: a direct response (no peer address), or
  // REPLY through a relay (peer_address = the server as the relay saw it). The first that
  // decrypts wins; later ones fail with out_of_turn. A reply that fails to decrypt fails with
  // handshake_failed and changes nothing: a forged reply cannot spoil the genuine one.
  ConnectResult<ClientConnect> on_reply(const HandshakeMessage& reply, const Ipv4Address& sent_to);

 private:
  NoiseIk ik_;
  uint32_t local_stream_id_;
  std::optional<RelayPlan> our_relay_;
  hypercore::Bytes request_;
};

}  // namespace net::connect
