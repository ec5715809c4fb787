// Many UDX streams on one UDP socket, sans-I/O: routes incoming datagrams to streams by the
// receiver stream id in their header and hands back every datagram that is not for a live
// stream (not UDX, malformed, unknown id), so a DHT node can share the socket as with
// libudx's socket on_recv. Owns its streams; a Stream& stays valid until the stream is
// finished (closed and done lingering) and collect() removes it.
// Not thread-safe: one thread drives it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

#include "net/udx/stream.hpp"

namespace net::udx {

class Multiplexer {
 public:
  // A stream with `local_id`; connect it (or accept_first_packet) before it receives.
  UdxResult<Stream*> create_stream(uint32_t local_id, StreamOptions options = {});
  Stream* find(uint32_t local_id);
  size_t size() const { return streams_.size(); }
  // Local ids of the streams, in creation order.
  const std::vector<uint32_t>& ids() const { return order_; }

  enum class Routed {
    stream,       // consumed by a stream (possibly dropped by it: wrong source, over window)
    not_udx,      // not `FF 01` or shorter than 20 bytes: the caller's (DHT) datagram
    malformed,    // looked like UDX but did not decode
    unknown_id,   // no live stream with that id: libudx passes these to the socket's on_recv
  };
  // A connected stream's packet from an address it does not read from goes to `firewall`
  // first (libudx's on_firewall, which hyperdht uses to notice a holepunched path beside a
  // relayed one): if it returns true, having moved the stream there (change_remote), the
  // stream reads the packet; otherwise the stream drops it.
  using Firewall = std::function<bool(uint32_t local_id, const Address& from)>;
  Routed receive(hypercore::ByteSpan datagram, const Address& from, Millis now, const Firewall& firewall = {});

  // Round-robin over streams so one busy stream cannot starve the others.
  std::optional<Datagram> poll_transmit(Millis now);
  std::optional<Millis> next_timeout() const;
  void on_timer(Millis now);
  // Forgets finished streams whose events were all polled; returns how many.
  size_t collect(Millis now);
  // The same, keeping every stream for which keep(id) is true (one its owner still uses).
  size_t collect(Millis now, const std::function<bool(uint32_t)>& keep);

 private:
  std::unordered_map<uint32_t, std::unique_ptr<Stream>> streams_;
  std::vector<uint32_t> order_;  // ids, for round-robin
  size_t next_ = 0;
};

}  // namespace net::udx
