// `bee query`: one read (get, range or history) on a remote bee, answered by fetching only
// the blocks the read walks (net::RemoteBee) into a sparse replica kept in memory, so no
// directory is involved. It connects (TCP or WebSocket, Noise initiator), waits for the
// remote's signed length (the first `upgraded` event), runs the query at that version and
// prints the result exactly as the local read command prints it on a full copy
// (db_read.hpp). One deadline, --timeout, bounds everything from the connect on (from
// the discovery on with --swarm, which finds the peer by the key's discovery key).
// See docs/cli.md "bee query".
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bee/cli/command.hpp"
#include "bee/cli/db_read.hpp"
#include "bee/cli/db_store.hpp"
#include "bee/cli/json_out.hpp"
#include "bee/cli/net_common.hpp"
#include "hypercore/core.hpp"
#include "hypercore/storage.hpp"
#include "net/event_loop.hpp"
#include "net/remote_bee.hpp"
#include "net/tcp_transport.hpp"
#include "net/websocket_transport.hpp"

namespace bee::cli {

namespace {

using hypercore::Core;
using net::Clock;
using net::ReplicatorEvent;
using namespace std::chrono_literals;

enum class QueryKind { get, range, history };

// What to ask, in stored form (sub prefix and encodings applied).
struct QueryPlan {
  QueryKind kind = QueryKind::get;
  Bytes key;  // get
  Range range;
  HistoryRange history;
};

// Where the run is, for the timeout message.
std::string waiting_for(bool stream_open, net::Peer& peer, bool channel_open, bool have_length,
                        const std::string& where) {
  if (!stream_open) return "connecting to " + where;
  if (!peer.session().handshake_complete()) return "in the Noise handshake with " + where;
  if (!channel_open) return "waiting for the peer to open the core (does it have this key?)";
  if (!have_length) return "waiting for the remote's length";
  return "running the query";
}

// The session of one query: connect, wait for the length, step the query on every event
// of the bee's core, close once it is answered.
struct QueryRun {
  std::shared_ptr<Core> core;
  Bee* bee = nullptr;
  QueryPlan plan;
  std::chrono::milliseconds timeout{0};
  Clock::time_point started;

  std::unique_ptr<net::RemoteBee> remote;
  std::unique_ptr<net::RemoteQuery> query;
  std::optional<Clock::time_point> query_started, query_finished;
  std::optional<net::RemoteQueryError> query_error;
  std::optional<net::TransportError> failure;
  bool stream_open = false;
  bool channel_open = false;
  bool answered = false;
  bool timed_out = false;

  void start_query() {
    net::RemoteQueryOptions options;
    options.deadline = started + timeout;
    switch (plan.kind) {
      case QueryKind::get: query = remote->get(plan.key, options); break;
      case QueryKind::range: query = remote->range(plan.range, options); break;
      case QueryKind::history: query = remote->history(plan.history, options); break;
    }
    query_started = Clock::now();
  }

