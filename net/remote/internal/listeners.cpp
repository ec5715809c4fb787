#include "net/remote/internal/listeners.hpp"

#include "net/transport/tcp_transport.hpp"
#include "net/transport/websocket_transport.hpp"

namespace net::internal {

uint16_t Listeners::port() const { return swarm ? swarm->port() : tcp ? tcp->port() : 0; }

std::optional<uint16_t> Listeners::websocket_port() const {
  return websocket ? std::optional<uint16_t>(websocket->port()) : std::nullopt;
}

std::optional<hypercore::PublicKey> Listeners::swarm_key() const {
  return swarm ? std::optional<hypercore::PublicKey>(swarm->public_key()) : std::nullopt;
}

size_t Listeners::peer_count() const {
  return (swarm ? swarm->connection_count() : tcp ? tcp->peer_count() : 0) + (websocket ? websocket->peer_count() : 0);
}

void Listeners::stop() {
  if (tcp) tcp->stop();
  if (swarm) swarm->close();
  if (websocket) websocket->stop();
}

hypercore::Result<Listeners> open_listeners(boost::asio::io_context& io, ListenerOptions options) {
  Listeners l;
  auto listen_failed = [](const TransportError& e) {
    return hypercore::fail(hypercore::errc::io_error, "listen: " + e.to_string());
  };
  if (options.swarm) {
    swarm::SwarmOptions so;
    so.mode = options.swarm->mode;
    so.bootstrap = options.swarm->bootstrap;
    so.relay_through = options.swarm->relay_through;
    so.interfaces = options.swarm->interfaces;
    so.mdns_port = options.swarm->mdns_port;
    so.host = options.host;
    so.port = options.port;
    so.setup = options.setup;
    so.on_event = [on_event = options.on_swarm_event](const swarm::SwarmEvent& e) {
      using Kind = swarm::SwarmEvent::Kind;
      if (on_event && (e.kind == Kind::peer_found || e.kind == Kind::peer_gone || e.kind == Kind::peer_rejected)) {
        on_event(e);
      }
    };
    HC_TRY(opened, swarm::Swarm::open(io, std::move(so)));
    l.swarm = std::move(opened);
    // Servers of one topic meet each other too (the swarm's planner has the lower key dial,
    // so both sides look up).
    HC_CHECK(l.swarm->join(options.topic, {.announce = true, .lookup = true}));
  } else if (options.tcp) {
    ServerOptions so;
    so.host = options.host;
    so.port = options.port;
    so.setup = options.setup;
    auto listening = listen_tcp(io, std::move(so));
    if (!listening) return listen_failed(listening.error());
    l.tcp = std::move(*listening);
  }
  if (options.websocket_port) {
    ServerOptions so;
    so.host = options.host;
    so.port = *options.websocket_port;
    so.setup = options.setup;
    auto listening = listen_websocket(io, std::move(so));
    if (!listening) return listen_failed(listening.error());
    l.websocket = std::move(*listening);
  }
  return l;
}

}  // namespace net::internal
