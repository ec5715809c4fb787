#include "net/remote/peer_source.hpp"

#include <charconv>

namespace net {

hypercore::Result<PeerSource> parse_peer_source(std::string_view text) {
  std::string_view rest = text;
  constexpr std::string_view kWs = "ws://";
  bool websocket = rest.starts_with(kWs);
  if (websocket) rest.remove_prefix(kWs.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  size_t colon = rest.rfind(':');
  unsigned port = 0;
  bool ok = colon != std::string_view::npos && colon > 0 && colon + 1 < rest.size();
  if (ok) {
    auto digits = rest.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    ok = ec == std::errc() && end == digits.data() + digits.size() && port > 0 && port <= 65535;
  }
  if (!ok) {
    return hypercore::fail(hypercore::errc::invalid_argument,
                           "a peer is HOST:PORT or ws://HOST:PORT, got '" + std::string(text) + "'");
  }
  std::string host(rest.substr(0, colon));
  if (websocket) return PeerSource(WebSocketPeer{host, static_cast<uint16_t>(port)});
  return PeerSource(TcpPeer{host, static_cast<uint16_t>(port)});
}

std::string to_string(const PeerSource& source) {
  if (const auto* tcp = std::get_if<TcpPeer>(&source)) return tcp->host + ":" + std::to_string(tcp->port);
  if (const auto* ws = std::get_if<WebSocketPeer>(&source)) {
    return "ws://" + ws->host + ":" + std::to_string(ws->port);
  }
  switch (std::get<SwarmDiscovery>(source).mode) {
    case swarm::DiscoveryMode::lan: return "the LAN (mDNS)";
    case swarm::DiscoveryMode::dht: return "the DHT";
    case swarm::DiscoveryMode::both: return "the LAN (mDNS) or the DHT";
  }
  return "the swarm";
}

}  // namespace net
