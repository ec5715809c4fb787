// The iterative Kademlia query of dht-rpc (../shared/spec/dht.md §1.8), a port of
// lib/query.js: a stack of pending nodes, the k closest replies, slow requests widening the
// window, DOWN_HINTs for nodes that referred a dead one, an optional commit phase.
#pragma once

#include <memory>
#include <unordered_map>

#include "net/dht/query.hpp"

namespace net::dht {
class DhtNode;
}

namespace net::dht::detail {

class Query : public std::enable_shared_from_this<Query> {
 public:
  Query(DhtNode& node, const NodeId& target, QueryOptions options, QueryDataFn on_data, QueryDoneFn on_done,
        Millis now);
  void start();
  void set_concurrency(size_t c) { concurrency_ = c; }
  bool finished() const { return finished_; }

 private:
  struct Pending {
    Ipv4Address address;
    NodeId id;
    int hop;
  };
  enum class Seen { referred, done, down };
  struct SeenEntry {
    Seen state = Seen::referred;
    std::vector<Ipv4Address> refs;  // who told us about this address
  };

  bool is_closer(const NodeId& id) const;
  bool add_pending(const Pending& node, const std::optional<Ipv4Address>& ref);
  void add_from_table();
  void read_more();
  Pending pop_next();
  void visit(const Pending& node);
  void on_visit(const QueryReply& reply);
  void on_error(const Ipv4Address& to, bool timeout);
  void on_cycle(const std::shared_ptr<bool>& slow);
  void push_closest(const QueryReply& reply);
  void flush();
  void finish(bool ok);

  DhtNode& node_;
  NodeId target_;
  QueryOptions options_;
  QueryDataFn on_data_;
  QueryDoneFn on_done_;
  size_t k_;
  size_t concurrency_;
  int retries_;
  size_t inflight_ = 0;
  size_t slow_ = 0;
  bool slowdown_ = false;
  bool from_table_ = false;
  bool committing_ = false;
  bool finished_ = false;
  std::vector<Pending> pending_;
  std::unordered_map<Ipv4Address, SeenEntry, Ipv4AddressHash> seen_;
  QueryResult result_;
};

}  // namespace net::dht::detail
