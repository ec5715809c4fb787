#include "net/dht/internal/query.hpp"
#include "net/dht/internal/request_io.hpp"

#include <algorithm>

#include "net/dht/dht_node.hpp"

namespace net::dht::detail {

Query::Query(DhtNode& node, const NodeId& target, QueryOptions options, QueryDataFn on_data, QueryDoneFn on_done,
             Millis now)
    : node_(node),
      target_(target),
      options_(std::move(options)),
      on_data_(std::move(on_data)),
      on_done_(std::move(on_done)),
      k_(node.table().k()),
      concurrency_(options_.concurrency ? options_.concurrency : node.options_.concurrency) {
  bool down_hint = options_.internal && options_.command == static_cast<uint32_t>(Command::down_hint);
  retries_ = options_.retries >= 0 ? options_.retries : down_hint ? kDownHintRetries : kQueryRetries;
  result_.started = now;
  // Pushed in reverse: the stack pops the first seed first.
  for (auto it = options_.nodes.rbegin(); it != options_.nodes.rend(); ++it) add_pending({*it, node_id(*it), 1}, {});
}

void Query::start() {
  if (options_.nodes.empty()) {
    add_from_table();
    if (pending_.size() < k_)
      for (const auto& b : node_.options_.bootstrap) add_pending({b, node_id(b), 1}, {});
  }
  read_more();
}

bool Query::is_closer(const NodeId& id) const {
  return result_.closest.size() < k_ || compare_distance(target_, id, *result_.closest.back().from_id) < 0;
}

bool Query::add_pending(const Pending& node, const std::optional<Ipv4Address>& ref) {
  bool closer = is_closer(node.id);
  auto it = seen_.find(node.address);
  if (it != seen_.end()) {
    if (it->second.state == Seen::down) {
      if (ref) node_.send_down_hint(*ref, node.address);
    } else if (it->second.state == Seen::referred && ref) {
      it->second.refs.push_back(*ref);
    }
    return closer;
  }
  if (!closer) return false;
  SeenEntry entry;
  if (ref) entry.refs.push_back(*ref);
  seen_.emplace(node.address, std::move(entry));
  pending_.push_back(node);
  return true;
}

void Query::add_from_table() {
  if (pending_.size() >= k_) return;
  from_table_ = true;
  auto closest = node_.table().closest(target_, k_ - pending_.size());
  for (const TableNode* n : closest) add_pending({n->address, n->id, 1}, {});
}

void Query::read_more() {
  if (finished_ || committing_) return;
  size_t concurrency = (slowdown_ ? 3 : concurrency_) + slow_;
  while (inflight_ < concurrency && !pending_.empty()) {
    Pending next = pop_next();
    if (!is_closer(next.id)) continue;
    visit(next);
  }
  // Seeded from a cache: let the closest seeds answer before going broad.
  if (!from_table_ && result_.successes == 0 && result_.errors == 0) slowdown_ = true;
  if (!pending_.empty()) return;
  if (inflight_ == 0 || (slow_ == inflight_ && result_.closest.size() >= k_)) {
    if (!from_table_ && result_.successes < k_ / 4) {
      add_from_table();
      read_more();
      return;
    }
    flush();
  }
}

Query::Pending Query::pop_next() {
  auto it = std::prev(pending_.end());  // the reference's stack: newest (farthest of its list) first
  if (node_.options_.closest_first) {
    it = std::min_element(pending_.begin(), pending_.end(), [&](const Pending& a, const Pending& b) {
      return compare_distance(target_, a.id, b.id) < 0;
    });
  }
  Pending next = *it;
  pending_.erase(it);
  return next;
}

void Query::visit(const Pending& to) {
  inflight_++;
  result_.visits++;
  auto self = shared_from_this();
  auto slow = std::make_shared<bool>(false);
  Request message;
  message.internal = options_.internal;
  message.command = options_.command;
  message.target = target_;
  message.value = options_.value;
  int hop = to.hop;
  result_.max_hop = std::max(result_.max_hop, hop);
  Ipv4Address address = to.address;
  node_.send_request(
      std::move(message), address, to.id, retries_,
      [self, slow, hop](const ReplyEvent& e) {
        if (*slow) self->slow_--;
        self->on_visit(self->node_.to_query_reply(e, hop));
      },
      [self, slow, address](RequestFailure f) {
        if (*slow) self->slow_--;
        self->on_error(address, f == RequestFailure::timeout);
      },
      [self, slow]() { self->on_cycle(slow); }, node_.request_socket());
}

void Query::on_cycle(const std::shared_ptr<bool>& slow) {
  // Only the first unanswered window makes a request "slow" (it widens the window by one).
  if (*slow || finished_) return;
  *slow = true;
  slow_++;
  read_more();
}

void Query::on_visit(const QueryReply& m) {
  inflight_--;
  seen_[m.from].state = Seen::done;
  if (committing_ || finished_) return;
  if (m.error == 0) result_.successes++;
  else result_.errors++;
  if (m.error == 0 && m.from_id && is_closer(*m.from_id)) push_closest(m);
  for (const auto& addr : m.closer) {
    NodeId id = node_id(addr);
    if (id == node_.id()) continue;
    // The list is sorted by distance: the first node that is not closer ends the scan.
    if (!add_pending({addr, id, m.hop + 1}, m.from)) break;
  }
  if (!from_table_ && result_.successes + result_.errors >= concurrency_) slowdown_ = false;
  if (m.error == 0 && on_data_) on_data_(m);
  read_more();
}

void Query::on_error(const Ipv4Address& to, bool timeout) {
  inflight_--;
  auto& entry = seen_[to];
  if (timeout) {
    auto refs = std::move(entry.refs);
    entry.state = Seen::down;
    entry.refs.clear();
    for (const auto& ref : refs) node_.send_down_hint(ref, to);
  }
  result_.errors++;
  read_more();
}

void Query::push_closest(const QueryReply& m) {
  auto& c = result_.closest;
  auto pos = std::lower_bound(c.begin(), c.end(), m, [&](const QueryReply& a, const QueryReply& b) {
    return compare_distance(target_, *a.from_id, *b.from_id) < 0;
  });
  if (pos != c.end() && *pos->from_id == *m.from_id) return;
  c.insert(pos, m);
  if (c.size() > k_) c.pop_back();
}

void Query::flush() {
  if (committing_) return;
  committing_ = true;
  if (!options_.commit) {
    finish(true);
    return;
  }
  if (result_.closest.empty()) {
    finish(false);  // "Too few nodes responded"
    return;
  }
  auto self = shared_from_this();
  auto pending = std::make_shared<size_t>(result_.closest.size());
  auto replies = result_.closest;  // the hook may outlive this vector's current shape
  for (const auto& reply : replies) {
    options_.commit(reply, [self, pending](bool ok) {
      if (ok) self->result_.commits_ok++;
      if (--*pending == 0) self->finish(self->result_.commits_ok > 0);
    });
  }
}

void Query::finish(bool ok) {
  if (finished_) return;
  finished_ = true;
  result_.ok = ok;
  result_.finished = node_.now_;
  if (on_done_) on_done_(result_);
}

}  // namespace net::dht::detail
