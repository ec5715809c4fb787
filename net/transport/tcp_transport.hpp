// PeerSessions over plain TCP (the framing Node's hypercore uses over a raw socket): a
// Server that serves cores to every connection as the Noise responder, and connect_tcp()
// as the Noise initiator. See transport.hpp for the driver, deadlines and lifetimes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/transport/transport.hpp"

namespace net {

// Binds and listens on options.host:options.port at once (errors: listen_failed), then
// accepts while the io_context runs, until stop().
TransportResult<std::unique_ptr<Server>> listen_tcp(boost::asio::io_context& io, ServerOptions options);

// Starts connecting to host:port; the outcome comes through setup.handlers (a failed
// connect: on_close with connect_failed). The returned Peer can be closed or stopped.
std::shared_ptr<Peer> connect_tcp(boost::asio::io_context& io, const std::string& host, uint16_t port,
                                  PeerSetup setup);

}  // namespace net
