// A remote bee over one connection: open() finds the peer (an address, TCP or WebSocket,
// or the swarm by the key's discovery key: peer_source.hpp), opens a sparse in-memory
// replica of the bee by its key and completes once the peer's length is known (at once
// for an empty bee); run_query then runs a RemoteQuery (remote_bee.hpp), which fetches
// only the blocks each read walks, each verified before use. These are callbacks; the
// Asio completion-token forms (async_open_remote_bee, async_get, ... for coroutines,
// futures or handlers, STYLE.md rule 5) are in remote_bee_async.hpp. This header has no
// Asio in it, so code outside net/ (the `bee query` command) can use the client.
//
//   options.peer = net::TcpPeer{"127.0.0.1", 9000};   // or WebSocketPeer, SwarmDiscovery
//   net::RemoteBeeClient::open(io, options, [](auto client) { ... });
//
// Each query has its own deadline (RemoteQueryOptions::deadline, or `query_timeout` here),
// and wait=false fails at once with block_not_available. A connection that ends fails
// every query in flight with request_failed. Results are at the replica's version when the
// query starts; the replica follows the peer's appends (live). For a blocking API
// returning hypercore::Result, see remote_database.hpp.
//
// Threading: everything runs on the io_context's thread; call the client from it. The
// client keeps itself alive until open completes; then the caller's shared_ptr does:
// dropping the last one stops the connection, and queries still in flight are abandoned
// (their callbacks are not called). close() ends the connection and fails them.
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bee/bee.hpp"
#include "net/remote/peer_source.hpp"
#include "net/remote/remote_bee.hpp"
#include "net/swarm/swarm_discovery.hpp"
#include "net/transport/transport.hpp"

namespace boost::asio {
class io_context;
}

namespace net {

struct RemoteBeeClientOptions {
  // Where the bee is served: TcpPeer{host, port}, WebSocketPeer{host, port} or SwarmDiscovery
  // (peer_source.hpp). Default TcpPeer on 127.0.0.1 without a port: set one.
  PeerSource peer = TcpPeer{};
  hypercore::Hash key{};  // the bee's core key
  // Discovery (SwarmDiscovery), connect, handshake and the peer's first length, together; the
  // transport's handshake_timeout is raised above it so that this deadline reports (and
  // names the step it was waiting for). Default 20 s.
  std::chrono::milliseconds open_timeout{20000};
  // Default deadline of a query that sets none in its RemoteQueryOptions. Default 20 s.
  std::chrono::milliseconds query_timeout{20000};
  ReplicatorOptions replicator{};
  TransportOptions transport{};
  // The local Bee over the replica: its cache size (encodings are the caller's: results are
  // stored bytes; RemoteDatabase applies encodings and sub-databases).
  bee::BeeOptions bee{};
};

struct GetResult {
  std::optional<bee::Entry> entry;  // nullopt: no such key
  RemoteQueryStats stats;
  uint64_t version = 0;
};
struct RangeResult {
  std::vector<bee::Entry> entries;
  RemoteQueryStats stats;
  uint64_t version = 0;
};
struct HistoryResult {
  std::vector<bee::HistoryEntry> entries;
  RemoteQueryStats stats;
  uint64_t version = 0;
};

class RemoteBeeClient : public std::enable_shared_from_this<RemoteBeeClient> {
 public:
  using OpenCallback = std::function<void(std::expected<std::shared_ptr<RemoteBeeClient>, RemoteQueryError>)>;
  using QueryCallback = std::function<void(std::expected<void, RemoteQueryError>, RemoteQuery&)>;

  ~RemoteBeeClient();
  RemoteBeeClient(const RemoteBeeClient&) = delete;
  RemoteBeeClient& operator=(const RemoteBeeClient&) = delete;

  // Callback forms; the async_ templates (remote_bee_async.hpp) wrap them. `query` is one
  // of engine()'s.
  static void open(boost::asio::io_context& io, RemoteBeeClientOptions options, OpenCallback done);
  void run_query(std::unique_ptr<RemoteQuery> query, QueryCallback done);

  // Asio's completion-token forms, defined in net/remote/remote_bee_async.hpp (include it to call
  // them; this header has no Asio in it).
  template <class Token>
  auto async_get(bee::Bytes key, RemoteQueryOptions options, Token&& token);
  template <class Token>
  auto async_range(bee::Range range, RemoteQueryOptions options, Token&& token);
  template <class Token>
  auto async_history(bee::HistoryRange range, RemoteQueryOptions options, Token&& token);

  uint64_t version() const;  // the replica's length (the peer's, as far as known)
  bee::Bee& bee() { return *bee_; }
  hypercore::Core& core() { return *core_; }
  RemoteBee& engine() { return *remote_; }
  // The connection's counters (wire bytes, blocks down).
  PeerCounters counters() const;
  // Blocks the replica holds (what the queries so far downloaded, header included).
  uint64_t blocks_held() const;
  bool is_open() const { return state_ == State::open; }
  // Ends the connection; queries in flight fail with request_failed.
  void close();

 private:
  enum class State { connecting, open, closed };
  struct Running {
    std::unique_ptr<RemoteQuery> query;
    QueryCallback done;
  };
  RemoteBeeClient(boost::asio::io_context& io, RemoteBeeClientOptions options);
  // A peer found on the swarm: at a TCP address (LAN), or by key on the DHT.
  struct Candidate {
    std::string host;
    uint16_t port = 0;
    std::optional<swarm::PeerKey> dht_key;
    std::vector<dht::Ipv4Address> relays;
    bool operator==(const Candidate& o) const {
      return dht_key ? dht_key == o.dht_key : !o.dht_key && host == o.host && port == o.port;
    }
  };
  void connect(const std::string& host, uint16_t port, bool websocket);
  void connect_dht(const Candidate& candidate);
  void on_found(const swarm::DiscoveredPeer& peer);
  void dial_next();
  void on_event(const SessionEvent& e);
  void on_close(const std::optional<TransportError>& error);
  void on_open_timeout();
  void step_all();
  void post_step();
  void schedule_tick();
  void finish_open(std::optional<RemoteQueryError> error);
  RemoteQueryOptions with_deadline(RemoteQueryOptions options) const;

  boost::asio::io_context& io_;
  RemoteBeeClientOptions options_;
  std::shared_ptr<hypercore::Core> core_;
  std::unique_ptr<bee::Bee> bee_;
  std::shared_ptr<Peer> peer_;
  std::string where_;  // peer_'s address, for messages
  PeerSetup setup_;    // what every dial (several with SwarmDiscovery) uses
  std::unique_ptr<swarm::DiscoverySource> discovery_;  // SwarmDiscovery (discovery until open)
  swarm::DhtDiscoverySource* dht_ = nullptr;  // inside discovery_: its DhtPeer carries DHT connections
  std::vector<Candidate> candidates_;  // found, not yet dialled
  std::vector<Candidate> dialled_;
  uint64_t dht_dial_ = 0;        // the DHT connect in progress (its number), 0 when none
  uint64_t dht_dials_ = 0;
  std::optional<std::string> last_failure_;  // of a dial that failed before open
  bool stream_open_ = false;
  bool channel_open_ = false;
  std::unique_ptr<RemoteBee> remote_;
  struct Timers;  // the tick and the open deadline (Asio timers, remote_bee_client.cpp)
  std::unique_ptr<Timers> timers_;
  std::shared_ptr<RemoteBeeClient> self_;  // keeps the client alive while async_open runs
  OpenCallback open_done_;
  State state_ = State::connecting;
  std::vector<Running> running_;
  bool stepping_ = false;
  bool step_posted_ = false;
};

}  // namespace net
