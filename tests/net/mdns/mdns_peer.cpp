// A small mDNS peer for the network-namespace test (tests/net/mdns_netns_test.cpp): one
// MdnsSocket that announces and/or browses a topic and prints what happens, one line per
// event, so the test can read it from another namespace.
//
//   mdns_peer --iface 10.77.0.2 --topic T [--announce] [--browse] [--key N] [--port P]
//             [--expect N] [--exit-on-gone] [--timeout-ms T] [--linger-ms L]
//
// Lines: "announced <instance> <host>", "found <pk hex> <instance> <ip>:<port>",
// "gone <pk hex> <instance>", "renamed <instance>", "timeout". Exit 0 once --expect peers
// were found (after --linger-ms more, so the others can find us too) or, with
// --exit-on-gone, once a found peer left; 1 on timeout (when waiting for something),
// 2 on bad arguments or a socket that does not open. Goodbyes go out on every exit.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "hypercore/crypto.hpp"
#include "net/transport/event_loop.hpp"
#include "net/mdns/mdns_socket.hpp"

using namespace net::mdns;

namespace {

std::string ipv4_text(const Ipv4& a) {
  return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." + std::to_string(a[3]);
}

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string iface, topic_text;
  bool announce = false, browse = false, exit_on_gone = false;
  int key = 1, expect = 0;
  long port = 0, timeout_ms = 20000, linger_ms = 3000;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--iface") iface = value();
    else if (a == "--topic") topic_text = value();
    else if (a == "--announce") announce = true;
    else if (a == "--browse") browse = true;
    else if (a == "--exit-on-gone") exit_on_gone = true;
    else if (a == "--key") key = std::atoi(value().c_str());
    else if (a == "--port") port = std::atol(value().c_str());
    else if (a == "--expect") expect = std::atoi(value().c_str());
    else if (a == "--timeout-ms") timeout_ms = std::atol(value().c_str());
    else if (a == "--linger-ms") linger_ms = std::atol(value().c_str());
    else {
      std::fprintf(stderr, "mdns_peer: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  auto address = parse_ipv4(iface);
  if (!address || topic_text.empty()) {
    std::fprintf(stderr, "mdns_peer: --iface <IPv4> and --topic <text> are required\n");
    return 2;
  }
  auto topic = hypercore::blake2b({hypercore::as_bytes(topic_text)});
  MdnsOptions options;
  options.public_key = hypercore::blake2b({hypercore::as_bytes("mdns-peer-" + std::to_string(key))});
  options.port = static_cast<uint16_t>(port ? port : 40000 + key);
  MdnsSocketOptions socket_options;
  socket_options.interfaces = {*address};

  net::EventLoop loop;
  int exit_code = 0;
  bool finishing = false;
  std::set<std::string> found;
  std::unique_ptr<MdnsSocket> socket;
  auto finish = [&](int code) {
    if (finishing) return;
    finishing = true;
    exit_code = code;
    if (socket) socket->close();  // goodbyes
    loop.cancel_waits();
    loop.after(std::chrono::milliseconds(200), [&] { loop.stop(); });
  };

  auto opened = MdnsSocket::open(loop.context(), options, socket_options, [&](const MdnsEvent& event) {
    if (auto* e = std::get_if<Announced>(&event)) say("announced " + e->instance + " " + e->host.to_string());
    if (auto* e = std::get_if<Renamed>(&event)) say("renamed " + e->instance);
    if (auto* e = std::get_if<PeerFound>(&event)) {
      std::string where = e->peer.ipv4.empty() ? "?" : ipv4_text(e->peer.ipv4[0]);
      say("found " + hypercore::to_hex(e->peer.public_key) + " " + e->peer.instance + " " + where + ":" +
          std::to_string(e->peer.port));
      found.insert(e->peer.instance);
      if (expect > 0 && static_cast<int>(found.size()) >= expect && !exit_on_gone)
        loop.after(std::chrono::milliseconds(linger_ms), [&] { finish(0); });
    }
    if (auto* e = std::get_if<PeerGone>(&event)) {
      say("gone " + hypercore::to_hex(e->peer.public_key) + " " + e->peer.instance);
      if (exit_on_gone) finish(0);
    }
  });
  if (!opened) {
    std::fprintf(stderr, "mdns_peer: %s\n", opened.error().to_string().c_str());
    return 2;
  }
  socket = std::move(*opened);
  if (announce) {
    if (auto r = socket->announce(topic); !r) {
      std::fprintf(stderr, "mdns_peer: %s\n", r.error().to_string().c_str());
      return 2;
    }
  }
  if (browse) socket->browse(topic);
  say("started " + socket->node().instance());

  bool waiting = expect > 0 || exit_on_gone;
  loop.after(std::chrono::milliseconds(timeout_ms), [&] {
    if (waiting) say("timeout");
    finish(waiting ? 1 : 0);
  });
  loop.on_signals({SIGINT, SIGTERM}, [&](int) { finish(0); });
  loop.run_for(std::chrono::milliseconds(timeout_ms + linger_ms + 5000));
  if (!finishing) finish(1);
  return exit_code;
}
