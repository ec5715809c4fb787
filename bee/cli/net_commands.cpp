// `bee serve` and `bee clone`: replication over TCP (and WebSocket). serve is
// net::serve_bee with messages; with --swarm it also announces the discovery key (on mDNS
// with --lan, on the HyperDHT without, both with --lan --bootstrap) and clone finds its
// peer there. The event loop is net::EventLoop, so no Asio header is included here.
// `bee query` is in query_command.cpp and listed here. See docs/cli.md "Replication".
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "bee/cli/command.hpp"
#include "bee/cli/db_store.hpp"
#include "bee/cli/json_out.hpp"
#include "bee/cli/net_common.hpp"
#include "bee/cli/progress.hpp"
#include "bee/messages.hpp"
#include "hypercore/core.hpp"
#include "hypercore/storage.hpp"
#include "net/connect/dht_peer.hpp"
#include "net/remote/bee_server.hpp"
#include "net/swarm/swarm_discovery.hpp"
#include "net/transport/event_loop.hpp"
#include "net/transport/tcp_transport.hpp"
#include "net/transport/websocket_transport.hpp"

namespace bee::cli {

namespace {

using hypercore::Core;
using hypercore::errc;
using hypercore::to_hex;
using namespace std::chrono_literals;

std::string counters_text(const net::PeerCounters& c) {
  return "blocks up " + std::to_string(c.blocks_up) + ", blocks down " + std::to_string(c.blocks_down) +
         ", bytes up " + std::to_string(c.bytes_up) + ", bytes down " + std::to_string(c.bytes_down);
}

// ---------------------------------------------------------------- serve

int run_serve(const Invocation& inv) {
  const std::string& dir = inv.args.positional()[0];
  auto swarm_choice = swarm_option(inv);
  if (!swarm_choice) return usage_error(inv, swarm_choice.error());
  // A LAN announcement of a loopback listener would reach nobody.
  std::string host = inv.args.value("host").value_or(swarm_choice->swarm ? "0.0.0.0" : "127.0.0.1");
  auto port = parse_port(inv.args.value("port").value_or("0"));
  if (!port) return usage_error(inv, "--port needs a number from 0 to 65535");
  std::optional<uint16_t> ws_port;
  if (auto v = inv.args.value("ws-port")) {
    ws_port = parse_port(*v);
    if (!ws_port) return usage_error(inv, "--ws-port needs a number from 0 to 65535");
  }
  std::optional<uint64_t> seconds;
  if (auto v = inv.args.value("seconds")) {
    seconds = parse_uint(*v);
    if (!seconds) return usage_error(inv, "--seconds needs a non-negative integer");
  }

  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return report_error(inv, {errc::not_found, dir + ": no such directory"});
  auto storage = hypercore::open_directory_storage(dir);
  if (!storage) return report_error(inv, storage.error());
  auto core = Core::open(*storage);
  if (!core) return report_error(inv, core.error());

  // The server is the library's (net::serve_bee); this command adds the messages.
  net::EventLoop loop;
  net::BeeServerOptions options;
  options.host = host;
  options.port = *port;
  options.websocket_port = ws_port;
  if (swarm_choice->swarm) {
    options.swarm = swarm_discovery(*swarm_choice);
  }
  // A bee's readers ask for lookup paths with the hyperbee extension; other cores have none.
  bool is_bee = false;
  if ((*core)->length() > 0 && (*core)->has(0)) {
    auto block0 = (*core)->get(0);
    is_bee = block0 && bee::decode_header(*block0).has_value();
  }
  options.extension = is_bee;
  options.on_event = [&](const net::BeeServerEvent& e) {
    using Kind = net::BeeServerEvent::Kind;
    const std::string peer_key = e.peer_key ? to_hex(*e.peer_key) : "?";
    switch (e.kind) {
      case Kind::connected:
        std::fprintf(stderr, "bee serve: peer %s connected\n", e.remote.c_str());
        break;
      case Kind::closed: {
        std::string answered = is_bee ? ", lookups answered " + std::to_string(e.lookups_answered) : "";
        std::fprintf(stderr, "bee serve: peer %s closed (%s; %s%s)\n", e.remote.c_str(),
                     e.error ? e.error->to_string().c_str() : "ok", counters_text(e.counters).c_str(), answered.c_str());
        break;
      }
      case Kind::peer_found:
      case Kind::peer_gone:
        std::fprintf(stderr, "bee serve: %s %s at %s\n", e.kind == Kind::peer_found ? "found" : "lost",
                     peer_key.c_str(), e.remote.c_str());
        break;
      case Kind::peer_rejected:
        std::fprintf(stderr, "bee serve: %s answered as %s, not as the peer we dialled: disconnected\n",
                     e.remote.c_str(), peer_key.c_str());
        break;
    }
  };
  auto server = net::serve_bee(loop.context(), **core, std::move(options));
  if (!server) return report_error(inv, server.error());
  const uint16_t tcp_port = (*server)->port();

  JsonObject info;
  info.string("key", to_hex((*core)->key()))
      .string("discoveryKey", to_hex((*core)->discovery_key()))
      .string("host", host)
      .number("port", tcp_port);
  if (auto ws = (*server)->websocket_port()) {
    info.number("wsPort", *ws);
  } else {
    info.null("wsPort");
  }
  info.number("length", (*core)->length());
  if (auto peer_key = (*server)->swarm_key()) {
    info.string("swarm", swarm_mode_name(*swarm_choice)).string("peerKey", to_hex(*peer_key));
  }
  print(info.str() + "\n");
  std::fflush(stdout);

  auto stop_all = [&] {
    (*server)->stop();
    loop.cancel_waits();
  };
  loop.on_signals({SIGINT, SIGTERM}, [&](int signal) {
    std::fprintf(stderr, "bee serve: signal %d, stopping\n", signal);
    stop_all();
  });
  if (seconds) loop.after(std::chrono::seconds(*seconds), stop_all);
  // Until the servers are stopped and every connection has ended.
  while (!loop.run_for(std::chrono::hours(1))) {
  }
  if (auto closed = (*core)->close(); !closed) return report_error(inv, closed.error());
  return kExitOk;
}

// ---------------------------------------------------------------- clone

int run_clone(const Invocation& inv) {
  const auto& positional = inv.args.positional();
  auto key = hypercore::hash_from_hex(positional[0]);
  if (!key) return usage_error(inv, "KEY needs 64 hex digits (32 bytes), got '" + positional[0] + "'");
  const std::string& dir = positional[1];
  auto connect = connect_option(inv);
  if (!connect) return usage_error(inv, connect.error());
  const SwarmChoice& swarm_choice = connect->swarm;
  std::optional<PeerAddress>& peer_address = connect->peer;
  const bool websocket = connect->websocket;
  bool sparse = inv.args.has("sparse");
  auto timeout = timeout_option(inv.args, 60000);
  if (!timeout) return usage_error(inv, timeout.error());
  uint64_t timeout_ms = *timeout;

  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
    return report_error(inv, {errc::invalid_argument, dir + ": not a directory"});
  }
  auto storage = hypercore::open_directory_storage(dir);
  if (!storage) return report_error(inv, storage.error());
  auto replica = Core::open_replica(*storage, *key);
  if (!replica) return report_error(inv, replica.error());
  Core& core = **replica;

