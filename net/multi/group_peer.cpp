#include "net/multi/group_peer.hpp"

#include <algorithm>
#include <map>

namespace net::multi {

GroupPeer::GroupPeer(::multi::Group& group, PeerSession& session, GroupPeerOptions options, TimePoint now)
    : group_(group), session_(session), options_(options), topic_(group.discovery_key()) {
  options_.replicator.download_all = true;
  options_.replicator.live = true;
  session_.set_channel_handlers([this](const RemoteOpen& open) { return decide(open); },
                                [this](const MuxEvent& e, TimePoint t) { on_channel(e, t); });
  refresh(now);
}

OpenDecision GroupPeer::decide(const RemoteOpen& open) {
  bool ours = open.protocol == kGroupProtocol && std::equal(open.id.begin(), open.id.end(), topic_.begin(), topic_.end());
  bool core = open.protocol == "hypercore/alpha";
  if ((ours || core) && deferred_ < options_.max_deferred) {
    ++deferred_;  // paired when we open the same channel (our open of it accepts it)
    return OpenDecision::defer();
  }
  return OpenDecision::reject();
}

void GroupPeer::on_session_event(const SessionEvent& e, TimePoint now) {
  using Kind = ReplicatorEvent::Kind;
  if (e.core == SessionEvent::kSessionEvent) {
    if (e.event.kind == Kind::connected) refresh(now);
    return;
  }
  if (e.event.kind == Kind::block_downloaded || e.event.kind == Kind::upgraded) arrivals_ = true;
}

bool GroupPeer::take_arrivals() { return std::exchange(arrivals_, false); }

std::vector<ListedWriter> GroupPeer::our_list() const {
  std::vector<ListedWriter> list;
  for (const auto& core : group_.cores()) list.push_back({core->key(), core->contiguous_length()});
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return list;
}

void GroupPeer::refresh(TimePoint now) {
  if (session_.failed()) return;
  for (const auto& core : group_.cores()) {
    if (!session_.has_core(core->discovery_key())) session_.add_core(*core, options_.replicator, now);
  }
  if (!session_.handshake_complete()) return;
  if (channel_ == 0) {
    auto opened = session_.mux().open(std::string(kGroupProtocol), topic_, {}, ChannelOptions{1});
    if (!opened) {
      failure_ = "cannot open the group channel: " + opened.error().message;
      return;
    }
    channel_ = *opened;
  }
  if (!channel_open_) return;
  auto list = our_list();
  if (sent_ == list) return;
  if (auto sent = session_.mux().send(channel_, kWriterListMessage, encode_writer_list(list)); !sent) {
    failure_ = "cannot send the writer list: " + sent.error().message;
    return;
  }
  sent_ = std::move(list);
}

void GroupPeer::on_channel(const MuxEvent& e, TimePoint now) {
  if (e.kind == MuxEvent::Kind::withdrawn) {
    if (deferred_ > 0) --deferred_;
    return;
  }
  if (channel_ == 0 || e.channel != channel_) return;
  switch (e.kind) {
    case MuxEvent::Kind::opened:
      channel_open_ = true;
      refresh(now);
      break;
    case MuxEvent::Kind::message: {
      if (e.type != kWriterListMessage) return;
      auto list = decode_writer_list(e.payload);
      if (!list) {
        failure_ = "the peer's writer list: " + list.error().to_string();
        return;
      }
      // Cores the group accepts (members; anyone in open mode) are added; the rest are
      // ignored until a membership op makes them members.
      for (const auto& w : *list) (void)group_.writer_core(w.key);
      peer_writers_ = std::move(*list);
      refresh(now);
      if (options_.on_list) options_.on_list();
      break;
    }
    case MuxEvent::Kind::closed:
    case MuxEvent::Kind::rejected:
      channel_open_ = false;
      break;
    case MuxEvent::Kind::withdrawn:
      break;
  }
}

bool GroupPeer::in_sync() const {
  if (!peer_writers_ || !channel_open_) return false;
  std::map<hypercore::Hash, uint64_t> theirs;
  for (const auto& w : *peer_writers_) theirs[w.key] = w.length;
  std::map<hypercore::Hash, uint64_t> ours;
  for (const auto& core : group_.cores()) {
    if (core->contiguous_length() < core->length()) return false;  // still downloading
    ours[core->key()] = core->length();
  }
  for (const auto& [key, length] : ours) {
    auto it = theirs.find(key);
    if (it != theirs.end()) {
      if (it->second != length) return false;
    } else if (length > 0 && group_.membership().is_member(key)) {
      return false;  // the peer will take it once it has indexed the op that admits it
    }
    // Else a log nobody else accepts yet (this device's, before its invitation).
  }
  // Writers only the peer lists, with blocks: ours too once their membership is indexed.
  for (const auto& [key, length] : theirs) {
    if (!ours.contains(key) && length > 0 && group_.membership().is_member(key)) return false;
  }
  return true;
}

}  // namespace net::multi
