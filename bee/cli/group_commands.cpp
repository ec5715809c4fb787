// `bee group ...`: a database many devices write (multi::Group, docs/multiwriter.md) kept
// in a directory: create, join, invite and remove writers, put/get/del/range/history,
// status, and serve/sync with peers (net::multi::start_group_node). See docs/cli.md.
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "bee/cli/command.hpp"
#include "bee/cli/db_store.hpp"
#include "bee/cli/json_out.hpp"
#include "bee/cli/net_common.hpp"
#include "hypercore/id.hpp"
#include "multi/group.hpp"
#include "net/transport/event_loop.hpp"
#include "net/multi/group_node.hpp"

namespace bee::cli {

namespace {

using hypercore::errc;
using hypercore::to_hex;
using multi::Group;

std::string text_of(hypercore::ByteSpan bytes) { return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()); }

std::string op_id_text(const multi::OpId& id) { return to_hex(id.writer) + ":" + std::to_string(id.seq); }

// "WRITERHEX:SEQ" as --merge takes it.
std::optional<multi::OpId> parse_op_id(const std::string& text) {
  auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto writer = hypercore::hash_from_hex(text.substr(0, colon));
  auto seq = parse_uint(text.substr(colon + 1));
  if (!writer || !seq) return std::nullopt;
  return multi::OpId{*writer, *seq};
}

std::optional<hypercore::Hash> key_operand(const std::string& text) { return hypercore::hash_from_hex(text); }

Result<std::unique_ptr<Group>> open_group(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return hypercore::fail(errc::not_found, dir + ": no such directory");
  return Group::open(dir);
}

// Brings the views up to what is held (a rebuild after an upgrade of this tool).
Result<std::unique_ptr<Group>> open_indexed(const std::string& dir) {
  HC_TRY(group, open_group(dir));
  HC_TRY(done, group->catch_up());
  (void)done;
  return group;
}

std::string value_json(const multi::Value& v) {
  JsonObject o;
  if (v.value) {
    o.string("value", text_of(*v.value));
  } else {
    o.null("value");
  }
  return o.string("writer", to_hex(v.id.writer))
      .number("seq", v.id.seq)
      .string("id", op_id_text(v.id))
      .number("hlc", v.hlc.packed)
      .number("time", v.hlc.physical())
      .str();
}

std::string values_json(const std::vector<multi::Value>& values) {
  std::string out = "[";
  // Appended piece by piece: g++ 12 at -O3 warns falsely (-Wrestrict) on "literal" + string.
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ",";
    out += value_json(values[i]);
  }
  return out + "]";
}

// ---------------------------------------------------------------- create / join

int run_create(const Invocation& inv) {
  multi::GroupOptions o;
  if (inv.args.has("multi-value")) o.conflict = multi::Conflict::multi_value;
  if (inv.args.has("open")) o.membership = multi::Membership::open;
  auto group = Group::create(inv.args.positional()[0], o);
  if (!group) return report_error(inv, group.error());
  auto key = (*group)->key();
  if (auto closed = (*group)->close(); !closed) return report_error(inv, closed.error());
  return print_created(inv, key);
}

int run_join(const Invocation& inv) {
  auto key = key_operand(inv.args.positional()[0]);
  if (!key) return usage_error(inv, "KEY needs 64 hex digits, got '" + inv.args.positional()[0] + "'");
  auto group = Group::join(inv.args.positional()[1], *key);
  if (!group) return report_error(inv, group.error());
  auto writer = (*group)->local_writer();
  if (auto closed = (*group)->close(); !closed) return report_error(inv, closed.error());
  if (inv.args.has("json")) {
    print(JsonObject().string("group", to_hex(*key)).string("writer", to_hex(writer)).str() + "\n");
  } else {
    print(to_hex(writer) + "\n");
  }
  return kExitOk;
}

// ---------------------------------------------------------------- writes

