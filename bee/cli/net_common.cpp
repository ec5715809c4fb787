#include "bee/cli/net_common.hpp"

#include <cstdio>
#include <optional>

#include "bee/cli/db_store.hpp"
#include "hypercore/core.hpp"
#include "net/event_loop.hpp"
#include "net/swarm_discovery.hpp"

namespace bee::cli {

std::optional<uint16_t> parse_port(const std::string& text) {
  auto v = parse_uint(text);
  if (!v || *v > 65535) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

std::expected<PeerAddress, std::string> peer_option(const ParsedArgs& args) {
  auto text = args.value("peer");
  if (!text) return std::unexpected("missing --peer HOST:PORT");
  auto colon = text->rfind(':');
  std::optional<uint16_t> port;
  if (colon != std::string::npos) port = parse_port(text->substr(colon + 1));
  if (colon == std::string::npos || colon == 0 || !port || *port == 0) {
    return std::unexpected("--peer needs HOST:PORT, got '" + *text + "'");
  }
  return PeerAddress{text->substr(0, colon), *port};
}

std::expected<uint64_t, std::string> timeout_option(const ParsedArgs& args, uint64_t default_ms) {
  auto text = args.value("timeout");
  if (!text) return default_ms;
  // Bounded so that deadlines computed from it cannot overflow a clock (~24.8 days).
  constexpr uint64_t kMaxMs = (uint64_t{1} << 31) - 1;
  auto parsed = parse_uint(*text);
  if (!parsed || *parsed == 0 || *parsed > kMaxMs) {
    return std::unexpected("--timeout needs a number of milliseconds from 1 to " + std::to_string(kMaxMs));
  }
  return *parsed;
}

std::expected<SwarmChoice, std::string> swarm_option(const ParsedArgs& args) {
  SwarmChoice choice{args.has("swarm"), args.has("lan")};
  if (!choice.swarm) {
    if (choice.lan) return std::unexpected("--lan needs --swarm");
    if (args.has("bootstrap")) return std::unexpected("--bootstrap needs --swarm");
    return choice;
  }
  if (args.has("peer")) return std::unexpected("--swarm finds the peer by the key: do not give --peer as well");
  if (auto list = args.value("bootstrap")) {
    // HOST:PORT[,HOST:PORT...]; an empty list is valid (no bootstrap node).
    size_t start = 0;
    while (start < list->size()) {
      size_t comma = list->find(',', start);
      std::string item = list->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      auto colon = item.rfind(':');
      auto port = colon == std::string::npos ? std::nullopt : parse_port(item.substr(colon + 1));
      if (colon == std::string::npos || colon == 0 || !port || *port == 0) {
        return std::unexpected("--bootstrap needs HOST:PORT[,HOST:PORT...], got '" + item + "'");
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    // The bootstrap nodes are the DHT's: with --lan alone they would be silently unused.
    if (choice.lan) return std::unexpected("--bootstrap configures the DHT; --lan alone needs no bootstrap node");
  }
  return choice;
}

std::string dht_unsupported(const SwarmChoice& choice) {
  if (choice.swarm && !choice.lan) return "unsupported: DHT discovery is not implemented yet; use --lan";
  return "";
}

std::expected<PeerAddress, std::string> find_lan_peer(net::EventLoop& loop, hypercore::ByteSpan topic,
                                                      std::chrono::milliseconds timeout) {
  std::optional<PeerAddress> found;
  net::swarm::DiscoveryHandlers handlers;
  handlers.found = [&](hypercore::ByteSpan, const net::swarm::DiscoveredPeer& peer) {
    if (found || peer.addresses.empty() || peer.port == 0) return;
    const auto& a = peer.addresses.front();
    found = PeerAddress{std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." +
                            std::to_string(a[3]),
                        peer.port};
    loop.stop();
  };
  // Lookup only: our key is a throwaway (nothing is announced, no port).
  net::swarm::MdnsDiscoveryOptions options;
  options.public_key = hypercore::KeyPair::random().public_key;
  auto discovery = net::swarm::open_mdns_discovery(loop.context(), options, std::move(handlers));
  if (!discovery) return std::unexpected(discovery.error().to_string());
  if (auto joined = (*discovery)->join(topic, {.announce = false, .lookup = true}); !joined) {
    return std::unexpected(joined.error().to_string());
  }
  loop.run_for(timeout);
  (*discovery)->close();
  if (!found) {
    return std::unexpected("request_timeout: no peer announcing discovery key " + hypercore::to_hex(topic) +
                           " found on the LAN (mDNS) within " + std::to_string(timeout.count()) + " ms");
  }
  return *found;
}

int transport_error(const Invocation& inv, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", inv.name.c_str(), message.c_str());
  return kExitFailure;
}

}  // namespace bee::cli
