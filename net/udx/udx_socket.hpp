// UDX on a real UDP socket (docs/protocol/udx.md, "On a socket"): one UDP socket bound on a
// Boost.Asio io_context drives a Multiplexer and its streams — a receive loop, one timer at
// the earliest next_timeout(), every poll_transmit() datagram sent (waiting for the socket
// to be writable rather than dropping when the kernel buffer is full).
//
// Sharing the socket (as HyperDHT shares its server socket between dht-rpc and UDX): every
// datagram that no live stream takes — not UDX (DHT messages start 0x03/0x13, 1-byte
// probes), an unknown stream id, malformed — goes to the datagram hook, and
// send_datagram() sends from the same socket.
//
// Streams: create_stream() returns a Stream* that stays valid until release(). The socket
// calls the stream's wake handler after every pass in which the stream received a packet,
// has events waiting, or its timer ran; the owner then polls events and writes at its own
// pace (a stream's receive window only reopens as its events are polled). After driving a
// stream directly (connect, write, end, destroy, send_message), call flush() so its packets
// go out now. A released stream stays with the socket until it has closed: its events are
// discarded, and one still open `release_grace` after release is destroyed.
//
// Thread-safety: run the io_context on one thread and call every method from it. Handlers
// (wake, datagram hook) run on that thread, never inside a call made into the socket.
// Asio stays out of this header: io_context is only forward-declared.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "hypercore/error.hpp"
#include "net/udx/multiplexer.hpp"

namespace boost::asio {
class io_context;
}

namespace net::udx {

struct UdxSocketOptions {
  // Kernel buffer sizes to ask for (SO_RCVBUF / SO_SNDBUF; 0 = the system default). A
  // stream at full speed on loopback overruns the default 208 KiB receive buffer.
  int receive_buffer = 4 * 1024 * 1024;
  int send_buffer = 1024 * 1024;
  // How long a released stream that is still open may take to close before it is destroyed.
  Millis release_grace{15000};
};

struct UdxSocketStats {
  uint64_t datagrams_received = 0, datagrams_sent = 0;
  uint64_t bytes_received = 0, bytes_sent = 0;
  uint64_t to_hook = 0;           // datagrams handed to the datagram hook
  uint64_t send_blocked = 0;      // times a send found the kernel buffer full and waited
  uint64_t send_errors = 0;       // datagrams the kernel refused (dropped, as UDP does)
};

class UdxSocket : public std::enable_shared_from_this<UdxSocket> {
 public:
  using DatagramHook = std::function<void(const Address& from, hypercore::ByteSpan datagram)>;

  // Binds `host` ("127.0.0.1", "0.0.0.0", "::1", ...) on `port` (0 = any free port) and
  // starts receiving. The io_context must outlive the socket's use (close() it first).
  static hypercore::Result<std::shared_ptr<UdxSocket>> open(boost::asio::io_context& io, const std::string& host,
                                                            uint16_t port, UdxSocketOptions options = {});
  ~UdxSocket();
  UdxSocket(const UdxSocket&) = delete;
  UdxSocket& operator=(const UdxSocket&) = delete;

  boost::asio::io_context& context();
  // The bound address (its port filled in).
  const Address& local_address() const;
  uint16_t port() const { return local_address().port; }
  // Milliseconds of the steady clock the streams run on.
  Millis now() const;

  // A stream with `local_id` (UdxErrc::id_in_use if taken). `wake` is called after passes
  // that may concern it (see above). Connect it, or accept_first_packet, before it sends.
  UdxResult<Stream*> create_stream(uint32_t local_id, StreamOptions options = {}, std::function<void()> wake = {});
  // A random id that no stream on this socket uses (HyperDHT picks stream ids at random).
  uint32_t free_stream_id();
  // The stream with that id while it is not released, else nullptr.
  Stream* find(uint32_t local_id);
  // Hands the stream back: no more wake calls, the Stream* must not be used again. The
  // socket drives it until it closes (see above), then forgets it.
  void release(uint32_t local_id);
  size_t stream_count() const;
  // Connects a stream that waits for its first packet (accept_first_packet) and has not
  // bound yet, to `remote_id` at `remote` (the HyperDHT server's stream, paired at a blind
  // relay), and wakes its owner. False when it is bound already, closed or unknown.
  bool connect_stream(uint32_t local_id, uint32_t remote_id, const Address& remote);

  // Stream `local_id`'s peer at `remote` is reachable only through `via`, another socket
  // (the birthday socket a holepunch got through on, while the stream lives on the DHT
  // socket): datagrams to `remote` leave through `via`, and the UDX datagrams `via` receives
  // come here, as if received here (its own streams and hook no longer see them). This
  // socket keeps `via` until that stream is gone, then closes it.
  void route_through(uint32_t local_id, const Address& remote, std::shared_ptr<UdxSocket> via);
  // Moves stream `local_id` to `remote_id` at `remote` (Stream::change_remote: a relayed
  // connection upgraded to a holepunched path). Its datagrams leave through `via` when that
  // is another socket (as route_through), else from this one. False when the stream is
  // unknown, released, not connected or closed.
  bool change_remote(uint32_t local_id, uint32_t remote_id, const Address& remote,
                     std::shared_ptr<UdxSocket> via = nullptr);
  // libudx's stream firewall: a datagram for connected stream `local_id` from an address it
  // does not read from goes to `firewall` first, which may change_remote to `from` to have
  // the stream read it (else the stream drops it). An empty function removes it.
  using Firewall = std::function<void(const Address& from)>;
  void set_firewall(uint32_t local_id, Firewall firewall);
  // `confirmed` runs once, after the pass in which stream `local_id`'s last change_remote is
  // confirmed (Stream::path_confirmed: complete, and the peer sent from the new address).
  void on_path_confirmed(uint32_t local_id, std::function<void()> confirmed);
  // Processes `datagram` from `from` as if this socket had received it.
  void inject(const Address& from, hypercore::ByteSpan datagram);

  // Sends what the streams have queued and re-arms the timer. Cheap when nothing changed.
  void flush();

  // Datagrams no stream takes. Replaces any previous hook; an empty function drops them.
  void set_datagram_hook(DatagramHook hook);
  // Sends one datagram from this socket (best effort; queued briefly while the kernel
  // buffer is full, dropped when the socket is closed).
  void send_datagram(const Address& to, hypercore::ByteSpan datagram);

  // Destroys every stream (each sends its DESTROY), closes the socket; no handler runs
  // afterwards. Idempotent; the destructor does it.
  void close();
  bool closed() const;

  UdxSocketStats stats() const;

 private:
  struct Impl;
  explicit UdxSocket(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace net::udx
