// `bee query`: one read (get, range or history) on a remote bee, answered by fetching only
// the blocks the read walks into a sparse replica kept in memory, so no directory is
// involved. net::RemoteBeeClient does the work: it finds the peer (--peer over TCP or
// WebSocket; --swarm by the key's discovery key), waits for the remote's signed length and
// runs the query at that version. The result prints exactly as the local read command
// prints it on a full copy (db_read.hpp). One deadline, --timeout, bounds everything from
// the start: it is the client's open timeout and the query's deadline.
// See docs/cli.md "bee query".
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
#include "net/transport/event_loop.hpp"
#include "net/remote/remote_bee_client.hpp"

namespace bee::cli {

namespace {

using net::Clock;
using namespace std::chrono_literals;

enum class QueryKind { get, range, history };

// What the query answered, copied out of the RemoteQuery (the client owns it).
struct Answer {
  std::optional<Entry> entry;  // get
  std::vector<Entry> entries;  // range
  std::vector<HistoryEntry> history;
  uint64_t version = 0;
  net::RemoteQueryStats stats;
  net::PeerCounters counters;  // the connection's, when the answer came
  Clock::time_point started, finished;
};

// The one line of a failure, starting with its code: a broken connection (a refused
// connect, a protocol error) under the transport's code, which the client's message starts
// with (remote_bee_client.hpp); anything else as the client's error.
std::string failure_text(const net::RemoteQueryError& error) {
  if (error.cause.category() == net::transport_category()) return error.message;
  return error.to_string();
}

net::PeerSource peer_source(const ConnectChoice& connect) {
  if (connect.swarm.swarm) {
    return swarm_discovery(connect.swarm);
  }
  if (connect.websocket) return net::WebSocketPeer{connect.peer->host, connect.peer->port};
  return net::TcpPeer{connect.peer->host, connect.peer->port};
}

std::string milliseconds_text(Clock::duration d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", std::chrono::duration<double, std::milli>(d).count());
  return text;
}

int run_query(const Invocation& inv) {
  const auto& positional = inv.args.positional();
  auto key = hypercore::hash_from_hex(positional[0]);
  if (!key) return usage_error(inv, "KEY needs 64 hex digits (32 bytes), got '" + positional[0] + "'");
  QueryKind kind = QueryKind::get;
  const std::string& what = positional[1];
  if (what == "get") {
    kind = QueryKind::get;
  } else if (what == "range") {
    kind = QueryKind::range;
  } else if (what == "history") {
    kind = QueryKind::history;
  } else {
    return usage_error(inv, "the query must be get, range or history, got '" + what + "'");
  }
  size_t arguments = kind == QueryKind::get ? 3 : 2;
  if (positional.size() < arguments) return usage_error(inv, "missing argument K (the key to get)");
  if (positional.size() > arguments) return usage_error(inv, "unexpected argument '" + positional[arguments] + "'");
  if (kind == QueryKind::get) {
    for (const char* name : {"gt", "gte", "lt", "lte", "reverse", "limit"}) {
      if (inv.args.has(name)) return usage_error(inv, std::string("--") + name + " is for range and history, not get");
    }
  }
  auto connect = connect_option(inv);
  if (!connect) return usage_error(inv, connect.error());
  auto timeout_ms = timeout_option(inv.args, 20000);
  if (!timeout_ms) return usage_error(inv, timeout_ms.error());
  const auto timeout = std::chrono::milliseconds(*timeout_ms);
  bool with_stats = inv.args.has("stats");
  auto options = db_options(inv);
  if (!options) return usage_error(inv, options.error());
  std::optional<Bytes> natural_key;
  std::optional<DbRange> key_range;
  HistoryRange history_range;
  switch (kind) {
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
      history_range = *r;
      break;
    }
  }
  auto opened_with = bee_options();
  if (!opened_with) return report_error(inv, opened_with.error());

  net::RemoteBeeClientOptions client_options;
  client_options.peer = peer_source(*connect);
  client_options.key = *key;
  client_options.open_timeout = timeout;
  client_options.replicator.live = false;  // one version is queried
  // Events that arrive without bytes (a block already held) are dispatched on the tick.
  client_options.transport.tick_interval = 50ms;
  client_options.bee = std::move(*opened_with);
  const auto started = Clock::now();
  net::RemoteQueryOptions query_options;
  query_options.deadline = started + timeout;

  // In this order so that the Db (over the client's bee) goes first, then the client, then
  // the loop its connection runs on.
  net::EventLoop loop;
  std::shared_ptr<net::RemoteBeeClient> client;
  std::optional<Db> db;
  std::optional<Answer> answer;
  std::optional<net::RemoteQueryError> failure;
  std::optional<hypercore::Error> encoding_failure;
  bool interrupted = false;

