// serve_db: put a database on the network (rung 3; rung 1 is hello_db, rung 2 remote_query).
//
//   serve_db [DIR] [--port N] [--seconds N] [--lan]
//
// Opens (or creates) the database in DIR (default hello.db, the one hello_db writes), adds
// a few entries if it is empty, and serves it over TCP until Ctrl-C or --seconds. Readers
// (remote_query, swarm_db, `bee query`, Node's Hyperbee) need only the key printed here:
// every block they fetch is verified against it. With --lan the database is also announced
// on the local network, so swarm_db finds it by the key alone.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bee/database.hpp"
#include "hypercore/bytes.hpp"
#include "net/remote/bee_server.hpp"
#include "net/transport/event_loop.hpp"

int fail(const hypercore::Error& error) {
  std::fprintf(stderr, "serve_db: %s\n", error.to_string().c_str());
  return 1;
}

int main(int argc, char** argv) {
  std::string dir = "hello.db";
  net::BeeServerOptions options;  // 127.0.0.1, any free port, the hyperbee extension on
  int seconds = 0;                // 0: until a signal
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      options.port = static_cast<uint16_t>(std::atoi(argv[++i]));
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atoi(argv[++i]);
    } else if (arg == "--lan") {
      options.swarm = net::SwarmDiscovery{};  // mDNS; listens on 0.0.0.0 so LAN peers can dial
    } else {
      dir = arg;
    }
  }

  auto opened = bee::Database::open(dir);
  if (!opened) return fail(opened.error());
  bee::Database& db = **opened;
  if (db.version() <= 1) {  // nothing written yet: something to query
    const char* entries[][2] = {{"apple", "red"}, {"banana", "yellow"}, {"cherry", "dark red"}, {"hello", "world"}};
    for (auto& [key, value] : entries) {
      if (auto put = db.put(key, value); !put) return fail(put.error());
    }
  }

  // The event loop runs the server's connections on this thread.
  net::EventLoop loop;
  options.on_event = [](const net::BeeServerEvent& e) {
    bool joined = e.kind == net::BeeServerEvent::Kind::connected;
    std::fprintf(stderr, "serve_db: peer %s %s\n", e.remote.c_str(), joined ? "connected" : "left");
  };
  auto server = net::serve_bee(loop.context(), db.core(), options);
  if (!server) return fail(server.error());

  std::string key = hypercore::to_hex(db.key());
  std::printf("serving %s (version %llu)\nkey %s\nport %u\n", dir.c_str(),
              static_cast<unsigned long long>(db.version()), key.c_str(), (*server)->port());
  std::printf("try: remote_query %s 127.0.0.1:%u\n", key.c_str(), (*server)->port());
  std::fflush(stdout);

  auto stop = [&] {
    (*server)->stop();   // no new readers; connections close
    loop.cancel_waits();  // the signal and timer waits, so the loop can run out of work
  };
  loop.on_signals({SIGINT, SIGTERM}, [&](int) { stop(); });
  if (seconds > 0) loop.after(std::chrono::seconds(seconds), stop);
  while (!loop.run_for(std::chrono::hours(1))) {
  }
  std::printf("stopped\n");
  return 0;
}
