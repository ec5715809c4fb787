// What an iterative query (../shared/spec/dht.md §1.8) takes and gives back. The query
// itself runs inside DhtNode (internal/query.hpp); this header is the caller's view.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "hypercore/bytes.hpp"
#include "net/dht/address.hpp"
#include "net/dht/constants.hpp"

namespace net::dht {

// One successful (or error) reply seen by a query.
struct QueryReply {
  Ipv4Address from;
  std::optional<NodeId> from_id;  // set only when the id matched H(from)
  Ipv4Address to;                 // our address as `from` saw it
  std::optional<NodeId> token;    // write token for a later commit
  std::optional<hypercore::Bytes> value;
  uint32_t error = 0;
  std::vector<Ipv4Address> closer;  // the closerNodes list, in the responder's order
  int hop = 1;                    // 1 = a seed node, n+1 = learnt from a hop-n reply
};

// Commit phase hook (e.g. ANNOUNCE with the reply's token): call `done(true)` on success.
using CommitFn = std::function<void(const QueryReply& closest_reply, std::function<void(bool ok)> done)>;

struct QueryOptions {
  bool internal = true;
  uint32_t command = static_cast<uint32_t>(Command::find_node);
  std::optional<hypercore::Bytes> value;
  // Seed nodes. Empty: the routing table's closest, topped up with the bootstrap list.
  std::vector<Ipv4Address> nodes;
  size_t concurrency = 0;  // 0: the node's (10)
  int retries = -1;        // -1: 5 (3 for DOWN_HINT), as the reference
  CommitFn commit;         // empty: no commit phase
};

struct QueryResult {
  bool ok = true;                    // false: a commit phase in which nothing committed
  std::vector<QueryReply> closest;   // ≤ k replies with a valid id and no error, by XOR distance
  size_t successes = 0;
  size_t errors = 0;                 // error replies and timeouts
  size_t visits = 0;                 // nodes asked
  size_t commits_ok = 0;
  int max_hop = 0;                   // the longest chain of dependent replies ("rounds")
  Millis started = 0;
  Millis finished = 0;
};

using QueryDataFn = std::function<void(const QueryReply&)>;
using QueryDoneFn = std::function<void(const QueryResult&)>;

}  // namespace net::dht
