// PeerSessions carried in WebSocket binary messages (Boost.Beast), for peers that can only
// speak WebSocket (browsers, proxies). The bytes inside are exactly the TCP stream's; a
// message boundary means nothing. The upgrade request's target is "/". See transport.hpp
// for the driver, deadlines and lifetimes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/transport/transport.hpp"

namespace net {

TransportResult<std::unique_ptr<Server>> listen_websocket(boost::asio::io_context& io, ServerOptions options);

std::shared_ptr<Peer> connect_websocket(boost::asio::io_context& io, const std::string& host, uint16_t port,
                                        PeerSetup setup);

}  // namespace net
