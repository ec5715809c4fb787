#include "net/swarm/swarm_planner.hpp"

#include <algorithm>

namespace net::swarm {

namespace {

std::string topic_key(hypercore::ByteSpan topic) { return std::string(topic.begin(), topic.end()); }

// One connection fewer in a count map.
template <class Map, class Key>
void release(Map& counts, const Key& key) {
  auto it = counts.find(key);
  if (it != counts.end() && --it->second == 0) counts.erase(it);
}

}  // namespace

SwarmPlanner::SwarmPlanner(PlannerOptions options) : options_(options) {}

bool SwarmPlanner::dials_first(const PeerKey& remote) const {
  // See the header: lower key dials; a lookup-only swarm cannot be found, so it dials.
  return !options_.announcing || options_.local_key < remote;
}

SwarmPlanner::PeerState* SwarmPlanner::upsert(hypercore::ByteSpan topic, const PeerKey& key, Time now) {
  if (key == options_.local_key) return nullptr;
  auto [it, inserted] = peers_.try_emplace(key);
  PeerState& peer = it->second;
  peer.topics.insert(topic_key(topic));
  if (inserted) {
    peer.due = dials_first(key) ? now : now + options_.dial_grace;
  } else if (peer.state == State::given_up) {
    peer.state = State::waiting;
    peer.failures = 0;
    peer.due = now;
  }
  return &peer;
}

void SwarmPlanner::found(hypercore::ByteSpan topic, const PeerKey& key, std::vector<Ipv4> addresses, uint16_t port,
                         Time now) {
  if (addresses.empty() || port == 0) return;
  if (PeerState* peer = upsert(topic, key, now)) {
    peer->addresses = std::move(addresses);
    peer->port = port;
  }
}

void SwarmPlanner::found_dht(hypercore::ByteSpan topic, const PeerKey& key, std::vector<dht::Ipv4Address> relays,
                             Time now) {
  if (PeerState* peer = upsert(topic, key, now)) {
    peer->dht = true;
    peer->relays = std::move(relays);
  }
}

void SwarmPlanner::gone(hypercore::ByteSpan topic, const PeerKey& key) {
  auto it = peers_.find(key);
  if (it == peers_.end()) return;
  it->second.topics.erase(topic_key(topic));
  // A dial in flight keeps the entry until dial_ended() (which then drops it).
  if (it->second.topics.empty() && it->second.state != State::dialing) peers_.erase(it);
}

void SwarmPlanner::forget_topic(hypercore::ByteSpan topic) {
  std::vector<PeerKey> keys;
  for (const auto& [key, peer] : peers_) {
    if (peer.topics.contains(topic_key(topic))) keys.push_back(key);
  }
  for (const auto& key : keys) gone(topic, key);
}

void SwarmPlanner::dial_succeeded(const PeerKey& key) {
  if (auto it = peers_.find(key); it != peers_.end()) it->second.failures = 0;
}

void SwarmPlanner::dial_ended(const PeerKey& key, Time now) {
  auto it = peers_.find(key);
  if (it == peers_.end()) return;
  PeerState& peer = it->second;
  if (peer.topics.empty()) {
    peers_.erase(it);
    return;
  }
  peer.failures++;
  if (peer.failures >= options_.max_attempts) {
    peer.state = State::given_up;
    return;
  }
  peer.state = State::waiting;
  peer.due = now + backoff(peer.failures);
}

void SwarmPlanner::inbound_opened(const Ipv4& address) { unidentified_inbound_[address]++; }

void SwarmPlanner::inbound_identified(const Ipv4& address, const PeerKey& key) {
  release(unidentified_inbound_, address);
  inbound_[key]++;
}

void SwarmPlanner::inbound_closed(const Ipv4& address, const std::optional<PeerKey>& key, Time now) {
  if (key) {
    release(inbound_, *key);
  } else {
    release(unidentified_inbound_, address);
  }
  // A peer that was connected to us through it may need us to dial now: give it the
  // grace again (it is the lower key, it redials with its own backoff) before we do.
  // Identified: that peer only. Never identified (the handshake failed): we cannot tell
  // whose it was, so every peer at that address waits the grace (a delay, not a merge).
  for (auto& [peer_key, peer] : peers_) {
    if (peer.state != State::waiting) continue;
    bool concerned = key ? peer_key == *key : std::ranges::find(peer.addresses, address) != peer.addresses.end();
    if (concerned) peer.due = std::max(peer.due, now + options_.dial_grace);
  }
}

bool SwarmPlanner::has_unidentified_inbound_from(const PeerState& peer) const {
  return std::ranges::any_of(peer.addresses, [&](const Ipv4& a) { return unidentified_inbound_.contains(a); });
}

Time SwarmPlanner::backoff(unsigned failures) const {
  Time delay = options_.backoff_initial;
  for (unsigned i = 1; i < failures && delay < options_.backoff_max; i++) delay *= 2;
  return std::min(delay, options_.backoff_max);
}

Time SwarmPlanner::poll(Time now, std::vector<Dial>& dials) {
  Time next = kNever;
  for (auto& [key, peer] : peers_) {
    if (peer.state != State::waiting) continue;
    if (peer.due > now) {
      next = std::min(next, peer.due);
      continue;
    }
    // Already connected to us: no second connection. Looked at again when it closes.
    if (inbound_.contains(key)) continue;
    // Maybe connected to us: a connection from its address is in its handshake. Wait for
    // the handshake to name the key (the swarm tells us before it polls) or fail.
    if (has_unidentified_inbound_from(peer)) {
      next = std::min(next, now + options_.inbound_recheck);
      continue;
    }
    peer.state = State::dialing;
    peer.dials++;
    Dial dial;
    dial.key = key;
    dial.attempt = peer.failures + 1;
    if (!peer.addresses.empty()) {
      dial.address = peer.addresses.front();
      dial.port = peer.port;
    } else {
      dial.dht = true;
      dial.relays = peer.relays;
    }
    dials.push_back(std::move(dial));
  }
  return next;
}

unsigned SwarmPlanner::failures(const PeerKey& key) const {
  auto it = peers_.find(key);
  return it == peers_.end() ? 0 : it->second.failures;
}

bool SwarmPlanner::given_up(const PeerKey& key) const {
  auto it = peers_.find(key);
  return it != peers_.end() && it->second.state == State::given_up;
}

}  // namespace net::swarm
