// A dht-rpc 6.27.0 node (../shared/spec/dht.md §1) as a sans-I/O state machine, in the
// style of libtorrent's DHT: it never owns a socket or a timer. The owner passes in every
// received datagram with the time, calls advance(now) at next_wakeup(), and gives it a send
// function; the node answers PING, PING_NAT, FIND_NODE, DOWN_HINT and DELAYED_PING, keeps
// its routing table alive, runs iterative queries with a commit hook, bootstraps, and checks
// whether it is firewalled before becoming a persistent routing node.
//
// Single-threaded: call everything from one thread (the Asio strand or the simulator). The
// callbacks it invokes may call back into it. docs/protocol/dht.md lists the deviations.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "net/dht/messages.hpp"
#include "net/dht/nat_sampler.hpp"
#include "net/dht/query.hpp"
#include "net/dht/routing_table.hpp"
#include "net/dht/tokens.hpp"
#include "net/dht/transport.hpp"

namespace net::dht {

namespace detail {  // net/dht/internal/ (not installed)
class Query;
class RequestIo;
struct ReplyEvent;
enum class RequestFailure;
}

struct DhtNodeOptions {
  // Bootstrap addresses ("suggested@host:port" entries already reduced to the IP).
  std::vector<Ipv4Address> bootstrap;
  // true: always a client (no id, never in others' tables). false: check reachability at
  // bootstrap and become persistent if the server port is open and unremapped (what
  // testnet nodes do). nullopt (default): adaptive, check after 20 stable minutes.
  std::optional<bool> ephemeral;
  // Whether to assume the server socket is unreachable until checked (default true).
  bool firewalled = true;
  // Local port of the server socket: PING_NAT asks peers to answer there.
  uint16_t server_port = 0;
  // When the public server address is known (simulations, a configured server), a node with
  // ephemeral=false skips the NAT/firewall checks and takes id = H(address) at once.
  std::optional<Ipv4Address> known_address;
  size_t k = kK;
  size_t concurrency = kConcurrency;
  // Query visit order. false (default): the reference's stack, which pops the farthest
  // node of the newest reply first. true: always the closest pending node — same wire
  // behaviour, about half the visits and hops in simulation (docs/protocol/dht.md).
  bool closest_first = false;
  bool quick_firewall = true;  // PING_NAT the first bootstrap reply (§1.9)
  uint64_t seed = 0;           // randomness (tids, secrets, ephemeral id); 0: from libsodium
};

// A request the application may answer (non-internal commands, §2).
struct IncomingRequest {
  Request message;
  Ipv4Address from;
  std::optional<NodeId> from_id;
  Socket socket;
};

struct DhtStats {
  uint64_t requests_received = 0;
  uint64_t responses_received = 0;
  uint64_t dropped_datagrams = 0;  // undecodable or unmatched
  uint64_t timeouts = 0;
  uint64_t down_hints_sent = 0;
};

class DhtNode {
 public:
  using ReplyFn = std::function<void(const QueryReply&)>;
  using FailFn = std::function<void()>;

  DhtNode(DhtNodeOptions options, SendFn send, Millis now);
  ~DhtNode();
  DhtNode(const DhtNode&) = delete;
  DhtNode& operator=(const DhtNode&) = delete;

  // Starts the bootstrap (§1.9). `on_ready` runs once it finished (successfully or not).
  void bootstrap(Millis now, std::function<void()> on_ready = {});
  // A datagram arrived on `socket` from `from`. Anything undecodable is dropped silently.
  void receive(Socket socket, const Ipv4Address& from, hypercore::ByteSpan datagram, Millis now);
  // Runs every timer due at `now` (retries, congestion slots, the 5 s maintenance tick).
  void advance(Millis now);
  // When advance() must be called next.
  Millis next_wakeup() const;

  // An iterative query; the callbacks run from receive()/advance(). Returns at once.
  void query(const NodeId& target, QueryOptions options, QueryDataFn on_data, QueryDoneFn on_done, Millis now);
  // FIND_NODE towards `target` (what findNode() does in the reference).
  void find_node(const NodeId& target, QueryDataFn on_data, QueryDoneFn on_done, Millis now);
  // One plain request with 3 retries. `on_fail` runs on timeout.
  void request(const Ipv4Address& to, bool internal, uint32_t command, std::optional<NodeId> target,
               std::optional<hypercore::Bytes> value, std::optional<NodeId> token, ReplyFn on_reply,
               FailFn on_fail, Millis now);
  void ping(const Ipv4Address& to, ReplyFn on_reply, FailFn on_fail, Millis now);

  // Non-internal requests go here first; return false to have the node answer error 1.
  std::function<bool(const IncomingRequest&)> on_request;
  // Answers an IncomingRequest (token: attach a fresh write token; closer: closer nodes if
  // the request had a target).
  void reply(const IncomingRequest& request, uint32_t error, std::optional<hypercore::Bytes> value, bool token,
             bool closer_nodes);
  // Answers `request` at `to` instead of at its source (hyperdht's reply({ to })): the
  // response carries the request's tid and `to` as its `to` field. `socket`: default, the
  // one the request came in on.
  void reply_to(const IncomingRequest& request, const Ipv4Address& to, uint32_t error,
                std::optional<hypercore::Bytes> value, bool token, bool closer_nodes,
                std::optional<Socket> socket = std::nullopt);
  // Forwards `request` as a new request datagram to `to` with `value` (dht-rpc's
  // req.relay()): same tid, command and target, no token, our id when persistent on the
  // server socket. Fire and forget: nothing waits for a response (the answer goes to the
  // original requester by tid).
  void relay(const IncomingRequest& request, hypercore::Bytes value, const Ipv4Address& to,
             std::optional<Socket> socket = std::nullopt);
  // Runs when the node became persistent (its id changed to H(public address)).
  std::function<void()> on_persistent;

