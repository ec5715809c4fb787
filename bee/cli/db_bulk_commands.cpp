// `bee batch`, `bee blocks`, `bee export`, `bee import`. See docs/cli.md.
#include <simdjson.h>

#include "bee/cli/block_input.hpp"
#include "bee/cli/db_bulk.hpp"
#include "bee/cli/db_store.hpp"
#include "bee/cli/json_out.hpp"
#include "bee/cli/line_input.hpp"
#include "bee/cli/progress.hpp"
#include "bee/op_script.hpp"

namespace bee::cli {

using hypercore::errc;
using hypercore::to_hex;

std::expected<Metadata, std::string> parse_metadata(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json).get(object)) return std::unexpected("--metadata must be a JSON object, got '" + json + "'");
  Metadata metadata;
  for (auto [name, field] : {std::pair{"contentFeed", &metadata.content_feed}, {"userData", &metadata.user_data}}) {
    simdjson::dom::element e;
    if (object[name].get(e) || e.is_null()) continue;
    std::string_view hex;
    std::optional<Bytes> bytes;
    if (!e.get_string().get(hex)) bytes = hypercore::from_hex(hex);
    if (!bytes) return std::unexpected(std::string("--metadata: ") + name + " must be a hex string");
    *field = std::move(*bytes);
  }
  return metadata;
}

