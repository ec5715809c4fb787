// The database commands: `bee create|put|get|del|range|history|diff` on a Hyperbee kept in
// a directory (one Hypercore log at the storage root), through bee::Db. The bulk commands
// (batch, blocks/export, import) are in db_bulk_commands.cpp. See docs/cli.md.
#include "bee/cli/db_bulk.hpp"
#include "bee/cli/db_read.hpp"
#include "bee/cli/db_store.hpp"
#include "bee/cli/json_out.hpp"
#include "bee/entry_json.hpp"
#include "hypercore/id.hpp"

namespace bee::cli {

namespace {

using hypercore::errc;
using hypercore::to_hex;

// ---------------------------------------------------------------- create

int run_create(const Invocation& inv) {
  auto seed = seed_option(inv.args);
  if (!seed) return usage_error(inv, seed.error());
  std::optional<Metadata> metadata;
  if (auto text = inv.args.value("metadata")) {
    auto parsed = parse_metadata(*text);
    if (!parsed) return usage_error(inv, parsed.error());
    metadata = std::move(*parsed);
  }
  auto store = create_store(inv.args.positional()[0], seed->has_value() ? **seed : hypercore::KeyPair::random());
  if (!store) return report_error(inv, store.error());
  // The header is written now (the reference writes the same bytes with the first write),
  // so that the metadata is kept and the directory is recognisably a database.
  Bytes header = encode_header(Header{"hyperbee", metadata});
  if (auto appended = store->core->append(header); !appended) return report_error(inv, appended.error());
  auto key = store->core->key();
  if (auto closed = store->close(); !closed) return report_error(inv, closed.error());
  return print_created(inv, key);
}

// ---------------------------------------------------------------- put / del

int finish_write(const Invocation& inv, Store& store, bool written, bool json) {
  uint64_t version = store.bee->version();
  if (auto closed = store.close(); !closed) return report_error(inv, closed.error());
  if (json) {
    print(JsonObject().boolean("written", written).number("version", version).str() + "\n");
  } else {
    print(std::to_string(version) + "\n");
  }
  return kExitOk;
}

int run_put(const Invocation& inv) {
  const auto& positional = inv.args.positional();
  if (positional.size() > 3) return usage_error(inv, "unexpected argument '" + positional[3] + "'");
  auto options = db_options(inv);
  if (!options) return usage_error(inv, options.error());
  if (options->version) return usage_error(inv, "--version is for reads; writes go to the current version");
  auto key = natural_from_arg(options->key_encoding, positional[1], "KEY");
  if (!key) return usage_error(inv, key.error());
  std::optional<Bytes> value;
  if (positional.size() == 3) {
    auto v = natural_from_arg(options->value_encoding, positional[2], "VALUE");
    if (!v) return usage_error(inv, v.error());
    value = std::move(*v);
  }
  auto store = open_store(positional[0]);
  if (!store) return report_error(inv, store.error());
  auto db = make_db(*store->bee, *options);
  if (!db) return report_error(inv, db.error());
  std::optional<ByteSpan> v;
  if (value) v = ByteSpan(*value);
  auto written = db->put(*key, v);
  if (!written) return report_error(inv, written.error());
  return finish_write(inv, *store, *written, options->json);
}

int run_del(const Invocation& inv) {
  const auto& positional = inv.args.positional();
  auto options = db_options(inv);
  if (!options) return usage_error(inv, options.error());
  if (options->version) return usage_error(inv, "--version is for reads; writes go to the current version");
  auto key = natural_from_arg(options->key_encoding, positional[1], "KEY");
  if (!key) return usage_error(inv, key.error());
  auto store = open_store(positional[0]);
  if (!store) return report_error(inv, store.error());
  auto db = make_db(*store->bee, *options);
  if (!db) return report_error(inv, db.error());
  auto written = db->del(*key);
  if (!written) return report_error(inv, written.error());
  return finish_write(inv, *store, *written, options->json);
}

// ---------------------------------------------------------------- get

int run_get(const Invocation& inv) {
  const auto& positional = inv.args.positional();
  auto options = db_options(inv);
  if (!options) return usage_error(inv, options.error());
  auto key = natural_from_arg(options->key_encoding, positional[1], "KEY");
  if (!key) return usage_error(inv, key.error());
  auto store = open_store(positional[0]);
  if (!store) return report_error(inv, store.error());
  auto db = make_db(*store->bee, *options);
  if (!db) return report_error(inv, db.error());
  auto entry = db->get(*key);
  if (!entry) return report_error(inv, entry.error());
  return print_get_result(inv, *entry, *options, positional[1]);
}

// ---------------------------------------------------------------- range / history / diff

// Prints every item of `it`, each as `line(item)` makes it (with its newline).
template <class Iterator, class Line>
int print_all(const Invocation& inv, Iterator& it, Line line) {
  std::string out;
  while (true) {
    auto item = it.next();
    if (!item) {
      print(out);
      return report_error(inv, item.error());
    }
    if (!*item) break;
    out += line(**item);
    if (out.size() > (1 << 16)) {
      print(out);
      out.clear();
    }
  }
  print(out);
  return kExitOk;
}

int run_range(const Invocation& inv) {
  auto options = db_options(inv);
  if (!options) return usage_error(inv, options.error());
  auto range = key_range_option(inv, *options);
  if (!range) return usage_error(inv, range.error());
  auto store = open_store(inv.args.positional()[0]);
  if (!store) return report_error(inv, store.error());
  auto db = make_db(*store->bee, *options);
  if (!db) return report_error(inv, db.error());
  auto it = db->range(*range);
  if (!it) return report_error(inv, it.error());
  return print_all(inv, *it, [&](const DbEntry& e) { return entry_line(e, *options); });
}

int run_history(const Invocation& inv) {
  auto options = db_options(inv);
  if (!options) return usage_error(inv, options.error());
  auto range = history_range_option(inv);
  if (!range) return usage_error(inv, range.error());
  auto store = open_store(inv.args.positional()[0]);
  if (!store) return report_error(inv, store.error());
  auto db = make_db(*store->bee, *options);
  if (!db) return report_error(inv, db.error());
  auto it = db->history(*range);
  if (!it) return report_error(inv, it.error());
  return print_all(inv, *it, [&](const DbHistoryEntry& e) { return history_line(e, *options); });
}

int run_diff(const Invocation& inv) {
  const auto& positional = inv.args.positional();
  if (positional.size() > 3) return usage_error(inv, "unexpected argument '" + positional[3] + "'");
  auto options = db_options(inv);
  if (!options) return usage_error(inv, options.error());
  if (options->version) return usage_error(inv, "give the versions as V1 [V2], not --version");
  auto left = parse_uint(positional[1]);
  if (!left) return usage_error(inv, "V1 must be a version number, got '" + positional[1] + "'");
  std::optional<uint64_t> right;
  if (positional.size() == 3) {
    right = parse_uint(positional[2]);
    if (!right) return usage_error(inv, "V2 must be a version number, got '" + positional[2] + "'");
  }
  auto range = key_range_option(inv, *options);
  if (!range) return usage_error(inv, range.error());
  auto store = open_store(positional[0]);
  if (!store) return report_error(inv, store.error());
  uint64_t current = store->bee->version();
  if (!right) right = current;
  if (*right > current) {
    return report_error(inv, {errc::out_of_range, "version " + std::to_string(*right) + " is beyond the current version " +
                                                      std::to_string(current)});
  }
  options->version = *left;
  auto db = make_db(*store->bee, *options);
  if (!db) return report_error(inv, db.error());
  auto it = db->diff(*right, *range);
  if (!it) return report_error(inv, it.error());
  auto side = [&](const std::optional<DbEntry>& e) {
    if (!e) return std::string();
    return e->value ? natural_to_text(options->value_encoding, *e->value) : std::string();
  };
  return print_all(inv, *it, [&](const DbDiffEntry& d) {
    if (options->json) {
      return "{\"left\":" + entry_json(d.left, options->key_encoding, options->value_encoding) +
             ",\"right\":" + entry_json(d.right, options->key_encoding, options->value_encoding) + "}\n";
    }
    // "-" only in V1, "+" only in V2, "~" changed: KEY, then the V1 and V2 values.
    const DbEntry& any = d.left ? *d.left : *d.right;
    std::string mark = !d.left ? "+" : !d.right ? "-" : "~";
    return mark + "\t" + natural_to_text(options->key_encoding, any.key) + "\t" + side(d.left) + "\t" +
           side(d.right) + "\n";
  });
}

// ---------------------------------------------------------------- table

constexpr std::string_view kDir[] = {"DIR"};
constexpr std::string_view kDirKey[] = {"DIR", "KEY"};
constexpr std::string_view kDirVersion[] = {"DIR", "V1"};

#define BEE_DB_READ_OPTIONS                                                                              \
  {"key-encoding", "ENC", "keys are binary (hex on the command line), utf-8 (default) or json"},       \
      {"value-encoding", "ENC", "values are binary (hex), utf-8 (default) or json"},                    \
      {"encoding", "ENC", "both encodings at once"},                                                   \
      {"sub", "NAME", "work in the sub-database NAME (repeat for nested subs)"},                       \
      {"sep", "HEX", "separator after each --sub name (default 00)"},                                  \
      {"json", "", "print JSON (one entry per line, in the reference's shape)"}

#define BEE_DB_RANGE_OPTIONS                                                         \
  {"gt", "KEY", "keys after KEY"}, {"gte", "KEY", "keys from KEY on"},               \
      {"lt", "KEY", "keys before KEY"}, {"lte", "KEY", "keys up to and with KEY"},   \
      {"limit", "N", "at most N entries (-1: all; 0 or other negatives: none)"}

constexpr OptionSpec kCreateOptions[] = {
    {"seed", "HEX", "derive the key pair from this 32-byte seed (64 hex digits); default: random"},
    {"metadata", "JSON", "header metadata: {\"contentFeed\":HEX,\"userData\":HEX}"},
    {"json", "", "print {key, discoveryKey, id}"},
};
constexpr OptionSpec kWriteOptions[] = {BEE_DB_READ_OPTIONS};
constexpr OptionSpec kGetOptions[] = {BEE_DB_READ_OPTIONS, {"version", "N", "read the database as it was at version N"}};
constexpr OptionSpec kRangeOptions[] = {BEE_DB_READ_OPTIONS, BEE_DB_RANGE_OPTIONS,
                                        {"reverse", "", "in descending key order"},
                                        {"version", "N", "read the database as it was at version N"}};
constexpr OptionSpec kHistoryOptions[] = {
    BEE_DB_READ_OPTIONS,
    {"gt", "S", "blocks after seq S (negative: counted from the end)"},
    {"gte", "S", "blocks from seq S on"},
    {"lt", "S", "blocks before seq S"},
    {"lte", "S", "blocks up to seq S"},
    {"limit", "N", "at most N entries (0: none; negative: all)"},
    {"reverse", "", "newest first"},
    {"version", "N", "the history up to version N"}};
constexpr OptionSpec kDiffOptions[] = {BEE_DB_READ_OPTIONS, BEE_DB_RANGE_OPTIONS};

#undef BEE_DB_READ_OPTIONS
#undef BEE_DB_RANGE_OPTIONS

constexpr Command kDbCommands[] = {
    {"", "create", kDir, "", "create an empty database in DIR and print its key",
     "Creates a new database (a Hypercore log holding a Hyperbee) in DIR, created if missing,\n"
     "writes its header block and prints its key. The key pair is random unless --seed is\n"
     "given. Fails if DIR already holds a log.",
     kCreateOptions, run_create},
    {"", "put", kDirKey, "VALUE", "store KEY = VALUE (no VALUE: a key without a value)",
     "Stores KEY with VALUE (or with no value when VALUE is omitted; JSON null with\n"
     "--value-encoding json means no value too) and prints the new version. Each put appends\n"
     "one block, even when the value is unchanged (as the reference does).",
     kWriteOptions, run_put},
    {"", "get", kDirKey, "", "print the value of KEY",
     "Prints the value of KEY (nothing for a key without a value). Exits 1 with not_found if\n"
     "the key is absent; with --json prints the entry {seq,key,value,keyHex,valueHex} or null.",
     kGetOptions, run_get},
    {"", "del", kDirKey, "", "delete KEY",
     "Deletes KEY and prints the version (unchanged when the key was absent: nothing written).",
     kWriteOptions, run_del},
    {"", "range", kDir, "", "list entries in key order",
     "Prints the entries between the bounds, one per line: KEY<TAB>VALUE, or JSON with --json.\n"
     "Keys compare as encoded bytes (with utf-8, \"k10\" < \"k2\"). In a --sub, unbounded\n"
     "ranges skip the keys \"\" and \"\\0\" and include nested subs (as the reference does).",
     kRangeOptions, run_range},
    {"", "history", kDir, "", "list the writes, oldest first",
     "Prints every put and delete by seq: SEQ<TAB>put|del<TAB>KEY[<TAB>VALUE], or JSON with\n"
     "a \"type\" field. Bounds are seqs; negative ones count from the version.",
     kHistoryOptions, run_history},
    {"", "diff", kDirVersion, "V2", "list the keys that differ between two versions",
     "Compares version V1 (left) with V2 (right; default: the current version) and prints\n"
     "one line per differing key: +<TAB>KEY<TAB><TAB>V2VALUE (only in V2), -<TAB>KEY<TAB>\n"
     "V1VALUE<TAB> (only in V1), ~<TAB>KEY<TAB>V1VALUE<TAB>V2VALUE (changed), or JSON\n"
     "{left, right} with --json.",
     kDiffOptions, run_diff},
};

}  // namespace

std::span<const Command> db_commands() {
  static const std::vector<Command> all = [] {
    std::vector<Command> v(std::begin(kDbCommands), std::end(kDbCommands));
    for (const auto& c : db_bulk_commands()) v.push_back(c);
    return v;
  }();
  return all;
}

}  // namespace bee::cli
