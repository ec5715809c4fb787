// NAT traversal for the HyperDHT connect layer (../shared/spec/dht.md §3.6; hyperdht 6.34.0
// lib/nat.js and lib/holepuncher.js), sans-I/O: which NAT we are behind, and the 1-byte
// probes that open a path through two NATs. The PEER_HOLEPUNCH rounds that tell each side
// what the other is are in holepunch_rounds.hpp.
//
//   NatAnalyzer      classifies our NAT from the `to` field of PING replies sent from the
//                    puncher socket: >= 3 identical host:port -> consistent, all different
//                    -> random (nat.js, rule for rule).
//   RandomPunchGate  one random-NAT punch at a time per node, one per 20 s (TRY_LATER).
//   Holepuncher      the probe schedule: consistent<->consistent 10 rounds 1 s apart to every
//                    advertised address; consistent->random ~1750 random ports of the
//                    verified host 20 ms apart; random->consistent up to 256 "birthday"
//                    sockets each probing the verified address, then a keep-alive round
//                    robin. The first probe the initiator receives on a puncher socket is
//                    the path; the responder answers each probe with one of its own.
//
// Sockets are numbered: 0 is the puncher socket the glue gave us, 1.. are birthday sockets
// the glue opens while sockets() grows. Once connected (or destroyed) the glue keeps only
// connection()->socket and closes the other birthday sockets.
// Time is the caller's (Millis, any epoch); randomness comes from HolepuncherOptions::seed.
// Not thread-safe: one owner drives it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "net/connect/messages.hpp"
#include "net/connect/server_handshake.hpp"  // Millis

namespace net::connect {

// nat.js: samples of our address as DHT nodes saw our puncher socket.
class NatAnalyzer {
 public:
  // `firewalled`: whether the DHT thinks we are (an unfirewalled node is OPEN at once).
  explicit NatAnalyzer(bool firewalled = true) : firewalled_(firewalled), firewall_(firewalled ? Firewall::unknown : Firewall::open) {}

  // One reply: `to` is us as `from` saw us. A second sample from the same node is ignored.
  void add(const Ipv4Address& to, const Ipv4Address& from);
  // Every PING the glue sent has been answered or has failed: the analysis is over,
  // whatever it concluded (autoSample's final resolve).
  void sampling_done() { done_ = true; }

  Firewall firewall() const { return firewall_; }
  // Our addresses to advertise: nullopt while unknown, the host (port 0) when random,
  // the sampled host:ports when consistent (nat.js _updateAddresses).
  const std::optional<std::vector<Ipv4Address>>& addresses() const { return addresses_; }
  // The reference's `analyzing` promise resolved: a conclusion, or enough samples.
  bool analyzed() const { return done_ || resolved_; }
  size_t sampled() const { return sampled_; }
  // Stops updating firewall/addresses (while they are being told to the other side).
  void freeze() { frozen_ = true; }
  void unfreeze();

  static constexpr size_t kMinSamples = 4;

 private:
  struct Sample {
    Ipv4Address address;  // port 0 in the host-only list
    int hits = 1;
  };
  static void add_sample(std::vector<Sample>& samples, const Ipv4Address& address);
  void update();
  void update_firewall();
  void update_addresses();

  bool firewalled_;
  Firewall firewall_;
  std::optional<std::vector<Ipv4Address>> addresses_;
  std::vector<Sample> hosts_, full_;
  std::vector<Ipv4Address> visited_;
  size_t sampled_ = 0;
  bool frozen_ = false;
  bool resolved_ = false;
  bool done_ = false;
};

// hyperdht's _randomPunches / _lastRandomPunch: shared by every puncher of one node.
struct RandomPunchGate {
  size_t active = 0;
  size_t limit = 1;
  Millis interval{20000};
  std::optional<Millis> last;  // when the last random punch ended
  bool busy(Millis now) const { return active >= limit || (last && now - *last < interval); }
};

struct HolepuncherOptions {
  std::optional<uint64_t> seed;  // random ports; default: random
  size_t birthday_sockets = 256;
  size_t consistent_rounds = 10;
  Millis consistent_interval{1000};
  size_t random_tries = 1750;
  Millis random_interval{20};
};

// One 1-byte probe to send: from socket `socket`, with TTL 5 when `low_ttl`.
struct PunchProbe {
  size_t socket = 0;
  Ipv4Address to;
  bool low_ttl = false;
  bool operator==(const PunchProbe&) const = default;
};

struct RemoteAddress {
  Ipv4Address address;
  bool verified = false;
};

struct PunchConnection {
  size_t socket = 0;  // the puncher socket that heard the other side
  Ipv4Address remote;
};

// The probe content (holepuncher.js HOLEPUNCH): one zero byte.
inline constexpr uint8_t kPunchProbe = 0;
inline constexpr int kLowTtl = 5;

class Holepuncher {
 public:
  // `initiator`: the connecting side (it fixes the path); `remote_firewall`: what the
  // handshake said. `gate` must outlive the puncher.
  Holepuncher(bool initiator, Firewall remote_firewall, RandomPunchGate& gate, bool firewalled = true,
              HolepuncherOptions options = {});
  ~Holepuncher();
  Holepuncher(const Holepuncher&) = delete;
  Holepuncher& operator=(const Holepuncher&) = delete;

