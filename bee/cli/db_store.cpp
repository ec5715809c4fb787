#include "bee/cli/db_store.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>
#include <filesystem>

#include "hypercore/storage.hpp"

namespace bee::cli {

using hypercore::errc;
using hypercore::fail;

Result<void> Store::close() {
  bee.reset();
  return core->close();
}

namespace {

// Only `create` paths may create a directory (the directory storage creates its root).
Result<std::shared_ptr<hypercore::Storage>> existing_storage(const std::string& dir) {
  std::error_code ec;
  auto status = std::filesystem::status(dir, ec);
  if (!std::filesystem::exists(status)) return fail(errc::not_found, dir + ": no such directory");
  if (!std::filesystem::is_directory(status)) return fail(errc::invalid_argument, dir + ": not a directory");
  return hypercore::open_directory_storage(dir);
}

Result<Store> with_bee(std::shared_ptr<hypercore::Core> core, BeeOptions options) {
  Store store;
  store.core = std::move(core);
  HC_TRY(bee, Bee::open(store.core, std::move(options)));
  store.bee = std::move(bee);
  return store;
}

}  // namespace

Result<BeeOptions> bee_options() {
  BeeOptions options;
  const char* text = std::getenv("BEE_CACHE_MB");
  if (!text) return options;
  std::string_view value(text);
  uint64_t mib = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), mib);
  constexpr uint64_t kMaxMib = uint64_t{1} << 20;  // 1 TiB
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || mib < 1 || mib > kMaxMib) {
    return fail(errc::invalid_argument, "BEE_CACHE_MB='" + std::string(value) + "': expected a whole number of MiB from 1 to " +
                                            std::to_string(kMaxMib));
  }
  options.cache_bytes = static_cast<size_t>(mib) << 20;
  return options;
}

Result<Store> open_store(const std::string& dir, std::optional<hypercore::KeyPair> key_pair) {
  HC_TRY(bee_opts, bee_options());  // before anything is opened: a bad setting changes nothing
  HC_TRY(storage, existing_storage(dir));
  hypercore::CoreOptions options;
  options.key_pair = std::move(key_pair);
  HC_TRY(core, hypercore::Core::open(std::move(storage), std::move(options)));
  return with_bee(std::move(core), std::move(bee_opts));
}

Result<Store> create_store(const std::string& dir, const hypercore::KeyPair& key_pair) {
  HC_TRY(bee_opts, bee_options());  // before anything is created
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
    return fail(errc::invalid_argument, dir + ": not a directory");
  }
  HC_TRY(storage, hypercore::open_directory_storage(dir));
  HC_TRY(core, hypercore::Core::create(std::move(storage), key_pair));
  return with_bee(std::move(core), std::move(bee_opts));
}

std::expected<std::optional<hypercore::KeyPair>, std::string> seed_option(const ParsedArgs& args) {
  auto hex = args.value("seed");
  if (!hex) return std::nullopt;
  auto seed = hypercore::hash_from_hex(*hex);
  if (!seed) return std::unexpected("--seed needs 64 hex digits (32 bytes), got '" + *hex + "'");
  return hypercore::KeyPair::from_seed(*seed);
}

std::optional<uint64_t> parse_uint(const std::string& text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> parse_int(const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::expected<DbOptions, std::string> db_options(const Invocation& inv) {
  DbOptions out;
  const ParsedArgs& args = inv.args;
  auto encoding = [&](const char* name, Encoding& target) -> std::expected<void, std::string> {
    auto v = args.value(name);
    if (!v) return {};
    auto e = parse_encoding(*v);
    if (!e) return std::unexpected("--" + std::string(name) + " must be binary, utf-8 or json, got '" + *v + "'");
    target = *e;
    return {};
  };
  if (auto r = encoding("encoding", out.key_encoding); !r) return std::unexpected(r.error());
  out.value_encoding = out.key_encoding;
  if (auto r = encoding("key-encoding", out.key_encoding); !r) return std::unexpected(r.error());
  if (auto r = encoding("value-encoding", out.value_encoding); !r) return std::unexpected(r.error());
  for (const auto& [name, value] : inv.repeated) {
    if (name == "sub") out.subs.push_back(value);
  }
  if (auto sep = args.value("sep")) {
    auto bytes = hypercore::from_hex(*sep);
    if (!bytes) return std::unexpected("--sep must be hex, got '" + *sep + "'");
    out.sep = std::move(*bytes);
  }
  if (auto version = args.value("version")) {
    auto v = parse_uint(*version);
    if (!v) return std::unexpected("--version must be a version number, got '" + *version + "'");
    out.version = *v;
  }
  out.json = args.has("json");
  return out;
}

Result<Db> make_db(Bee& bee, const DbOptions& options) {
  Db db(bee, options.key_encoding, options.value_encoding);
  if (options.version) {
    if (*options.version > bee.version()) {
      return fail(errc::out_of_range, "version " + std::to_string(*options.version) + " is beyond the current version " +
                                          std::to_string(bee.version()));
    }
    HC_TRY(checkout, db.at_version(*options.version));
    db = checkout;
  }
  for (const auto& name : options.subs) {
    std::optional<ByteSpan> sep;
    if (options.sep) sep = ByteSpan(*options.sep);
    db = db.sub(std::string_view(name), sep);
  }
  return db;
}

std::expected<Bytes, std::string> natural_from_arg(Encoding encoding, const std::string& arg, std::string_view what) {
  switch (encoding) {
    case Encoding::binary: {
      auto bytes = hypercore::from_hex(arg);
      if (!bytes) return std::unexpected(std::string(what) + " must be hex (binary encoding), got '" + arg + "'");
      return std::move(*bytes);
    }
    case Encoding::utf8:
      if (!is_valid_utf8(hypercore::as_bytes(arg))) return std::unexpected(std::string(what) + " is not valid UTF-8");
      return hypercore::to_bytes(arg);
    case Encoding::json: {
      auto text = json_canonical(arg);
      if (!text) return std::unexpected(std::string(what) + ": " + text.error().message);
      return hypercore::to_bytes(*text);
    }
  }
  return std::unexpected("unknown encoding");
}

std::string natural_to_text(Encoding encoding, ByteSpan natural) {
  if (encoding == Encoding::binary) return hypercore::to_hex(natural);
  return {reinterpret_cast<const char*>(natural.data()), natural.size()};
}

}  // namespace bee::cli
