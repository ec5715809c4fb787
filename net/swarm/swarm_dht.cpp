// DiscoverySource over the HyperDHT: a DhtPeer (net/connect/dht_peer.hpp: a UdpDht node on
// UDX-capable sockets, with HyperDht's client calls) plus one timer per topic. Also
// combine_discovery (mode both).
//
// Our record is Hyperswarm's: {public key, relayAddresses}, the relay addresses being the
// nodes that hold our self-announcement (DhtPeer::relays), so a Hyperswarm client sends its
// PEER_HANDSHAKE there and reaches our listen() over UDX; a peer we find is reached the same
// way (DhtPeer::connect with its record's relays as hints). Nothing here dials TCP.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <random>
#include <set>

#include "net/connect/dht_peer.hpp"
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

class DhtDiscovery final : public DhtDiscoverySource {
 public:
  DhtDiscovery(asio::io_context& io, DhtDiscoveryOptions options, DiscoveryHandlers handlers)
      : io_(io), options_(std::move(options)), handlers_(std::move(handlers)), rng_(std::random_device{}()) {}
  ~DhtDiscovery() override { close(); }

  Result<void> start() {
    connect::DhtPeerOptions peer_options;
    peer_options.bootstrap = options_.bootstrap;
    peer_options.host = options_.host;
    peer_options.port = options_.port;
    peer_options.key_pair = options_.key_pair;
    peer_options.relay_through = options_.relay_through;
    peer_options.network_poll = options_.network_poll;
    std::weak_ptr<bool> token = alive_;
    peer_options.on_network_change = [this, token] {
      if (!token.expired() && !closed_) refresh_all();
    };
    auto peer = connect::DhtPeer::open(io_, std::move(peer_options), [this, token] {
      if (token.expired() || closed_) return;
      ready_ = true;
      for (auto& [key, topic] : topics_) schedule(topic);
    });
    if (!peer) return std::unexpected(peer.error());
    peer_ = std::move(*peer);
    return {};
  }

  connect::DhtPeer& peer() override { return *peer_; }

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
      peer_->hyperdht().unannounce(it->second.target, options_.key_pair, [](const dht::QueryResult&) {},
                                   peer_->udp().now());
      peer_->udp().reschedule();
    }
    topics_.erase(it);
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    for (auto& [key, topic] : topics_) topic.timer->cancel();
    // Not unannounced: the loop may stop right after close(); records expire on their own.
    // The DhtPeer stays: connections made through it may outlive discovery.
  }

  void withdraw(std::function<void()> done) override {
    if (closed_ || !ready_) {
      close();
      if (done) done();
      return;
    }
    close();
    // As Hyperswarm's destroy(): a record left behind would send peers to a key nobody
    // answers for until it expires (13-27 min), each of their dials timing out.
    auto pending = std::make_shared<size_t>(0);
    auto finished = std::make_shared<std::function<void()>>(std::move(done));
    for (auto& [key, topic] : topics_) {
      if (!topic.announced) continue;
      ++*pending;
      peer_->hyperdht().unannounce(topic.target, options_.key_pair,
                                   [pending, finished](const dht::QueryResult&) {
                                     if (--*pending == 0 && *finished) (*finished)();
                                   },
                                   peer_->udp().now());
    }
    if (*pending == 0) {
      if (*finished) (*finished)();
      return;
    }
    peer_->udp().reschedule();
  }

 private:
  // The network changed (the DhtPeer's watch): as Hyperswarm's _handleNetworkChange, every
  // topic is looked up and announced again now (a peer that moved is found where it is, and
  // our record is stored by the nodes closest to it from where we are).
  void refresh_all() {
    if (!ready_) return;
    auto now = Steady::now();
    for (auto& [key, t] : topics_) {
      if (t.options.announce) t.next_announce = now;
      if (t.options.lookup) {
        t.next_lookup = now;
        t.lookup_delay = options_.lookup_retry;
      }
      schedule(t);
    }
  }

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
    auto relays = peer_->relays(options_.key_pair.public_key);
    if (relays.empty()) {
      // Our listen() has not announced itself yet (or nobody listens): Hyperswarm announces
      // a topic once its server knows its relays. Try again shortly.
      t.next_announce = Steady::now() + std::chrono::milliseconds(500);
      return;
    }
    t.announcing = true;
    auto on_done = guarded(t, [this](TopicState& topic, const dht::QueryResult& r) {
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
    });
    peer_->hyperdht().announce(t.target, options_.key_pair, std::move(relays), on_done, peer_->udp().now());
    peer_->udp().reschedule();
  }

  void lookup(TopicState& t) {
    t.looking = true;
    auto seen = std::make_shared<std::set<PeerKey>>();
    auto on_peers = guarded(t, [this, seen](TopicState& topic, const dht::PeerReply& reply) {
      for (const auto& record : reply.peers) {
        if (record.public_key == options_.key_pair.public_key) continue;
        DiscoveredPeer peer;
        peer.key = record.public_key;
        peer.dht = true;
        peer.relays = record.relay_addresses;
        seen->insert(peer.key);
        auto it = topic.found.find(peer.key);
        bool changed = it == topic.found.end() || it->second.relays != peer.relays;
        if (!changed) continue;
        topic.found[peer.key] = peer;
        if (handlers_.found) handlers_.found(hypercore::ByteSpan(topic.target.data(), topic.target.size()), peer);
      }
    });
    peer_->hyperdht().lookup(t.target, [on_peers](const dht::PeerReply& r) { on_peers(r); },
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
                 peer_->udp().now());
    peer_->udp().reschedule();
  }

  asio::io_context& io_;
  DhtDiscoveryOptions options_;
  DiscoveryHandlers handlers_;
  std::mt19937_64 rng_;
  std::unique_ptr<connect::DhtPeer> peer_;
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

Result<std::unique_ptr<DhtDiscoverySource>> open_dht_discovery(asio::io_context& io, DhtDiscoveryOptions options,
                                                                DiscoveryHandlers handlers) {
  if (options.bootstrap.empty()) {
    return hypercore::fail(errc::invalid_argument, "the DHT needs at least one bootstrap node");
  }
  for (const auto& b : options.bootstrap) {
    auto a = dht::Ipv4Address::parse(b);
    if (!a || a->port == 0) {
      return hypercore::fail(errc::invalid_argument, "bootstrap node '" + b + "' is not IPV4:PORT");
    }
  }
  if (!dht::Ipv4Address::parse_host(options.host)) {
    return hypercore::fail(errc::invalid_argument, "the DHT binds an IPv4 address, got '" + options.host + "'");
  }
  auto discovery = std::make_unique<DhtDiscovery>(io, std::move(options), std::move(handlers));
  if (auto r = discovery->start(); !r) return std::unexpected(r.error());
  return discovery;
}

std::unique_ptr<DiscoverySource> combine_discovery(std::vector<std::unique_ptr<DiscoverySource>> sources) {
  return std::make_unique<CombinedDiscovery>(std::move(sources));
}

}  // namespace net::swarm
