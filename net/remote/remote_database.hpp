// A remote database in one call, with blocking reads: open a bee served elsewhere by its
// key (and a peer address, a WebSocket, or the swarm), then get, range and history as on
// a local bee::Db, with encodings and sub-databases applied. Only the blocks each read
// walks are fetched, each verified against the key before use; nothing touches the disk.
//
//   auto db = net::RemoteDatabase::open(key_text, {.peer = net::TcpPeer{"127.0.0.1", 9000}});
//   if (!db) return fail(db.error());                  // hypercore::Error: code + message
//   auto entry = (*db)->get("hello");                   // Result<std::optional<bee::DbEntry>>
//
// How it works: the database owns an io_context running on a thread of its own, with a
// RemoteBeeClient (remote_bee_client.hpp) on it; each call posts its query there and waits
// for the answer, never longer than its deadline. For an asynchronous API, use
// RemoteBeeClient directly. No Asio in this header: users need no Boost include.
//
// Errors are hypercore::Error values (to_hypercore_error in remote_bee.hpp), the message
// naming what failed: io_error for a refused connect (the message names the address) or a
// broken connection; not_found when no peer for the key was found or the peer does not
// have the core; timeout when the data did not arrive within a deadline (the message
// starts with request_timeout); block_not_available when the peer lacks it; closed after close();
// invalid_argument for a key or value the encodings refuse; corrupt for a block that
// verified but does not decode.
//
// Ownership and threads: open() returns the owner; sub() and with_encodings() return views
// sharing its connection. The connection ends with close() on any of them or when the
// owner is destroyed (its thread is joined; calls in flight in other threads return
// `closed` at once); views then fail with `closed`. Every method may be called from any
// thread, also concurrently (each call waits for its own answer); do not destroy an object
// while another thread is inside one of its methods.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "bee/db.hpp"
#include "hypercore/error.hpp"
#include "net/remote/peer_source.hpp"

namespace net {

struct RemoteDatabaseOptions {
  // Where the database is served: TcpPeer{host, port}, WebSocketPeer{host, port} or
  // SwarmDiscovery{mode, bootstrap} (peer_source.hpp). Required: the default TcpPeer has
  // no port.
  PeerSource peer = TcpPeer{};
  // Natural forms of keys and values (bee/encoding.hpp). Default utf-8 both, as
  // bee::DatabaseOptions.
  bee::Encoding key_encoding = bee::Encoding::utf8;
  bee::Encoding value_encoding = bee::Encoding::utf8;
  // open(): discovery, connect, handshake and the remote's length, together. Default 20 s.
  std::chrono::milliseconds open_timeout{20000};
  // Every get, range or history: fails with errc::timeout ("request_timeout: ...")
  // if the blocks have not all arrived by then. Default 20 s.
  std::chrono::milliseconds query_timeout{20000};
  // Follow the writer: reads see the remote's appends as they arrive. false: the version
  // the open found. Default true.
  bool live = true;
  // Memory for decoded blocks and tree nodes (bee::BeeOptions::cache_bytes, a bound, not
  // an allocation); the fetched blocks themselves stay in memory while the database is
  // open. Default 64 MiB, as bee::BeeOptions.
  size_t cache_bytes = 64 << 20;
};

// What the last query on the connection cost.
struct RemoteQueryCost {
  uint64_t version = 0;         // the version it read
  uint64_t blocks = 0;          // blocks it requested (RemoteQueryStats::blocks_fetched)
  uint64_t bytes = 0;           // block payload bytes received while it ran
  uint64_t round_trips = 0;     // batches of requests it waited for
  std::chrono::microseconds elapsed{0};
};

class RemoteDatabase {
 public:
  // Connects and waits for the remote's length (at most open_timeout). `key` is the bee's
  // core key; the text form takes 64 hex digits or a 52-character z-base-32 id, with or
  // without "pear://" (hypercore::parse_key).
  static hypercore::Result<std::unique_ptr<RemoteDatabase>> open(const hypercore::Hash& key,
                                                                 RemoteDatabaseOptions options);
  static hypercore::Result<std::unique_ptr<RemoteDatabase>> open(std::string_view key, RemoteDatabaseOptions options);

  ~RemoteDatabase();  // the owner closes
  RemoteDatabase(RemoteDatabase&&) noexcept;
  RemoteDatabase& operator=(RemoteDatabase&&) noexcept;
  RemoteDatabase(const RemoteDatabase&) = delete;
  RemoteDatabase& operator=(const RemoteDatabase&) = delete;

  // nullopt: no such key. Keys in the key encoding's natural form.
  hypercore::Result<std::optional<bee::DbEntry>> get(hypercore::ByteSpan key);
  hypercore::Result<std::optional<bee::DbEntry>> get(std::string_view key) { return get(hypercore::as_bytes(key)); }
  // Entries in key order (reverse, limit as bee::DbRange), bounds in natural form.
  hypercore::Result<std::vector<bee::DbEntry>> range(const bee::DbRange& range = {});
  // The log's puts and deletes by seq (bee::HistoryRange). On a sub-database, as bee::Db:
  // the whole bee's history with the prefix's length cut off each key.
  hypercore::Result<std::vector<bee::DbHistoryEntry>> history(const bee::HistoryRange& range = {});

  // A view of the sub-database `name` (nested subs: call again), on the same connection,
  // with this view's encodings (separator 00, as bee::Db::sub).
  RemoteDatabase sub(std::string_view name) const;
  // A view with other encodings (e.g. a sub whose values are JSON).
  RemoteDatabase with_encodings(bee::Encoding key_encoding, bee::Encoding value_encoding) const;

  // The version reads see now: the remote's length as far as known (at least 1, as
  // bee::Bee::version). Asks the connection's thread; after close, the last known one.
  uint64_t version() const;
  const hypercore::Hash& key() const;
  // The last query's cost on this connection (any view's).
  RemoteQueryCost last_query() const;
  // False after close(), or once the peer ended the connection (asks its thread).
  bool is_open() const;
  // Ends the connection and joins its thread (bounded: a few seconds at most); calls in
  // flight return `closed`. Idempotent.
  void close();

 private:
  struct Connection;
  RemoteDatabase(std::shared_ptr<Connection> connection, bee::Encoding key_encoding, bee::Encoding value_encoding,
                 std::vector<hypercore::Bytes> subs, bool owner);
  // The bee::Db this view reads as (its encodings and prefix; its reads are never used).
  bee::Db view() const;

  std::shared_ptr<Connection> connection_;
  bee::Encoding key_encoding_, value_encoding_;
  std::vector<hypercore::Bytes> subs_;  // sub names, outermost first
  bool owner_ = false;
};

}  // namespace net
