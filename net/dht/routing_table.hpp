// The Kademlia routing table of dht-rpc (../shared/spec/dht.md §1.6): 256 rows indexed by
// the length of the common id prefix with our id, k entries per row sorted by id. Pure data:
// the liveness policy (who to ping, whom to swap on a full row) lives in DhtNode, which owns
// the table. Pointers returned by get() stay valid until the next add() or remove().
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "net/dht/address.hpp"
#include "net/dht/constants.hpp"

namespace net::dht {

struct TableNode {
  NodeId id{};
  Ipv4Address address;
  Ipv4Address to;            // our address as this node last reported it (a NAT sample)
  uint64_t added = 0;        // ticks (5 s) of the owning node's clock
  uint64_t pinged = 0;       // last time we sent it something or heard from it
  uint64_t seen = 0;         // last time we heard from it
  uint64_t sampled = 0;      // last time its `to` went into the NAT sampler (0 = never)
  uint32_t down_hints = 0;
  uint64_t touched = 0;      // recency order ("nodes" list of the reference): larger = newer
};

class RoutingTable {
 public:
  explicit RoutingTable(const NodeId& id, size_t k = kK) : id_(id), k_(k) {}

  enum class AddResult { added, exists, full, self };

  const NodeId& id() const { return id_; }
  size_t k() const { return k_; }
  size_t size() const { return size_; }

  // Inserts `node` unless its row is full (then returns full and changes nothing).
  AddResult add(const TableNode& node);
  TableNode* get(const NodeId& id);
  const TableNode* get(const NodeId& id) const;
  bool remove(const NodeId& id);

  // The true XOR-closest `k` entries to `target`, ascending by distance (the reference's
  // walk is approximate near our own id; sorted output is what queriers expect).
  std::vector<const TableNode*> closest(const NodeId& target, size_t k) const;
  // All entries of the row `id` falls into (the candidates of a full-row swap).
  std::vector<TableNode*> row_for(const NodeId& id);
  // Entry number `index` in row order (for uniform random picks).
  const TableNode* at(size_t index) const;

  void for_each(const std::function<void(TableNode&)>& fn);
  std::vector<TableNode> to_vector() const;

 private:
  size_t row_index(const NodeId& id) const;

  NodeId id_;
  size_t k_;
  size_t size_ = 0;
  std::array<std::vector<TableNode>, 256> rows_;
};

}  // namespace net::dht