int finish_write(const Invocation& inv, Group& group, const multi::OpId& id) {
  if (auto closed = group.close(); !closed) return report_error(inv, closed.error());
  if (inv.args.has("json")) {
    print(JsonObject().string("writer", to_hex(id.writer)).number("seq", id.seq).string("id", op_id_text(id)).str() + "\n");
  } else {
    print(op_id_text(id) + "\n");
  }
  return kExitOk;
}

int run_member_op(const Invocation& inv, bool add) {
  auto device = key_operand(inv.args.positional()[1]);
  if (!device) return usage_error(inv, "DEVICE_KEY needs 64 hex digits, got '" + inv.args.positional()[1] + "'");
  std::optional<uint64_t> from;
  if (auto v = inv.args.value("from")) {
    from = parse_uint(*v);
    if (!from) return usage_error(inv, "--from needs a non-negative integer");
  }
  auto group = open_indexed(inv.args.positional()[0]);
  if (!group) return report_error(inv, group.error());
  auto id = add ? (*group)->add_writer(*device) : (*group)->remove_writer(*device, from);
  if (!id) return report_error(inv, id.error());
  return finish_write(inv, **group, *id);
}

int run_invite(const Invocation& inv) { return run_member_op(inv, true); }
int run_remove(const Invocation& inv) { return run_member_op(inv, false); }

int run_put(const Invocation& inv) {
  const auto& p = inv.args.positional();
  if (p.size() > 3) return usage_error(inv, "unexpected argument '" + p[3] + "'");
  std::optional<std::vector<multi::OpId>> merges;
  for (const auto& [name, value] : inv.repeated) {
    if (name != "merge") continue;
    auto id = parse_op_id(value);
    if (!id) return usage_error(inv, "--merge needs WRITER:SEQ (64 hex digits, a colon, a number), got '" + value + "'");
    if (!merges) merges.emplace();
    merges->push_back(*id);
  }
  auto group = open_indexed(p[0]);
  if (!group) return report_error(inv, group.error());
  std::optional<hypercore::ByteSpan> value;
  if (p.size() == 3) value = hypercore::as_bytes(p[2]);
  auto id = (*group)->put(hypercore::as_bytes(p[1]), value, merges);
  if (!id) return report_error(inv, id.error());
  return finish_write(inv, **group, *id);
}

int run_del(const Invocation& inv) {
  const auto& p = inv.args.positional();
  auto group = open_indexed(p[0]);
  if (!group) return report_error(inv, group.error());
  auto id = (*group)->del(hypercore::as_bytes(p[1]));
  if (!id) return report_error(inv, id.error());
  return finish_write(inv, **group, *id);
}

// ---------------------------------------------------------------- reads

int run_get(const Invocation& inv) {
  const auto& p = inv.args.positional();
  auto group = open_indexed(p[0]);
  if (!group) return report_error(inv, group.error());
  auto values = (*group)->get(hypercore::as_bytes(p[1]));
  if (!values) return report_error(inv, values.error());
  if (inv.args.has("json")) {
    print(JsonObject().string("key", p[1]).raw("values", values_json(*values)).str() + "\n");
    return kExitOk;
  }
  if (values->empty()) return report_error(inv, {errc::not_found, "no key '" + p[1] + "'"});
  std::string out;
  for (const auto& v : *values) out += (v.value ? text_of(*v.value) : "") + "\n";
  print(out);
  return kExitOk;
}