  auto started = std::chrono::steady_clock::now();
  net::EventLoop loop;
  std::optional<SwarmPeer> swarm_peer;
  if (swarm_choice.swarm) {
    // --timeout bounds the discovery too: what it leaves is the clone's.
    auto found =
        find_swarm_peer(loop, core.discovery_key(), swarm_choice, std::chrono::milliseconds(timeout_ms));
    if (!found) {
      (void)core.close();
      return transport_error(inv, found.error());
    }
    const char* where = swarm_choice.lan ? (swarm_choice.dht ? "on the LAN or the DHT" : "on the LAN") : "on the DHT";
    std::fprintf(stderr, "%s: found a peer %s %s\n", inv.name.c_str(), where, found->where().c_str());
    swarm_peer = std::move(*found);
    if (swarm_peer->address) peer_address = *swarm_peer->address;
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  auto remaining = std::max(std::chrono::milliseconds(1), std::chrono::milliseconds(timeout_ms) - elapsed);
  bool done = false;
  bool timed_out = false;
  std::optional<net::TransportError> failure;
  std::optional<Progress> progress;
  // A DHT peer's connection runs on the DhtPeer's sockets: they close with it.
  auto close_dht = [&] {
    if (swarm_peer && swarm_peer->dht) loop.post([dht = swarm_peer->dht] { dht->peer().close(); });
  };

  net::PeerSetup setup;
  setup.cores = {&core};
  setup.replicator.download_all = !sparse;
  setup.handlers.on_event = [&](net::Peer& peer, const net::SessionEvent&) {
    auto remote = peer.session().replicator(0).remote_sync();
    if (!remote || done) return;
    if (!progress) progress.emplace("clone", sparse ? 0 : remote->length);
    progress->update(sparse ? core.length() : core.contiguous_length());
    bool complete = core.length() >= remote->length && (sparse || core.contiguous_length() == core.length());
    if (complete) {
      done = true;
      peer.close();
    }
  };
  setup.handlers.on_close = [&](net::Peer&, const std::optional<net::TransportError>& error) {
    failure = error;
    close_dht();
    loop.cancel_waits();
  };
  std::shared_ptr<net::Peer> peer;
  bool stopping = false;
  auto stop = [&] {
    stopping = true;
    if (peer) peer->stop();
    close_dht();
  };
  if (swarm_peer && !swarm_peer->address) {
    swarm_peer->dht->peer().connect(swarm_peer->key, swarm_peer->relays, setup,
                                    [&](net::TransportResult<std::shared_ptr<net::Peer>> r,
                                        const net::connect::ConnectInfo& info) {
                                      if (r) {
                                        // How it got through (bee dht connect names the paths).
                                        std::fprintf(stderr, "%s: connected by key (%s, %s)\n", inv.name.c_str(),
                                                     net::connect::path_name(info.path), info.remote.c_str());
                                        peer = *r;
                                        if (stopping) peer->stop();
                                        return;
                                      }
                                      failure = r.error();
                                      close_dht();
                                      loop.cancel_waits();
                                    });
  } else {
    const std::string& host = peer_address->host;
    const uint16_t port = peer_address->port;
    peer = websocket ? net::connect_websocket(loop.context(), host, port, setup)
                     : net::connect_tcp(loop.context(), host, port, setup);
  }
  loop.after(remaining, [&] {
    timed_out = true;
    stop();
  });
  loop.on_signals({SIGINT, SIGTERM}, [&](int) { stop(); });
  loop.run_for(remaining + 10s);
  if (progress) progress->finish();
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!done) {
    // What was downloaded is stored: a second clone into DIR continues from there.
    (void)core.close();
    if (timed_out) return transport_error(inv, "request_timeout: not complete after " + std::to_string(timeout_ms) + " ms");
    if (failure) return transport_error(inv, failure->to_string());
    return transport_error(inv, "channel_closed: the peer closed the connection before the clone was complete");
  }
  char seconds_text[32];
  std::snprintf(seconds_text, sizeof seconds_text, "%.3f", seconds);
  const auto counters = peer ? peer->counters() : net::PeerCounters{};
  std::string line = JsonObject()
                         .string("key", to_hex(core.key()))
                         .number("length", core.length())
                         .number("byteLength", core.byte_length())
                         .string("treeHash", to_hex(core.tree_hash()))
                         .number("blocks", counters.blocks_down)
                         .number("bytes", counters.block_bytes_down)
                         .raw("seconds", seconds_text)
                         .str();
  if (auto closed = core.close(); !closed) return report_error(inv, closed.error());
  print(line + "\n");
  return kExitOk;
}

constexpr std::string_view kServeOperands[] = {"DIR"};
constexpr OptionSpec kServeOptions[] = {
    {"host", "ADDR", "address to listen on (default 127.0.0.1)"},
    {"port", "PORT", "TCP port (default 0: any free port)"},
    {"ws-port", "PORT", "also serve over WebSocket on this port (0: any)"},
    {"seconds", "N", "stop after N seconds (default: until SIGINT or SIGTERM)"},
    {"swarm", "", "also announce the discovery key so peers find this log by its key (DHT unless --lan)"},
    BEE_SWARM_DISCOVERY_OPTIONS,
};
constexpr std::string_view kCloneOperands[] = {"KEY", "DIR"};
constexpr OptionSpec kCloneOptions[] = {
    {"peer", "HOST:PORT", "the peer to replicate from (required unless --swarm)"},
    {"swarm", "", "find the peer by KEY's discovery key instead of --peer (DHT unless --lan)"},
    BEE_SWARM_DISCOVERY_OPTIONS,
    {"sparse", "", "download only the signed length (the upgrade), no blocks"},
    {"websocket", "", "connect over WebSocket instead of TCP"},
    {"timeout", "MS", "give up after MS milliseconds, discovery included (default 60000)"},
};

constexpr Command kCommands[] = {
    {"", "serve", kServeOperands, "", "serve the log in DIR to peers over TCP (and WebSocket)",
     "Serves the Hypercore log (or the bee) stored in DIR to every peer that connects, as the\n"
     "Noise responder, over TCP (--port) and optionally WebSocket (--ws-port). Once listening\n"
     "it prints one JSON line {key, discoveryKey, host, port, wsPort, length}; peers are\n"
     "logged on stderr. It stops on SIGINT or SIGTERM, or after --seconds.\n"
     "With --swarm it also announces the log's discovery key (the JSON line adds swarm and\n"
     "peerKey) and connects to other servers of the same key it finds (a replica downloads\n"
     "every block it is missing from them): --swarm --lan on mDNS, --swarm [--bootstrap\n"
     "IPV4:PORT ...] on the HyperDHT, where it is reachable by peerKey through HyperDHT's\n"
     "connect protocol over UDX as a Hyperswarm server is (its UDP socket takes the TCP\n"
     "port's number), both with --lan --bootstrap. It listens on 0.0.0.0 unless --host is given.",
     kServeOptions, run_serve},
    {"", "clone", kCloneOperands, "", "replicate the log with KEY from a peer into DIR",
     "Connects to --peer HOST:PORT (Noise initiator), makes DIR a replica of the log with KEY\n"
     "and downloads every block (with --sparse, only the signed length). Prints one JSON line\n"
     "{key, length, byteLength, treeHash, blocks, bytes, seconds}: blocks and bytes are what\n"
     "this run downloaded. Interrupted or failed clones keep what they verified; running the\n"
     "command again continues. A progress bar is drawn on stderr when it is a terminal.\n"
     "With --swarm instead of --peer, the first peer announcing KEY's discovery key is used\n"
     "(within --timeout): on mDNS with --lan (then over TCP), on the HyperDHT without\n"
     "(--bootstrap; connected by its key over UDX, as Hyperswarm does).",
     kCloneOptions, run_clone},
};

}  // namespace

std::span<const Command> net_commands() {
  static const std::vector<Command> all = [] {
    std::vector<Command> v(std::begin(kCommands), std::end(kCommands));
    for (const auto& c : query_commands()) v.push_back(c);
    return v;
  }();
  return all;
}

}  // namespace bee::cli