  const NodeId& id() const { return table_->id(); }
  bool ephemeral() const { return ephemeral_; }
  bool firewalled() const { return firewalled_; }
  bool bootstrapped() const { return bootstrapped_; }
  const RoutingTable& table() const { return *table_; }
  const NatSampler& nat() const { return nat_; }
  const DhtStats& stats() const { return stats_; }
  size_t inflight_requests() const;
  uint64_t transmissions() const;
  uint64_t tick() const { return tick_; }
  // The latest time passed in (what request hooks such as HyperDht run at).
  Millis now() const { return now_; }

 private:
  friend class detail::Query;
  struct Delayed {
    Millis at;
    Socket socket;
    Ipv4Address to;
    hypercore::Bytes bytes;
  };

  // Sends a request from the socket our firewall state says (client while firewalled).
  uint64_t send_request(Request message, const Ipv4Address& to, std::optional<NodeId> to_id, int retries,
                        std::function<void(const detail::ReplyEvent&)> on_reply,
                        std::function<void(detail::RequestFailure)> on_error, std::function<void()> on_cycle,
                        Socket socket, bool force = false);
  void send_plain(const Ipv4Address& to, bool internal, uint32_t command, std::optional<NodeId> target,
                  std::optional<hypercore::Bytes> value, std::optional<NodeId> token, ReplyFn on_reply,
                  FailFn on_fail);
  void send_ping(const Ipv4Address& to, ReplyFn on_reply, FailFn on_fail) {
    send_plain(to, true, static_cast<uint32_t>(Command::ping), std::nullopt, std::nullopt, std::nullopt,
               std::move(on_reply), std::move(on_fail));
  }
  std::shared_ptr<detail::Query> start_query(const NodeId& target, QueryOptions options, QueryDataFn on_data,
                                             QueryDoneFn on_done);
  Socket request_socket() const { return firewalled_ ? Socket::client : Socket::server; }
  bool sends_id(Socket s) const { return !ephemeral_ && s == Socket::server; }
  void send_reply(const Request& request, const Ipv4Address& to, Socket socket, uint32_t error,
                  std::optional<hypercore::Bytes> value, bool token, bool closer_nodes);
  void send_down_hint(const Ipv4Address& to, const Ipv4Address& down);
  QueryReply to_query_reply(const detail::ReplyEvent& e, int hop) const;

  // Incoming traffic (dht_node.cpp).
  void on_request_message(Request request, const Ipv4Address& from, Socket socket);
  void on_response_message(const Response& response, const Ipv4Address& from, Socket socket);
  void handle_internal(const IncomingRequest& req);
  void add_node_from_network(bool sample, const Ipv4Address& from, const std::optional<NodeId>& id,
                             const Ipv4Address& to);
  void add_node(TableNode node);
  void remove_node(const NodeId& id);
  void on_full_row(const TableNode& newcomer);
  void check(const NodeId& id);
  void nat_add(const Ipv4Address& to);

  // Time-driven behaviour (dht_node_maintenance.cpp).
  void on_tick();
  void on_wakeup();
  void ping_some();
  void refresh();
  void background_query(const NodeId& target, QueryDataFn on_data, QueryDoneFn on_done);
  void bootstrap_round(int round, std::shared_ptr<bool> test_nat, std::function<void()> on_ready);
  void update_network_state(bool only_firewall, std::function<void(bool)> done);
  void check_if_firewalled(std::function<void(bool firewalled, NatSampler sampler)> done);
  void finish_network_update(bool only_firewall, const NatSampler& sampler, bool from_check,
                             std::function<void(bool)> done);
  void become(const NodeId& new_id);

  DhtNodeOptions options_;
  SendFn send_;
  Millis now_;
  std::mt19937_64 rng_;
  std::unique_ptr<RoutingTable> table_;
  TokenStore tokens_;
  std::unique_ptr<detail::RequestIo> io_;  // behind a pointer: its header is internal
  NatSampler nat_;
  DhtStats stats_;
  std::vector<std::shared_ptr<detail::Query>> queries_;
  std::vector<Delayed> delayed_;
  std::vector<Ipv4Address> non_persistent_samples_;
  std::vector<Ipv4Address> server_socket_hosts_;  // recorded during a firewall check
  bool recording_server_hosts_ = false;

  bool ephemeral_ = true;
  bool firewalled_ = true;
  bool adaptive_ = true;
  bool bootstrapped_ = false;
  bool bootstrapping_ = false;
  uint64_t tick_ = 0;
  uint64_t touch_seq_ = 0;
  Millis next_tick_at_ = 0;
  Millis last_tick_at_ = 0;
  uint64_t refresh_ticks_ = 0;
  uint64_t stable_ticks_ = 0;
  std::optional<std::array<uint8_t, 4>> last_host_;
  int rotate_in_ = kRotateSecretsDrains;
  int checks_ = 0;
  int repinging_ = 0;
  uint32_t down_hints_this_tick_ = 0;
};

}  // namespace net::dht