  void on_event(net::Peer& peer, const net::SessionEvent& e) {
    if (e.core != 0 || answered || query_error) return;
    // Every event of the bee's core goes to the engine, whatever its kind (it picks what
    // it needs: blocks, failures, extension messages).
    remote->on_event(e.event);
    if (e.event.kind == ReplicatorEvent::Kind::opened) channel_open = true;
    if (!query) {
      // The query runs at the remote's signed length: the first upgrade (or a sync of 0
      // from a peer whose bee is empty, which never upgrades).
      bool empty_remote = e.event.kind == ReplicatorEvent::Kind::synced && e.event.value == 0 && core->length() == 0;
      if (e.event.kind != ReplicatorEvent::Kind::upgraded && !empty_remote) return;
      start_query();
    }
    auto state = query->step(Clock::now());
    if (!state) {
      query_error = state.error();
    } else if (*state == net::RemoteQuery::State::done) {
      answered = true;
    } else {
      return;
    }
    query_finished = Clock::now();
    peer.close();
  }
};

std::string milliseconds_text(Clock::duration d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", std::chrono::duration<double, std::milli>(d).count());
  return text;
}

int run_query(const Invocation& inv) {
  const auto& positional = inv.args.positional();
  auto key = hypercore::hash_from_hex(positional[0]);
  if (!key) return usage_error(inv, "KEY needs 64 hex digits (32 bytes), got '" + positional[0] + "'");
  QueryPlan plan;
  const std::string& what = positional[1];
  if (what == "get") {
    plan.kind = QueryKind::get;
  } else if (what == "range") {
    plan.kind = QueryKind::range;
  } else if (what == "history") {
    plan.kind = QueryKind::history;
  } else {
    return usage_error(inv, "the query must be get, range or history, got '" + what + "'");
  }
  size_t arguments = plan.kind == QueryKind::get ? 3 : 2;
  if (positional.size() < arguments) return usage_error(inv, "missing argument K (the key to get)");
  if (positional.size() > arguments) return usage_error(inv, "unexpected argument '" + positional[arguments] + "'");
  if (plan.kind == QueryKind::get) {
    for (const char* name : {"gt", "gte", "lt", "lte", "reverse", "limit"}) {
      if (inv.args.has(name)) return usage_error(inv, std::string("--") + name + " is for range and history, not get");
    }
  }
  auto connect = connect_option(inv);
  if (!connect) return usage_error(inv, connect.error());
  const SwarmChoice& swarm_choice = connect->swarm;
  std::optional<PeerAddress>& peer_address = connect->peer;
  const bool websocket = connect->websocket;
  auto timeout = timeout_option(inv.args, 20000);
  if (!timeout) return usage_error(inv, timeout.error());
  bool with_stats = inv.args.has("stats");
  auto options = db_options(inv);
  if (!options) return usage_error(inv, options.error());
  std::optional<Bytes> natural_key;
  std::optional<DbRange> key_range;
  switch (plan.kind) {
    case QueryKind::get: {
      auto k = natural_from_arg(options->key_encoding, positional[2], "K");
      if (!k) return usage_error(inv, k.error());
      natural_key = std::move(*k);
      break;
    }
    case QueryKind::range: {
      auto r = key_range_option(inv, *options);
      if (!r) return usage_error(inv, r.error());
      key_range = std::move(*r);
      break;
    }
    case QueryKind::history: {
      auto r = history_range_option(inv);
      if (!r) return usage_error(inv, r.error());
      plan.history = *r;
      break;
    }
  }

  // The replica: the remote's key, memory storage, a bee over it (empty until the upgrade).
  auto replica = Core::open_replica(hypercore::make_memory_storage(), *key);
  if (!replica) return report_error(inv, replica.error());
  QueryRun run;
  run.core = std::move(*replica);
  auto opened_with = bee_options();
  if (!opened_with) return report_error(inv, opened_with.error());
  auto bee = Bee::open(run.core, std::move(*opened_with));
  if (!bee) return report_error(inv, bee.error());
  run.bee = bee->get();
  auto db = make_db(**bee, *options);
  if (!db) return report_error(inv, db.error());
  if (natural_key) {
    auto stored = db->encode_key(*natural_key);
    if (!stored) return report_error(inv, stored.error());
    plan.key = std::move(*stored);
  } else if (key_range) {
    auto bounds = db->encode_range(*key_range);
    if (!bounds) return report_error(inv, bounds.error());
    plan.range = std::move(*bounds);
  }
  run.plan = std::move(plan);
  run.timeout = std::chrono::milliseconds(*timeout);
  run.started = Clock::now();

  net::EventLoop loop;
  if (swarm_choice.swarm) {
    auto found = find_swarm_peer(loop, run.core->discovery_key(), swarm_choice, run.timeout);
    if (!found) return transport_error(inv, found.error());
    peer_address = *found;
  }
  // What the discovery left of --timeout.
  auto remaining = std::max(std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                              run.started + run.timeout - Clock::now()));
  net::PeerSetup setup;
  setup.cores = {run.core.get()};
  setup.replicator.live = false;  // one version is queried
  // Our own deadline reports first, naming what it was waiting for.
  setup.transport.handshake_timeout = run.timeout + 1s;
  // Events that arrive without bytes (a block already held) are dispatched on the tick.
  setup.transport.tick_interval = 50ms;
  setup.handlers.on_open = [&](net::Peer& peer) {
    run.stream_open = true;
    run.remote = std::make_unique<net::RemoteBee>(*run.bee, peer.session().replicator(0));
  };
  setup.handlers.on_event = [&](net::Peer& peer, const net::SessionEvent& e) { run.on_event(peer, e); };
  setup.handlers.on_close = [&](net::Peer&, const std::optional<net::TransportError>& error) {
    run.failure = error;
    loop.cancel_waits();
  };
  const std::string where = peer_address->host + ":" + std::to_string(peer_address->port);
  auto peer = websocket ? net::connect_websocket(loop.context(), peer_address->host, peer_address->port, setup)
                        : net::connect_tcp(loop.context(), peer_address->host, peer_address->port, setup);
  std::string timeout_phase;
  loop.after(remaining, [&] {
    if (run.answered || run.query_error) return;
    run.timed_out = true;
    timeout_phase = waiting_for(run.stream_open, *peer, run.channel_open, run.query != nullptr, where);
    peer->stop();
  });
  loop.on_signals({SIGINT, SIGTERM}, [&](int) { peer->stop(); });
  loop.run_for(remaining + 10s);
  auto finished = Clock::now();

