// A deterministic discrete-event network for DhtNode (../shared/spec/dht.md §6): a virtual
// clock, one priority queue of datagram deliveries and node wakeups, a per-pair log-normal
// latency and a loss rate. The real node code (codec, ids, table, queries) runs unchanged;
// only the sockets and the clock are simulated. Same seed → same run.
#pragma once

#include <cstdint>
#include <memory>
#include <queue>
#include <random>
#include <unordered_map>
#include <vector>

#include "net/dht/dht_node.hpp"

namespace dht_sim {

using net::dht::Ipv4Address;
using net::dht::Millis;

struct LinkModel {
  double median_latency_ms = 50;  // one way
  double sigma = 0.5;             // log-normal spread
  double loss = 0.0;              // per datagram
};

class SimNetwork {
 public:
  SimNetwork(uint64_t seed, LinkModel link);

  // Adds a node whose server socket is `address` (client socket: port + 1). The options'
  // server_port is set; the node is created at the current virtual time.
  size_t add_node(net::dht::DhtNodeOptions options, const Ipv4Address& address);
  net::dht::DhtNode& node(size_t i) { return *nodes_[i].node; }
  const Ipv4Address& address(size_t i) const { return nodes_[i].address; }
  size_t size() const { return nodes_.size(); }
  // Silently dead: it neither receives nor sends again, and nobody is told.
  void kill(size_t i) { nodes_[i].alive = false; }
  bool alive(size_t i) const { return nodes_[i].alive; }

  Millis now() const { return now_; }
  // Processes events up to `t` (inclusive) and sets the clock to `t`.
  void run_until(Millis t);
  // Processes events until `done()` or the clock passes `deadline`.
  bool run_while(const std::function<bool()>& not_done, Millis deadline);
  // Call after driving a node directly (query, bootstrap) so its timers are scheduled.
  void touch(size_t i) { schedule(i); }

  uint64_t datagrams() const { return datagrams_; }
  uint64_t events() const { return events_; }

 private:
  struct SimNode {
    std::unique_ptr<net::dht::DhtNode> node;
    Ipv4Address address;
    bool alive = true;
    Millis wake_at = ~Millis{0};
  };
  struct Event {
    Millis at;
    uint64_t seq;
    size_t node;
    bool wakeup;
    net::dht::Socket socket;
    Ipv4Address from;
    hypercore::Bytes bytes;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  void send(size_t from, net::dht::Socket socket, const Ipv4Address& to, hypercore::ByteSpan bytes);
  void schedule(size_t i);
  void step(Event e);
  Millis latency(const Ipv4Address& a, const Ipv4Address& b) const;

  LinkModel link_;
  std::mt19937_64 rng_;
  Millis now_ = 0;
  uint64_t seq_ = 0;
  uint64_t datagrams_ = 0;
  uint64_t events_ = 0;
  std::vector<SimNode> nodes_;
  // host:port (server or client socket) → node index and which socket.
  std::unordered_map<Ipv4Address, std::pair<size_t, net::dht::Socket>, net::dht::Ipv4AddressHash> by_address_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
};

// The §6 lookup scenario: n persistent nodes join in waves through 3 bootstrap nodes,
// tables settle (optionally each node runs `warmup_lookups` random FIND_NODEs, what the
// reference's 5-minute refreshes do over time), then measure() kills nodes silently up to a
// total fraction and runs FIND_NODEs for random targets from random live nodes, measured
// against the true k closest live nodes.
struct ScenarioConfig {
  size_t nodes = 2000;
  size_t concurrency = net::dht::kConcurrency;
  size_t warmup_lookups = 0;
  bool closest_first = false;  // DhtNodeOptions::closest_first
  Millis settle_ms = 30000;
  uint64_t seed = 1;
  LinkModel link;
};

struct ScenarioResult {
  double dead_fraction = 0;
  size_t lookups = 0;
  double hops_to_closest = 0;   // mean hop at which the true closest node answered (seed = 1)
  double first_found_rate = 0;  // lookups whose closest reply is the true closest node
  double rounds = 0;            // mean longest chain of dependent requests
  double messages = 0;          // mean datagrams sent by the querying node per lookup
  double visits = 0;            // mean nodes asked
  double latency_ms = 0;        // mean virtual time from start to end
  double recall = 0;            // mean |closest ∩ true top-k| / k
  double table_size = 0;        // mean routing-table size of live nodes
  double expected_table_size = 0;  // k·log2(n/k) + k
  uint64_t datagrams = 0;       // whole simulation so far
  uint64_t events = 0;
};

class LookupScenario {
 public:
  explicit LookupScenario(const ScenarioConfig& config);
  // Kills live nodes until `dead_fraction` of all nodes are dead, then runs `lookups`.
  ScenarioResult measure(double dead_fraction, size_t lookups);
  SimNetwork& network() { return net_; }

 private:
  void lookup_batch(size_t count, ScenarioResult& r, size_t& found_closest, size_t& hop_samples);

  ScenarioConfig config_;
  SimNetwork net_;
  std::mt19937_64 rng_;
  std::vector<size_t> kill_order_;
  size_t killed_ = 0;
};

}  // namespace dht_sim
