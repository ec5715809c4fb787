// What the socket transports (tcp_transport.hpp, websocket_transport.hpp) share: one
// PeerSession per connection, driven by coroutines on a Boost.Asio io_context that the
// caller owns and runs. The transport owns the socket and the session; the caller owns
// the Cores and the io_context, which must outlive every Server and Peer made on it.
//
// Per connection three coroutines run: a reader (socket -> PeerSession::feed), a writer
// (take_output -> socket, tick every tick_interval) and a watchdog that closes the
// connection when a deadline passes (handshake_timeout from the start until the Noise
// handshake is done, idle_timeout since the last byte received or for a write that does
// not complete). Every wait therefore ends. Handlers run on the io_context's thread;
// on_close is called exactly once per Peer, after which its coroutines are ending.
//
// Thread-safety: run the io_context on one thread; call Server/Peer methods from it (or
// before run()). Asio types stay out of this header: io_context is only forward-declared.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hypercore/core.hpp"
#include "net/replication/peer_session.hpp"

namespace boost::asio {
class io_context;
}

namespace net {

enum class TransportErrc {
  listen_failed = 1,  // bind/listen refused (address in use, bad host)
  connect_failed,     // resolve, TCP connect or the WebSocket upgrade failed
  handshake_timeout,  // connected, but the Noise handshake was not done in time
  idle_timeout,       // nothing received (or a write stalled) for idle_timeout
  io_error,           // the socket failed or the peer closed it uncleanly
  session_failed,     // the PeerSession failed (protocol error, bad proof, ...)
  stopped,            // stop() on the Peer or its Server
};

}  // namespace net

template <>
struct std::is_error_code_enum<net::TransportErrc> : std::true_type {};

namespace net {

const char* errc_name(TransportErrc e);
const std::error_category& transport_category();
inline std::error_code make_error_code(TransportErrc e) { return {static_cast<int>(e), transport_category()}; }

using TransportError = hypercore::BasicError<TransportErrc>;

struct TransportOptions {
  // From the start of the connection (connect included) until the Noise handshake is
  // done. Default 10 s.
  std::chrono::milliseconds handshake_timeout{10000};
  // Closes a connection that received nothing, or whose write did not complete, for this
  // long. Default 5 min: Hypercore peers are silent while nothing changes, so a live
  // follower on a quiet core reconnects rather than holding a dead socket forever.
  std::chrono::milliseconds idle_timeout{300000};
  // After this long without writing, an empty secret-stream message (a keepalive, which the
  // peer drops) goes out, so that a connection whose path died fails (its transport gives
  // up on the unacknowledged bytes: UDX after 6 retransmission timeouts, ~15 s) instead of
  // waiting out idle_timeout. 0: off (the default). DhtPeer's connections use 5 s, as
  // hyperdht's connectionKeepAlive.
  std::chrono::milliseconds keepalive{0};
  // How often the session's request timeouts are checked and deadlines enforced.
  // Default 200 ms.
  std::chrono::milliseconds tick_interval{200};
  PeerSessionOptions session;
};

// Wire bytes, and the sum of the session's replicators' counters (ReplicatorCounters).
struct PeerCounters {
  uint64_t bytes_down = 0;        // wire bytes received
  uint64_t bytes_up = 0;          // wire bytes sent
  uint64_t blocks_down = 0;       // blocks verified and stored from the peer
  uint64_t block_bytes_down = 0;  // their payload bytes
  uint64_t blocks_up = 0;         // blocks served to the peer
  uint64_t block_bytes_up = 0;    // their payload bytes
  uint64_t upgrades = 0;          // times a core's length grew from the peer
};

// One connection. Owned by the transport; handlers get a reference, connect() a
// shared_ptr that keeps the object (not the connection) alive.
class Peer {
 public:
  virtual ~Peer() = default;
  virtual PeerSession& session() = 0;
  virtual PeerCounters counters() const = 0;
  // "127.0.0.1:40123" once connected ("" before).
  virtual const std::string& remote() const = 0;
  // Graceful: closes the channels, writes what is pending, then closes the socket.
  virtual void close() = 0;
  // Immediate: closes the socket; on_close reports `stopped`.
  virtual void stop() = 0;
  // Writes what the session has to send now. Output made inside the handlers goes out
  // anyway; call this after driving the session from elsewhere (a timer, a posted task),
  // or the bytes wait for the next tick (TransportOptions::tick_interval).
  virtual void flush() = 0;
  virtual bool closed() const = 0;
};

struct PeerHandlers {
  // The byte stream is up (before the Noise handshake), the setup's cores are added:
  // add more here.
  std::function<void(Peer&)> on_open;
  // Every session event (replicator events tagged with the core index).
  std::function<void(Peer&, const SessionEvent&)> on_event;
  // Once: no error when either side closed cleanly (EOF after our close, or the peer's).
  std::function<void(Peer&, const std::optional<TransportError>&)> on_close;
};

// What every connection of a Server, or one connect(), replicates.
struct PeerSetup {
  std::vector<hypercore::Core*> cores;  // must outlive the connection
  ReplicatorOptions replicator;
  TransportOptions transport;
  PeerHandlers handlers;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 = any free port; port() tells which
  PeerSetup setup;
};

// Accepts connections and serves setup.cores to each as the Noise responder.
class Server {
 public:
  virtual ~Server() = default;
  virtual uint16_t port() const = 0;
  virtual const std::string& host() const = 0;
  // Closes the listener and every connection; each connection's on_close follows. Idempotent.
  virtual void stop() = 0;
  virtual size_t peer_count() const = 0;
};

template <class T>
using TransportResult = hypercore::Result<T, TransportError>;

}  // namespace net
