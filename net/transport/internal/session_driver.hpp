// The transport-independent part of tcp_transport / websocket_transport: a ByteStream
// (an Asio byte stream with its own open step), the coroutines that drive a PeerSession
// over it, and a listener that makes one ByteStream per accepted socket. Internal: the
// only header of ours that exposes Asio.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <string>

#include "net/transport/transport.hpp"

namespace net::detail {

namespace asio = boost::asio;
using boost::system::error_code;

// A connected (or connecting) byte stream. open() does whatever must happen before
// session bytes flow (resolve + connect, WebSocket upgrade); close() cancels every
// pending operation and may be called at any time, more than once.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual asio::awaitable<void> open(error_code& ec) = 0;
  virtual asio::awaitable<size_t> read_some(asio::mutable_buffer buffer, error_code& ec) = 0;
  virtual asio::awaitable<void> write(asio::const_buffer buffer, error_code& ec) = 0;
  virtual void close() = 0;
  // "host:port" of the peer once open.
  virtual std::string remote() const = 0;
};

// Starts driving a session over `stream` (open() first).
std::shared_ptr<Peer> start_peer(asio::io_context& io, std::unique_ptr<ByteStream> stream, NoiseRole role,
                                 PeerSetup setup);

using StreamFactory = std::function<std::unique_ptr<ByteStream>(asio::ip::tcp::socket)>;
TransportResult<std::unique_ptr<Server>> start_server(asio::io_context& io, ServerOptions options,
                                                      StreamFactory factory);

std::string endpoint_text(const asio::ip::tcp::socket& socket);

}  // namespace net::detail