int run_range(const Invocation& inv) {
  multi::KvRange r;
  if (auto v = inv.args.value("gte")) r.gte = hypercore::to_bytes(*v);
  if (auto v = inv.args.value("lt")) r.lt = hypercore::to_bytes(*v);
  r.reverse = inv.args.has("reverse");
  if (auto v = inv.args.value("limit")) {
    auto n = parse_int(*v);
    if (!n) return usage_error(inv, "--limit needs an integer");
    r.limit = *n < 0 ? -1 : *n;
  }
  auto group = open_indexed(inv.args.positional()[0]);
  if (!group) return report_error(inv, group.error());
  auto it = (*group)->range(r);
  if (!it) return report_error(inv, it.error());
  bool json = inv.args.has("json");
  std::string out;
  for (;;) {
    auto kv = it->next();
    if (!kv) return report_error(inv, kv.error());
    if (!*kv) break;
    if (json) {
      out += JsonObject().string("key", text_of((*kv)->key)).raw("values", values_json((*kv)->values)).str() + "\n";
    } else {
      for (const auto& v : (*kv)->values) out += text_of((*kv)->key) + "\t" + (v.value ? text_of(*v.value) : "") + "\n";
    }
  }
  print(out);
  return kExitOk;
}

// The key/value view's own history: every change indexing made to it, in the order this
// device indexed them (which differs between devices; the result does not).
int run_history(const Invocation& inv) {
  int64_t limit = -1;
  if (auto v = inv.args.value("limit")) {
    auto n = parse_int(*v);
    if (!n) return usage_error(inv, "--limit needs an integer");
    limit = *n;
  }
  auto group = open_indexed(inv.args.positional()[0]);
  if (!group) return report_error(inv, group.error());
  auto view = (*group)->view();
  if (!view) return report_error(inv, view.error());
  bee::HistoryRange hr;
  hr.reverse = inv.args.has("reverse");
  auto it = view->history(hr);
  bool json = inv.args.has("json");
  std::string out;
  for (int64_t shown = 0; limit < 0 || shown < limit;) {
    auto e = it.next();
    if (!e) return report_error(inv, e.error());
    if (!*e) break;
    const auto& entry = (*e)->entry;
    if (!multi::is_kv_key(entry.key)) continue;  // the indexer's own records
    std::string key = text_of(hypercore::ByteSpan(entry.key).subspan(3));
    std::vector<multi::Value> values;
    if ((*e)->type == bee::HistoryEntry::Type::put && entry.value) {
      auto decoded = multi::decode_kv_record(*entry.value);
      if (!decoded) return report_error(inv, decoded.error());
      for (auto& v : *decoded) {
        if (!v.tombstone) values.push_back(std::move(v));
      }
    }
    ++shown;
    if (json) {
      out += JsonObject().number("version", entry.seq).string("key", key).raw("values", values_json(values)).str() + "\n";
    } else if (values.empty()) {
      out += std::to_string(entry.seq) + "\tdel\t" + key + "\n";
    } else {
      for (const auto& v : values) {
        out += std::to_string(entry.seq) + "\tput\t" + key + "\t" + (v.value ? text_of(*v.value) : "") + "\n";
      }
    }
  }
  print(out);
  return kExitOk;
}

