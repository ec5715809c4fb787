// The Swarm's decisions, sans-I/O: which discovered peer to dial and when, so that a pair
// of peers ends up with one connection, and how a dropped or failed dial is retried
// (bounded exponential backoff). Discovery results, connection outcomes and time go in;
// Dial actions come out of poll(). No socket, no clock: swarm.cpp binds it, unit tests
// drive it with a fake time (tests/net/swarm_planner_test.cpp).
//
// Who dials (one connection per pair, chosen the same way on both sides). Every peer is
// known by its Noise static public key, which its discovery record carries (mDNS TXT
// pk=, later the DHT's announce). For a pair of peers that both announce a topic (both
// can be found, hence both can dial), the peer whose key is lower (lexicographic byte
// comparison) dials and the higher one waits: both ends compare the same two keys, so
// they agree without talking. A peer that only looks up (does not announce) cannot be
// found, so it always dials.
// A waiting (higher-key) peer cannot tell whether the lower one looks up at all (a
// discovery record says "I serve T", not "I look for T"): if no connection from one of
// the peer came in within `dial_grace`, it dials anyway.
// An inbound connection is matched to a discovered peer by the Noise static key its
// handshake proved (PeerSession::remote_public_key()), so two peers behind one address
// (a NAT, or several swarms on one host) stay two peers. Between the TCP accept and the
// end of the handshake (a round trip or two) the key is not known yet; only during that
// window is the connection matched by its source address, and only to hold back a dial
// (re-examined every `inbound_recheck`) rather than to decide that a peer is connected.
//
// Thread-safety: none; one thread drives a planner.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hypercore/bytes.hpp"
#include "net/dht/address.hpp"

namespace net::swarm {

using Time = std::chrono::milliseconds;  // monotonic, arbitrary origin
inline constexpr Time kNever = Time::max();
using PeerKey = std::array<uint8_t, 32>;  // a peer's Noise static public key
using Ipv4 = std::array<uint8_t, 4>;

struct PlannerOptions {
  // Our Noise static public key (compared with each peer's to decide who dials).
  PeerKey local_key{};
  // Whether we announce a topic (so peers can find and dial us). Default false: a
  // lookup-only swarm dials every peer it finds at once. set_announcing() changes it.
  bool announcing = false;
  // How long a higher-key peer waits for the lower-key one to dial before dialling itself.
  // Default 3 s: longer than an mDNS round of both sides (first query 20-120 ms, answer
  // 20-120 ms, resolve) so that the expected dial usually wins.
  Time dial_grace{3000};
  // First retry delay after a failed dial or a dropped connection; doubles per
  // consecutive failure up to backoff_max. Defaults 1 s and 30 s.
  Time backoff_initial{1000};
  Time backoff_max{30000};
  // Consecutive failures after which the peer is given up until discovery reports it
  // again (a new PeerFound). A connection that replicated resets the count. Default 6
  // (about 1 min of trying with the defaults).
  unsigned max_attempts = 6;
  // While an inbound connection from one of a due peer's addresses is still in its
  // handshake (key unknown), how often to look again instead of dialling. Default 100 ms
  // (a LAN handshake takes about a millisecond; the transport's handshake_timeout bounds
  // how long a connection can stay unidentified).
  Time inbound_recheck{100};
};

struct Dial {
  PeerKey key{};
  // TCP (a LAN peer): address:port. DHT (found only there): through HyperDHT's connect
  // protocol by key, the record's relay addresses as hints.
  Ipv4 address{};
  uint16_t port = 0;
  bool dht = false;
  std::vector<dht::Ipv4Address> relays;
  unsigned attempt = 1;  // 1 for the first dial, 2 for the first retry, ...
};

// Hyperswarm's duplicate rule (../shared/spec/dht.md §3.8; hyperswarm 4.17.2's
// _handleServerConnection): a connection `remote` initiated to us comes in while another
// with `remote` exists (ours, dialled or still dialling, or an earlier one of its own).
// Keep the new one (and drop the existing) if the existing one already moved bytes both
// ways (the peer lost it and reconnects) or if the initiator of the new one, `remote`, has
// the larger key; else drop the new one. Both ends compare the same two keys, so they keep
// the same connection.
inline bool keep_incoming_duplicate(const PeerKey& local, const PeerKey& remote, bool existing_moved_both_ways) {
  return existing_moved_both_ways || remote > local;
}

class SwarmPlanner {
 public:
  explicit SwarmPlanner(PlannerOptions options);

