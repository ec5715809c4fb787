// The hyperdht layer on a DhtNode (../shared/spec/dht.md §2): it answers the storage
// commands with a RecordStore once the node is persistent, and offers the client operations
// of hyperdht 6.34.0 — announce (a LOOKUP query committing signed ANNOUNCEs to the closest
// nodes), unannounce, lookup, findPeer, mutable and immutable put/get — as sans-I/O calls
// whose callbacks run from DhtNode::receive()/advance().
//
// Ownership: HyperDht borrows the node and installs itself as its on_request hook (cleared
// on destruction); it must outlive the operations it started. Single-threaded, like DhtNode.
// PEER_HANDSHAKE and PEER_HOLEPUNCH (§3.2, §3.6) follow hyperdht/lib/router.js on every
// node, ephemeral or not: relayed statelessly with the client's tid towards the server a
// self-announcement's forward entry names, or handed to a local server registered with
// serve() (hyperdht_relay.cpp). Not here yet: refresh-only announces, PLUGIN; those get
// error 1 (UNKNOWN_COMMAND), which clients tolerate.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "hypercore/crypto.hpp"
#include "net/dht/dht_node.hpp"
#include "net/dht/hyperdht_messages.hpp"
#include "net/dht/record_store.hpp"
#include "net/dht/relay_messages.hpp"

namespace net::dht {

// One LOOKUP (or FIND_PEER) reply that carried records.
struct PeerReply {
  Ipv4Address from;
  std::optional<NodeId> from_id;
  std::vector<PeerRecord> peers;
  uint64_t bump = 0;
};

// A verified mutable value, as mutableGet returns it.
struct MutableResult {
  uint64_t seq = 0;
  hypercore::Bytes value;
  hypercore::Signature signature{};
  Ipv4Address from;
};

// A PEER_HANDSHAKE (FROM_CLIENT, FROM_RELAY or FROM_SECOND_RELAY, with a Noise message)
// or a PEER_HOLEPUNCH (FROM_RELAY, with a peer address) for a key a local server serves.
// Copyable: keep it to answer later with HyperDht::reply_handshake / reply_holepunch.
struct ServerHandshake {
  IncomingRequest request;
  HandshakeMessage message;
};
struct ServerHolepunch {
  IncomingRequest request;
  HolepunchMessage message;
};

// A local server's hooks (router.js's onpeerhandshake / onpeerholepunch). Not answering is
// dropping, as when the reference's handler returns nothing.
struct ConnectServer {
  std::function<void(const ServerHandshake&)> on_handshake;
  std::function<void(const ServerHolepunch&)> on_holepunch;
};

struct RelayStats {
  uint64_t handshakes_forwarded = 0;  // FROM_CLIENT -> FROM_RELAY, FROM_RELAY -> FROM_SECOND_RELAY
  uint64_t handshakes_returned = 0;   // FROM_SERVER -> REPLY to the client
  uint64_t holepunches_forwarded = 0;
  uint64_t holepunches_returned = 0;
  uint64_t no_route = 0;              // FROM_CLIENT handshakes answered with closer nodes only
  uint64_t dropped = 0;               // undecodable, incomplete or unroutable
};

class HyperDht {
 public:
  using DoneFn = std::function<void(const QueryResult&)>;
  using PeersFn = std::function<void(const PeerReply&)>;

  HyperDht(DhtNode& node, RecordStoreOptions options = {});
  ~HyperDht();
  HyperDht(const HyperDht&) = delete;
  HyperDht& operator=(const HyperDht&) = delete;

  RecordStore& store() { return store_; }