namespace {

void print_state(const Store& store, bool json, uint64_t ops) {
  const auto& core = *store.core;
  if (!json) {
    print(std::to_string(store.bee->version()) + "\n");
    return;
  }
  JsonObject out;
  out.string("key", to_hex(core.key())).number("length", core.length()).number("version", store.bee->version());
  if (ops) out.number("ops", ops);
  out.number("byteLength", core.byte_length());
  if (core.length() == 0) {
    out.null("treeHash").null("signature");
  } else {
    out.string("treeHash", to_hex(core.tree_hash())).string("signature", to_hex(core.signature()));
  }
  print(out.str() + "\n");
}

// ---------------------------------------------------------------- batch

// A group's nodes are held until it is flushed: this bounds what one append holds.
constexpr uint64_t kMaxGroup = 100000;

int run_batch(const Invocation& inv) {
  const std::string& dir = inv.args.positional()[0];
  auto seed = seed_option(inv.args);
  if (!seed) return usage_error(inv, seed.error());
  auto options = db_options(inv);
  if (!options) return usage_error(inv, options.error());
  if (options->version) return usage_error(inv, "--version is for reads; writes go to the current version");
  std::optional<Metadata> metadata;
  if (auto text = inv.args.value("metadata")) {
    auto parsed = parse_metadata(*text);
    if (!parsed) return usage_error(inv, parsed.error());
    metadata = std::move(*parsed);
  }

  size_t group = 1;
  if (auto text = inv.args.value("group")) {
    auto n = parse_uint(*text);
    if (!n || *n == 0 || *n > kMaxGroup) {
      return usage_error(inv, "--group takes a number of ops from 1 to " + std::to_string(kMaxGroup) + ", got '" + *text + "'");
    }
    group = size_t(*n);
  }

  // Every line is checked before anything is written: a first pass parses and counts them,
  // the second parses them again and applies them, so memory holds one line at a time.
  TwoPassLines input;
  size_t bad_line = 0;
  uint64_t op_count = 0;
  auto checked = input.first_pass([&](size_t number, std::string_view line) -> Result<void> {
    bad_line = number;
    HC_CHECK(parse_script_op(line, options->key_encoding, options->value_encoding));
    ++op_count;
    return {};
  });
  if (!checked) return report_error(inv, checked.error(), "stdin line " + std::to_string(bad_line));

  // A missing store is created (with --seed's key pair, as `node vectors.js bee` does).
  auto store = open_store(dir, *seed);
  if (!store && store.error().code == errc::not_found) {
    store = create_store(dir, seed->has_value() ? **seed : hypercore::KeyPair::random());
  }
  if (!store) return report_error(inv, store.error());
  if (metadata && store->core->length() == 0) {
    if (auto appended = store->core->append(encode_header(Header{"hyperbee", metadata})); !appended) {
      return report_error(inv, appended.error());
    }
  }
  Db root(*store->bee, options->key_encoding, options->value_encoding);
  for (const auto& name : options->subs) {
    std::optional<ByteSpan> sep;
    if (options->sep) sep = ByteSpan(*options->sep);
    root = root.sub(std::string_view(name), sep);
  }
  Progress progress("bee batch", op_count);
  // --group: consecutive put/del ops on the same sub-database share one bee batch (one
  // append, one signature) of at most `group` ops.
  std::optional<DbBatch> open;
  std::vector<Bytes> open_sub;  // the sub-database of the open batch
  std::optional<Bytes> open_sep;
  size_t in_group = 0;
  auto flush_group = [&]() -> Result<void> {
    if (!open) return {};
    auto flushed = open->flush();
    open.reset();
    in_group = 0;
    return flushed;
  };
  uint64_t applied = 0;
  size_t failed_op = 0;
  auto apply = input.second_pass([&](size_t, std::string_view line) -> Result<void> {
    failed_op = size_t(applied + 1);
    HC_TRY(op, parse_script_op(line, options->key_encoding, options->value_encoding));
    if (group == 1 || op.kind == ScriptOp::Kind::batch) {
      HC_CHECK(flush_group());
      HC_CHECK(apply_script_op(root, op));
    } else {
      if (open && (in_group == group || op.sub != open_sub || op.sep != open_sep)) HC_CHECK(flush_group());
      if (!open) {
        HC_TRY(batch, script_target(root, op).batch());
        open.emplace(std::move(batch));
        open_sub = op.sub;
        open_sep = op.sep;
      }
      HC_CHECK(add_script_op(*open, op));
      ++in_group;
    }
    progress.update(++applied);
    return {};
  });
  if (apply) apply = flush_group();
  if (!apply) return report_error(inv, apply.error(), "op " + std::to_string(failed_op));
  progress.finish();
  if (auto flushed = store->core->flush(); !flushed) return report_error(inv, flushed.error());
  print_state(*store, options->json, op_count);
  if (auto closed = store->close(); !closed) return report_error(inv, closed.error());
  return kExitOk;
}

// ---------------------------------------------------------------- blocks / export

int run_blocks(const Invocation& inv) {
  auto store = open_store(inv.args.positional()[0]);
  if (!store) return report_error(inv, store.error());
  uint64_t length = store->core->length();
  Progress progress("bee " + std::string(inv.name.substr(4)), length);
  std::string out;
  for (uint64_t i = 0; i < length; i++) {
    auto block = store->core->get(i);
    if (!block) {
      print(out);
      return report_error(inv, block.error(), "block " + std::to_string(i));
    }
    out += to_hex(*block) + "\n";
    if (out.size() > (1 << 16)) {
      print(out);
      out.clear();
    }
    progress.update(i + 1);
  }
  print(out);
  return kExitOk;
}

// ---------------------------------------------------------------- import

int run_import(const Invocation& inv) {
  auto seed = seed_option(inv.args);
  if (!seed) return usage_error(inv, seed.error());
  if (!seed->has_value()) {
    return usage_error(inv, "--seed is required: the blocks are signed again with the key pair of that seed");
  }
  // Check the blocks are a database before creating anything: a first pass over stdin
  // decodes every block, the second appends them (memory holds one batch of blocks).
  TwoPassLines input;
  uint64_t count = 0;
  auto checked = input.first_pass([&](size_t number, std::string_view line) -> Result<void> {
    auto block = hypercore::from_hex(line);
    if (!block) return hypercore::fail(errc::invalid_argument, "stdin line " + std::to_string(number) + ": not hex");
    if (count == 0) {
      if (auto header = decode_header(*block); !header || header->protocol != "hyperbee") {
        return hypercore::fail(errc::corrupt, "block 0 is not a hyperbee header");
      }
    } else if (auto node = decode_node(*block); !node) {
      return hypercore::fail(node.error().code, "block " + std::to_string(count) + ": " + node.error().message);
    }
    ++count;
    return {};
  });
  if (!checked) return report_error(inv, checked.error());
  if (count == 0) return report_error(inv, {errc::invalid_argument, "no blocks on stdin"});

  auto store = create_store(inv.args.positional()[0], **seed);
  if (!store) return report_error(inv, store.error());
  Progress progress("bee import", count);
  constexpr size_t kBatchBlocks = 1000;  // one signature per batch, bounded memory per append
  std::vector<Bytes> batch;
  uint64_t appended = 0;
  auto append = [&]() -> Result<void> {
    std::vector<ByteSpan> spans(batch.begin(), batch.end());
    HC_CHECK(store->core->append(spans));
    appended += batch.size();
    batch.clear();
    progress.update(appended);
    return {};
  };
  auto copied = input.second_pass([&](size_t number, std::string_view line) -> Result<void> {
    auto block = hypercore::from_hex(line);
    if (!block) return hypercore::fail(errc::invalid_argument, "stdin line " + std::to_string(number) + ": not hex");
    batch.push_back(std::move(*block));
    if (batch.size() == kBatchBlocks) HC_CHECK(append());
    return {};
  });
  if (copied && !batch.empty()) copied = append();
  if (!copied) return report_error(inv, copied.error());
  progress.finish();
  // Re-hash everything and check the signature, then that the tree reads.
  if (auto verified = store->core->verify(); !verified) return report_error(inv, verified.error());
  if (auto header = store->bee->header(); !header) return report_error(inv, header.error());
  Db db(*store->bee);
  auto it = db.range({});
  if (!it) return report_error(inv, it.error());
  while (true) {
    auto e = it->next();
    if (!e) return report_error(inv, e.error(), "reading the imported tree");
    if (!*e) break;
  }
  auto expect = inv.args.value("expect-tree-hash");
  if (expect && *expect != to_hex(store->core->tree_hash())) {
    return report_error(inv, {errc::invalid_argument, "tree hash " + to_hex(store->core->tree_hash()) + " is not the expected " + *expect});
  }
  print_state(*store, inv.args.has("json"), 0);
  if (auto closed = store->close(); !closed) return report_error(inv, closed.error());
  return kExitOk;
}

constexpr std::string_view kDir[] = {"DIR"};

constexpr OptionSpec kBatchOptions[] = {
    {"seed", "HEX", "key pair for a new store (DIR without a log), or to sign a store without its secret key"},
    {"metadata", "JSON", "header metadata of a new store: {\"contentFeed\":HEX,\"userData\":HEX}"},
    {"key-encoding", "ENC", "keys in the ops are binary (hex strings), utf-8 (default) or json"},
    {"value-encoding", "ENC", "values in the ops are binary (hex strings), utf-8 (default) or json"},
    {"encoding", "ENC", "both encodings at once"},
    {"sub", "NAME", "apply every op inside the sub-database NAME (repeatable)"},
    {"sep", "HEX", "separator after each --sub name (default 00)"},
    {"group", "N", "bulk load: up to N consecutive put/del ops per append (same content, other blocks)"},
    {"json", "", "print {key, length, version, ops, byteLength, treeHash, signature}"},
};
constexpr OptionSpec kBlocksOptions[] = {{"json", "", "(accepted for symmetry; the output is hex lines)"}};
constexpr OptionSpec kImportOptions[] = {
    {"seed", "HEX", "required: the 32-byte seed of the key pair that signs the imported log"},
    {"expect-tree-hash", "HEX", "fail unless the imported log's tree hash is HEX"},
    {"json", "", "print {key, length, version, byteLength, treeHash, signature}"},
};

constexpr Command kBulkCommands[] = {
    {"", "batch", kDir, "", "apply write ops (JSON lines on stdin)",
     "Reads ops in the reference toolkit's format from stdin, one JSON object per line\n"
     "(put, del, batch; cas, sub, sep), checks them all, then applies them in order, each op\n"
     "(and each batch) as its own append, exactly as `node vectors.js bee` does. Creates the\n"
     "store if DIR holds none. Prints the new version. Blank lines and '#' lines are skipped.",
     kBatchOptions, run_batch},
    {"", "blocks", kDir, "", "print every block as a hex line",
     "Prints every block of the log, block 0 (the header) first, one lower-case hex line each.",
     kBlocksOptions, run_blocks},
    {"", "export", kDir, "", "print every block as a hex line (same as blocks)",
     "Prints every block of the log as hex lines; `bee import` reads this back.", kBlocksOptions, run_blocks},
    {"", "import", kDir, "", "create a store from hex block lines on stdin",
     "Creates a new store in DIR from the blocks on stdin (one hex line each, e.g. the output\n"
     "of `bee export` or the \"blocks\" of `node vectors.js bee`), signed with the key pair of\n"
     "--seed (required). Checks that the blocks are a Hyperbee, re-verifies the log and reads\n"
     "the whole tree, then prints the new version.",
     kImportOptions, run_import},
};

}  // namespace

std::span<const Command> db_bulk_commands() { return kBulkCommands; }

}  // namespace bee::cli
