// swarm_db: find a database by its key alone and query it (rung 4).
//
//   swarm_db KEY [--bootstrap IPV4:PORT]...
//
// No address: the database's discovery key is looked up on the local network (mDNS), and,
// with --bootstrap, on the HyperDHT through those nodes too (`bee dht bootstrap` runs one;
// net::swarm::kPublicBootstrap are the public ones). Whoever is found serving it is
// dialled: `serve_db --lan` on this network, or `bee serve DIR --swarm ...`. What it sends
// is verified against KEY, so it does not matter who that is.
#include <cstdio>
#include <string>

#include "net/remote/remote_database.hpp"

int fail(const hypercore::Error& error) {
  std::fprintf(stderr, "swarm_db: %s\n", error.to_string().c_str());
  return 1;
}

std::string text(const std::optional<hypercore::Bytes>& bytes) {
  return bytes ? std::string(bytes->begin(), bytes->end()) : "(no value)";
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: swarm_db KEY [--bootstrap IPV4:PORT]...\n");
    return 2;
  }
  net::SwarmDiscovery swarm;  // mDNS on the LAN
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) != "--bootstrap") break;
    swarm.mode = net::swarm::DiscoveryMode::both;  // the LAN and the DHT
    swarm.bootstrap.push_back(argv[i + 1]);
  }

  // The open timeout covers finding a peer too.
  auto opened = net::RemoteDatabase::open(argv[1], {.peer = swarm, .open_timeout = std::chrono::seconds(30)});
  if (!opened) return fail(opened.error());
  net::RemoteDatabase& db = **opened;
  std::printf("found it: version %llu\n", static_cast<unsigned long long>(db.version()));

  auto hello = db.get("hello");
  if (!hello) return fail(hello.error());
  std::printf("hello = %s\n", *hello ? text((*hello)->value).c_str() : "(no such key)");

  // The last five writes, newest first.
  bee::HistoryRange last_five;
  last_five.reverse = true;
  last_five.limit = 5;
  auto history = db.history(last_five);
  if (!history) return fail(history.error());
  for (const auto& change : *history) {
    bool put = change.type == bee::HistoryEntry::Type::put;
    std::printf("  #%llu %s %s %s\n", static_cast<unsigned long long>(change.entry.seq), put ? "put" : "del",
                text(change.entry.key).c_str(), put ? text(change.entry.value).c_str() : "");
  }
  return 0;
}
