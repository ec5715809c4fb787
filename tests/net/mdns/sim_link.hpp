// An in-memory multicast link for MdnsNode tests: a simulated clock, every multicast
// delivered to every member after 1 ms (the sender too, as the kernel loops multicast
// back), unicast replies recorded. Members can be taken down (silently, no goodbye) and
// raw packets injected from any endpoint, to play a hostile or foreign responder.
#pragma once

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "net/mdns/mdns_node.hpp"

namespace net::mdns::test {

struct SentPacket {
  Time at{0};
  size_t from = 0;  // member index (SIZE_MAX for injected packets)
  Bytes bytes;
  std::optional<Endpoint> to;
  Message message;  // decoded, for assertions
};

class SimLink {
 public:
  static constexpr Time kLatency{1};

  // Adds a node at 10.0.0.<n+1>:5353.
  size_t add(PublicKey pk, uint16_t port, uint64_t seed) {
    size_t index = members_.size();
    auto m = std::make_unique<Member>();
    m->endpoint = Endpoint{{10, 0, 0, static_cast<uint8_t>(index + 1)}, kMdnsPort};
    MdnsOptions options;
    options.public_key = pk;
    options.port = port;
    options.addresses = {m->endpoint.address};
    options.seed = seed;
    m->node = std::make_unique<MdnsNode>(options, [this, index](OutgoingPacket p) { send(index, std::move(p)); });
    members_.push_back(std::move(m));
    return index;
  }

  MdnsNode& node(size_t i) { return *members_[i]->node; }
  const Endpoint& endpoint(size_t i) const { return members_[i]->endpoint; }
  std::vector<std::pair<Time, MdnsEvent>>& events(size_t i) { return members_[i]->events; }
  // Stops delivering to and polling member i, as if it lost power.
  void take_down(size_t i) { members_[i]->up = false; }
  Time now() const { return now_; }
  const std::vector<SentPacket>& sent() const { return sent_; }

  // Wakes member i at the current time (call after announce()/browse()).
  void kick(size_t i) { members_[i]->wake = now_; }

  void inject(Bytes bytes, Endpoint from) {
    queue_.push_back({now_ + kLatency, SIZE_MAX, std::move(bytes), std::nullopt, from});
  }

  void run_for(Time duration) { run_until(now_ + duration); }

  void run_until(Time end) {
    for (;;) {
      Time t = queue_.empty() ? kNever : queue_.front().at;
      for (auto& m : members_)
        if (m->up) t = std::min(t, m->wake);
      if (t > end) break;
      now_ = t;
      while (!queue_.empty() && queue_.front().at <= now_) {
        InFlight p = std::move(queue_.front());
        queue_.pop_front();
        for (auto& m : members_) {
          if (!m->up) continue;
          m->node->receive(p.bytes, p.source, now_);
          m->wake = now_;
        }
      }
      for (auto& m : members_) {
        if (!m->up || m->wake > now_) continue;
        m->wake = m->node->poll(now_);
        for (auto& e : m->node->take_events()) m->events.emplace_back(now_, std::move(e));
      }
    }
    now_ = end;
  }

 private:
  struct Member {
    std::unique_ptr<MdnsNode> node;
    Endpoint endpoint;
    Time wake = kNever;
    bool up = true;
    std::vector<std::pair<Time, MdnsEvent>> events;
  };
  struct InFlight {
    Time at;
    size_t from;
    Bytes bytes;
    std::optional<Endpoint> to;
    Endpoint source;
  };

  void send(size_t index, OutgoingPacket p) {
    auto decoded = decode_message(p.bytes);
    sent_.push_back({now_, index, p.bytes, p.unicast_to, decoded ? *decoded : Message{}});
    if (p.unicast_to) return;  // legacy replies go to the injected querier: recorded only
    queue_.push_back({now_ + kLatency, index, std::move(p.bytes), std::nullopt, members_[index]->endpoint});
  }

  std::vector<std::unique_ptr<Member>> members_;
  std::deque<InFlight> queue_;
  std::vector<SentPacket> sent_;
  Time now_{0};
};

}  // namespace net::mdns::test