  // The query in stored form (sub prefix and encodings applied by the Db).
  auto make_query = [&]() -> hypercore::Result<std::unique_ptr<net::RemoteQuery>> {
    auto made = make_db(client->bee(), *options);
    if (!made) return std::unexpected(made.error());
    db.emplace(std::move(*made));
    switch (kind) {
      case QueryKind::get: {
        auto stored = db->encode_key(*natural_key);
        if (!stored) return std::unexpected(stored.error());
        return client->engine().get(*stored, query_options);
      }
      case QueryKind::range: {
        auto bounds = db->encode_range(*key_range);
        if (!bounds) return std::unexpected(bounds.error());
        return client->engine().range(*bounds, query_options);
      }
      case QueryKind::history: return client->engine().history(history_range, query_options);
    }
    return std::unexpected(hypercore::Error{hypercore::errc::invalid_argument, "unknown query"});
  };
  Clock::time_point query_started;
  auto on_answer = [&](std::expected<void, net::RemoteQueryError> status, net::RemoteQuery& done) {
    if (!status) {
      failure = status.error();
      loop.stop();
      return;
    }
    answer.emplace();
    answer->version = done.version();
    answer->stats = done.stats();
    answer->counters = client->counters();
    answer->started = query_started;
    answer->finished = Clock::now();
    switch (kind) {
      case QueryKind::get: answer->entry = done.entry(); break;
      case QueryKind::range: answer->entries = done.entries(); break;
      case QueryKind::history: answer->history = done.history(); break;
    }
    // A clean close; the loop ends with the connection.
    client->close();
    loop.cancel_waits();
  };
  using Opened = std::expected<std::shared_ptr<net::RemoteBeeClient>, net::RemoteQueryError>;
  net::RemoteBeeClient::open(loop.context(), std::move(client_options), [&](const Opened& opened) {
    if (!opened) {
      failure = opened.error();
      loop.stop();
      return;
    }
    client = *opened;
    auto query = make_query();
    if (!query) {
      encoding_failure = query.error();
      loop.stop();
      return;
    }
    query_started = Clock::now();
    client->run_query(std::move(*query), on_answer);
  });
  loop.on_signals({SIGINT, SIGTERM}, [&](int) {
    interrupted = true;
    loop.stop();
  });
  // The client's deadlines end the run; this bounds a clean close that does not complete.
  loop.run_for(timeout + 10s);
  auto finished = Clock::now();

  if (!answer) {
    if (encoding_failure) return report_error(inv, *encoding_failure);
    if (failure) return transport_error(inv, failure_text(*failure));
    if (interrupted) return transport_error(inv, "stopped: interrupted before the query was answered");
    return transport_error(inv, "request_timeout: no answer after " + std::to_string(*timeout_ms) + " ms");
  }

  // The result, decoded as the local command decodes it.
  std::string out;
  DbDecoder decoder = db->decoder();
  std::optional<DbEntry> got;
  switch (kind) {
    case QueryKind::get:
      if (answer->entry) {
        auto entry = decoder.entry(*answer->entry);
        if (!entry) return report_error(inv, entry.error());
        got = std::move(*entry);
      }
      break;
    case QueryKind::range:
      for (const auto& raw : answer->entries) {
        auto entry = decoder.entry(raw);
        if (!entry) return report_error(inv, entry.error());
        out += entry_line(*entry, *options);
      }
      break;
    case QueryKind::history:
      for (const auto& raw : answer->history) {
        auto entry = decoder.entry(raw.entry);
        if (!entry) return report_error(inv, entry.error());
        out += history_line(DbHistoryEntry{raw.type, std::move(*entry)}, *options);
      }
      break;
  }
  int status = kExitOk;
  if (kind == QueryKind::get) {
    status = print_get_result(inv, got, *options, positional[2]);
  } else {
    print(out);
  }
  if (with_stats && status == kExitOk) {
    const auto& counters = answer->counters;
    std::string query_ms = milliseconds_text(answer->finished - answer->started);
    std::string total_ms = milliseconds_text(finished - started);
    if (options->json) {
      print(JsonObject()
                .raw("stats", JsonObject()
                                  .number("version", answer->version)
                                  .number("blocks", counters.blocks_down)
                                  .number("bytes", counters.block_bytes_down)
                                  .number("roundTrips", answer->stats.round_trips)
                                  .raw("ms", query_ms)
                                  .raw("totalMs", total_ms)
                                  .str())
                .str() +
            "\n");
    } else {
      std::fprintf(stderr, "%s: version %llu: %llu blocks (%llu bytes) fetched in %llu round trips, %s ms (%s ms with connecting)\n",
                   inv.name.c_str(), static_cast<unsigned long long>(answer->version),
                   static_cast<unsigned long long>(counters.blocks_down),
                   static_cast<unsigned long long>(counters.block_bytes_down),
                   static_cast<unsigned long long>(answer->stats.round_trips), query_ms.c_str(), total_ms.c_str());
    }
  }
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
     "DIR --swarm ..., a Node Hyperswarm app) is queried: on mDNS with --lan, on the HyperDHT\n"
     "without (--bootstrap; connected by its key over UDX, as Hyperswarm does).",
     kQueryOptions, run_query},
};

}  // namespace

std::span<const Command> query_commands() { return kQueryCommands; }

}  // namespace bee::cli
