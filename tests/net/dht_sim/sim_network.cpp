#include "tests/net/dht_sim/sim_network.hpp"

#include <algorithm>
#include <cmath>

namespace dht_sim {

using net::dht::DhtNode;
using net::dht::DhtNodeOptions;
using net::dht::NodeId;
using net::dht::Socket;

namespace {

uint64_t mix(uint64_t x) {  // splitmix64: a cheap, well-spread hash
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t key(const Ipv4Address& a) {
  return (uint64_t(a.host[0]) << 24 | uint64_t(a.host[1]) << 16 | uint64_t(a.host[2]) << 8 | a.host[3]);
}

}  // namespace

SimNetwork::SimNetwork(uint64_t seed, LinkModel link) : link_(link), rng_(seed) {}

size_t SimNetwork::add_node(DhtNodeOptions options, const Ipv4Address& address) {
  size_t index = nodes_.size();
  options.server_port = address.port;
  if (options.seed == 0) options.seed = mix(rng_());
  auto send = [this, index](Socket s, const Ipv4Address& to, hypercore::ByteSpan b) { this->send(index, s, to, b); };
  nodes_.push_back(SimNode{std::make_unique<DhtNode>(std::move(options), send, now_), address, true, ~Millis{0}});
  by_address_[address] = {index, Socket::server};
  by_address_[Ipv4Address{address.host, static_cast<uint16_t>(address.port + 1)}] = {index, Socket::client};
  schedule(index);
  return index;
}

Millis SimNetwork::latency(const Ipv4Address& a, const Ipv4Address& b) const {
  // Per host pair, symmetric and fixed for the run: log-normal around the median.
  uint64_t ka = key(a), kb = key(b);
  uint64_t h = mix(std::min(ka, kb) * 0x100000001ULL ^ std::max(ka, kb));
  double u1 = (static_cast<double>(h >> 11) + 0.5) / 9007199254740992.0;
  double u2 = (static_cast<double>(mix(h) >> 11) + 0.5) / 9007199254740992.0;
  double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  return static_cast<Millis>(std::max(1.0, link_.median_latency_ms * std::exp(link_.sigma * z)));
}

void SimNetwork::send(size_t from, Socket socket, const Ipv4Address& to, hypercore::ByteSpan bytes) {
  if (!nodes_[from].alive) return;
  datagrams_++;
  if (link_.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < link_.loss) return;
  auto it = by_address_.find(to);
  if (it == by_address_.end()) return;
  const Ipv4Address& self = nodes_[from].address;
  Ipv4Address source = socket == Socket::server ? self : Ipv4Address{self.host, static_cast<uint16_t>(self.port + 1)};
  queue_.push(Event{now_ + latency(self, to), seq_++, it->second.first, false, it->second.second, source,
                    hypercore::Bytes(bytes.begin(), bytes.end())});
}

void SimNetwork::schedule(size_t i) {
  auto& n = nodes_[i];
  if (!n.alive) return;
  Millis next = std::max(n.node->next_wakeup(), now_);
  if (next == n.wake_at) return;
  n.wake_at = next;
  queue_.push(Event{next, seq_++, i, true, Socket::server, {}, {}});
}

void SimNetwork::step(Event e) {
  events_++;
  now_ = std::max(now_, e.at);
  auto& n = nodes_[e.node];
  if (!n.alive) return;
  if (e.wakeup) {
    if (e.at != n.wake_at) return;  // superseded by a later schedule()
    n.wake_at = ~Millis{0};
    n.node->advance(now_);
  } else {
    n.node->receive(e.socket, e.from, e.bytes, now_);
  }
  schedule(e.node);
}

void SimNetwork::run_until(Millis t) {
  while (!queue_.empty() && queue_.top().at <= t) {
    Event e = queue_.top();
    queue_.pop();
    step(std::move(e));
  }
  now_ = std::max(now_, t);
}

bool SimNetwork::run_while(const std::function<bool()>& not_done, Millis deadline) {
  while (not_done()) {
    if (queue_.empty() || queue_.top().at > deadline) {
      now_ = std::max(now_, deadline);
      return !not_done();
    }
    Event e = queue_.top();
    queue_.pop();
    step(std::move(e));
  }
  return true;
}

LookupScenario::LookupScenario(const ScenarioConfig& config)
    : config_(config), net_(config.seed, config.link), rng_(mix(config.seed)) {
  auto address_of = [](size_t i) {
    return Ipv4Address{{10, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)},
                       49737};
  };
  std::vector<Ipv4Address> bootstrap;
  for (size_t i = 0; i < 3; i++) bootstrap.push_back(address_of(i + 1));
  // Join in waves; the first three nodes are the bootstrap nodes.
  size_t wave = std::max<size_t>(50, config.nodes / 20);
  for (size_t start = 0; start < config.nodes; start += wave) {
    for (size_t i = start; i < std::min(config.nodes, start + wave); i++) {
      DhtNodeOptions o;
      o.ephemeral = false;
      o.known_address = address_of(i + 1);
      o.concurrency = config.concurrency;
      o.closest_first = config.closest_first;
      for (const auto& b : bootstrap)
        if (b != address_of(i + 1)) o.bootstrap.push_back(b);
      size_t idx = net_.add_node(std::move(o), address_of(i + 1));
      net_.node(idx).bootstrap(net_.now());
      net_.touch(idx);
    }
    net_.run_until(net_.now() + 5000);
  }
  for (size_t w = 0; w < config.warmup_lookups; w++) {
    size_t pending = 0;
    for (size_t i = 0; i < net_.size(); i++) {
      NodeId target;
      for (auto& b : target) b = static_cast<uint8_t>(rng_());
      pending++;
      net_.node(i).find_node(target, {}, [&pending](const net::dht::QueryResult&) { pending--; }, net_.now());
      net_.touch(i);
    }
    net_.run_while([&] { return pending > 0; }, net_.now() + 120000);
  }
  net_.run_until(net_.now() + config.settle_ms);
  kill_order_.resize(net_.size());
  for (size_t i = 0; i < kill_order_.size(); i++) kill_order_[i] = i;
  std::shuffle(kill_order_.begin(), kill_order_.end(), rng_);
}

ScenarioResult LookupScenario::measure(double dead_fraction, size_t lookups) {
  size_t target_dead = static_cast<size_t>(dead_fraction * static_cast<double>(net_.size()));
  while (killed_ < target_dead) net_.kill(kill_order_[killed_++]);
  ScenarioResult r;
  r.dead_fraction = dead_fraction;
  size_t live = 0;
  for (size_t i = 0; i < net_.size(); i++)
    if (net_.alive(i)) {
      live++;
      r.table_size += static_cast<double>(net_.node(i).table().size());
    }
  r.table_size /= static_cast<double>(std::max<size_t>(live, 1));
  double k = static_cast<double>(net::dht::kK);
  r.expected_table_size = k * std::log2(static_cast<double>(net_.size()) / k) + k;
  size_t found_closest = 0, hop_samples = 0;
  for (size_t started = 0; started < lookups; started += 20) lookup_batch(std::min<size_t>(20, lookups - started), r, found_closest, hop_samples);
  double n = static_cast<double>(std::max<size_t>(r.lookups, 1));
  r.recall /= n;
  r.rounds /= n;
  r.visits /= n;
  r.messages /= n;
  r.latency_ms /= n;
  r.first_found_rate = static_cast<double>(found_closest) / n;
  r.hops_to_closest = hop_samples ? r.hops_to_closest / static_cast<double>(hop_samples) : 0;
  r.datagrams = net_.datagrams();
  r.events = net_.events();
  return r;
}

void LookupScenario::lookup_batch(size_t count, ScenarioResult& r, size_t& found_closest, size_t& hop_samples) {
  std::vector<size_t> alive;
  std::vector<NodeId> alive_ids;
  for (size_t i = 0; i < net_.size(); i++)
    if (net_.alive(i)) {
      alive.push_back(i);
      alive_ids.push_back(net::dht::node_id(net_.address(i)));
    }
  size_t batch_done = 0;
  for (size_t j = 0; j < count; j++) {
    size_t src = alive[rng_() % alive.size()];
    NodeId target;
    for (auto& b : target) b = static_cast<uint8_t>(rng_());
    // The truth: the k closest live nodes other than the querier.
    NodeId src_id = net::dht::node_id(net_.address(src));
    std::vector<NodeId> truth;
    truth.reserve(alive_ids.size());
    for (const auto& id : alive_ids)
      if (id != src_id) truth.push_back(id);
    size_t kk = std::min<size_t>(net::dht::kK, truth.size());
    auto closer = [&](const NodeId& a, const NodeId& b) { return net::dht::compare_distance(target, a, b) < 0; };
    std::nth_element(truth.begin(), truth.begin() + static_cast<std::ptrdiff_t>(kk - 1), truth.end(), closer);
    truth.resize(kk);
    std::sort(truth.begin(), truth.end(), closer);
    uint64_t sent_before = net_.node(src).transmissions();
    net_.node(src).find_node(
        target, {},
        [&, truth, src, sent_before](const net::dht::QueryResult& q) {
          size_t hit = 0;
          for (const auto& c : q.closest) {
            if (std::find(truth.begin(), truth.end(), *c.from_id) != truth.end()) hit++;
            if (*c.from_id == truth[0]) {
              r.hops_to_closest += c.hop;
              hop_samples++;
            }
          }
          r.recall += static_cast<double>(hit) / static_cast<double>(truth.size());
          if (!q.closest.empty() && *q.closest[0].from_id == truth[0]) found_closest++;
          r.rounds += q.max_hop;
          r.visits += static_cast<double>(q.visits);
          r.messages += static_cast<double>(net_.node(src).transmissions() - sent_before);
          r.latency_ms += static_cast<double>(q.finished - q.started);
          r.lookups++;
          batch_done++;
        },
        net_.now());
    net_.touch(src);
  }
  net_.run_while([&] { return batch_done < count; }, net_.now() + 120000);
}

}  // namespace dht_sim
