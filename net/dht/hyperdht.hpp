// The hyperdht layer on a DhtNode (../shared/spec/dht.md §2): it answers the storage
// commands with a RecordStore once the node is persistent, and offers the client operations
// of hyperdht 6.34.0 — announce (a LOOKUP query committing signed ANNOUNCEs to the closest
// nodes), unannounce, lookup, findPeer, mutable and immutable put/get — as sans-I/O calls
// whose callbacks run from DhtNode::receive()/advance().
//
// Ownership: HyperDht borrows the node and installs itself as its on_request hook (cleared
// on destruction); it must outlive the operations it started. Single-threaded, like DhtNode.
// Not here yet: PEER_HANDSHAKE/PEER_HOLEPUNCH relaying (stage 3), refresh-only announces,
// PLUGIN; those requests get error 1 (UNKNOWN_COMMAND), which clients tolerate.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "hypercore/crypto.hpp"
#include "net/dht/dht_node.hpp"
#include "net/dht/hyperdht_messages.hpp"
#include "net/dht/record_store.hpp"

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

class HyperDht {
 public:
  using DoneFn = std::function<void(const QueryResult&)>;
  using PeersFn = std::function<void(const PeerReply&)>;

  HyperDht(DhtNode& node, RecordStoreOptions options = {});
  ~HyperDht();
  HyperDht(const HyperDht&) = delete;
  HyperDht& operator=(const HyperDht&) = delete;

  RecordStore& store() { return store_; }

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
  // A non-internal request with the reply's token, completing `done(ok)`.
  void commit_request(const QueryReply& reply, HyperCommand command, const hypercore::Hash& target,
                      hypercore::Bytes value, std::function<void(bool)> done);
  void query(const hypercore::Hash& target, HyperCommand command, std::optional<hypercore::Bytes> value,
             CommitFn commit, QueryDataFn on_data, DoneFn done, Millis now);

  DhtNode& node_;
  RecordStore store_;
};

}  // namespace net::dht