  // Takes the handshakes and holepunches addressed to `target` (= H(server public key))
  // here instead of relaying them; replaces an earlier registration. A served target wins
  // over a stored forward entry, as in the reference.
  void serve(const hypercore::Hash& target, ConnectServer server);
  void unserve(const hypercore::Hash& target);
  bool serves(const hypercore::Hash& target) const { return servers_.contains(target); }
  // Answers a served handshake with the server's Noise message, by its mode: FROM_CLIENT ->
  // a REPLY response to the client (direct); FROM_RELAY -> a FROM_SERVER request back to
  // the relay; FROM_SECOND_RELAY -> a FROM_SERVER request to its relay address. The client's
  // peerAddress is passed on. `socket`: which of our sockets sends (default: the one the
  // request came in on; the reference lets the server pick the socket it wants UDX on).
  void reply_handshake(const ServerHandshake& handshake, hypercore::Bytes noise,
                       std::optional<Socket> socket = std::nullopt);
  // Answers a served FROM_RELAY holepunch: a FROM_SERVER request (id 0) back to the relay.
  void reply_holepunch(const ServerHolepunch& holepunch, hypercore::Bytes payload,
                       std::optional<Socket> socket = std::nullopt);
  const RelayStats& relay_stats() const { return relay_stats_; }

  // LOOKUP `target`, then ANNOUNCE {key_pair.public_key, relays} signed for each of the ≤ 20
  // closest nodes. `done`'s result is ok when at least one node stored it. `bump`: 0 = none.
  void announce(const hypercore::Hash& target, const hypercore::KeyPair& key_pair,
                std::vector<Ipv4Address> relays, DoneFn done, Millis now, uint64_t bump = 0);
  // LOOKUP `target` and send a signed UNANNOUNCE to every node that lists our key (the
  // reference's lookupAndUnannounce); `done` runs once those have been answered or timed out.
  void unannounce(const hypercore::Hash& target, const hypercore::KeyPair& key_pair, DoneFn done, Millis now);
  // LOOKUP `target`: `on_peers` for every reply with records, `done` at the end.
  void lookup(const hypercore::Hash& target, PeersFn on_peers, DoneFn done, Millis now);
  // FIND_PEER H(public_key): the self-announced record, from the nodes relaying for it.
  void find_peer(const hypercore::PublicKey& public_key, PeersFn on_peers, DoneFn done, Millis now);

  // Signs (seq, value) with the key pair and commits it to the closest nodes of H(pk).
  // `done` gets the query result and the signature (deterministic Ed25519).
  void mutable_put(const hypercore::KeyPair& key_pair, hypercore::ByteSpan value, uint64_t seq,
                   std::function<void(const QueryResult&, const hypercore::Signature&)> done, Millis now);
  // The highest-seq value ≥ `min_seq` whose signature verifies, or nullopt.
  void mutable_get(const hypercore::PublicKey& public_key, uint64_t min_seq,
                   std::function<void(std::optional<MutableResult>)> done, Millis now);
  // Commits `value` under H(value) to the closest nodes.
  void immutable_put(hypercore::ByteSpan value, std::function<void(const QueryResult&, const hypercore::Hash&)> done,
                     Millis now);
  // The first value whose hash is `target`, or nullopt.
  void immutable_get(const hypercore::Hash& target, std::function<void(std::optional<hypercore::Bytes>)> done,
                     Millis now);

 private:
  bool on_request(const IncomingRequest& request);
  // router.js's onpeerhandshake / onpeerholepunch (hyperdht_relay.cpp).
  void on_peer_handshake(const IncomingRequest& request);
  void on_peer_holepunch(const IncomingRequest& request);
  const ConnectServer* server_for(const std::optional<NodeId>& target) const;
  std::optional<Ipv4Address> route_for(const std::optional<NodeId>& target);
  // A non-internal request with the reply's token, completing `done(ok)`.
  void commit_request(const QueryReply& reply, HyperCommand command, const hypercore::Hash& target,
                      hypercore::Bytes value, std::function<void(bool)> done);
  void query(const hypercore::Hash& target, HyperCommand command, std::optional<hypercore::Bytes> value,
             CommitFn commit, QueryDataFn on_data, DoneFn done, Millis now);

  DhtNode& node_;
  RecordStore store_;
  std::map<hypercore::Hash, ConnectServer> servers_;
  RelayStats relay_stats_;
};

}  // namespace net::dht
