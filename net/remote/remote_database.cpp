// RemoteDatabase: RemoteBeeClient on an io_context of its own thread, each call posted there
// and waited for with a deadline. Handlers on the io thread refer to the Connection by raw
// pointer: the thread is joined before the Connection is destroyed, and a shared_ptr held
// by a pending handler would keep the io_context (which holds the handler) alive forever.
#include "net/remote/remote_database.hpp"

#include <utility>  // before Asio (STYLE.md: Boost 1.74's awaitable.hpp needs it)

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "hypercore/id.hpp"
#include "net/remote/remote_bee_async.hpp"

namespace net {

namespace {

using hypercore::errc;
using hypercore::Result;
using namespace std::chrono_literals;

// The caller's wait outlasts the query's own deadline by this much, so that the query's
// error (which names the block it waited for) is the one reported.
constexpr auto kWaitMargin = 1s;
// close(): how long the connection gets to end cleanly before its loop is stopped.
constexpr auto kCloseGrace = 2s;

hypercore::Error closed_error() { return {errc::closed, "the remote database is closed"}; }

}  // namespace

struct RemoteDatabase::Connection {
  boost::asio::io_context io{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::thread thread;
  hypercore::Hash key{};
  RemoteDatabaseOptions options;
  // Set once open succeeded, before any call can see the Connection; used on the io thread.
  std::shared_ptr<RemoteBeeClient> client;

  std::mutex mutex;  // guards what follows; `cv` signals every change of it
  std::condition_variable cv;
  bool closed = false;
  bool loop_done = false;
  uint64_t version = 1;
  RemoteQueryCost last;

  std::mutex close_mutex;  // one close at a time (join is not reentrant)

  ~Connection() { shutdown(); }

  void start() {
    work.emplace(io.get_executor());
    thread = std::thread([this] {
      io.run();
      std::lock_guard lock(mutex);
      loop_done = true;
      cv.notify_all();
    });
  }

  // Wakes every waiting call, ends the connection cleanly if it can, joins the thread.
  void shutdown() {
    {
      std::lock_guard lock(mutex);
      closed = true;
    }
    cv.notify_all();
    std::lock_guard closing(close_mutex);
    if (!thread.joinable()) return;
    boost::asio::post(io, [this] {
      if (client) client->close();  // queries in flight fail; the socket closes
    });
    work.reset();
    {
      std::unique_lock lock(mutex);
      cv.wait_for(lock, kCloseGrace, [&] { return loop_done; });
    }
    io.stop();  // whatever did not end in time is abandoned
    thread.join();
  }

  // Runs start(client, done) on the io thread and waits for done(result), at most `limit`.
  template <class T>
  Result<T> call(std::function<void(RemoteBeeClient&, std::function<void(Result<T>)>)> start,
                 std::chrono::milliseconds limit) {
    auto slot = std::make_shared<std::optional<Result<T>>>();
    {
      std::lock_guard lock(mutex);
      if (closed) return std::unexpected(closed_error());
    }
    Connection* self = this;
    boost::asio::post(io, [self, slot, start = std::move(start)] {
      start(*self->client, [self, slot](Result<T> r) {
        {
          std::lock_guard lock(self->mutex);
          if (!*slot) *slot = std::move(r);
        }
        self->cv.notify_all();
      });
    });
    std::unique_lock lock(mutex);
    cv.wait_for(lock, limit, [&] { return slot->has_value() || closed; });
    // A failure that raced with close() is close()'s doing: report it as such.
    if (slot->has_value() && (**slot || !closed)) return std::move(**slot);
    if (closed) return std::unexpected(closed_error());
    return hypercore::fail(errc::timeout, "request_timeout: no answer within " + std::to_string(limit.count()) + " ms");
  }

  // A query: `run` starts one of the client's async_ calls; its raw result comes back
  // (errors mapped to hypercore::Error) and its cost is recorded.
  template <class Raw>
  using QueryDone = std::function<void(std::expected<Raw, RemoteQueryError>)>;
  template <class Raw>
  Result<Raw> query(std::function<void(RemoteBeeClient&, QueryDone<Raw>)> run) {
    Connection* self = this;
    return call<Raw>(
        [self, run = std::move(run)](RemoteBeeClient& client, std::function<void(Result<Raw>)> done) {
          auto before = client.counters();
          auto started = std::chrono::steady_clock::now();
          run(client, [self, &client, before, started, done](std::expected<Raw, RemoteQueryError> r) {
            if (!r) return done(std::unexpected(to_hypercore_error(r.error())));
            RemoteQueryCost cost;
            cost.version = r->version;
            cost.blocks = r->stats.blocks_fetched;
            cost.bytes = client.counters().block_bytes_down - before.block_bytes_down;
            cost.round_trips = r->stats.round_trips;
            cost.elapsed =
                std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
            {
              std::lock_guard lock(self->mutex);
              self->last = cost;
              self->version = client.bee().version();
            }
            done(std::move(*r));
          });
        },
        options.query_timeout + kWaitMargin);
  }
};

// ---------------------------------------------------------------------------------------

hypercore::Result<std::unique_ptr<RemoteDatabase>> RemoteDatabase::open(std::string_view key,
                                                                       RemoteDatabaseOptions options) {
  auto parsed = hypercore::parse_key(key);
  if (!parsed) return std::unexpected(parsed.error());
  return open(*parsed, std::move(options));
}

hypercore::Result<std::unique_ptr<RemoteDatabase>> RemoteDatabase::open(const hypercore::Hash& key,
                                                                       RemoteDatabaseOptions options) {
  auto c = std::make_shared<Connection>();
  c->key = key;
  c->options = options;
  RemoteBeeClientOptions client_options;
  client_options.peer = options.peer;
  client_options.key = key;
  client_options.open_timeout = options.open_timeout;
  client_options.query_timeout = options.query_timeout;
  client_options.replicator.live = options.live;
  client_options.bee.cache_bytes = options.cache_bytes;
  c->start();

  using Opened = std::expected<std::shared_ptr<RemoteBeeClient>, RemoteQueryError>;
  auto slot = std::make_shared<std::optional<Opened>>();
  Connection* raw = c.get();
  boost::asio::post(c->io, [raw, slot, client_options] {
    RemoteBeeClient::open(raw->io, client_options, [raw, slot](Opened r) {
      {
        std::lock_guard lock(raw->mutex);
        *slot = std::move(r);
      }
      raw->cv.notify_all();
    });
  });
  std::optional<Opened> opened;
  {
    std::unique_lock lock(c->mutex);
    c->cv.wait_for(lock, options.open_timeout + kWaitMargin, [&] { return slot->has_value(); });
    // What came in time; a late answer stays in the slot (and ends with it).
    if (slot->has_value()) opened = std::move(*slot);
  }
  if (!opened || !*opened) {
    c->shutdown();
    if (!opened) {
      // The client's own open deadline comes first: this is only a loop that stalled.
      return hypercore::fail(errc::timeout, "request_timeout: opening " + hypercore::to_hex(key) + " on " +
                                                 to_string(options.peer) + " did not finish in time");
    }
    return std::unexpected(to_hypercore_error(opened->error()));
  }
  c->client = std::move(**opened);
  {
    std::lock_guard lock(c->mutex);
    c->version = std::max<uint64_t>(1, c->client->version());
  }
  return std::unique_ptr<RemoteDatabase>(
      new RemoteDatabase(std::move(c), options.key_encoding, options.value_encoding, {}, /*owner=*/true));
}

RemoteDatabase::RemoteDatabase(std::shared_ptr<Connection> connection, bee::Encoding key_encoding,
                               bee::Encoding value_encoding, std::vector<hypercore::Bytes> subs, bool owner)
    : connection_(std::move(connection)),
      key_encoding_(key_encoding),
      value_encoding_(value_encoding),
      subs_(std::move(subs)),
      owner_(owner) {}

RemoteDatabase::~RemoteDatabase() {
  if (owner_ && connection_) connection_->shutdown();
}

RemoteDatabase::RemoteDatabase(RemoteDatabase&& other) noexcept
    : connection_(std::move(other.connection_)),
      key_encoding_(other.key_encoding_),
      value_encoding_(other.value_encoding_),
      subs_(std::move(other.subs_)),
      owner_(std::exchange(other.owner_, false)) {}

RemoteDatabase& RemoteDatabase::operator=(RemoteDatabase&& other) noexcept {
  if (this == &other) return *this;
  if (owner_ && connection_) connection_->shutdown();
  connection_ = std::move(other.connection_);
  key_encoding_ = other.key_encoding_;
  value_encoding_ = other.value_encoding_;
  subs_ = std::move(other.subs_);
  owner_ = std::exchange(other.owner_, false);
  return *this;
}

bee::Db RemoteDatabase::view() const {
  // Only the Db's encoding side is used (encode_key, encode_range, decoder): it never
  // reads the bee, which belongs to the io thread.
  bee::Db db(connection_->client->bee(), key_encoding_, value_encoding_);
  for (const auto& name : subs_) db = db.sub(hypercore::ByteSpan(name));
  return db;
}

RemoteDatabase RemoteDatabase::sub(std::string_view name) const {
  auto subs = subs_;
  subs.push_back(hypercore::to_bytes(name));
  return RemoteDatabase(connection_, key_encoding_, value_encoding_, std::move(subs), false);
}

RemoteDatabase RemoteDatabase::with_encodings(bee::Encoding key_encoding, bee::Encoding value_encoding) const {
  return RemoteDatabase(connection_, key_encoding, value_encoding, subs_, false);
}

hypercore::Result<std::optional<bee::DbEntry>> RemoteDatabase::get(hypercore::ByteSpan key) {
  if (!connection_) return std::unexpected(closed_error());
  std::shared_ptr<Connection> c = connection_;  // this call's: the owner may go meanwhile
  bee::Db db = view();
  HC_TRY(stored, db.encode_key(key));
  auto got = c->query<GetResult>([stored](RemoteBeeClient& client, auto done) {
    client.async_get(stored, {}, std::move(done));
  });
  if (!got) return std::unexpected(got.error());
  if (!got->entry) return std::nullopt;
  HC_TRY(entry, db.decoder().entry(*got->entry));
  return std::optional<bee::DbEntry>(std::move(entry));
}

hypercore::Result<std::vector<bee::DbEntry>> RemoteDatabase::range(const bee::DbRange& range) {
  if (!connection_) return std::unexpected(closed_error());
  std::shared_ptr<Connection> c = connection_;
  bee::Db db = view();
  HC_TRY(stored, db.encode_range(range));
  auto got = c->query<RangeResult>([stored](RemoteBeeClient& client, auto done) {
    client.async_range(stored, {}, std::move(done));
  });
  if (!got) return std::unexpected(got.error());
  std::vector<bee::DbEntry> out;
  out.reserve(got->entries.size());
  auto decoder = db.decoder();
  for (const auto& raw : got->entries) {
    HC_TRY(entry, decoder.entry(raw));
    out.push_back(std::move(entry));
  }
  return out;
}

hypercore::Result<std::vector<bee::DbHistoryEntry>> RemoteDatabase::history(const bee::HistoryRange& range) {
  if (!connection_) return std::unexpected(closed_error());
  std::shared_ptr<Connection> c = connection_;
  auto decoder = view().decoder();
  auto got = c->query<HistoryResult>([range](RemoteBeeClient& client, auto done) {
    client.async_history(range, {}, std::move(done));
  });
  if (!got) return std::unexpected(got.error());
  std::vector<bee::DbHistoryEntry> out;
  out.reserve(got->entries.size());
  for (const auto& raw : got->entries) {
    HC_TRY(entry, decoder.entry(raw.entry));
    out.push_back(bee::DbHistoryEntry{raw.type, std::move(entry)});
  }
  return out;
}

uint64_t RemoteDatabase::version() const {
  if (!connection_) return 1;
  std::shared_ptr<Connection> c = connection_;
  auto now = c->call<uint64_t>(
      [](RemoteBeeClient& client, std::function<void(Result<uint64_t>)> done) { done(client.bee().version()); },
      std::chrono::milliseconds(1000));
  std::lock_guard lock(c->mutex);
  if (now) c->version = *now;
  return c->version;
}

const hypercore::Hash& RemoteDatabase::key() const {
  static const hypercore::Hash kNone{};
  return connection_ ? connection_->key : kNone;
}

RemoteQueryCost RemoteDatabase::last_query() const {
  if (!connection_) return {};
  std::lock_guard lock(connection_->mutex);
  return connection_->last;
}

bool RemoteDatabase::is_open() const {
  if (!connection_) return false;
  std::shared_ptr<Connection> c = connection_;
  auto open = c->call<bool>(
      [](RemoteBeeClient& client, std::function<void(Result<bool>)> done) { done(client.is_open()); },
      std::chrono::milliseconds(1000));
  return open && *open;
}

void RemoteDatabase::close() {
  if (connection_) connection_->shutdown();
}

}  // namespace net