  void set_announcing(bool announcing) { options_.announcing = announcing; }

  // Discovery found `key` for `topic` at addresses:port (again: its port or addresses
  // changed). A peer found on several topics is still one peer, dialled once. A peer that
  // was given up gets a fresh budget.
  void found(hypercore::ByteSpan topic, const PeerKey& key, std::vector<Ipv4> addresses, uint16_t port, Time now);
  // The same for a peer found on the DHT: reached by key (relays: its record's relay
  // addresses). A peer also known at a TCP address is dialled there.
  void found_dht(hypercore::ByteSpan topic, const PeerKey& key, std::vector<dht::Ipv4Address> relays, Time now);
  // Discovery lost `key` for `topic`. Once no topic leads to it, it is not dialled again;
  // a live connection is left alone (it ends on its own terms).
  void gone(hypercore::ByteSpan topic, const PeerKey& key);
  // We stopped looking up `topic`: forget what was found through it (as gone()).
  void forget_topic(hypercore::ByteSpan topic);

  // Our dial of `key` reached a working connection (replication started): its failure
  // count resets.
  void dial_succeeded(const PeerKey& key);
  // Our dial of `key` ended (failed to connect or closed later). Unless the peer is
  // forgotten, it is dialled again after the backoff, or given up after max_attempts.
  void dial_ended(const PeerKey& key, Time now);
  // Inbound connections (see the header comment). opened: a peer connected to us from
  // `address`, its handshake not done yet. identified: that connection's handshake proved
  // `key`; from now on it is matched by the key alone. closed: it ended; `key` is what it
  // was identified as (nullopt if it never was). A connection accepted through the DHT is
  // identified from the start (Noise IK named the key): opened then identified at once.
  void inbound_opened(const Ipv4& address);
  void inbound_identified(const Ipv4& address, const PeerKey& key);
  void inbound_closed(const Ipv4& address, const std::optional<PeerKey>& key, Time now);

  // Dials due at `now` (each peer has at most one dial in flight); returns when to call
  // again (kNever: nothing scheduled).
  Time poll(Time now, std::vector<Dial>& dials);

  // Whether we would dial `remote` at once (true) or wait for it to dial us first.
  bool dials_first(const PeerKey& remote) const;
  size_t known_peers() const { return peers_.size(); }
  // The number of consecutive failed dials of `key` (0 when unknown).
  unsigned failures(const PeerKey& key) const;
  bool given_up(const PeerKey& key) const;

 private:
  enum class State { waiting, dialing, given_up };
  struct PeerState {
    std::set<std::string> topics;
    std::vector<Ipv4> addresses;
    uint16_t port = 0;
    bool dht = false;
    std::vector<dht::Ipv4Address> relays;
    State state = State::waiting;
    Time due{0};
    unsigned failures = 0;
    unsigned dials = 0;
  };
  PeerState* upsert(hypercore::ByteSpan topic, const PeerKey& key, Time now);
  bool has_unidentified_inbound_from(const PeerState& peer) const;
  Time backoff(unsigned failures) const;

  PlannerOptions options_;
  std::map<PeerKey, PeerState> peers_;
  std::map<PeerKey, unsigned> inbound_;           // open inbound connections per proven key
  std::map<Ipv4, unsigned> unidentified_inbound_;  // ... still in the handshake, per source address
};

}  // namespace net::swarm
