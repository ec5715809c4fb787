// `bee dht bootstrap`, `bee dht lookup`, `bee dht connect` and `bee relay`: a HyperDHT routing/storage
// node to bootstrap a private network from (tests, a LAN without internet), one LOOKUP of
// a topic, as `hyperdht`'s `dht.lookup()` does it, and one connection to a peer by its
// public key (net::connect::DhtPeer), reporting the path it took, and a blind relay
// (net::connect::BlindRelayServer) for peers that cannot reach each other. All run on an EventLoop,
// so no Asio header is included here. See docs/cli.md "bee dht".
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bee/cli/command.hpp"
#include "bee/cli/db_store.hpp"
#include "bee/cli/json_out.hpp"
#include "bee/cli/net_common.hpp"
#include "net/connect/blind_relay_server.hpp"
#include "net/connect/dht_peer.hpp"
#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "net/transport/event_loop.hpp"
#include "net/swarm/swarm.hpp"

namespace bee::cli {

namespace {

using hypercore::to_hex;
using Clock = std::chrono::steady_clock;

// The --bootstrap values (repeatable, each maybe comma-separated); `fallback` when none.
std::expected<std::vector<net::dht::Ipv4Address>, std::string> bootstrap_option(
    const Invocation& inv, const std::vector<std::string>& fallback) {
  std::vector<std::string> items;
  for (const auto& [name, value] : inv.repeated) {
    if (name != "bootstrap") continue;
    size_t start = 0;
    while (true) {
      size_t comma = value.find(',', start);
      items.push_back(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (items.empty()) items = fallback;
  std::vector<net::dht::Ipv4Address> out;
  for (const auto& item : items) {
    auto a = net::dht::Ipv4Address::parse(item);
    if (!a || a->port == 0) {
      return std::unexpected("--bootstrap needs IPV4:PORT (or IPV4@NAME:PORT), got '" + item + "'");
    }
    out.push_back(*a);
  }
  return out;
}

// ---------------------------------------------------------------- bootstrap

int run_bootstrap(const Invocation& inv) {
  std::string host = inv.args.value("host").value_or("127.0.0.1");
  auto parsed_host = net::dht::Ipv4Address::parse_host(host);
  if (!parsed_host) return usage_error(inv, "--host needs an IPv4 address, got '" + host + "'");
  if (*parsed_host == std::array<uint8_t, 4>{0, 0, 0, 0}) {
    return usage_error(inv, "--host must be the address peers reach (its id is derived from it), not 0.0.0.0");
  }
  auto port_text = inv.args.value("port");
  if (!port_text) return usage_error(inv, "missing --port PORT (0: any free port)");
  auto port = parse_port(*port_text);
  if (!port) return usage_error(inv, "--port needs a number from 0 to 65535");
  std::optional<uint64_t> seconds;
  if (auto v = inv.args.value("seconds")) {
    seconds = parse_uint(*v);
    if (!seconds || *seconds == 0) return usage_error(inv, "--seconds needs a positive number");
  }
  auto bootstrap = bootstrap_option(inv, {});
  if (!bootstrap) return usage_error(inv, bootstrap.error());

  net::EventLoop loop;
  // The id is H(host:port), so the port must be known before the node exists: with --port 0,
  // take a free one from a first socket and bind the node there (again if it was taken).
  std::unique_ptr<net::dht::UdpDht> udp;
  for (int attempt = 0; attempt < 5 && !udp; attempt++) {
    uint16_t want = *port;
    if (want == 0) {
      auto probe = net::dht::UdpDht::open(loop, host, 0, {});
      if (!probe) return report_error(inv, probe.error());
      want = (*probe)->server_port();
    }
    net::dht::DhtNodeOptions options;
    options.bootstrap = *bootstrap;
    options.ephemeral = false;
    options.known_address = net::dht::Ipv4Address{*parsed_host, want};
    auto opened = net::dht::UdpDht::open(loop, host, want, options);
    if (opened) {
      udp = std::move(*opened);
    } else if (*port != 0 || attempt == 4) {
      return report_error(inv, opened.error());
    }
  }
  // Persistent from the start: it answers the storage commands (ANNOUNCE, LOOKUP, ...).
  net::dht::HyperDht dht(udp->node());
  udp->node().bootstrap(udp->now());
  udp->reschedule();

  JsonObject info;
  std::string address = host + ":" + std::to_string(udp->server_port());
  info.string("host", host)
      .number("port", udp->server_port())
      .string("bootstrap", address)
      .string("id", to_hex(udp->node().id()));
  print(info.str() + "\n");
  std::fflush(stdout);

  bool stopped = false;
  auto stop = [&] {
    stopped = true;
    udp->close();
    loop.cancel_waits();
    loop.stop();
  };
  loop.on_signals({SIGINT, SIGTERM}, [&](int signal) {
    std::fprintf(stderr, "bee dht bootstrap: signal %d, stopping\n", signal);
    stop();
  });
  if (seconds) loop.after(std::chrono::seconds(*seconds), stop);
  while (!stopped) loop.run_for(std::chrono::hours(1));
  const auto& stats = udp->node().stats();
  std::fprintf(stderr, "bee dht bootstrap: %llu requests, %zu nodes in the table, %llu announces stored\n",
               static_cast<unsigned long long>(stats.requests_received), udp->node().table().size(),
               static_cast<unsigned long long>(dht.store().stats().announces));
  return kExitOk;
}

// ---------------------------------------------------------------- lookup

int run_lookup(const Invocation& inv) {
  const std::string& topic_hex = inv.args.positional()[0];
  auto topic = hypercore::hash_from_hex(topic_hex);
  if (!topic) return usage_error(inv, "TOPIC needs 64 hex digits (32 bytes), got '" + topic_hex + "'");
  auto bootstrap = bootstrap_option(inv, net::swarm::kPublicBootstrap);
  if (!bootstrap) return usage_error(inv, bootstrap.error());
  auto timeout = timeout_option(inv.args, 10000);
  if (!timeout) return usage_error(inv, timeout.error());
  bool json = inv.args.has("json");

  net::EventLoop loop;
  net::dht::DhtNodeOptions options;
  options.bootstrap = *bootstrap;
  options.ephemeral = true;  // a client: asks, stores nothing
  auto udp = net::dht::UdpDht::open(loop, "0.0.0.0", 0, options);
  if (!udp) return report_error(inv, udp.error());
  net::dht::HyperDht dht((*udp)->node());

  auto started = Clock::now();
  std::map<hypercore::PublicKey, std::vector<net::dht::Ipv4Address>> peers;  // first record seen per key
  std::optional<net::dht::QueryResult> result;
  (*udp)->node().bootstrap((*udp)->now(), [&] {
    dht.lookup(
        *topic,
        [&](const net::dht::PeerReply& reply) {
          for (const auto& record : reply.peers) peers.emplace(record.public_key, record.relay_addresses);
        },
        [&](const net::dht::QueryResult& r) {
          result = r;
          loop.stop();
        },
        (*udp)->now());
    (*udp)->reschedule();
  });
  (*udp)->reschedule();
  loop.run_for(std::chrono::milliseconds(*timeout));
  (*udp)->close();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  if (!result && peers.empty()) {
    return transport_error(inv, "request_timeout: the lookup did not finish within " + std::to_string(*timeout) +
                                    " ms (are the bootstrap nodes reachable?)");
  }
  if (json) {
    std::string list = "[";
    for (const auto& [key, relays] : peers) {
      std::string addresses = "[";
      // Separate appends: `"," + std::string` makes g++ 12 warn -Wrestrict (GCC bug 105329).
      for (const auto& a : relays) {
        if (addresses.size() > 1) addresses += ",";
        addresses += json_quote(a.to_string());
      }
      JsonObject peer;
      peer.string("publicKey", to_hex(key)).raw("relayAddresses", addresses + "]");
      if (list.size() > 1) list += ",";
      list += peer.str();
    }
    JsonObject out;
    out.string("topic", to_hex(*topic)).raw("peers", list + "]").number("ms", static_cast<uint64_t>(ms));
    if (result) out.number("nodes", result->successes);
    print(out.str() + "\n");
  } else {
    for (const auto& [key, relays] : peers) {
      std::string line = to_hex(key);
      for (size_t i = 0; i < relays.size(); i++) {
        line += i == 0 ? " " : ",";
        line += relays[i].to_string();
      }
      print(line + "\n");
    }
    std::fprintf(stderr, "bee dht lookup: %zu peer(s) in %lld ms%s\n", peers.size(), static_cast<long long>(ms),
                 result ? "" : " (timed out before the lookup finished)");
  }
  return kExitOk;
}

// ---------------------------------------------------------------- connect

int run_connect(const Invocation& inv) {
  const std::string& key_hex = inv.args.positional()[0];
  auto key = hypercore::hash_from_hex(key_hex);
  if (!key) return usage_error(inv, "PUBLICKEY needs 64 hex digits (32 bytes), got '" + key_hex + "'");
  auto bootstrap = bootstrap_option(inv, net::swarm::kPublicBootstrap);
  if (!bootstrap) return usage_error(inv, bootstrap.error());
  std::vector<net::dht::Ipv4Address> hints;
  for (const auto& [name, value] : inv.repeated) {
    if (name != "relay-address") continue;
    auto a = net::dht::Ipv4Address::parse(value);
    if (!a || a->port == 0) return usage_error(inv, "--relay-address needs IPV4:PORT, got '" + value + "'");
    hints.push_back(*a);
  }
  auto timeout = timeout_option(inv.args, 10000);
  if (!timeout) return usage_error(inv, timeout.error());
  bool json = inv.args.has("json");
  // A relayed connection: how long to keep it open for a move to a direct path.
  std::chrono::milliseconds wait_upgrade{0};
  if (auto v = inv.args.value("wait-upgrade")) {
    auto ms = parse_uint(*v);
    if (!ms || *ms > 600000) return usage_error(inv, "--wait-upgrade needs milliseconds from 0 to 600000, got '" + *v + "'");
    wait_upgrade = std::chrono::milliseconds(*ms);
  }
  std::optional<hypercore::PublicKey> relay;
  if (auto r = inv.args.value("relay")) {
    relay = hypercore::hash_from_hex(*r);
    if (!relay) return usage_error(inv, "--relay needs a public key of 64 hex digits, got '" + *r + "'");
  }

  net::EventLoop loop;
  net::connect::DhtPeerOptions options;
  options.relay_through = relay;
  options.punch_beside_relay = !inv.args.has("relay-only");
  for (const auto& b : *bootstrap) options.bootstrap.push_back(b.to_string());
  options.host = inv.args.value("host").value_or("0.0.0.0");
  options.handshake_timeout = std::chrono::milliseconds(*timeout);
  auto started = Clock::now();
  std::unique_ptr<net::connect::DhtPeer> dht;
  std::optional<std::string> failure;
  std::optional<net::connect::ConnectInfo> info;
  std::optional<Clock::time_point> open_at;
  uint64_t responses_before = 0;
  std::shared_ptr<net::Peer> connection;
  std::optional<net::connect::ConnectInfo> upgraded;
  std::optional<Clock::time_point> upgraded_at;
  net::PeerSetup setup;
  // The peer's first bytes (its secret-stream header) prove the UDX path both ways. A
  // relayed connection stays open up to --wait-upgrade for a move to a direct path.
  setup.handlers.on_event = [&](net::Peer& peer, const net::SessionEvent& event) {
    if (event.core == net::SessionEvent::kSessionEvent && event.event.kind == net::ReplicatorEvent::Kind::connected &&
        !open_at) {
      open_at = Clock::now();
      const bool wait = info && info->path == net::connect::ConnectPath::relay && !upgraded && wait_upgrade.count() > 0;
      if (!wait) {
        peer.close();
        return;
      }
      loop.after(wait_upgrade, [&] {
        if (connection) connection->close();
      });
    }
  };
  options.on_upgrade = [&](const net::connect::ConnectInfo& i) {
    upgraded = i;
    upgraded_at = Clock::now();
    if (open_at && connection) connection->close();
  };
  setup.handlers.on_close = [&](net::Peer&, const std::optional<net::TransportError>& error) {
    if (!open_at && !failure) failure = error ? error->to_string() : "closed before the peer's first bytes";
    loop.stop();
  };
  auto opened = net::connect::DhtPeer::open(loop.context(), options, [&] {
    responses_before = dht->udp().node().stats().responses_received;
    dht->connect(*key, hints, setup, [&](net::TransportResult<std::shared_ptr<net::Peer>> peer,
                                         const net::connect::ConnectInfo& i) {
      info = i;
      if (!peer) {
        failure = peer.error().to_string();
        loop.stop();
        return;
      }
      connection = *peer;
    });
  });
  if (!opened) return report_error(inv, opened.error());
  dht = std::move(*opened);
  // A relayed connection may take the relay's pairing time (15 s) on top of the handshake.
  const auto limit = std::chrono::milliseconds(*timeout) * 2 +
                     (relay ? options.relay_timeout : std::chrono::milliseconds(0)) + wait_upgrade;
  loop.after(limit, [&] {
    if (!failure && !open_at) failure = "request_timeout: no connection within " + std::to_string(limit.count()) + " ms";
    loop.stop();
  });
  loop.run_for(limit + std::chrono::seconds(1));
  uint64_t responses = dht->udp().node().stats().responses_received - responses_before;
  dht->close();
  if (!open_at) {
    return transport_error(inv, failure.value_or("no connection"));
  }
  auto ms = [&](Clock::time_point t) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(t - started).count());
  };
  const char* path = net::connect::path_name(info->path);
  if (json) {
    JsonObject out;
    out.string("publicKey", to_hex(*key))
        .string("path", path)
        .string("remote", info->remote)
        .string("relay", info->relay)
        .number("handshakes", info->handshakes_sent)
        .number("dhtRoundTrips", responses)
        .number("handshakeMs", static_cast<uint64_t>(info->elapsed.count()))
        .number("openMs", ms(*open_at));
    if (upgraded) {
      out.string("upgradedPath", net::connect::path_name(upgraded->path))
          .string("upgradedRemote", upgraded->remote)
          .number("upgradeMs", ms(*upgraded_at));
    }
    print(out.str() + "\n");
  } else {
    print("connected to " + to_hex(*key) + "\n  path " + path + ": " + info->remote + "\n  handshake through " +
          info->relay + " (" + std::to_string(info->handshakes_sent) + " relay(s) asked, " +
          std::to_string(responses) + " DHT round trips)\n  handshake reply after " +
          std::to_string(info->elapsed.count()) + " ms, the peer's first bytes after " +
          std::to_string(ms(*open_at)) + " ms\n");
    if (upgraded) {
      print("  moved to " + std::string(net::connect::path_name(upgraded->path)) + ": " + upgraded->remote + " after " +
            std::to_string(ms(*upgraded_at)) + " ms (the relay connection closed)\n");
    } else if (info->path == net::connect::ConnectPath::relay && wait_upgrade.count() > 0) {
      print("  stayed on the relay: no direct path within " + std::to_string(wait_upgrade.count()) + " ms\n");
    }
  }
  return kExitOk;
}

// ---------------------------------------------------------------- relay

int run_relay(const Invocation& inv) {
  std::optional<hypercore::KeyPair> key_pair;
  if (auto hex = inv.args.value("seed")) {
    auto seed = hypercore::hash_from_hex(*hex);
    if (!seed) return usage_error(inv, "--seed needs 64 hex digits (32 bytes), got '" + *hex + "'");
    key_pair = hypercore::KeyPair::from_seed(*seed);
  }
  auto bootstrap = bootstrap_option(inv, net::swarm::kPublicBootstrap);
  if (!bootstrap) return usage_error(inv, bootstrap.error());
  std::optional<uint64_t> seconds;
  if (auto v = inv.args.value("seconds")) {
    seconds = parse_uint(*v);
    if (!seconds || *seconds == 0) return usage_error(inv, "--seconds needs a positive number");
  }
  uint16_t port = 0;
  if (auto v = inv.args.value("port")) {
    auto p = parse_port(*v);
    if (!p) return usage_error(inv, "--port needs a number from 0 to 65535");
    port = *p;
  }
  bool json = inv.args.has("json");

  net::EventLoop loop;
  net::connect::DhtPeerOptions options;
  for (const auto& b : *bootstrap) options.bootstrap.push_back(b.to_string());
  options.host = inv.args.value("host").value_or("0.0.0.0");
  options.port = port;
  const hypercore::KeyPair keys = key_pair.value_or(hypercore::KeyPair::random());
  std::unique_ptr<net::connect::DhtPeer> dht;
  std::shared_ptr<net::connect::BlindRelayServer> relay;
  auto opened = net::connect::DhtPeer::open(loop.context(), options, [&] {
    relay = net::connect::BlindRelayServer::start(*dht, keys);
  });
  if (!opened) return report_error(inv, opened.error());
  dht = std::move(*opened);
  // The key is known before the announcement lands; peers find it once announced.
  if (json) {
    JsonObject out;
    out.string("publicKey", to_hex(keys.public_key)).number("port", dht->port());
    print(out.str() + "\n");
  } else {
    print(to_hex(keys.public_key) + "\n");
  }
  std::fflush(stdout);

  bool stopped = false;
  auto stop = [&] {
    stopped = true;
    if (relay) relay->close();
    dht->close();
    loop.cancel_waits();
    loop.stop();
  };
  loop.on_signals({SIGINT, SIGTERM}, [&](int signal) {
    std::fprintf(stderr, "bee relay: signal %d, stopping\n", signal);
    stop();
  });
  if (seconds) loop.after(std::chrono::seconds(*seconds), stop);
  net::connect::BlindRelayStats stats;
  while (!stopped) {
    loop.run_for(std::chrono::seconds(1));
    if (relay) stats = relay->stats();
  }
  std::fprintf(stderr, "bee relay: %llu pairings matched, %llu refused, %llu expired, %llu packets relayed\n",
               static_cast<unsigned long long>(stats.pairings.matched),
               static_cast<unsigned long long>(stats.pairings.refused),
               static_cast<unsigned long long>(stats.pairings.expired),
               static_cast<unsigned long long>(stats.relayed_packets));
  return kExitOk;
}

constexpr OptionSpec kRelayOptions[] = {
    {"seed", "HEX", "derive the relay's key pair from 32 bytes (64 hex digits; default a random key)"},
    {"bootstrap", "IPV4:PORT", "a bootstrap node (repeatable; default the public HyperDHT ones)"},
    {"host", "IPV4", "address to bind (default 0.0.0.0)"},
    {"port", "PORT", "UDP port of the DHT server socket (default 0: any free port)"},
    {"seconds", "N", "stop after N seconds (default: until SIGINT or SIGTERM)"},
    {"json", "", "print one JSON line {publicKey, port} instead of the bare key"},
};

constexpr OptionSpec kBootstrapOptions[] = {
    {"host", "IPV4", "address to bind and to derive the node id from (default 127.0.0.1)"},
    {"port", "PORT", "UDP port (required; 0: any free port)"},
    {"bootstrap", "IPV4:PORT", "other nodes to join (repeatable; default none: the first node of a network)"},
    {"seconds", "N", "stop after N seconds (default: until SIGINT or SIGTERM)"},
};
constexpr std::string_view kLookupOperands[] = {"TOPIC"};
constexpr OptionSpec kLookupOptions[] = {
    {"bootstrap", "IPV4:PORT", "a bootstrap node (repeatable; default the public HyperDHT ones)"},
    {"timeout", "MS", "give up after MS milliseconds (default 10000)"},
    {"json", "", "print one JSON object {topic, peers: [{publicKey, relayAddresses}], ms, nodes}"},
};

constexpr std::string_view kConnectOperands[] = {"PUBLICKEY"};
constexpr OptionSpec kConnectOptions[] = {
    {"bootstrap", "IPV4:PORT", "a bootstrap node (repeatable; default the public HyperDHT ones)"},
    {"relay-address", "IPV4:PORT", "send the handshake here too (repeatable): a relay from the peer's record"},
    {"host", "IPV4", "address to bind (default 0.0.0.0)"},
    {"timeout", "MS", "give up on the handshake after MS milliseconds (default 10000)"},
    {"relay", "PUBLICKEY", "a blind relay (`bee relay`) to connect through when no direct path is open"},
    {"relay-only", "", "with --relay: do not try direct paths beside the relay"},
    {"wait-upgrade", "MS", "keep a relayed connection up to MS ms for a move to a direct path, and report it"},
    {"json", "", "print one JSON object {publicKey, path, remote, relay, handshakes, dhtRoundTrips, "
                 "handshakeMs, openMs[, upgradedPath, upgradedRemote, upgradeMs]}"},
};

constexpr Command kDhtCommands[] = {
    {"dht", "bootstrap", {}, "", "run a DHT bootstrap and storage node",
     "Runs a persistent HyperDHT node (dht-rpc routing and the hyperdht storage commands:\n"
     "announce, lookup, mutable and immutable values) on UDP --host:--port, its id derived\n"
     "from that address, so other nodes can bootstrap from it: a private DHT for tests or a\n"
     "network without internet. Prints one JSON line {host, port, bootstrap, id} once bound\n"
     "and runs until SIGINT or SIGTERM, or --seconds.",
     kBootstrapOptions, run_bootstrap},
    {"dht", "lookup", kLookupOperands, "", "print the peers announcing a topic on the DHT",
     "Bootstraps an ephemeral client from --bootstrap, runs one LOOKUP query for TOPIC (64\n"
     "hex digits: for a bee, its discovery key) and prints each peer found, one line\n"
     "'PUBLICKEY ADDRESS[,ADDRESS...]' (its record's relay addresses: give them to `bee dht\n"
     "connect --relay-address`), or one JSON object with --json. No peer is not an error; a\n"
     "lookup that gets no answer within --timeout is (request_timeout).",
     kLookupOptions, run_lookup},
    {"dht", "connect", kConnectOperands, "", "connect to a peer by public key and print the path taken",
     "Connects to the HyperDHT peer (a Node Hyperswarm app, `bee serve --swarm`, ...) whose\n"
     "Noise public key is PUBLICKEY, as hyperdht's connect() does: FIND_PEER for the nodes\n"
     "holding its announcement (and any --relay-address), the Noise IK handshake through them,\n"
     "then a UDX stream and the secret stream. Prints the path (direct, open_server,\n"
     "relayed_address, holepunch, relay), the address, the relay, the DHT round trips and the times, then\n"
     "closes. The first thing to run when two peers do not see each other. Fails with\n"
     "connect_failed (not found, refused) or handshake_timeout.",
     kConnectOptions, run_connect},
};

constexpr Command kRelayCommands[] = {
    {"", "relay", {}, "", "run a blind relay for HyperDHT peers and print its public key",
     "Runs a blind relay (Hyperswarm's relayThrough, the blind-relay protocol) on the HyperDHT:\n"
     "listens on its key pair (--seed, or a random one), prints the public key (with --json\n"
     "{publicKey, port}) and pairs connections that present the same token, relaying their\n"
     "UDX streams to each other. It sees only encrypted bytes. Peers use it with `bee dht\n"
     "connect --relay KEY`, or Hyperswarm's relayThrough option. Runs until SIGINT or SIGTERM,\n"
     "or --seconds, then prints its counters on stderr.",
     kRelayOptions, run_relay},
};

}  // namespace

std::span<const Command> dht_commands() { return kDhtCommands; }
std::span<const Command> relay_commands() { return kRelayCommands; }

}  // namespace bee::cli
