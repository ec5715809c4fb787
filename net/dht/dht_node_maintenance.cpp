// The time-driven half of DhtNode: the 5 s tick (liveness pings, refreshes, the adaptive
// persistence check), bootstrap, and the NAT/firewall checks (../shared/spec/dht.md §1.6,
// §1.9, §1.10). Structured as callbacks because each step waits for the network.
#include <algorithm>

#include "net/dht/dht_node.hpp"
#include "net/dht/internal/query.hpp"
#include "net/dht/internal/request_io.hpp"

namespace net::dht {

using hypercore::Bytes;

void DhtNode::advance(Millis now) {
  if (now > now_) now_ = now;
  int drains = io_->advance(now_);
  for (int i = 0; i < drains; i++) {
    if (--rotate_in_ > 0) continue;
    rotate_in_ = kRotateSecretsDrains;
    tokens_.rotate();
  }
  if (!delayed_.empty()) {
    std::vector<Delayed> due;
    std::erase_if(delayed_, [&](Delayed& d) {
      if (d.at > now_) return false;
      due.push_back(std::move(d));
      return true;
    });
    for (const auto& d : due) send_(d.socket, d.to, d.bytes);
  }
  if (now_ >= next_tick_at_) {
    next_tick_at_ += kTickInterval;
    if (next_tick_at_ <= now_) next_tick_at_ = now_ + kTickInterval;
    on_tick();
  }
  std::erase_if(queries_, [](const auto& x) { return x->finished(); });
}

Millis DhtNode::next_wakeup() const {
  Millis next = next_tick_at_;
  if (auto io = io_->next_wakeup()) next = std::min(next, *io);
  for (const auto& d : delayed_) next = std::min(next, d.at);
  return next;
}

void DhtNode::on_tick() {
  // A gap of more than 3 ticks means the machine slept: everything we know is stale.
  if (now_ - last_tick_at_ > kSleepingInterval) on_wakeup();
  else tick_++;
  last_tick_at_ = now_;
  if (!bootstrapped_) return;
  if (adaptive_ && ephemeral_ && (stable_ticks_ == 0 || --stable_ticks_ == 0)) {
    if (last_host_ && last_host_ == nat_.host()) {
      stable_ticks_ = kMoreStableTicks;  // do not recheck the same network
    } else {
      update_network_state(false, [](bool) {});
    }
  }
  if ((tick_ & 7) == 0) ping_some();
  if (((tick_ & 63) == 0 && table_->size() < table_->k()) || refresh_ticks_ == 0 || --refresh_ticks_ == 0) refresh();
  down_hints_this_tick_ = 0;
}

void DhtNode::on_wakeup() {
  tick_ += 2 * kOldNode;       // everything appears old
  tick_ += 8 - (tick_ & 7) - 2;  // a round of pings in two ticks
  stable_ticks_ = kMoreStableTicks;
  refresh_ticks_ = 1;
  last_host_.reset();
  if (adaptive_ && !ephemeral_) ephemeral_ = true;
}

void DhtNode::ping_some() {
  std::vector<const TableNode*> by_age;
  const_cast<RoutingTable&>(*table_).for_each([&](TableNode& n) { by_age.push_back(&n); });
  if (by_age.empty()) {
    refresh();  // a tiny DHT: ask the bootstrap nodes again
    return;
  }
  std::sort(by_age.begin(), by_age.end(), [](auto* a, auto* b) { return a->touched < b->touched; });
  int count = io_->inflight() > 2 ? 3 : 5;
  if (tick_ - by_age.front()->pinged < kRecentNode) count = 2;
  std::vector<NodeId> to_check;
  size_t i = 0;
  while (count-- > 0) {
    // Like the reference, a node pinged this very tick uses up one of the slots.
    if (i >= by_age.size() || by_age[i]->pinged == tick_) continue;
    to_check.push_back(by_age[i++]->id);
  }
  for (const auto& id : to_check) check(id);
}

void DhtNode::refresh() {
  const TableNode* node = table_->size() ? table_->at(rng_() % table_->size()) : nullptr;
  background_query(node ? node->id : id(), {}, {});
}

void DhtNode::background_query(const NodeId& target, QueryDataFn on_data, QueryDoneFn on_done) {
  refresh_ticks_ = kRefreshTicks;
  size_t full = options_.concurrency;
  size_t background = std::min(full, std::max<size_t>(2, full / 8));
  QueryOptions options;
  options.concurrency = background;
  auto weak = std::make_shared<std::weak_ptr<detail::Query>>();
  auto data = [this, weak, full, background, on_data = std::move(on_data)](const QueryReply& r) {
    // Yield to other traffic: full width only while little else is in flight.
    if (auto q = weak->lock()) q->set_concurrency(io_->inflight() < 3 ? full : background);
    if (on_data) on_data(r);
  };
  *weak = start_query(target, std::move(options), std::move(data), std::move(on_done));
}

void DhtNode::bootstrap(Millis now, std::function<void()> on_ready) {
  advance(now);
  if (bootstrapping_ || bootstrapped_) return;
  bootstrapping_ = true;
  bootstrap_round(0, std::make_shared<bool>(false), std::move(on_ready));
}

void DhtNode::bootstrap_round(int round, std::shared_ptr<bool> test_nat, std::function<void()> on_ready) {
  bool force_persistent = options_.ephemeral == false && ephemeral_;
  auto first = std::make_shared<bool>(round == 0 && firewalled_ && options_.quick_firewall && !force_persistent);
  auto on_data = [this, first, test_nat](const QueryReply& r) {
    // Quick firewall heuristic: one PING_NAT to our server port through the first responder.
    if (!*first) return;
    *first = false;
    Bytes port{static_cast<uint8_t>(options_.server_port & 0xff), static_cast<uint8_t>(options_.server_port >> 8)};
    send_plain(r.from, true, static_cast<uint32_t>(Command::ping_nat), std::nullopt, port, std::nullopt,
               [test_nat](const QueryReply&) { *test_nat = true; }, {});
  };
  auto finish = [this, on_ready]() {
    bootstrapping_ = false;
    if (bootstrapped_) return;
    bootstrapped_ = true;
    if (on_ready) on_ready();
  };
  auto on_done = [this, round, test_nat, force_persistent, finish, on_ready](const QueryResult&) {
    if (bootstrapped_ || (!*test_nat && !force_persistent) || round >= 1) return finish();
    update_network_state(!force_persistent, [this, round, test_nat, finish, on_ready](bool changed) {
      if (!changed) return finish();
      bootstrap_round(round + 1, test_nat, on_ready);  // a second round under the new id
    });
  };
  background_query(id(), std::move(on_data), std::move(on_done));
}

void DhtNode::update_network_state(bool only_firewall, std::function<void(bool)> done) {
  if (!ephemeral_ || (only_firewall && !firewalled_)) return done(false);
  if (!only_firewall) {
    stable_ticks_ = kMoreStableTicks;
    last_host_ = nat_.host();
  }
  if (!nat_.host() || nat_.port() == 0) return done(false);  // no consistent host:port
  if (!firewalled_) return finish_network_update(only_firewall, nat_, false, std::move(done));
  check_if_firewalled([this, only_firewall, done](bool firewalled, NatSampler sampler) {
    if (firewalled) return done(false);
    finish_network_update(only_firewall, sampler, true, done);
  });
}

void DhtNode::finish_network_update(bool only_firewall, const NatSampler& sampler, bool from_check,
                                    std::function<void(bool)> done) {
  firewalled_ = false;
  if (!ephemeral_ || sampler.host() != nat_.host() || sampler.port() == 0) return done(false);
  NodeId new_id = node_id(Ipv4Address{*sampler.host(), sampler.port()});
  if (!only_firewall) ephemeral_ = false;
  if (from_check) {
    non_persistent_samples_.clear();
    nat_ = sampler;
  }
  if (new_id != id()) become(new_id);
  if (!ephemeral_ && on_persistent) on_persistent();
  done(true);
}

void DhtNode::become(const NodeId& new_id) {
  auto nodes = table_->to_vector();
  table_ = std::make_unique<RoutingTable>(new_id, options_.k);
  for (const auto& n : nodes)
    if (n.id != new_id) table_->add(n);
  if (bootstrapped_) refresh();
}

void DhtNode::check_if_firewalled(std::function<void(bool, NatSampler)> done) {
  // Ask the 5 most recently heard-from nodes (bootstrap nodes if fewer) to answer a
  // PING_NAT on our server port; count only answers that really arrived there.
  std::vector<const TableNode*> recent;
  const_cast<RoutingTable&>(*table_).for_each([&](TableNode& n) { recent.push_back(&n); });
  std::sort(recent.begin(), recent.end(), [](auto* a, auto* b) { return a->touched > b->touched; });
  std::vector<Ipv4Address> targets;
  for (size_t i = 0; i < recent.size() && targets.size() < 5; i++) targets.push_back(recent[i]->address);
  if (targets.size() < 5)
    for (const auto& b : options_.bootstrap) targets.push_back(b);
  if (targets.empty()) return done(true, NatSampler{});

  struct State {
    size_t missing;
    size_t asked;
    std::vector<QueryReply> replies;
  };
  auto state = std::make_shared<State>(State{targets.size(), targets.size(), {}});
  server_socket_hosts_.clear();
  recording_server_hosts_ = true;
  auto settle = [this, state, done]() {
    if (--state->missing > 0) return;
    recording_server_hosts_ = false;
    NatSampler sampler;
    size_t count = 0;
    for (const auto& r : state->replies) {
      bool on_server = std::any_of(server_socket_hosts_.begin(), server_socket_hosts_.end(),
                                   [&](const Ipv4Address& a) { return a.host == r.from.host; });
      if (!on_server) continue;
      count++;
      sampler.add(r.to);
    }
    bool firewalled = count < (state->asked >= 5 ? 3u : 1u) || !sampler.host() || sampler.host() != nat_.host() ||
                      sampler.port() == 0 || sampler.port() != options_.server_port;
    done(firewalled, sampler);
  };
  Bytes port{static_cast<uint8_t>(options_.server_port & 0xff), static_cast<uint8_t>(options_.server_port >> 8)};
  for (const auto& t : targets) {
    send_plain(t, true, static_cast<uint32_t>(Command::ping_nat), std::nullopt, port, std::nullopt,
               [state, settle](const QueryReply& r) {
                 state->replies.push_back(r);
                 settle();
               },
               settle);
  }
}

}  // namespace net::dht
