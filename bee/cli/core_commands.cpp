// `bee core ...`: create, append to, inspect, read and verify a Hypercore log kept in a
// directory (one core per directory, at the storage root). See docs/cli.md.
#include <charconv>
#include <filesystem>
#include <memory>
#include <optional>

#include "bee/cli/block_input.hpp"
#include "bee/cli/command.hpp"
#include "bee/cli/json_out.hpp"
#include "hypercore/core.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/id.hpp"
#include "hypercore/storage.hpp"

namespace bee::cli {

namespace {

using hypercore::Core;
using hypercore::errc;
using hypercore::KeyPair;
using hypercore::Result;
using hypercore::to_hex;

// Stdin blocks are appended in batches: one signature per batch instead of per block,
// while memory held by a single append call stays bounded.
constexpr size_t kBatchBlocks = 1000;
constexpr size_t kBatchBytes = 8u << 20;

// Commands other than `create` must not create a directory by mistake (the directory
// storage creates its root), so a missing one is reported here.
Result<std::shared_ptr<hypercore::Storage>> open_existing_storage(const std::string& dir) {
  std::error_code ec;
  auto status = std::filesystem::status(dir, ec);
  if (!std::filesystem::exists(status)) return hypercore::fail(errc::not_found, dir + ": no such directory");
  if (!std::filesystem::is_directory(status)) return hypercore::fail(errc::invalid_argument, dir + ": not a directory");
  return hypercore::open_directory_storage(dir);
}

Result<std::unique_ptr<Core>> open_core(const std::string& dir, std::optional<KeyPair> key_pair = std::nullopt) {
  HC_TRY(storage, open_existing_storage(dir));
  hypercore::CoreOptions options;
  options.key_pair = std::move(key_pair);
  return Core::open(std::move(storage), std::move(options));
}

// --seed HEX: 32 bytes as 64 hex digits. The error is a usage message.
std::expected<std::optional<KeyPair>, std::string> seed_option(const ParsedArgs& args) {
  auto hex = args.value("seed");
  if (!hex) return std::nullopt;
  auto seed = hypercore::hash_from_hex(*hex);
  if (!seed) return std::unexpected("--seed needs 64 hex digits (32 bytes), got '" + *hex + "'");
  return KeyPair::from_seed(*seed);
}

std::optional<uint64_t> parse_index(const std::string& text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string signature_hex(const hypercore::Bytes& signature) { return signature.empty() ? "" : to_hex(signature); }

// ---------------------------------------------------------------- create

int run_create(const Invocation& inv) {
  const std::string& dir = inv.args.positional()[0];
  auto seed = seed_option(inv.args);
  if (!seed) return usage_error(inv, seed.error());
  KeyPair key_pair = seed->has_value() ? **seed : KeyPair::random();

  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
    return report_error(inv, {errc::invalid_argument, dir + ": not a directory"});
  }
  auto storage = hypercore::open_directory_storage(dir);
  if (!storage) return report_error(inv, storage.error());
  auto core = Core::create(*storage, key_pair);
  if (!core) return report_error(inv, core.error());
  auto key = (*core)->key();
  if (auto closed = (*core)->close(); !closed) return report_error(inv, closed.error());
  return print_created(inv, key);
}

// ---------------------------------------------------------------- append

int run_append(const Invocation& inv) {
  const auto& positional = inv.args.positional();
  const std::string& dir = positional[0];
  bool hex = inv.args.has("hex");
  auto seed = seed_option(inv.args);
  if (!seed) return usage_error(inv, seed.error());

  std::vector<hypercore::Bytes> blocks;
  bool from_stdin = positional.size() == 1;
  if (!from_stdin) {
    auto parsed = blocks_from_args(std::span(positional).subspan(1), hex);
    if (!parsed) return usage_error(inv, parsed.error().message);
    blocks = std::move(*parsed);
  } else {
    auto text = read_stdin();
    if (!text) return report_error(inv, text.error());
    auto parsed = blocks_from_json_lines(*text, hex);
    if (!parsed) return report_error(inv, parsed.error());
    blocks = std::move(*parsed);
  }

  auto core = open_core(dir, *seed);
  if (!core) return report_error(inv, core.error());

  // Arguments are one batch, as asked; stdin is cut into bounded batches.
  size_t batch_blocks = from_stdin ? kBatchBlocks : blocks.size();
  size_t batch_bytes = from_stdin ? kBatchBytes : SIZE_MAX;
  std::vector<hypercore::ByteSpan> batch;
  size_t bytes_in_batch = 0;
  for (size_t i = 0; i < blocks.size(); i++) {
    batch.emplace_back(blocks[i]);
    bytes_in_batch += blocks[i].size();
    if (batch.size() < batch_blocks && bytes_in_batch < batch_bytes && i + 1 < blocks.size()) continue;
    if (auto appended = (*core)->append(batch); !appended) return report_error(inv, appended.error());
    batch.clear();
    bytes_in_batch = 0;
  }
  uint64_t length = (*core)->length();
  uint64_t byte_length = (*core)->byte_length();
  if (auto closed = (*core)->close(); !closed) return report_error(inv, closed.error());

  if (inv.args.has("json")) {
    print(JsonObject().number("length", length).number("byteLength", byte_length).str() + "\n");
  } else {
    print(std::to_string(length) + "\n");
  }
  return kExitOk;
}

// ---------------------------------------------------------------- info

int run_info(const Invocation& inv) {
  auto core = open_core(inv.args.positional()[0]);
  if (!core) return report_error(inv, core.error());
  hypercore::CoreInfo info = (*core)->info();

  if (inv.args.has("json")) {
    JsonObject json;
    json.string("key", to_hex(info.key))
        .string("discoveryKey", to_hex(info.discovery_key))
        .string("id", hypercore::key_to_id(info.key))
        .number("length", info.length)
        .number("byteLength", info.byte_length)
        .number("contiguousLength", info.contiguous_length)
        .number("fork", info.fork)
        .string("treeHash", to_hex(info.tree_hash));
    if (info.signature.empty()) {
      json.null("signature");
    } else {
      json.string("signature", to_hex(info.signature));
    }
    json.boolean("writable", info.writable);
    print(json.str() + "\n");
    return kExitOk;
  }
  std::string text;
  auto line = [&](std::string_view name, const std::string& value) {
    text += name;
    text.append(19 - name.size(), ' ');
    text += value + "\n";
  };
  line("key", to_hex(info.key));
  line("discovery key", to_hex(info.discovery_key));
  line("id", hypercore::key_to_id(info.key));
  line("length", std::to_string(info.length));
  line("byte length", std::to_string(info.byte_length));
  line("contiguous length", std::to_string(info.contiguous_length));
  line("fork", std::to_string(info.fork));
  line("tree hash", to_hex(info.tree_hash));
  line("signature", info.signature.empty() ? "none (empty log)" : signature_hex(info.signature));
  line("writable", info.writable ? "yes" : "no");
  print(text);
  return kExitOk;
}

// ---------------------------------------------------------------- get

int run_get(const Invocation& inv) {
  const std::string& index_text = inv.args.positional()[1];
  auto index = parse_index(index_text);
  if (!index) return usage_error(inv, "INDEX must be a block number (0, 1, ...), got '" + index_text + "'");

  auto core = open_core(inv.args.positional()[0]);
  if (!core) return report_error(inv, core.error());
  auto block = (*core)->get(*index);
  if (!block) return report_error(inv, block.error(), "block " + std::to_string(*index));

  if (inv.args.has("json")) {
    print(JsonObject()
              .number("index", *index)
              .string("hex", to_hex(*block))
              .number("byteLength", block->size())
              .str() +
          "\n");
  } else if (inv.args.has("hex")) {
    print(to_hex(*block) + "\n");
  } else {
    print_bytes(*block);
  }
  return kExitOk;
}

// ---------------------------------------------------------------- verify

int run_verify(const Invocation& inv) {
  auto core = open_core(inv.args.positional()[0]);
  if (!core) return report_error(inv, core.error());
  if (auto verified = (*core)->verify(); !verified) return report_error(inv, verified.error());

  hypercore::CoreInfo info = (*core)->info();
  if (inv.args.has("json")) {
    JsonObject json;
    json.boolean("ok", true)
        .number("length", info.length)
        .number("byteLength", info.byte_length)
        .string("treeHash", to_hex(info.tree_hash));
    if (info.signature.empty()) {
      json.null("signature");
    } else {
      json.string("signature", to_hex(info.signature));
    }
    print(json.str() + "\n");
  } else {
    print("ok: " + std::to_string(info.length) + " blocks, tree hash " + to_hex(info.tree_hash) +
          (info.signature.empty() ? ", no signature (empty log)\n" : ", signature valid\n"));
  }
  return kExitOk;
}

// ---------------------------------------------------------------- table

constexpr std::string_view kDir[] = {"DIR"};
constexpr std::string_view kDirIndex[] = {"DIR", "INDEX"};

constexpr OptionSpec kJson{"json", "", "print one JSON object instead of text"};
constexpr OptionSpec kCreateOptions[] = {
    {"seed", "HEX", "derive the key pair from this 32-byte seed (64 hex digits); default: random"},
    kJson,
};
constexpr OptionSpec kAppendOptions[] = {
    {"seed", "HEX", "sign with the key pair of this seed when the store holds no secret key"},
    {"hex", "", "blocks (arguments or stdin strings) are hex, decoded to bytes"},
    kJson,
};
constexpr OptionSpec kInfoOptions[] = {kJson};
constexpr OptionSpec kGetOptions[] = {
    {"hex", "", "print the block as hex instead of raw bytes"},
    kJson,
};
constexpr OptionSpec kVerifyOptions[] = {kJson};

constexpr Command kCoreCommands[] = {
    {"core", "create", kDir, "", "create an empty log in DIR and print its key",
     "Creates a new, empty, writable Hypercore log in DIR (created if missing) and prints its\n"
     "key in hex. The key pair is random unless --seed is given. Fails if DIR already holds\n"
     "a log.",
     kCreateOptions, run_create},
    {"core", "append", kDir, "BLOCK", "append blocks and print the new length",
     "Appends the BLOCK arguments to the log in DIR as one batch (one signature), each as\n"
     "its UTF-8 bytes, or hex-decoded with --hex. With no BLOCK arguments, reads stdin as\n"
     "JSON lines: one JSON string per line, blank lines skipped; nothing is appended if any\n"
     "line is bad. Use -- before blocks that start with '-'. Prints the new length.",
     kAppendOptions, run_append},
    {"core", "info", kDir, "", "print the log's key, length, tree hash and signature",
     "Prints the key, discovery key, id, length, byte length, contiguous length, fork, tree\n"
     "hash, signature and whether the log is writable.",
     kInfoOptions, run_info},
    {"core", "get", kDirIndex, "", "print one block",
     "Prints block INDEX (0-based) of the log in DIR: its raw bytes by default, hex with\n"
     "--hex, or a JSON object with --json.",
     kGetOptions, run_get},
    {"core", "verify", kDir, "", "re-hash every block and check the tree and signature",
     "Re-hashes every stored block, rebuilds the Merkle tree, compares it with the stored\n"
     "nodes and roots and checks the signature of the current length. Exits 1 with the\n"
     "first problem found.",
     kVerifyOptions, run_verify},
};

}  // namespace

std::span<const Command> core_commands() { return kCoreCommands; }

int print_created(const Invocation& inv, const hypercore::Hash& key) {
  if (inv.args.has("json")) {
    print(JsonObject()
              .string("key", to_hex(key))
              .string("discoveryKey", to_hex(hypercore::discovery_key(key)))
              .string("id", hypercore::key_to_id(key))
              .str() +
          "\n");
  } else {
    print(to_hex(key) + "\n");
  }
  return kExitOk;
}

}  // namespace bee::cli
