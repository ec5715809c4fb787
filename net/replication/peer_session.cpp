#include "net/replication/peer_session.hpp"

#include <algorithm>
#include <utility>

namespace net {

PeerSession::PeerSession(NoiseRole role, PeerSessionOptions options)
    : role_(role), stream_(role == NoiseRole::initiator, std::move(options.stream)) {}

PeerSession::~PeerSession() = default;

size_t PeerSession::add_core(hypercore::Core& core, ReplicatorOptions options, TimePoint now) {
  replicators_.push_back(std::make_unique<Replicator>(core, mux_, role_, options));
  discovery_keys_.push_back(core.discovery_key());
  size_t index = replicators_.size() - 1;
  if (stream_.handshake_complete() && !failed()) {
    start_replicator(index, now);
    route_mux_events(now);
    collect(now);
  }
  return index;
}

void PeerSession::start_replicator(size_t index, TimePoint now) {
  auto started = replicators_[index]->start(stream_.handshake_hash(), now);
  if (!started) fail(ReplicationErrc::invalid_message, "cannot open a channel: " + started.error().message);
}

void PeerSession::feed(ByteSpan bytes, TimePoint now) {
  if (failed()) return;
  for (auto& e : stream_.feed(bytes)) {
    if (failed()) return;
    if (std::holds_alternative<HandshakeDone>(e)) {
      // First, so the owner can check whom it reached before any channel opens (a peer
      // that opens none would otherwise never produce an event).
      SessionEvent connected;
      connected.event.kind = ReplicatorEvent::Kind::connected;
      events_.push_back(std::move(connected));
      for (size_t i = 0; i < replicators_.size(); i++) start_replicator(i, now);
    } else if (auto* m = std::get_if<MessageReceived>(&e)) {
      auto received = mux_.receive(m->message);
      if (!received) {
        fail(ReplicationErrc::invalid_message, "protomux: " + received.error().message);
        return;
      }
    } else if (auto* f = std::get_if<StreamFailed>(&e)) {
      fail(ReplicationErrc::stream_failed, f->error.to_string());
      return;
    }
    route_mux_events(now);
    collect(now);
  }
}

void PeerSession::route_mux_events(TimePoint now) {
  // A replicator may send (and so queue more mux events, e.g. nothing new for opens it
  // made itself), so drain until quiet.
  for (;;) {
    auto events = mux_.take_events();
    if (events.empty()) return;
    for (const auto& e : events) {
      bool owned = false;
      for (auto& r : replicators_) {
        if (r->owns(e)) {
          r->on_mux_event(e, now);
          owned = true;
          break;
        }
      }
      if (!owned && channel_events_) channel_events_(e, now);
    }
  }
}

void PeerSession::collect(TimePoint now) {
  (void)now;
  for (size_t i = 0; i < replicators_.size(); i++) {
    for (auto& e : replicators_[i]->take_events()) {
      bool fatal = e.kind == ReplicatorEvent::Kind::peer_error;
      std::optional<ReplicationError> error = e.error;
      events_.push_back(SessionEvent{i, std::move(e)});
      if (fatal && !failed()) fail(error->code, error->message);
    }
  }
}

void PeerSession::set_channel_handlers(Mux::OpenHandler decide, std::function<void(const MuxEvent&, TimePoint)> on_event) {
  mux_.on_remote_open(std::move(decide));
  channel_events_ = std::move(on_event);
}

bool PeerSession::has_core(const hypercore::Hash& discovery_key) const {
  return std::find(discovery_keys_.begin(), discovery_keys_.end(), discovery_key) != discovery_keys_.end();
}

void PeerSession::tick(TimePoint now) {
  if (failed()) return;
  for (auto& r : replicators_) r->tick(now);
  route_mux_events(now);
  collect(now);
}

Bytes PeerSession::take_output() {
  if (failed()) return {};
  for (auto& frame : mux_.take_output()) {
    auto sent = stream_.send(frame);
    if (!sent) {
      fail(ReplicationErrc::stream_failed, sent.error().to_string());
      return {};
    }
  }
  // Core events (an append on a writer) may have queued replicator events outside feed.
  collect(TimePoint{});
  if (failed()) return {};
  return stream_.take_output();
}

std::vector<SessionEvent> PeerSession::take_events() {
  collect(TimePoint{});
  return std::exchange(events_, {});
}

void PeerSession::send_keepalive() {
  if (failed() || !stream_.handshake_complete()) return;
  if (auto sent = stream_.send({}); !sent) fail(ReplicationErrc::stream_failed, sent.error().to_string());
}

void PeerSession::close() {
  for (auto& r : replicators_) r->close();
  collect(TimePoint{});
}

void PeerSession::fail(ReplicationErrc code, std::string message) {
  if (error_) return;
  error_ = ReplicationError{code, message};
  SessionEvent e;
  e.event.kind = ReplicatorEvent::Kind::peer_error;
  e.event.error = error_;
  events_.push_back(std::move(e));
}

}  // namespace net