int run_status(const Invocation& inv) {
  auto group = open_group(inv.args.positional()[0]);
  if (!group) return report_error(inv, group.error());
  auto st = (*group)->status();
  // Keys with several values (multi_value): a full pass over the view.
  uint64_t conflicts = 0, keys = 0;
  if (auto it = (*group)->range(); it) {
    for (;;) {
      auto kv = it->next();
      if (!kv) return report_error(inv, kv.error());
      if (!*kv) break;
      ++keys;
      conflicts += (*kv)->values.size() > 1;
    }
  }
  if (inv.args.has("json")) {
    std::string writers = "[";
    for (size_t i = 0; i < st.writers.size(); ++i) {
      const auto& w = st.writers[i];
      JsonObject o;
      o.string("key", to_hex(w.key)).boolean("local", w.local).boolean("root", w.root).boolean("member", w.member);
      if (w.member) o.number("depth", w.depth);
      if (w.removed_from) {
        o.number("removedFrom", *w.removed_from);
      } else {
        o.null("removedFrom");
      }
      o.number("length", w.length).number("local_blocks", w.contiguous).number("indexed", w.indexed);
      o.number("lag", w.contiguous > w.indexed ? w.contiguous - w.indexed : 0).number("badOps", w.bad_ops);
      if (!w.problem.empty()) o.string("problem", w.problem);
      if (i) writers += ",";
      writers += o.str();
    }
    writers += "]";
    std::string views = "[";
    for (size_t i = 0; i < st.views.size(); ++i) {
      const auto& v = st.views[i];
      if (i) views += ",";
      views += JsonObject()
                                    .string("name", v.name)
                                    .number("version", v.version)
                                    .number("beeVersion", v.bee_version)
                                    .boolean("rebuilding", v.rebuilding)
                                    .number("indexed", v.indexed)
                                    .number("total", v.total)
                                    .str();
    }
    views += "]";
    JsonObject o;
    o.string("key", to_hex(st.key)).string("discoveryKey", to_hex(st.discovery_key)).string("writer", to_hex(st.local_writer));
    o.boolean("rulesKnown", st.rules_known);
    o.string("conflict", multi::conflict_name(st.conflict)).string("membership", multi::membership_name(st.membership));
    o.boolean("writable", st.writable).boolean("caughtUp", st.caught_up);
    o.number("keys", keys).number("conflicts", conflicts).number("clampedStamps", st.clamped_stamps);
    o.number("refusedWriters", st.refused_writers).raw("writers", writers).raw("views", views);
    print(o.str() + "\n");
  } else {
    std::string out;
    out += "group     " + to_hex(st.key) + "\n";
    out += "writer    " + to_hex(st.local_writer) + (st.writable ? " (may write)" : " (may not write)") + "\n";
    out += std::string("rules     ") +
           (st.rules_known ? std::string(multi::conflict_name(st.conflict)) + ", " + multi::membership_name(st.membership)
                           : "unknown until the root's first block is here (sync)") +
           "\n";
    out += "keys      " + std::to_string(keys) + " (" + std::to_string(conflicts) + " with several values)\n";
    out += std::string("indexed   ") + (st.caught_up ? "caught up" : "behind") + "\n";
    out += "writers:\n";
    for (const auto& w : st.writers) {
      std::string role = w.root ? "root" : w.member ? "member" : "not a member";
      if (w.removed_from) role += ", removed from " + std::to_string(*w.removed_from);
      if (w.local) role += ", this device";
      out += "  " + to_hex(w.key) + "  " + role + "  length " + std::to_string(w.length) + "  local " +
             std::to_string(w.contiguous) + "  indexed " + std::to_string(w.indexed) +
             (w.problem.empty() ? "" : "  (" + w.problem + ")") + "\n";
    }
    for (const auto& v : st.views) {
      out += "view " + v.name + " v" + std::to_string(v.version) + ": " + std::to_string(v.indexed) + "/" +
             std::to_string(v.total) + " ops" + (v.rebuilding ? " (rebuilding)" : "") + "\n";
    }
    print(out);
  }
  return kExitOk;
}

// ---------------------------------------------------------------- serve / sync

void describe_event(const std::string& name, const net::multi::GroupNodeEvent& e) {
  using Kind = net::multi::GroupNodeEvent::Kind;
  switch (e.kind) {
    case Kind::connected: std::fprintf(stderr, "%s: peer %s connected\n", name.c_str(), e.remote.c_str()); break;
    case Kind::closed:
      std::fprintf(stderr, "%s: peer %s closed (%s)\n", name.c_str(), e.remote.c_str(),
                   e.error ? e.error->to_string().c_str() : "ok");
      break;
    case Kind::synced: std::fprintf(stderr, "%s: in sync with %s\n", name.c_str(), e.remote.c_str()); break;
    case Kind::failed: std::fprintf(stderr, "%s: %s\n", name.c_str(), e.message.c_str()); break;
    case Kind::peer_found:
      std::fprintf(stderr, "%s: found %s at %s\n", name.c_str(), e.peer_key ? to_hex(*e.peer_key).c_str() : "?",
                   e.remote.c_str());
      break;
    case Kind::indexed:
    case Kind::peer_gone:
    case Kind::peer_rejected: break;
  }
}

