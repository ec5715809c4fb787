// A UDX stream as the transports' ByteStream (net/transport/internal/session_driver.hpp),
// so start_peer runs a PeerSession (secret stream, protomux, replicators) over UDX as it
// does over TCP. Internal: exposes Asio.
//
// read_some returns the stream's data events in order (several per call when they fit),
// then EOF once the peer's END arrived (or the stream closed cleanly), or the error that
// closed it: reset_by_peer -> connection_reset (the driver's "peer closed" too), timeout ->
// timed_out, anything else -> connection_aborted. write queues the bytes on the stream and
// completes once the stream's unacknowledged bytes are at most its high-water mark.
// close() ends our side (END after everything written, as closing a TCP socket sends FIN
// after its buffer) and hands the stream back to the socket, which drives it until it
// closes (destroying it after UdxSocketOptions::release_grace).
#pragma once

#include "net/transport/internal/session_driver.hpp"
#include "net/udx/udx_socket.hpp"

#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <optional>

namespace net::udx {

class UdxByteStream : public net::detail::ByteStream {
 public:
  // A new stream `local_id` on `socket`, connected to `remote_id` at `remote`, or with no
  // remote: it binds to the source of the first packet for its id (the HyperDHT server
  // side), and open() waits for that packet.
  static UdxResult<std::unique_ptr<UdxByteStream>> create(std::shared_ptr<UdxSocket> socket, uint32_t local_id,
                                                          uint32_t remote_id, std::optional<Address> remote,
                                                          StreamOptions options = {});
  ~UdxByteStream() override;

  boost::asio::awaitable<void> open(boost::system::error_code& ec) override;
  boost::asio::awaitable<size_t> read_some(boost::asio::mutable_buffer buffer, boost::system::error_code& ec) override;
  boost::asio::awaitable<void> write(boost::asio::const_buffer buffer, boost::system::error_code& ec) override;
  void close() override;
  std::string remote() const override;

  uint32_t local_id() const { return id_; }
  // Null once closed.
  Stream* stream() { return stream_; }

 private:
  UdxByteStream(std::shared_ptr<UdxSocket> socket, uint32_t local_id, size_t high_water);
  void wake();
  // Polls the stream's events into inbox_ / state until a data event, the end, or none.
  bool poll_stream();
  boost::asio::awaitable<void> wait(boost::asio::steady_timer& timer);
  boost::system::error_code closed_error() const;

  std::shared_ptr<UdxSocket> socket_;
  uint32_t id_;
  size_t high_water_;
  Stream* stream_ = nullptr;
  boost::asio::steady_timer read_wait_;
  boost::asio::steady_timer write_wait_;
  std::deque<hypercore::Bytes> inbox_;
  size_t inbox_used_ = 0;  // bytes of inbox_.front() already read
  bool remote_ended_ = false;
  bool stream_closed_ = false;
  std::optional<UdxErrc> close_error_;
  bool closed_ = false;
  std::string remote_;
};

}  // namespace net::udx