  if (!run.answered) {
    if (run.query_error) return transport_error(inv, run.query_error->to_string());
    if (run.timed_out) {
      std::string message = "request_timeout: no answer after " + std::to_string(*timeout) + " ms, " + timeout_phase;
      if (run.query) message += " (" + std::to_string(peer->counters().blocks_down) + " blocks fetched)";
      return transport_error(inv, message);
    }
    if (run.failure) return transport_error(inv, run.failure->to_string());
    return transport_error(inv, "channel_closed: the peer closed the connection before the query was answered");
  }

  // The result, decoded as the local command decodes it.
  std::string out;
  DbDecoder decoder = db->decoder();
  const std::string key_arg = run.plan.kind == QueryKind::get ? positional[2] : std::string();
  std::optional<DbEntry> got;
  switch (run.plan.kind) {
    case QueryKind::get:
      if (const auto& raw = run.query->entry()) {
        auto entry = decoder.entry(*raw);
        if (!entry) return report_error(inv, entry.error());
        got = std::move(*entry);
      }
      break;
    case QueryKind::range:
      for (const auto& raw : run.query->entries()) {
        auto entry = decoder.entry(raw);
        if (!entry) return report_error(inv, entry.error());
        out += entry_line(*entry, *options);
      }
      break;
    case QueryKind::history:
      for (const auto& raw : run.query->history()) {
        auto entry = decoder.entry(raw.entry);
        if (!entry) return report_error(inv, entry.error());
        out += history_line(DbHistoryEntry{raw.type, std::move(*entry)}, *options);
      }
      break;
  }
  int status = kExitOk;
  if (run.plan.kind == QueryKind::get) {
    status = print_get_result(inv, got, *options, key_arg);
  } else {
    print(out);
  }
  if (with_stats && status == kExitOk) {
    const auto& counters = peer->counters();
    const auto& stats = run.query->stats();
    std::string query_ms = milliseconds_text(*run.query_finished - *run.query_started);
    std::string total_ms = milliseconds_text(finished - run.started);
    if (options->json) {
      print(JsonObject()
                .raw("stats", JsonObject()
                                  .number("version", run.query->version())
                                  .number("blocks", counters.blocks_down)
                                  .number("bytes", counters.block_bytes_down)
                                  .number("roundTrips", stats.round_trips)
                                  .raw("ms", query_ms)
                                  .raw("totalMs", total_ms)
                                  .str())
                .str() +
            "\n");
    } else {
      std::fprintf(stderr, "%s: version %llu: %llu blocks (%llu bytes) fetched in %llu round trips, %s ms (%s ms with connecting)\n",
                   inv.name.c_str(), static_cast<unsigned long long>(run.query->version()),
                   static_cast<unsigned long long>(counters.blocks_down),
                   static_cast<unsigned long long>(counters.block_bytes_down),
                   static_cast<unsigned long long>(stats.round_trips), query_ms.c_str(), total_ms.c_str());
    }
  }
  // Queries refer to the engine, which refers to the connection's replicator.
  run.query.reset();
  run.remote.reset();
  return status;
}

constexpr std::string_view kQueryOperands[] = {"KEY", "get|range|history"};
constexpr OptionSpec kQueryOptions[] = {
    {"peer", "HOST:PORT", "the peer serving the bee (required unless --swarm): bee serve, or Node's hypercore"},
    {"swarm", "", "find the peer by KEY's discovery key instead of --peer (DHT unless --lan)"},
    BEE_SWARM_DISCOVERY_OPTIONS,
    {"gt", "K", "range: keys after K; history: seqs after K (negative: from the end)"},
    {"gte", "K", "range: keys from K on; history: seqs from K on"},
    {"lt", "K", "range: keys before K; history: seqs before K"},
    {"lte", "K", "range: keys up to and with K; history: seqs up to K"},
    {"reverse", "", "range: descending key order; history: newest first"},
    {"limit", "N", "at most N entries (range: -1 all, 0 or other negatives none; history: negative all)"},
    {"key-encoding", "ENC", "keys are binary (hex on the command line), utf-8 (default) or json"},
    {"value-encoding", "ENC", "values are binary (hex), utf-8 (default) or json"},
    {"encoding", "ENC", "both encodings at once"},
    {"sub", "NAME", "query the sub-database NAME (repeat for nested subs)"},
    {"sep", "HEX", "separator after each --sub name (default 00)"},
    {"json", "", "print JSON (one entry per line, in the reference's shape)"},
    {"stats", "", "also print blocks and bytes fetched, round trips and milliseconds"},
    {"websocket", "", "connect over WebSocket instead of TCP"},
    {"timeout", "MS", "give up after MS milliseconds, discovery and connecting included (default 20000)"},
};

constexpr Command kQueryCommands[] = {
    {"", "query", kQueryOperands, "K", "run one get, range or history on a remote bee",
     "Connects to --peer HOST:PORT, opens the bee with KEY as a sparse replica in memory (no\n"
     "directory), waits for the remote's length and runs one read at that version, fetching\n"
     "only the blocks it walks:\n"
     "  bee query KEY get K --peer HOST:PORT\n"
     "  bee query KEY range [--gt|--gte K] [--lt|--lte K] [--reverse] [--limit N] --peer ...\n"
     "  bee query KEY history [--gt|--gte SEQ] [--lt|--lte SEQ] [--reverse] [--limit N] --peer ...\n"
     "Prints what 'bee get', 'bee range' or 'bee history' print on a full copy (--json: the\n"
     "same entries). --stats adds the blocks and bytes fetched, round trips and milliseconds:\n"
     "a last JSON line {\"stats\":{...}} with --json, else one line on stderr. A peer that\n"
     "never opens the core (another key) ends as request_timeout after --timeout.\n"
     "With --swarm instead of --peer, the first peer announcing KEY's discovery key (bee serve\n"
     "DIR --swarm ...) is queried: on mDNS with --lan, on the HyperDHT without (--bootstrap).",
     kQueryOptions, run_query},
};

}  // namespace

std::span<const Command> query_commands() { return kQueryCommands; }

}  // namespace bee::cli
