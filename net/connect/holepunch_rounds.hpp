// The PEER_HOLEPUNCH rounds (../shared/spec/dht.md §3.6; hyperdht 6.34.0 connect.js
// holepunch/probeRound/roundPunch and server.js _onpeerholepunch), sans-I/O: what each side
// puts in the encrypted holepunch payloads it sends through the relays, and when it starts
// its Holepuncher (holepuncher.hpp).
//
//   client: probe round (our firewall, our addresses, the server address we opened a
//           low-TTL session to) through the server's relay; wait for our NAT analysis;
//           once both NATs are known and not both random, the punch round (punching =
//           true, a token for the server's host) through our handshake's relay; then punch.
//   server: answers each round with its own firewall/addresses and a token for the
//           client's host (only through its own announce relays, which prove it); starts
//           punching when the client says it is; TRY_LATER when a random punch is running.
//
// Failures are ConnectErrc values: cannot_holepunch (both random, a NAT type that stayed
// unknown, a remote that does not punch, the probes ran out), server_aborted (the other
// side's error payload), try_later (a random punch elsewhere), decryption_failed.
// The glue sends the requests from the puncher socket, feeds PING samples to
// puncher().nat(), passes 1-byte datagrams to puncher().on_probe() and drives advance().
// No blind relay here: a TRY_LATER without a relay token fails as the reference does.
// Not thread-safe: one owner drives each.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "net/connect/holepunch_payload.hpp"
#include "net/connect/holepuncher.hpp"

namespace net::connect {

// One PEER_HOLEPUNCH (FROM_CLIENT) to send to `relay`, for the server at `peer_address`.
struct HolepunchRequest {
  Ipv4Address relay;
  Ipv4Address peer_address;
  uint64_t id = 0;
  hypercore::Bytes payload;  // sealed
};

struct ClientPunchOptions {
  bool fast_open = true;             // connect.js opts.fastOpen: a low-TTL probe first
  Millis unknown_wait{1000};         // a remote that does not know its NAT yet gets this long
  HolepuncherOptions puncher;
  std::optional<std::array<uint8_t, 32>> token_secret;  // tests only
};

class ClientPunch {
 public:
  // After a relayed handshake that offered holepunching: `holepunch_secret` from the Noise
  // outcome, the server's Noise payload, the relay our handshake went through and the
  // server's address as it saw it. `firewalled`: the DHT's view of us.
  ClientPunch(const std::array<uint8_t, 32>& holepunch_secret, const NoisePayload& server_payload,
              const Ipv4Address& relay_address, const Ipv4Address& server_address, RandomPunchGate& gate,
              bool firewalled, Millis now, ClientPunchOptions options = {});

  Holepuncher& puncher() { return puncher_; }

  // The next request to send (at most one is in flight, plus a final abort notice).
  std::optional<HolepunchRequest> take_request();
  // The REPLY to our request: its sealed payload, the server as the relay saw it, and the
  // response's `to` (us) and `from` (the relay), a NAT sample.
  void on_reply(hypercore::ByteSpan sealed, const Ipv4Address& peer_address, const Ipv4Address& to,
                const Ipv4Address& from, Millis now);
  // Our request got no answer.
  void on_request_failed(Millis now);

  std::optional<Millis> next_timeout() const;
  void advance(Millis now);

  bool finished() const { return failure_.has_value() || puncher_.connected(); }
  const std::optional<ConnectError>& failure() const { return failure_; }
  const std::optional<PunchConnection>& connection() const { return puncher_.connection(); }
  // The server address the punch aims at (for logs).
  const Ipv4Address& server_address() const { return server_address_; }

 private:
  enum class State { probe, probe_wait, sleeping, analyzing, punch_request, punch_wait, punching, done };
  HolepunchPayload base(bool punching) const;
  void send(const Ipv4Address& relay, const Ipv4Address& peer, const HolepunchPayload& payload);
  void fail(ConnectErrc code, std::string why, Millis now, bool notify);
  void after_analysis(Millis now);

  SecurePayload secure_;
  Holepuncher puncher_;
  RandomPunchGate& gate_;
  ClientPunchOptions options_;
  uint64_t id_ = 0;
  RelayInfo server_relay_;
  Ipv4Address client_relay_;
  Ipv4Address server_address_;
  uint64_t round_ = 0;
  bool retried_ = false;
  State state_ = State::probe;
  std::optional<Millis> wake_;
  std::optional<hypercore::Hash> remote_token_;
  Ipv4Address probe_peer_;  // the server as the server's relay saw its probe reply
  std::vector<HolepunchRequest> out_;
  std::optional<ConnectError> failure_;
};

// What the server sends back through the relay: the sealed payload, from the puncher
// socket, or from the DHT's own socket for an abort (server.js _abort).
struct HolepunchAnswer {
  hypercore::Bytes payload;
  bool from_puncher = true;
};

class ServerPunch {
 public:
  ServerPunch(const std::array<uint8_t, 32>& holepunch_secret, Firewall remote_firewall, RandomPunchGate& gate,
              bool firewalled, HolepuncherOptions options = {},
              std::optional<std::array<uint8_t, 32>> token_secret = std::nullopt);

  Holepuncher& puncher() { return puncher_; }

  enum class Status { drop, wait, answer };
  // A FROM_RELAY holepunch for this connection. `peer_address`: the client as the relay
  // saw it; `from_our_relay`: the relay is one of our announce relays (server.js
  // isServerRelay). wait: call resume() once puncher().nat().analyzed().
  Status on_holepunch(hypercore::ByteSpan sealed, const Ipv4Address& peer_address, bool from_our_relay, Millis now);
  // The answer to the last holepunch once the NAT analysis is done (server.js after
  // `await p.analyze()`); nullopt when there is nothing to answer.
  std::optional<HolepunchAnswer> resume(Millis now);
  // The answer on_holepunch() computed (Status::answer).
  std::optional<HolepunchAnswer> take_answer() { return std::exchange(answer_, std::nullopt); }

  bool aborted() const { return aborted_; }

 private:
  HolepunchAnswer abort(PayloadError error, Millis now);

  SecurePayload secure_;
  Holepuncher puncher_;
  RandomPunchGate& gate_;
  uint64_t round_ = 0;
  bool aborted_ = false;
  // The holepunch waiting for the NAT analysis.
  std::optional<HolepunchPayload> pending_;
  Ipv4Address pending_peer_;
  bool pending_from_relay_ = false;
  std::optional<HolepunchAnswer> answer_;
};

}  // namespace net::connect
