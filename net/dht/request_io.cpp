#include "net/dht/internal/request_io.hpp"

namespace net::dht::detail {

uint64_t RequestIo::send(Outgoing request, Millis now, bool force) {
  uint64_t handle = next_handle_++;
  request.message.tid = next_tid_++;
  request.message.to = request.to;
  Entry e{std::move(request), {}, 0, std::nullopt};
  e.bytes = encode_request(e.request.message);
  auto& stored = inflight_.emplace(handle, std::move(e)).first->second;
  if (!force && congestion_.is_full()) {
    pending_.push_back(handle);
  } else {
    transmit(handle, stored, now);
  }
  return handle;
}

void RequestIo::transmit(uint64_t handle, Entry& e, Millis now) {
  e.sent++;
  transmissions_++;
  congestion_.send();
  e.deadline = now + kRequestTimeout;
  deadlines_.emplace(*e.deadline, handle);
  send_(e.request.socket, e.request.to, e.bytes);
}

void RequestIo::cancel(uint64_t handle) {
  auto it = inflight_.find(handle);
  if (it == inflight_.end()) return;
  auto entry = std::move(it->second);
  inflight_.erase(it);
  if (entry.sent > 0) congestion_.recv();
  if (entry.request.on_error) entry.request.on_error(RequestFailure::cancelled);
}

bool RequestIo::on_reply(const ReplyEvent& reply, const std::function<void()>& before) {
  for (auto it = inflight_.begin(); it != inflight_.end(); ++it) {
    const Entry& e = it->second;
    if (e.sent == 0 || e.request.message.tid != reply.message.tid || e.request.to != reply.from) continue;
    auto entry = std::move(it->second);
    inflight_.erase(it);  // stale deadline entries are skipped in advance()
    congestion_.recv();
    before();
    if (entry.request.on_reply) entry.request.on_reply(reply);
    return true;
  }
  return false;
}

int RequestIo::advance(Millis now) {
  int drains = 0;
  if (now >= next_drain_) {
    // After a long idle stretch, a handful of drains is the same as all of them.
    Millis behind = (now - next_drain_) / kDrainInterval + 1;
    drains = static_cast<int>(std::min<Millis>(behind, 64));
    for (int i = 0; i < std::min(drains, 4); i++) congestion_.drain();
    next_drain_ += behind * kDrainInterval;
    while (!pending_.empty() && !congestion_.is_full()) {
      uint64_t h = pending_.front();
      pending_.pop_front();
      auto it = inflight_.find(h);
      if (it != inflight_.end()) transmit(h, it->second, now);
    }
  }
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto [deadline, handle] = *deadlines_.begin();
    deadlines_.erase(deadlines_.begin());
    auto it = inflight_.find(handle);
    if (it == inflight_.end() || it->second.deadline != deadline) continue;
    it->second.deadline.reset();
    if (it->second.request.on_cycle) it->second.request.on_cycle();
    it = inflight_.find(handle);  // the callback may have cancelled it
    if (it == inflight_.end()) continue;
    if (it->second.sent > it->second.request.retries) {
      auto entry = std::move(it->second);
      inflight_.erase(it);
      congestion_.recv();
      if (on_timeout) on_timeout(entry.request);
      if (entry.request.on_error) entry.request.on_error(RequestFailure::timeout);
    } else if (congestion_.is_full()) {
      pending_.push_back(handle);
    } else {
      transmit(handle, it->second, now);
    }
  }
  return drains;
}

std::optional<Millis> RequestIo::next_wakeup() const {
  std::optional<Millis> next;
  if (!deadlines_.empty()) next = deadlines_.begin()->first;
  if (!pending_.empty() && (!next || next_drain_ < *next)) next = next_drain_;
  return next;
}

}  // namespace net::dht::detail
