// `bee batch`, `bee blocks`, `bee export`, `bee import`. See docs/cli.md.
#include <simdjson.h>

#include "bee/cli/block_input.hpp"
#include "bee/cli/db_bulk.hpp"
#include "bee/cli/db_store.hpp"
#include "bee/cli/json_out.hpp"
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

// Lines of a text, without blank lines and '#' comments, with their 1-based numbers.
std::vector<std::pair<size_t, std::string_view>> content_lines(std::string_view text) {
  std::vector<std::pair<size_t, std::string_view>> out;
  size_t number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    number++;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos || line[start] == '#') continue;
    out.emplace_back(number, line.substr(start));
  }
  return out;
}

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

  // Every line is parsed before anything is written.
  auto text = read_stdin();
  if (!text) return report_error(inv, text.error());
  std::vector<ScriptOp> ops;
  for (auto [number, line] : content_lines(*text)) {
    auto op = parse_script_op(line, options->key_encoding, options->value_encoding);
    if (!op) return report_error(inv, op.error(), "stdin line " + std::to_string(number));
    ops.push_back(std::move(*op));
  }

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
  Progress progress("bee batch", ops.size());
  for (size_t i = 0; i < ops.size(); i++) {
    if (auto applied = apply_script_op(root, ops[i]); !applied) {
      return report_error(inv, applied.error(), "op " + std::to_string(i + 1));
    }
    progress.update(i + 1);
  }
  progress.finish();
  if (auto flushed = store->core->flush(); !flushed) return report_error(inv, flushed.error());
  print_state(*store, options->json, ops.size());
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
  auto text = read_stdin();
  if (!text) return report_error(inv, text.error());
  std::vector<Bytes> blocks;
  for (auto [number, line] : content_lines(*text)) {
    auto block = hypercore::from_hex(line);
    if (!block) return report_error(inv, {errc::invalid_argument, "stdin line " + std::to_string(number) + ": not hex"});
    blocks.push_back(std::move(*block));
  }
  // Check the blocks are a database before creating anything.
  if (blocks.empty()) return report_error(inv, {errc::invalid_argument, "no blocks on stdin"});
  if (auto header = decode_header(blocks[0]); !header || header->protocol != "hyperbee") {
    return report_error(inv, {errc::corrupt, "block 0 is not a hyperbee header"});
  }
  for (size_t i = 1; i < blocks.size(); i++) {
    if (auto node = decode_node(blocks[i]); !node) return report_error(inv, node.error(), "block " + std::to_string(i));
  }

  auto store = create_store(inv.args.positional()[0], **seed);
  if (!store) return report_error(inv, store.error());
  Progress progress("bee import", blocks.size());
  constexpr size_t kBatchBlocks = 1000;  // one signature per batch, bounded memory per append
  for (size_t i = 0; i < blocks.size(); i += kBatchBlocks) {
    std::vector<ByteSpan> batch;
    for (size_t j = i; j < std::min(blocks.size(), i + kBatchBlocks); j++) batch.emplace_back(blocks[j]);
    if (auto appended = store->core->append(batch); !appended) return report_error(inv, appended.error());
    progress.update(i + batch.size());
  }
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