int run_serve(const Invocation& inv) {
  auto swarm_choice = swarm_option(inv);
  if (!swarm_choice) return usage_error(inv, swarm_choice.error());
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
  auto group = open_indexed(inv.args.positional()[0]);
  if (!group) return report_error(inv, group.error());
  net::EventLoop loop;
  net::multi::GroupNodeOptions o;
  o.host = inv.args.value("host");
  o.port = *port;
  o.websocket_port = ws_port;
  if (swarm_choice->swarm) o.swarm = swarm_discovery(*swarm_choice);
  o.on_event = [&](const net::multi::GroupNodeEvent& e) { describe_event(inv.name, e); };
  auto node = net::multi::start_group_node(loop.context(), **group, std::move(o));
  if (!node) return report_error(inv, node.error());
  JsonObject info;
  info.string("key", to_hex((*group)->key()))
      .string("discoveryKey", to_hex((*group)->discovery_key()))
      .string("writer", to_hex((*group)->local_writer()))
      .string("host", (*node)->host())
      .number("port", (*node)->port());
  if (auto ws = (*node)->websocket_port()) {
    info.number("wsPort", *ws);
  } else {
    info.null("wsPort");
  }
  if (auto peer_key = (*node)->swarm_key()) info.string("swarm", swarm_mode_name(*swarm_choice)).string("peerKey", to_hex(*peer_key));
  print(info.str() + "\n");
  std::fflush(stdout);
  auto stop_all = [&] {
    (*node)->stop();
    loop.cancel_waits();
  };
  loop.on_signals({SIGINT, SIGTERM}, [&](int signal) {
    std::fprintf(stderr, "%s: signal %d, stopping\n", inv.name.c_str(), signal);
    stop_all();
  });
  if (seconds) loop.after(std::chrono::seconds(*seconds), stop_all);
  while (!loop.run_for(std::chrono::hours(1))) {
  }
  if (auto closed = (*group)->close(); !closed) return report_error(inv, closed.error());
  return kExitOk;
}

int run_sync(const Invocation& inv) {
  auto connect = connect_option(inv);
  if (!connect) return usage_error(inv, connect.error());
  auto timeout = timeout_option(inv.args, 60000);
  if (!timeout) return usage_error(inv, timeout.error());
  auto group = open_indexed(inv.args.positional()[0]);
  if (!group) return report_error(inv, group.error());
  auto started = std::chrono::steady_clock::now();
  net::EventLoop loop;
  net::multi::GroupNodeOptions o;
  if (connect->swarm.swarm) {
    o.swarm = swarm_discovery(connect->swarm);
  } else {
    o.listen = false;
    if (connect->websocket) {
      o.connect_websocket.push_back(net::WebSocketPeer{connect->peer->host, connect->peer->port});
    } else {
      o.connect.push_back(net::TcpPeer{connect->peer->host, connect->peer->port});
    }
  }
  bool done = false, timed_out = false;
  std::optional<std::string> failure;
  size_t closed_peers = 0;
  net::multi::GroupNode* node_ptr = nullptr;
  o.on_event = [&](const net::multi::GroupNodeEvent& e) {
    describe_event(inv.name, e);
    using Kind = net::multi::GroupNodeEvent::Kind;
    if (e.kind == Kind::synced) done = true;
    if (e.kind == Kind::failed) failure = e.message;
    if (e.kind == Kind::closed) {
      ++closed_peers;
      if (!connect->swarm.swarm && !done) failure = "the peer closed the connection" + (e.error ? ": " + e.error->to_string() : "");
    }
    if ((done || failure) && node_ptr) {
      node_ptr->stop();
      loop.cancel_waits();
    }
  };
  auto node = net::multi::start_group_node(loop.context(), **group, std::move(o));
  if (!node) return report_error(inv, node.error());
  node_ptr = node->get();
  loop.after(std::chrono::milliseconds(*timeout), [&] {
    if (done) return;
    timed_out = true;
    (*node)->stop();
    loop.cancel_waits();
  });
  while (!loop.run_for(std::chrono::hours(1))) {
  }
  auto st = (*group)->status();
  if (auto closed = (*group)->close(); !closed) return report_error(inv, closed.error());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!done) {
    if (timed_out) return transport_error(inv, "timeout: not in sync with a peer within " + std::to_string(*timeout) + " ms");
    return transport_error(inv, "io_error: " + failure.value_or("no peer"));
  }
  uint64_t ops = 0;
  for (const auto& w : st.writers) ops += w.contiguous;
  print(JsonObject()
            .string("key", to_hex(st.key))
            .number("writers", st.writers.size())
            .number("blocks", ops)
            .boolean("caughtUp", st.caught_up)
            .raw("seconds", std::to_string(seconds))
            .str() +
        "\n");
  return kExitOk;
}

