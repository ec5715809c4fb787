// PEER_HANDSHAKE / PEER_HOLEPUNCH at a DHT node (../shared/spec/dht.md §3.2, §3.6), rule for
// rule as hyperdht 6.34.0's lib/router.js: no state is kept; every leg reuses the client's
// tid, so the final response reaches the client's in-flight request. Like the reference
// (its TODO), nothing is rate-limited here: no leg amplifies, each forwards one datagram of
// about the size it received.
#include "net/dht/hyperdht.hpp"

namespace net::dht {

using hypercore::Bytes;

void HyperDht::serve(const hypercore::Hash& target, ConnectServer server) { servers_[target] = std::move(server); }

void HyperDht::unserve(const hypercore::Hash& target) { servers_.erase(target); }

const ConnectServer* HyperDht::server_for(const std::optional<NodeId>& target) const {
  if (!target) return nullptr;
  auto it = servers_.find(*target);
  return it == servers_.end() ? nullptr : &it->second;
}

std::optional<Ipv4Address> HyperDht::route_for(const std::optional<NodeId>& target) {
  if (!target || servers_.contains(*target)) return std::nullopt;  // a served key has no relay
  const ForwardEntry* f = store_.forward(*target);
  if (!f) return std::nullopt;
  return f->relay;
}

void HyperDht::on_peer_handshake(const IncomingRequest& req) {
  if (!req.message.value) {
    relay_stats_.dropped++;
    return;
  }
  auto hs = decode_peer_handshake(*req.message.value);
  if (!hs) {
    relay_stats_.dropped++;
    return;
  }
  if (const ConnectServer* server = server_for(req.message.target)) {
    if (hs->noise.empty() || !server->on_handshake) {
      relay_stats_.dropped++;
      return;
    }
    server->on_handshake(ServerHandshake{req, std::move(*hs)});
    return;
  }
  std::optional<Ipv4Address> relay = route_for(req.message.target);
  switch (hs->mode) {
    case RelayMode::from_client: {
      if (hs->noise.empty()) break;
      if (!relay && !hs->relay_address) {
        // Help the client route: closer nodes, no token (the reference's TODO: route closer).
        relay_stats_.no_route++;
        node_.reply(req, 0, std::nullopt, false, true);
        return;
      }
      Ipv4Address to = hs->relay_address ? *hs->relay_address : *relay;  // the client's hint first
      HandshakeMessage out{RelayMode::from_relay, std::move(hs->noise), req.from, std::nullopt};
      node_.relay(req, encode_peer_handshake(out), to);
      relay_stats_.handshakes_forwarded++;
      return;
    }
    case RelayMode::from_relay: {
      if (!relay || hs->noise.empty()) break;
      HandshakeMessage out{RelayMode::from_second_relay, std::move(hs->noise), hs->peer_address, req.from};
      node_.relay(req, encode_peer_handshake(out), *relay);
      relay_stats_.handshakes_forwarded++;
      return;
    }
    case RelayMode::from_server: {
      if (!hs->peer_address || hs->noise.empty()) break;
      // The client learns the server's address as we saw it.
      HandshakeMessage out{RelayMode::reply, std::move(hs->noise), req.from, std::nullopt};
      node_.reply_to(req, *hs->peer_address, 0, encode_peer_handshake(out), false, false);
      relay_stats_.handshakes_returned++;
      return;
    }
    default: break;
  }
  relay_stats_.dropped++;
}

void HyperDht::on_peer_holepunch(const IncomingRequest& req) {
  if (!req.message.value) {
    relay_stats_.dropped++;
    return;
  }
  auto hp = decode_peer_holepunch(*req.message.value);
  if (!hp) {
    relay_stats_.dropped++;
    return;
  }
  const ConnectServer* server = server_for(req.message.target);
  std::optional<Ipv4Address> relay = route_for(req.message.target);
  // Unlike handshakes, holepunch modes are not split by "is server" (router.js).
  switch (hp->mode) {
    case RelayMode::from_client: {
      if (!hp->peer_address && !relay) break;
      Ipv4Address to = hp->peer_address ? *hp->peer_address : *relay;  // the server as the client's relay saw it
      HolepunchMessage out{RelayMode::from_relay, hp->id, std::move(hp->payload), req.from};
      node_.relay(req, encode_peer_holepunch(out), to);
      relay_stats_.holepunches_forwarded++;
      return;
    }
    case RelayMode::from_relay: {
      if (!server || !server->on_holepunch || !hp->peer_address) break;
      server->on_holepunch(ServerHolepunch{req, std::move(*hp)});
      return;
    }
    case RelayMode::from_server: {
      HolepunchMessage out{RelayMode::reply, hp->id, std::move(hp->payload), req.from};
      // reply({ to: peerAddress }): without one, back to the sender.
      node_.reply_to(req, hp->peer_address.value_or(req.from), 0, encode_peer_holepunch(out), false, false);
      relay_stats_.holepunches_returned++;
      return;
    }
    default: break;
  }
  relay_stats_.dropped++;
}

void HyperDht::reply_handshake(const ServerHandshake& h, Bytes noise, std::optional<Socket> socket) {
  const IncomingRequest& req = h.request;
  switch (h.message.mode) {
    case RelayMode::from_client: {
      HandshakeMessage out{RelayMode::reply, std::move(noise), std::nullopt, std::nullopt};
      node_.reply_to(req, req.from, 0, encode_peer_handshake(out), false, false, socket);
      return;
    }
    case RelayMode::from_relay: {
      HandshakeMessage out{RelayMode::from_server, std::move(noise), h.message.peer_address, std::nullopt};
      node_.relay(req, encode_peer_handshake(out), req.from, socket);
      return;
    }
    case RelayMode::from_second_relay: {
      if (!h.message.relay_address) return;
      HandshakeMessage out{RelayMode::from_server, std::move(noise), h.message.peer_address, std::nullopt};
      node_.relay(req, encode_peer_handshake(out), *h.message.relay_address, socket);
      return;
    }
    default: return;  // the reference answers nothing for other modes
  }
}

void HyperDht::reply_holepunch(const ServerHolepunch& h, Bytes payload, std::optional<Socket> socket) {
  if (h.message.mode != RelayMode::from_relay || !h.message.peer_address) return;
  HolepunchMessage out{RelayMode::from_server, 0, std::move(payload), h.message.peer_address};
  node_.relay(h.request, encode_peer_holepunch(out), h.request.from, socket);
}

}  // namespace net::dht
