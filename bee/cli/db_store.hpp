// What the database commands (db_commands.cpp) share: opening the store in a directory (a
// Hypercore log holding a Hyperbee), the read options every command takes (encodings,
// --sub/--sep, --version), and keys and values between the command line and their natural
// form (bee/encoding.hpp). On the command line and in text output a binary key or value is
// hex; utf-8 is the text itself; json is JSON text.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bee/cli/command.hpp"
#include "bee/db.hpp"
#include "hypercore/core.hpp"
#include "hypercore/crypto.hpp"

namespace bee::cli {

struct Store {
  std::shared_ptr<hypercore::Core> core;
  std::unique_ptr<Bee> bee;
  // Checkpoints the log (after writes).
  Result<void> close();
};

// The BeeOptions of every bee a command opens: the defaults, with the decoded-node cache
// (BeeOptions::cache_bytes) from the environment variable BEE_CACHE_MB when it is set, a
// whole number of MiB from 1 to 1048576; errc::invalid_argument naming the variable if not.
Result<BeeOptions> bee_options();

// The store in `dir`; errc::not_found if the directory or the log is missing. Signs with
// `key_pair` when the store holds no secret key.
Result<Store> open_store(const std::string& dir, std::optional<hypercore::KeyPair> key_pair = std::nullopt);
// A new empty store (errc::already_exists if `dir` holds a log).
Result<Store> create_store(const std::string& dir, const hypercore::KeyPair& key_pair);

// --seed HEX; the error is a usage message.
std::expected<std::optional<hypercore::KeyPair>, std::string> seed_option(const ParsedArgs& args);

struct DbOptions {
  Encoding key_encoding = Encoding::utf8;
  Encoding value_encoding = Encoding::utf8;
  std::vector<std::string> subs;
  std::optional<Bytes> sep;
  std::optional<uint64_t> version;
  bool json = false;
};
// --key-encoding, --value-encoding, --encoding, --sub (repeatable), --sep, --version,
// --json. The error is a usage message.
std::expected<DbOptions, std::string> db_options(const Invocation& inv);
// The Db those options describe (a checkout if --version was given).
Result<Db> make_db(Bee& bee, const DbOptions& options);

// A key or value given as an argument, in natural form. The error is a usage message.
std::expected<Bytes, std::string> natural_from_arg(Encoding encoding, const std::string& arg, std::string_view what);
// A natural-form key or value for text output.
std::string natural_to_text(Encoding encoding, ByteSpan natural);

// Parses an integer argument (non-negative / signed).
std::optional<uint64_t> parse_uint(const std::string& text);
std::optional<int64_t> parse_int(const std::string& text);

}  // namespace bee::cli
