// remote_query: read a database served elsewhere, in one call (rung 2; serve_db is rung 3).
//
//   remote_query KEY HOST:PORT [K]
//
// KEY is the key serve_db (or `bee serve`) prints; HOST:PORT where it listens (ws://HOST:PORT
// for a WebSocket). The database is opened as a sparse replica in memory: a read fetches
// only the blocks it walks, each verified against KEY. Gets K (default "hello"), lists the
// first ten entries, and prints what each read fetched.
#include <cstdio>
#include <string>

#include "net/remote/remote_database.hpp"

int fail(const hypercore::Error& error) {
  std::fprintf(stderr, "remote_query: %s\n", error.to_string().c_str());
  return 1;
}

std::string text(const std::optional<hypercore::Bytes>& bytes) {
  return bytes ? std::string(bytes->begin(), bytes->end()) : "(no value)";
}

void print_cost(const net::RemoteQueryCost& cost) {
  std::printf("  (fetched %llu blocks, %llu bytes, in %llu round trips)\n",
              static_cast<unsigned long long>(cost.blocks), static_cast<unsigned long long>(cost.bytes),
              static_cast<unsigned long long>(cost.round_trips));
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: remote_query KEY HOST:PORT [K]\n");
    return 2;
  }
  auto peer = net::parse_peer_source(argv[2]);
  if (!peer) return fail(peer.error());

  // One call: connect, check the key, learn the remote's version. Keys and values are UTF-8
  // text by default, as bee::Database writes them.
  auto opened = net::RemoteDatabase::open(argv[1], {.peer = *peer, .open_timeout = std::chrono::seconds(10)});
  if (!opened) return fail(opened.error());
  net::RemoteDatabase& db = **opened;
  std::printf("version %llu\n", static_cast<unsigned long long>(db.version()));

  std::string key = argc > 3 ? argv[3] : "hello";
  auto got = db.get(key);  // Result<std::optional<bee::DbEntry>>
  if (!got) return fail(got.error());
  if (*got) {
    std::printf("%s = %s\n", key.c_str(), text((*got)->value).c_str());
  } else {
    std::printf("%s: no such key\n", key.c_str());
  }
  print_cost(db.last_query());

  bee::DbRange first_ten;  // bounds (gt, gte, lt, lte) in natural form; none: everything
  first_ten.limit = 10;
  auto entries = db.range(first_ten);
  if (!entries) return fail(entries.error());
  std::printf("first %zu entries:\n", entries->size());
  for (const auto& entry : *entries) {
    std::printf("  %s = %s\n", text(entry.key).c_str(), text(entry.value).c_str());
  }
  print_cost(db.last_query());
  return 0;  // the database closes (and its thread ends) when `opened` goes
}
