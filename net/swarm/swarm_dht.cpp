// DiscoverySource over the HyperDHT (net/dht): a UdpDht node plus HyperDht's client calls,
// driven by one timer per topic. Also combine_discovery (mode both).
//
// Our record and the TCP address. A hyperdht peer record is {public key, relayAddresses},
// IPv4 UDP addresses that Hyperswarm clients send PEER_HANDSHAKE to (a server lists its own
// DHT address first when it is reachable, then relay nodes). We write exactly that: one
// relay address, our own host and the port of our DHT server socket — and bind our TCP
// listener to the same port number (TCP and UDP ports are separate, so both fit). A bee
// peer dials TCP at the record's first address; the record stays well-formed and truthful
// for stock Hyperswarm peers: they send PEER_HANDSHAKE to our UDP socket, which answers
// UNKNOWN_COMMAND until the UDX stage exists (they then give up on us, as on any
// unreachable server), and the same record will work for them unchanged once it does.
// Conversely, a stock Hyperswarm server's record lists relay nodes' UDP addresses: our TCP
// dial there is refused and the Swarm's planner gives the peer up after its backoff.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <random>
#include <set>

#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "net/swarm/swarm_discovery.hpp"

namespace net::swarm {

namespace {

namespace asio = boost::asio;
using hypercore::errc;
using hypercore::Error;
using hypercore::Result;
using Steady = std::chrono::steady_clock;

struct TopicState {
  hypercore::Hash target{};
  JoinOptions options{.announce = false, .lookup = false};  // until the first join
  std::unique_ptr<asio::steady_timer> timer;
  Steady::time_point next_announce = Steady::time_point::max();
  Steady::time_point next_lookup = Steady::time_point::max();
  bool announcing = false;  // a query in flight
  bool looking = false;
  bool announced = false;   // at least one node stored our record
  std::chrono::milliseconds lookup_delay{0};
  std::chrono::milliseconds announce_retry{0};
  std::map<PeerKey, DiscoveredPeer> found;
  uint64_t generation = 0;  // per join after a leave: callbacks of an older join are ignored
};

class DhtDiscovery final : public DiscoverySource {
 public:
  DhtDiscovery(asio::io_context& io, DhtDiscoveryOptions options, DiscoveryHandlers handlers)
      : io_(io), options_(std::move(options)), handlers_(std::move(handlers)), rng_(std::random_device{}()) {}
  ~DhtDiscovery() override { close(); }

  Result<void> start(std::vector<dht::Ipv4Address> bootstrap) {
    dht::DhtNodeOptions node_options;
    node_options.bootstrap = std::move(bootstrap);
    auto udp = dht::UdpDht::open(io_, options_.host, options_.port, node_options);
    if (!udp) return std::unexpected(udp.error());
    udp_ = std::move(*udp);
    dht_ = std::make_unique<dht::HyperDht>(udp_->node());
    std::weak_ptr<bool> token = alive_;
    udp_->node().bootstrap(udp_->now(), [this, token] {
      if (token.expired() || closed_) return;
      ready_ = true;
      for (auto& [key, topic] : topics_) schedule(topic);
    });
    udp_->reschedule();
    return {};
  }

  Result<void> join(hypercore::ByteSpan topic, JoinOptions options) override {
    if (closed_) return hypercore::fail(errc::closed, "discovery is closed");
    if (topic.size() != 32) return hypercore::fail(errc::invalid_argument, "a DHT topic is 32 bytes");
    std::string key(topic.begin(), topic.end());
    auto& t = topics_[key];
    if (!t.timer) {
      t.timer = std::make_unique<asio::steady_timer>(io_);
      t.generation = ++generations_;
      std::copy(topic.begin(), topic.end(), t.target.begin());
    }
    auto now = Steady::now();
    if (options.announce && !t.options.announce) t.next_announce = now;
    if (!options.announce) t.next_announce = Steady::time_point::max();
    if (options.lookup && !t.options.lookup) {
      t.next_lookup = now;
      t.lookup_delay = options_.lookup_retry;
    }
    if (!options.lookup) {
      t.next_lookup = Steady::time_point::max();
      t.found.clear();
    }
    t.options = options;
    if (ready_) schedule(t);
    return {};
  }

