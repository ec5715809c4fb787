// Database: the decisions of opening (what exists, what may be created, who holds the lock)
// in one place, then everything forwarded to the Db view.
#include "bee/database.hpp"

#include <algorithm>
#include <filesystem>

#include "hypercore/storage.hpp"

namespace bee {

using hypercore::Core;
using hypercore::errc;
using hypercore::fail;

namespace {

hypercore::CoreOptions core_options(const DatabaseOptions& options) {
  hypercore::CoreOptions out;
  out.durability = options.durability;
  out.read_only = options.read_only;
  if (!options.read_only) out.key_pair = options.key_pair;
  return out;
}

BeeOptions bee_options(const DatabaseOptions& options) {
  BeeOptions out;
  out.always_duplicate = options.always_duplicate;
  out.metadata = options.metadata;
  out.cache_bytes = options.cache_bytes;
  return out;
}

// Core::open checks a given key pair only when the folder stores no secret key; a caller who
// names a signer means that one, so it is checked either way.
bool signs(const Core& core, const hypercore::KeyPair& key_pair) {
  const auto& manifest = core.identity().manifest();
  if (!manifest || core.identity().compat()) return core.key() == key_pair.public_key;
  return std::any_of(manifest->signers.begin(), manifest->signers.end(),
                     [&](const hypercore::Signer& s) { return s.public_key == key_pair.public_key; });
}

std::unexpected<Error> no_database(const std::string& path, const DatabaseOptions& options) {
  return fail(errc::not_found, "no database at " + path +
                                   (options.read_only ? " (a read-only open never creates one)"
                                                      : " (create_if_missing is off)"));
}

// The storage's message names the lock file and how the other process holds it.
Error in_use(const std::string& path, const Error& error, const DatabaseOptions& options) {
  std::string what = options.read_only ? " is open for writing by another process" : " is open in another process";
  return Error{errc::locked, "database " + path + what + " (" + error.message + ")"};
}

}  // namespace

Database::Database(std::string path, std::shared_ptr<hypercore::Storage> storage, std::shared_ptr<Core> core,
                   std::unique_ptr<Bee> bee, const DatabaseOptions& options)
    : path_(std::move(path)),
      storage_(std::move(storage)),
      core_(std::move(core)),
      bee_(std::move(bee)),
      db_(*bee_, options.key_encoding, options.value_encoding) {}

Database::~Database() { (void)close(); }

Result<std::unique_ptr<Database>> Database::wrap(std::string path, std::shared_ptr<hypercore::Storage> storage,
                                                 std::unique_ptr<Core> core, const DatabaseOptions& options) {
  std::shared_ptr<Core> shared = std::move(core);
  HC_TRY(bee, Bee::open(shared, bee_options(options)));
  return std::unique_ptr<Database>(new Database(std::move(path), std::move(storage), std::move(shared), std::move(bee), options));
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path, DatabaseOptions options) {
  if (path.empty()) return fail(errc::invalid_argument, "the database path is empty");
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_directory(status)) {
    return fail(errc::invalid_argument, path + " is a file, not a database folder");
  }
  const bool may_create = options.create_if_missing && !options.read_only;
  if (!std::filesystem::exists(status) && !may_create) return no_database(path, options);

  HC_TRY(storage, hypercore::open_directory_storage(path, {.create_if_missing = may_create}));
  auto core = Core::open(storage, core_options(options));
  if (core) {
    // Either way the core is dropped without close(): a Core writes nothing then.
    if (options.error_if_exists) return fail(errc::already_exists, "a database already exists at " + path);
    if (options.key_pair && !options.read_only && !signs(**core, *options.key_pair)) {
      return fail(errc::invalid_argument, "the given key pair does not sign database " + path + " (key " +
                                              hypercore::to_hex((*core)->key()) + ")");
    }
  } else if (core.error().code == errc::not_found) {
    if (!may_create) return no_database(path, options);
    hypercore::CoreOptions create_options = core_options(options);
    create_options.key_pair.reset();
    core = Core::create(storage, options.key_pair.value_or(hypercore::KeyPair::random()), create_options);
  }
  if (!core && core.error().code == errc::locked) return std::unexpected(in_use(path, core.error(), options));
  if (!core) return std::unexpected(core.error());
  return wrap(path, std::move(storage), std::move(*core), options);
}

Result<std::unique_ptr<Database>> Database::open_in_memory(DatabaseOptions options) {
  if (options.read_only) return fail(errc::invalid_argument, "an in-memory database cannot be read-only: it starts empty");
  auto storage = hypercore::make_memory_storage();
  hypercore::CoreOptions create_options = core_options(options);
  create_options.key_pair.reset();
  HC_TRY(core, Core::create(storage, options.key_pair.value_or(hypercore::KeyPair::random()), create_options));
  return wrap("memory", std::move(storage), std::move(core), options);
}

Result<void> Database::check_open() const {
  if (closed_) return fail(errc::closed, "database " + path_ + " is closed");
  return {};
}

Result<bool> Database::put(std::string_view key, std::string_view value) {
  HC_CHECK(check_open());
  return db_.put(hypercore::as_bytes(key), hypercore::as_bytes(value));
}

Result<std::optional<std::string>> Database::get(std::string_view key) const {
  HC_CHECK(check_open());
  // Read in place, not moved out with HC_TRY: that move makes g++ 12 warn
  // -Wmaybe-uninitialized (GCC bug 80635).
  auto entry = db_.get(hypercore::as_bytes(key));
  if (!entry) return std::unexpected(std::move(entry.error()));
  if (!*entry || !(*entry)->value) return std::optional<std::string>{};
  return std::optional<std::string>(as_string(*(*entry)->value));
}

Result<bool> Database::del(std::string_view key) {
  HC_CHECK(check_open());
  return db_.del(hypercore::as_bytes(key));
}

Result<DbRangeIterator> Database::range(std::optional<std::string_view> gte, std::optional<std::string_view> lt) const {
  HC_CHECK(check_open());
  DbRange bounds;
  if (gte) bounds.gte = hypercore::to_bytes(*gte);
  if (lt) bounds.lt = hypercore::to_bytes(*lt);
  return db_.range(bounds);
}

Result<void> Database::close() {
  if (closed_) return {};
  closed_ = true;
  return core_->close();
}

}  // namespace bee