// ---------------------------------------------------------------- the table

constexpr std::string_view kDir[] = {"DIR"};
constexpr std::string_view kKeyDir[] = {"KEY", "DIR"};
constexpr std::string_view kDirKey[] = {"DIR", "KEY"};
constexpr std::string_view kDirDevice[] = {"DIR", "DEVICE_KEY"};
constexpr OptionSpec kJson[] = {{"json", "", "print JSON"}};
constexpr OptionSpec kCreateOptions[] = {
    {"multi-value", "", "keep every concurrent value of a key (default: last writer wins)"},
    {"open", "", "any device that announces itself may write (default: invited writers only)"},
    {"json", "", "print {key, discoveryKey, id}"}};
constexpr OptionSpec kRemoveOptions[] = {
    {"from", "SEQ", "ignore the writer's ops from SEQ on (default: the length held here)"}, {"json", "", "print JSON"}};
constexpr OptionSpec kPutOptions[] = {
    {"merge", "WRITER:SEQ", "multi-value: replace only this value (repeatable; default every value held)"},
    {"json", "", "print JSON"}};
constexpr OptionSpec kRangeOptions[] = {{"gte", "KEY", "keys from KEY on"},
                                        {"lt", "KEY", "keys before KEY"},
                                        {"reverse", "", "last key first"},
                                        {"limit", "N", "at most N keys"},
                                        {"json", "", "one JSON object per key"}};
constexpr OptionSpec kHistoryOptions[] = {
    {"reverse", "", "newest first"}, {"limit", "N", "at most N changes"}, {"json", "", "one JSON object per change"}};
constexpr OptionSpec kServeOptions[] = {
    {"host", "ADDR", "address to listen on (default 127.0.0.1; 0.0.0.0 with --swarm)"},
    {"port", "PORT", "TCP port (default 0: any free port)"},
    {"ws-port", "PORT", "also serve over WebSocket on this port (0: any)"},
    {"seconds", "N", "stop after N seconds (default: until SIGINT or SIGTERM)"},
    {"swarm", "", "announce and look up the group's discovery key (DHT unless --lan)"},
    BEE_SWARM_DISCOVERY_OPTIONS,
};
constexpr OptionSpec kSyncOptions[] = {
    {"peer", "HOST:PORT", "the peer to sync with (required unless --swarm)"},
    {"swarm", "", "find a peer by the group's discovery key instead (DHT unless --lan)"},
    BEE_SWARM_DISCOVERY_OPTIONS,
    {"websocket", "", "connect over WebSocket instead of TCP"},
    {"timeout", "MS", "give up after MS milliseconds (default 60000)"},
};

