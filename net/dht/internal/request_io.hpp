// Outgoing requests of one node (../shared/spec/dht.md §1.7): transaction ids, the byte
// image sent on every retry, the 1 s per-transmission timeout, the retry budget and the
// reference's congestion window (4 slots of 750 ms, 80 new sends per slot, 160 across the
// window, excess waits in a FIFO). Timers are not owned: advance(now) fires what is due
// and next_wakeup() says when to call again.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>

#include "net/dht/messages.hpp"
#include "net/dht/transport.hpp"

namespace net::dht::detail {

class CongestionWindow {
 public:
  bool is_full() const { return total_ >= 2 * kMaxWindow || window_[i_] >= kMaxWindow; }
  void send() {
    total_++;
    window_[i_]++;
  }
  void recv() {
    if (window_[i_] > 0) {
      window_[i_]--;
      total_--;
    }
  }
  void drain() {
    i_ = (i_ + 1) & 3;
    total_ -= window_[i_];
    window_[i_] = 0;
  }

 private:
  size_t i_ = 0;
  uint32_t total_ = 0;
  std::array<uint32_t, 4> window_{};
};

enum class RequestFailure { timeout, cancelled };

struct ReplyEvent {
  const Response& message;
  Ipv4Address from;
  std::optional<NodeId> from_id;  // validated against `from`
  Socket socket;                  // where the reply arrived
};

class RequestIo {
 public:
  using OnReply = std::function<void(const ReplyEvent&)>;
  using OnError = std::function<void(RequestFailure)>;
  using OnCycle = std::function<void()>;

  struct Outgoing {
    Request message;      // tid and `to` are filled in by send()
    Ipv4Address to;
    std::optional<NodeId> to_id;  // the id we believe the receiver has (for timeout handling)
    Socket socket = Socket::client;
    int retries = kRequestRetries;
    OnReply on_reply;
    OnError on_error;
    OnCycle on_cycle;     // after each unanswered 1 s window, before the retry
  };

  // Drain slots are counted from `now` and caught up lazily in advance(): a node that is
  // idle needs no wakeup for them (its token secrets rotate on the next call all the same).
  RequestIo(SendFn send, uint16_t first_tid, Millis now)
      : send_(std::move(send)), next_tid_(first_tid), next_drain_(now + kDrainInterval) {}

  // Queues or sends; returns a handle for cancel(). `force` bypasses the congestion window.
  uint64_t send(Outgoing request, Millis now, bool force = false);
  void cancel(uint64_t handle);

  // Matches a reply by tid and source address; false when nothing waited for it.
  // `before` runs first (the node's table update, as the reference does).
  bool on_reply(const ReplyEvent& reply, const std::function<void()>& before);

  // Fires due timeouts and drain slots. Returns how many drain slots elapsed.
  int advance(Millis now);
  std::optional<Millis> next_wakeup() const;

  size_t inflight() const { return inflight_.size(); }
  uint64_t transmissions() const { return transmissions_; }
  // Called when a request finally times out (the node drops the peer from its table).
  std::function<void(const Outgoing&)> on_timeout;

 private:
  struct Entry {
    Outgoing request;
    hypercore::Bytes bytes;
    int sent = 0;
    std::optional<Millis> deadline;  // unset while queued
  };
  void transmit(uint64_t handle, Entry& e, Millis now);

  SendFn send_;
  uint16_t next_tid_;
  uint64_t next_handle_ = 1;
  uint64_t transmissions_ = 0;
  std::map<uint64_t, Entry> inflight_;
  std::multimap<Millis, uint64_t> deadlines_;
  std::deque<uint64_t> pending_;
  CongestionWindow congestion_;
  Millis next_drain_;
};

}  // namespace net::dht::detail
