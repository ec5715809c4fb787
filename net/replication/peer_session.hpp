// One peer connection running the whole stack, sans-I/O: SecretStream (Noise + framing +
// encryption) -> Mux (channels) -> one Replicator per core. The owner moves bytes
// (feed / take_output), passes the time, and reads events; it owns the socket, if any.
//
//   feed(bytes, now)   the peer's bytes, any split
//   take_output()      bytes to write to the peer (drains the Mux into the stream first)
//   tick(now)          request timeouts
//   take_events()      replicator events, tagged with the core's index, and the session's
//                      own (core == kSessionEvent): `connected` when the handshake is
//                      done, `peer_error` when it fails
//
// A fatal error (transport failure, protocol violation, invalid capability, invalid proof
// or signature) makes the session dead: failed() is true, error() names it, no further
// bytes are accepted or produced, and the owner closes the connection. Cores may be added
// before or after the handshake; their channels open as soon as it is done. A remote open
// for a core we have not added is rejected. The Cores must outlive the session.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "net/mux/protomux.hpp"
#include "net/replication/replicator.hpp"
#include "net/stream/secret_stream.hpp"

namespace net {

struct PeerSessionOptions {
  // Noise keys and the received-frame cap (see SecretStreamOptions). With
  // stream.handshake set (a hyperdht connection keyed by its Noise IK outcome), no Noise
  // XX runs: the session's NoiseRole must be that handshake's role, and the `connected`
  // event and replication start on the first feed().
  SecretStreamOptions stream;
};

struct SessionEvent {
  static constexpr size_t kSessionEvent = std::numeric_limits<size_t>::max();
  size_t core = kSessionEvent;  // index returned by add_core
  ReplicatorEvent event;
};

class PeerSession {
 public:
  PeerSession(NoiseRole role, PeerSessionOptions options = {});
  ~PeerSession();
  PeerSession(const PeerSession&) = delete;
  PeerSession& operator=(const PeerSession&) = delete;

  // Replicates `core` over this connection; returns its index for events and replicator().
  size_t add_core(hypercore::Core& core, ReplicatorOptions options, TimePoint now);
  Replicator& replicator(size_t core) { return *replicators_[core]; }
  const Replicator& replicator(size_t core) const { return *replicators_[core]; }
  size_t core_count() const { return replicators_.size(); }

  void feed(ByteSpan bytes, TimePoint now);
  void tick(TimePoint now);
  Bytes take_output();
  std::vector<SessionEvent> take_events();

  // Channels of other protocols on this connection (a group's writer list, multi/):
  // `decide` answers the peer's opens that match no replicator's channel (without it they
  // are rejected; OpenDecision::defer keeps one pending, and a replicator added later for
  // that core accepts it), and `on_event` gets every channel event no replicator owns.
  // mux() opens such channels and sends on them; take_output() carries what they queue.
  void set_channel_handlers(Mux::OpenHandler decide, std::function<void(const MuxEvent&, TimePoint)> on_event);
  Mux& mux() { return mux_; }
  // Whether a replicator for the core with this discovery key was added.
  bool has_core(const hypercore::Hash& discovery_key) const;

  bool handshake_complete() const { return stream_.handshake_complete(); }
  // The peer's Noise static public key, proven by the handshake (Noise XX's es/se
  // Diffie-Hellman needs its secret half); nullopt until the handshake is complete.
  // Whether it is the peer we wanted is the caller's business.
  std::optional<hypercore::PublicKey> remote_public_key() const {
    if (!stream_.handshake_complete()) return std::nullopt;
    return stream_.remote_public_key();
  }
  bool failed() const { return error_.has_value(); }
  const std::optional<ReplicationError>& error() const { return error_; }
  // Closes every channel (the owner then ends the connection after writing the output).
  void close();
  // Queues an empty secret-stream message (a keepalive: the peer drops it) once the
  // handshake is done; nothing before.
  void send_keepalive();

 private:
  void start_replicator(size_t index, TimePoint now);
  void route_mux_events(TimePoint now);
  void collect(TimePoint now);
  void fail(ReplicationErrc code, std::string message);

  NoiseRole role_;
  SecretStream stream_;
  Mux mux_;
  std::vector<std::unique_ptr<Replicator>> replicators_;
  std::vector<hypercore::Hash> discovery_keys_;  // of replicators_, in order
  std::function<void(const MuxEvent&, TimePoint)> channel_events_;
  std::vector<SessionEvent> events_;
  std::optional<ReplicationError> error_;
};

}  // namespace net