constexpr Command kGroupCommands[] = {
    {"group", "create", kDir, "", "create a group in DIR with this device as its root writer",
     "Creates a group (docs/multiwriter.md) in DIR and prints its key, which other devices\n"
     "pass to `bee group join`. Conflicting writes to a key resolve by last writer wins\n"
     "(hybrid logical clocks) unless --multi-value keeps them all; only invited devices\n"
     "write unless --open.",
     kCreateOptions, run_create},
    {"group", "join", kKeyDir, "", "join the group KEY in DIR and print this device's writer key",
     "Makes DIR this device's copy of the group KEY, with a writer of its own, and prints\n"
     "the writer key. A member runs `bee group invite` with it; after a sync with any member\n"
     "this device may write.",
     kJson, run_join},
    {"group", "invite", kDirDevice, "", "let the device with DEVICE_KEY write",
     "Appends an add_writer op for DEVICE_KEY (a writer key `bee group join` printed). Prints\n"
     "the op's id WRITER:SEQ.",
     kJson, run_invite},
    {"group", "remove", kDirDevice, "", "stop accepting the ops of DEVICE_KEY",
     "Appends a remove_writer op: the writer's ops from --from SEQ (default: as much of its\n"
     "log as this device holds) are ignored by every device, and views rebuild without them.\n"
     "Only a member closer to the root than the writer can remove it.",
     kRemoveOptions, run_remove},
    {"group", "put", kDirKey, "VALUE", "write KEY = VALUE",
     "Appends a put op and indexes it; prints the op's id WRITER:SEQ. In a multi-value group\n"
     "the put replaces every value of KEY this device holds, or only those named by --merge.",
     kPutOptions, run_put},
    {"group", "get", kDirKey, "", "print the value(s) of KEY",
     "Prints the value of KEY, one line per value (a multi-value key can have several).\n"
     "Exits 1 with not_found if the key is absent; --json prints {key, values:[{value,\n"
     "writer, seq, id, hlc, time}]} (values empty when absent).",
     kJson, run_get},
    {"group", "del", kDirKey, "", "delete KEY",
     "Appends a del op (a tombstone: a concurrent or older put cannot bring KEY back) and\n"
     "prints its id.",
     kJson, run_del},
    {"group", "range", kDir, "", "list keys and values in key order",
     "Prints KEY<TAB>VALUE lines (one per value), or one JSON object per key with --json.", kRangeOptions,
     run_range},
    {"group", "history", kDir, "", "list the changes indexing made to the key/value view",
     "Prints VERSION<TAB>put|del<TAB>KEY[<TAB>VALUE] in the order this device indexed them.",
     kHistoryOptions, run_history},
    {"group", "status", kDir, "", "show writers, lengths, indexing progress and conflicts",
     "Prints the group's key, this device's writer, the rules, and per writer: role,\n"
     "length, blocks held here, ops indexed; per view: progress and whether a rebuild runs.",
     kJson, run_status},
    {"group", "serve", kDir, "", "replicate the group with every peer that connects",
     "Listens on TCP (and WebSocket with --ws-port) and replicates every writer log with\n"
     "each peer, indexing what arrives. With --swarm it announces and looks up the group's\n"
     "discovery key (mDNS with --lan, the HyperDHT otherwise) and syncs with every peer it\n"
     "finds. Prints {key, discoveryKey, writer, host, port, wsPort} as one JSON line.",
     kServeOptions, run_serve},
    {"group", "sync", kDir, "", "exchange logs with a peer until both hold the same, then exit",
     "Connects to --peer HOST:PORT (or the first peer --swarm finds), exchanges every writer\n"
     "log both sides track and indexes them; exits once both hold the same logs. Prints\n"
     "{key, writers, blocks, caughtUp, seconds}.",
     kSyncOptions, run_sync},
};

}  // namespace

std::span<const Command> group_commands() { return kGroupCommands; }

}  // namespace bee::cli
