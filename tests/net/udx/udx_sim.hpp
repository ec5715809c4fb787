// Two UDX Multiplexers joined by a simulated lossy link on a fake clock: drop, duplicate,
// delay and reorder datagrams by policy, pump both sides until a condition holds.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <random>

#include "net/udx/multiplexer.hpp"

namespace udx_sim {

using namespace net::udx;

struct Policy {
  // Called per datagram with its global index (1-based) and direction (0 = a->b):
  // true drops it.
  std::function<bool(uint64_t index, int direction, const Datagram&)> drop;
  double duplicate = 0;  // probability
  Millis delay{10};
  Millis jitter{0};      // uniform extra delay in [0, jitter]: reorders
  uint32_t seed = 1;
};

struct Side {
  Multiplexer mux;
  Address address;
  bool reading = true;  // poll stream events (false = a stalled reader)
  std::map<uint32_t, hypercore::Bytes> received;
  std::map<uint32_t, std::vector<hypercore::Bytes>> messages;
  std::map<uint32_t, bool> remote_ended;
  std::map<uint32_t, std::optional<std::optional<UdxError>>> closed;  // set once closed
  std::vector<hypercore::Bytes> not_for_streams;
};

class Sim {
 public:
  explicit Sim(Policy policy = {}) : policy_(std::move(policy)), rng_(policy_.seed) {
    a.address = Address::v4(10, 0, 0, 1, 1000);
    b.address = Address::v4(10, 0, 0, 2, 2000);
  }

  Side a, b;
  Millis now{0};
  uint64_t sent = 0, dropped = 0;

  // Runs until `done()` or the clock passes `limit`; returns done().
  bool run(const std::function<bool()>& done, Millis limit = Millis(600000)) {
    for (;;) {
      bool progress = true;
      while (progress) {
        progress = false;
        progress |= pump(a, b, 0);
        progress |= pump(b, a, 1);
        progress |= deliver(a, b, 0);
        progress |= deliver(b, a, 1);
        progress |= read(a);
        progress |= read(b);
        if (done()) return true;
      }
      std::optional<Millis> next;
      auto consider = [&](std::optional<Millis> t) {
        if (t && (!next || *t < *next)) next = t;
      };
      consider(a.mux.next_timeout());
      consider(b.mux.next_timeout());
      for (auto& q : queue_) {
        if (!q.empty()) consider(q.begin()->first);
      }
      if (!next) return done();
      now = std::max(now, *next);
      if (now > limit) return done();
      a.mux.on_timer(now);
      b.mux.on_timer(now);
      a.mux.collect(now);
      b.mux.collect(now);
    }
  }

  void inject(int direction, hypercore::Bytes bytes) { queue_[direction].emplace(now, Datagram{{}, std::move(bytes)}); }

 private:
  bool pump(Side& from, Side& to, int dir) {
    bool any = false;
    while (auto d = from.mux.poll_transmit(now)) {
      any = true;
      sent++;
      if (d->to != to.address) continue;
      if (policy_.drop && policy_.drop(sent, dir, *d)) {
        dropped++;
        continue;
      }
      const int copies = std::uniform_real_distribution<>(0, 1)(rng_) < policy_.duplicate ? 2 : 1;
      for (int i = 0; i < copies; i++) {
        Millis at = now + policy_.delay;
        if (policy_.jitter.count() > 0) {
          at += Millis(std::uniform_int_distribution<int64_t>(0, policy_.jitter.count())(rng_));
        }
        queue_[dir].emplace(at, *d);
      }
    }
    return any;
  }

  bool deliver(Side& from, Side& to, int dir) {
    bool any = false;
    auto& q = queue_[dir];
    while (!q.empty() && q.begin()->first <= now) {
      auto node = q.extract(q.begin());
      auto routed = to.mux.receive(node.mapped().bytes, from.address, now);
      if (routed != Multiplexer::Routed::stream) to.not_for_streams.push_back(node.mapped().bytes);
      any = true;
    }
    return any;
  }

  bool read(Side& side) {
    if (!side.reading) return false;
    bool any = false;
    for (uint32_t id : ids(side)) {
      Stream* s = side.mux.find(id);
      while (auto e = s->poll_event()) {
        any = true;
        switch (e->kind) {
          case StreamEvent::Kind::data:
            side.received[id].insert(side.received[id].end(), e->bytes.begin(), e->bytes.end());
            break;
          case StreamEvent::Kind::message: side.messages[id].push_back(e->bytes); break;
          case StreamEvent::Kind::remote_end: side.remote_ended[id] = true; break;
          case StreamEvent::Kind::drained: break;
          case StreamEvent::Kind::closed: side.closed[id] = e->error; break;
        }
      }
    }
    return any;
  }

  std::vector<uint32_t> ids(Side& side) {
    std::vector<uint32_t> out;
    for (uint32_t id = 0; id < 8; id++) {
      if (side.mux.find(id)) out.push_back(id);
    }
    return out;
  }

  Policy policy_;
  std::mt19937 rng_;
  std::multimap<Millis, Datagram> queue_[2];
};

inline hypercore::Bytes pattern(size_t n, uint32_t seed) {
  hypercore::Bytes out(n);
  std::mt19937 rng(seed);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

}  // namespace udx_sim
