// One connection's part in replicating a group (multi::Group), sans-I/O: on top of a
// PeerSession it opens the `bee-multi/1` channel (id: the group's discovery key), sends
// the writers this device tracks with how much of each it holds, replicates every writer
// core (whole: a group's views need every op), and picks up the writers the peer lists
// that the group accepts. A peer's open of a core not known yet is deferred, not
// refused: the list (or a membership op indexed later) may make it known, and the
// replicator added then accepts it.
//
// The owner (net/multi/group_node.hpp over sockets; tests directly) calls refresh() after
// the group changed (a write, catch_up(), a new writer core) and catch_up() on the group
// when take_arrivals() says blocks came in.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "multi/group.hpp"
#include "net/multi/writer_list.hpp"
#include "net/replication/peer_session.hpp"

namespace net::multi {

struct GroupPeerOptions {
  // For every writer core's replicator; download_all and live are always on.
  ReplicatorOptions replicator{};
  // Peer opens of unknown cores kept waiting at most; more are refused.
  size_t max_deferred = 1024;
  // Called when the peer's list arrived (in_sync() may have changed): the channel's
  // messages are not session events, so an owner that steps on events needs this.
  std::function<void()> on_list{};
};

class GroupPeer {
 public:
  // Installs the session's channel handlers: one GroupPeer per session, made before its
  // handshake completes (or after: it then opens the channel at once).
  GroupPeer(::multi::Group& group, PeerSession& session, GroupPeerOptions options, TimePoint now);
  GroupPeer(const GroupPeer&) = delete;
  GroupPeer& operator=(const GroupPeer&) = delete;

  // Feeds a session event (the owner's on_event): the handshake opens the channel, blocks
  // arriving are noted for take_arrivals().
  void on_session_event(const SessionEvent& e, TimePoint now);
  // Adds the group's new writer cores to the session and sends the list if it changed.
  void refresh(TimePoint now);
  // True once since blocks or a longer length came from the peer.
  bool take_arrivals();

  // The peer's last list (nullopt until one arrived).
  const std::optional<std::vector<ListedWriter>>& peer_writers() const { return peer_writers_; }
  // Both hold the same logs: every writer both track is held whole by both to the same
  // length, and neither tracks a member's log with blocks the other has not listed (a log
  // of a device not invited yet does not count).
  bool in_sync() const;
  // A violation on the group channel (an undecodable list): the owner closes the session.
  const std::optional<std::string>& failure() const { return failure_; }

 private:
  OpenDecision decide(const RemoteOpen& open);
  void on_channel(const MuxEvent& e, TimePoint now);
  std::vector<ListedWriter> our_list() const;

  ::multi::Group& group_;
  PeerSession& session_;
  GroupPeerOptions options_;
  hypercore::Hash topic_{};
  uint64_t channel_ = 0;  // 0: not opened by us yet
  bool channel_open_ = false;
  size_t deferred_ = 0;
  bool arrivals_ = false;
  std::optional<std::vector<ListedWriter>> sent_;
  std::optional<std::vector<ListedWriter>> peer_writers_;
  std::optional<std::string> failure_;
};

}  // namespace net::multi