  NatAnalyzer& nat() { return nat_; }
  const NatAnalyzer& nat() const { return nat_; }
  bool initiator() const { return initiator_; }

  // What the other side said in a holepunch payload; `verified`: the host its token echo
  // proved (holepuncher.js updateRemote). A host verified earlier stays verified.
  void update_remote(bool punching, Firewall firewall, const std::optional<std::vector<Ipv4Address>>& addresses,
                     std::optional<std::array<uint8_t, 4>> verified);
  Firewall remote_firewall() const { return remote_firewall_; }
  bool remote_punching() const { return remote_punching_; }
  const std::vector<RemoteAddress>& remote_addresses() const { return remote_addresses_; }

  // A probe from socket 0 now: low TTL (openSession) or not (ping).
  void open_session(const Ipv4Address& to) { probe(0, to, true); }
  void ping(const Ipv4Address& to) { probe(0, to, false); }

  // holepuncher.js _unstable(): both random, or ours unknown.
  bool unstable() const;

  // Starts the probe schedule the two NATs allow (holepuncher.js _punch); false when they
  // allow none (nothing advertised, no verified address for a random side, both random).
  // Idempotent: a second call returns the first answer.
  bool punch(Millis now);
  bool punching() const { return punching_; }

  // A datagram of one byte on puncher socket `socket` (the glue passes every such datagram).
  void on_probe(size_t socket, const Ipv4Address& from, Millis now);

  // Probes to send now, in order.
  std::vector<PunchProbe> take_probes();
  // How many sockets the puncher uses (socket 0 and the birthday sockets 1..n-1).
  size_t sockets() const { return sockets_; }

  std::optional<Millis> next_timeout() const;
  void advance(Millis now);

  bool connected() const { return connection_.has_value(); }
  const std::optional<PunchConnection>& connection() const { return connection_; }
  // Gave up (the schedule ran out unconnected, or destroy()). aborted(): without a connection.
  bool destroyed() const { return destroyed_; }
  bool aborted() const { return destroyed_ && !connection_; }
  void destroy(Millis now);

 private:
  enum class Mode { idle, consistent, random_probes, keep_alive };
  void probe(size_t socket, const Ipv4Address& to, bool low_ttl) { probes_.push_back({socket, to, low_ttl}); }
  std::optional<Ipv4Address> verified_address() const;
  void randomized(bool on, Millis now);
  void step(Millis now);

  bool initiator_;
  RandomPunchGate& gate_;
  HolepuncherOptions options_;
  std::mt19937_64 rng_;
  NatAnalyzer nat_;
  Firewall remote_firewall_;
  std::vector<RemoteAddress> remote_addresses_;
  bool remote_punching_ = false;

  std::optional<bool> punch_result_;
  bool punching_ = false;
  bool randomized_ = false;
  bool destroyed_ = false;
  Mode mode_ = Mode::idle;
  size_t tries_ = 0;       // rounds / probes done in the current mode
  size_t cursor_ = 0;      // keep-alive: next socket
  bool low_ttl_round_ = true;
  Ipv4Address target_;     // random modes: the verified address
  std::optional<Millis> next_;
  size_t sockets_ = 1;
  std::vector<PunchProbe> probes_;
  std::optional<PunchConnection> connection_;
};

}  // namespace net::connect
