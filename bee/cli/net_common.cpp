#include "bee/cli/net_common.hpp"

#include <cstdio>
#include <optional>

#include "bee/cli/db_store.hpp"
#include "hypercore/core.hpp"
#include "net/connect/dht_peer.hpp"
#include "net/transport/event_loop.hpp"
#include "net/dht/address.hpp"
#include "net/remote/peer_source.hpp"
#include "net/swarm/swarm.hpp"
#include "net/swarm/swarm_discovery.hpp"

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

std::expected<SwarmChoice, std::string> swarm_option(const Invocation& inv) {
  const ParsedArgs& args = inv.args;
  SwarmChoice choice;
  choice.swarm = args.has("swarm");
  choice.lan = args.has("lan");
  std::vector<std::string> lists;
  for (const auto& [name, value] : inv.repeated) {
    if (name == "bootstrap") lists.push_back(value);
  }
  if (auto v = args.value("bootstrap")) lists.push_back(*v);
  auto relay = args.value("relay");
  if (!choice.swarm) {
    if (choice.lan) return std::unexpected("--lan needs --swarm");
    if (!lists.empty()) return std::unexpected("--bootstrap needs --swarm");
    if (relay) return std::unexpected("--relay needs --swarm");
    return choice;
  }
  if (args.has("peer")) return std::unexpected("--swarm finds the peer by the key: do not give --peer as well");
  for (const auto& list : lists) {
    // HOST:PORT[,HOST:PORT...]
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      auto address = net::dht::Ipv4Address::parse(item);
      if (!address || address->port == 0) {
        return std::unexpected("--bootstrap needs IPV4:PORT (or IPV4@NAME:PORT), got '" + item + "'");
      }
      choice.bootstrap.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  choice.dht = !choice.lan || !choice.bootstrap.empty();
  if (choice.dht && choice.bootstrap.empty()) choice.bootstrap = net::swarm::kPublicBootstrap;
  if (relay) {
    if (!choice.dht) return std::unexpected("--relay is for DHT connections: not with --lan alone");
    choice.relay_through = hypercore::hash_from_hex(*relay);
    if (!choice.relay_through) return std::unexpected("--relay needs a public key of 64 hex digits, got '" + *relay + "'");
  }
  return choice;
}

net::SwarmDiscovery swarm_discovery(const SwarmChoice& choice) {
  net::SwarmDiscovery d;
  d.mode = swarm_mode(choice);
  d.bootstrap = choice.bootstrap;
  d.relay_through = choice.relay_through;
  return d;
}

std::expected<ConnectChoice, std::string> connect_option(const Invocation& inv) {
  ConnectChoice out;
  auto swarm = swarm_option(inv);
  if (!swarm) return std::unexpected(swarm.error());
  out.swarm = std::move(*swarm);
  if (!out.swarm.swarm) {
    auto given = peer_option(inv.args);
    if (!given) return std::unexpected(given.error());
    out.peer = std::move(*given);
  }
  out.websocket = inv.args.has("websocket");
  if (out.websocket && out.swarm.swarm) return std::unexpected("--websocket needs --peer (--swarm connects over TCP)");
  return out;
}

std::string swarm_mode_name(const SwarmChoice& choice) {
  if (choice.lan && choice.dht) return "both";
  return choice.dht ? "dht" : "lan";
}

net::swarm::DiscoveryMode swarm_mode(const SwarmChoice& choice) {
  if (choice.lan && choice.dht) return net::swarm::DiscoveryMode::both;
  return choice.dht ? net::swarm::DiscoveryMode::dht : net::swarm::DiscoveryMode::lan;
}

std::string SwarmPeer::where() const {
  std::string text;
  if (address) {
    text.append("at ").append(address->host).append(":").append(std::to_string(address->port));
    return text;
  }
  text.append("by key ").append(hypercore::to_hex(key));
  if (!relays.empty()) text.append(" (via ").append(relays.front().to_string()).append(")");
  return text;
}

std::expected<SwarmPeer, std::string> find_swarm_peer(net::EventLoop& loop, hypercore::ByteSpan topic,
                                                      const SwarmChoice& choice, std::chrono::milliseconds timeout) {
  std::optional<SwarmPeer> found;
  std::shared_ptr<net::swarm::DhtDiscoverySource> dht;
  auto handlers = [&] {
    net::swarm::DiscoveryHandlers h;
    h.found = [&](hypercore::ByteSpan, const net::swarm::DiscoveredPeer& peer) {
      if (found) return;
      SwarmPeer p;
      if (peer.dht) {
        p.key = peer.key;
        p.relays = peer.relays;
        p.dht = dht;
      } else {
        if (peer.addresses.empty() || peer.port == 0) return;
        const auto& a = peer.addresses.front();
        p.address = PeerAddress{std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) +
                                    "." + std::to_string(a[3]),
                                peer.port};
      }
      found = std::move(p);
      loop.stop();
    };
    return h;
  };
  // Lookup only: our key is a throwaway (nothing is announced, nothing listens).
  auto keys = hypercore::KeyPair::random();
  std::vector<net::swarm::DiscoverySource*> sources;
  std::unique_ptr<net::swarm::DiscoverySource> mdns;
  if (choice.dht) {
    net::swarm::DhtDiscoveryOptions options;
    options.bootstrap = choice.bootstrap;
    options.relay_through = choice.relay_through;
    options.key_pair = keys;
    auto discovery = net::swarm::open_dht_discovery(loop.context(), options, handlers());
    if (!discovery) return std::unexpected(discovery.error().to_string());
    dht = std::move(*discovery);
    sources.push_back(dht.get());
  }
  if (choice.lan) {
    net::swarm::MdnsDiscoveryOptions options;
    options.public_key = keys.public_key;
    auto discovery = net::swarm::open_mdns_discovery(loop.context(), options, handlers());
    if (!discovery) return std::unexpected(discovery.error().to_string());
    mdns = std::move(*discovery);
    sources.push_back(mdns.get());
  }
  for (auto* source : sources) {
    if (auto joined = source->join(topic, {.announce = false, .lookup = true}); !joined) {
      return std::unexpected(joined.error().to_string());
    }
  }
  loop.run_for(timeout);
  for (auto* source : sources) source->close();
  if (!found) {
    std::string where = choice.lan && choice.dht ? "on the LAN (mDNS) or the DHT"
                        : choice.dht           ? "on the DHT"
                                               : "on the LAN (mDNS)";
    return std::unexpected("request_timeout: no peer announcing discovery key " + hypercore::to_hex(topic) +
                           " found " + where + " within " + std::to_string(timeout.count()) + " ms");
  }
  // A LAN peer needs no DHT: its sockets go now (the loop could not end with them open).
  if (found->address && dht) dht->peer().close();
  return std::move(*found);
}

int transport_error(const Invocation& inv, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", inv.name.c_str(), message.c_str());
  return kExitFailure;
}

}  // namespace bee::cli