  void leave(hypercore::ByteSpan topic) override {
    auto it = topics_.find(std::string(topic.begin(), topic.end()));
    if (closed_ || it == topics_.end()) return;
    it->second.timer->cancel();
    // Best effort: the nodes that still list us drop the record (the reference's
    // lookupAndUnannounce); without it the record expires in 13-27 min.
    if (it->second.options.announce && ready_) {
      dht_->unannounce(it->second.target, options_.key_pair, [](const dht::QueryResult&) {}, udp_->now());
      udp_->reschedule();
    }
    topics_.erase(it);
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    for (auto& [key, topic] : topics_) topic.timer->cancel();
    // Not unannounced: the loop may stop right after close(); records expire on their own.
    if (udp_) udp_->close();
  }

 private:
  // Runs what is due for `t` and sets its timer for what comes next.
  void schedule(TopicState& t) {
    if (closed_) return;
    auto now = Steady::now();
    if (!t.announcing && t.next_announce <= now) announce(t);
    if (!t.looking && t.next_lookup <= now) lookup(t);
    auto next = std::min(t.announcing ? Steady::time_point::max() : t.next_announce,
                         t.looking ? Steady::time_point::max() : t.next_lookup);
    t.timer->cancel();
    if (next == Steady::time_point::max()) return;
    t.timer->expires_at(next);
    std::weak_ptr<bool> token = alive_;
    std::string key(t.target.begin(), t.target.end());
    t.timer->async_wait([this, token, key](const boost::system::error_code& ec) {
      if (ec || token.expired() || closed_) return;
      if (auto it = topics_.find(key); it != topics_.end()) schedule(it->second);
    });
  }

  std::optional<Ipv4> our_host() const {
    if (options_.announce_host) return options_.announce_host;
    if (auto host = dht::Ipv4Address::parse_host(options_.host); host && *host != Ipv4{0, 0, 0, 0}) return *host;
    return udp_->node().nat().host();
  }

  // Calls `f(topic)` if the topic is still joined under the same generation.
  template <class F>
  auto guarded(const TopicState& t, F f) {
    std::weak_ptr<bool> token = alive_;
    std::string key(t.target.begin(), t.target.end());
    uint64_t generation = t.generation;
    return [this, token, key, generation, f](const auto& arg) {
      if (token.expired() || closed_) return;
      auto it = topics_.find(key);
      if (it == topics_.end() || it->second.generation != generation) return;
      f(it->second, arg);
    };
  }

  void announce(TopicState& t) {
    auto host = our_host();
    if (!host) {
      // Nobody has told us our address yet (no bootstrap reply): try again shortly.
      t.next_announce = Steady::now() + std::chrono::seconds(2);
      return;
    }
    t.announcing = true;
    dht::Ipv4Address self{*host, udp_->server_port()};
    dht_->announce(t.target, options_.key_pair, {self}, guarded(t, [this](TopicState& topic, const dht::QueryResult& r) {
      topic.announcing = false;
      if (r.ok && r.commits_ok > 0) {
        topic.announced = true;
        topic.announce_retry = std::chrono::milliseconds(0);
        std::uniform_int_distribution<int64_t> jitter(0, options_.reannounce_jitter.count());
        topic.next_announce = Steady::now() + options_.reannounce + std::chrono::milliseconds(jitter(rng_));
      } else {
        // No node stored it (bootstrap still empty, nodes unreachable): back off to 1 min.
        topic.announce_retry = std::clamp(topic.announce_retry * 2, std::chrono::milliseconds(2000),
                                          std::chrono::milliseconds(60000));
        topic.next_announce = Steady::now() + topic.announce_retry;
      }
      if (!topic.options.announce) topic.next_announce = Steady::time_point::max();
      schedule(topic);
    }), udp_->now());
    udp_->reschedule();
  }

