// The blind relay server's bookkeeping, sans-I/O (blind-relay 1.6.1 BlindRelaySession
// _onpair/_onunpair/_onclose): pair requests from sessions (one per connection to the
// relay) wait under their token until the other half, with the opposite isInitiator, comes;
// then the two are matched and the glue creates one UDX stream per half, relays them to
// each other (Stream::relay_to) and answers each half with `pair {id: its new stream}`.
//
// Unlike the reference, waiting is bounded: per session and in total, and in time (the
// reference's clients give up after 15 s anyway). A request over a bound is refused (the
// client's own timeout reports it). Active links are tracked by token until the glue says
// their streams closed, so unpair and a closing session can find them.
// Not thread-safe: one owner drives it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "hypercore/error.hpp"
#include "net/blind_relay/blind_relay_messages.hpp"

namespace net::blind_relay {

using Millis = std::chrono::milliseconds;
using SessionId = uint64_t;

struct PairingLimits {
  // Pair requests one session may have waiting. Default 16.
  size_t max_pending_per_session = 16;
  // Pair requests waiting in all. Default 1024 (each ~100 bytes).
  size_t max_pending = 1024;
  // Active relayed links one session may hold (each costs two UDX streams). Default 64.
  size_t max_links_per_session = 64;
  // A half waits this long for its other half. Default 15 s, the reference clients' wait.
  Millis pending_timeout{15000};
};

// One half of a pairing: who asked, and the UDX stream id it sends from.
struct LinkHalf {
  SessionId session = 0;
  bool is_initiator = false;
  uint32_t remote_stream_id = 0;
};

struct Match {
  Token token{};
  std::array<LinkHalf, 2> halves;  // [0] = not initiator, [1] = initiator
};

struct PairingStats {
  uint64_t requested = 0, matched = 0, cancelled = 0, refused = 0, expired = 0;
  size_t pending = 0, active = 0;
};

class PairingTable {
 public:
  explicit PairingTable(PairingLimits limits = {}) : limits_(limits) {}

  // A pair request from `session`. A Match when it completes a pairing; nullopt while it
  // waits, or when it repeats a half already waiting (ignored, as the reference does).
  // Errors (the request is refused and nothing changes): errc::invalid_argument for a
  // stream id over 32 bits, errc::out_of_range over a bound of PairingLimits.
  hypercore::Result<std::optional<Match>> on_pair(SessionId session, const PairMessage& m, Millis now);
  // unpair: a waiting pairing under the token is cancelled (returns false); an active link
  // the session takes part in is returned true: the glue destroys its streams and calls
  // link_closed.
  bool on_unpair(SessionId session, const Token& token);
  // The session is gone: its waiting halves are cancelled; returns the tokens of the active
  // links it took part in (the glue destroys their streams).
  std::vector<Token> remove_session(SessionId session);
  // The glue's streams for this link closed: forget it.
  void link_closed(const Token& token);
  // Cancels halves that waited longer than pending_timeout.
  void expire(Millis now);
  std::optional<Millis> next_timeout() const;

  bool is_active(const Token& token) const { return active_.contains(token); }
  PairingStats stats() const;

 private:
  struct Pending {
    std::array<std::optional<LinkHalf>, 2> halves;
    Millis since{0};
  };
  void drop_pending(std::map<Token, Pending>::iterator it);
  size_t pending_of(SessionId session) const;
  size_t links_of(SessionId session) const;

  PairingLimits limits_;
  std::map<Token, Pending> pending_;
  std::map<Token, std::array<SessionId, 2>> active_;
  PairingStats stats_;
};

}  // namespace net::blind_relay