  void lookup(TopicState& t) {
    t.looking = true;
    auto seen = std::make_shared<std::set<PeerKey>>();
    auto on_peers = guarded(t, [this, seen](TopicState& topic, const dht::PeerReply& reply) {
      for (const auto& record : reply.peers) {
        if (record.public_key == options_.key_pair.public_key || record.relay_addresses.empty()) continue;
        DiscoveredPeer peer;
        peer.key = record.public_key;
        peer.port = record.relay_addresses.front().port;
        for (const auto& a : record.relay_addresses) {
          if (a.port == peer.port) peer.addresses.push_back(a.host);
        }
        seen->insert(peer.key);
        auto it = topic.found.find(peer.key);
        bool changed = it == topic.found.end() || it->second.port != peer.port ||
                       it->second.addresses != peer.addresses;
        if (!changed) continue;
        topic.found[peer.key] = peer;
        if (handlers_.found) handlers_.found(hypercore::ByteSpan(topic.target.data(), topic.target.size()), peer);
      }
    });
    dht_->lookup(t.target, [on_peers](const dht::PeerReply& r) { on_peers(r); },
                 guarded(t, [this, seen](TopicState& topic, const dht::QueryResult& r) {
                   topic.looking = false;
                   // A complete lookup that no longer lists a peer: it left (or its record expired).
                   if (r.successes > 0) {
                     for (auto it = topic.found.begin(); it != topic.found.end();) {
                       if (seen->contains(it->first)) {
                         ++it;
                         continue;
                       }
                       DiscoveredPeer gone = it->second;
                       it = topic.found.erase(it);
                       if (handlers_.gone) {
                         handlers_.gone(hypercore::ByteSpan(topic.target.data(), topic.target.size()), gone);
                       }
                     }
                   }
                   if (!topic.found.empty()) {
                     topic.next_lookup = Steady::now() + options_.relookup;
                   } else {
                     topic.next_lookup = Steady::now() + topic.lookup_delay;
                     topic.lookup_delay = std::min(topic.lookup_delay * 2, options_.lookup_retry_max);
                   }
                   if (!topic.options.lookup) topic.next_lookup = Steady::time_point::max();
                   schedule(topic);
                 }),
                 udp_->now());
    udp_->reschedule();
  }

  asio::io_context& io_;
  DhtDiscoveryOptions options_;
  DiscoveryHandlers handlers_;
  std::mt19937_64 rng_;
  std::unique_ptr<dht::UdpDht> udp_;
  std::unique_ptr<dht::HyperDht> dht_;  // after udp_: destroyed first, it borrows the node
  std::map<std::string, TopicState> topics_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  uint64_t generations_ = 0;
  bool ready_ = false;
  bool closed_ = false;
};

class CombinedDiscovery final : public DiscoverySource {
 public:
  explicit CombinedDiscovery(std::vector<std::unique_ptr<DiscoverySource>> sources) : sources_(std::move(sources)) {}

  Result<void> join(hypercore::ByteSpan topic, JoinOptions options) override {
    for (auto& s : sources_) {
      if (auto r = s->join(topic, options); !r) return r;
    }
    return {};
  }
  void leave(hypercore::ByteSpan topic) override {
    for (auto& s : sources_) s->leave(topic);
  }
  void close() override {
    for (auto& s : sources_) s->close();
  }

 private:
  std::vector<std::unique_ptr<DiscoverySource>> sources_;
};

}  // namespace

Result<std::unique_ptr<DiscoverySource>> open_dht_discovery(asio::io_context& io, DhtDiscoveryOptions options,
                                                             DiscoveryHandlers handlers) {
  if (options.bootstrap.empty()) {
    return hypercore::fail(errc::invalid_argument, "the DHT needs at least one bootstrap node");
  }
  std::vector<dht::Ipv4Address> bootstrap;
  for (const auto& b : options.bootstrap) {
    auto a = dht::Ipv4Address::parse(b);
    if (!a || a->port == 0) {
      return hypercore::fail(errc::invalid_argument, "bootstrap node '" + b + "' is not IPV4:PORT");
    }
    bootstrap.push_back(*a);
  }
  auto discovery = std::make_unique<DhtDiscovery>(io, std::move(options), std::move(handlers));
  if (auto r = discovery->start(std::move(bootstrap)); !r) return std::unexpected(r.error());
  return discovery;
}

std::unique_ptr<DiscoverySource> combine_discovery(std::vector<std::unique_ptr<DiscoverySource>> sources) {
  return std::make_unique<CombinedDiscovery>(std::move(sources));
}

}  // namespace net::swarm
