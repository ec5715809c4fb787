// Our DhtPeer as a process for the NAT lab tests (dht_peer_nat_test.cpp), run inside a lab
// namespace with `ip netns exec`. One JSON line per event on stdout:
//   listen  --bootstrap B --host H --seed HEX [--seconds S]
//             {"publicKey":HEX} once announced; {"open":{"remote","path"}} per connection
//             whose secret stream opened (the peer's first bytes arrived)
//   connect --bootstrap B --host H --public-key HEX [--seconds S]
//             {"open":{"path","remote","ms"}} or {"error":"..."}; exits 0 / 1
//   relay   --bootstrap B --host H --seed HEX [--seconds S]
//             a blind relay: {"publicKey":HEX,"port":N} once announced; {"matched":N} each
//             time a pairing completes
// listen prints {"networkChange":N} when the network interfaces changed (--network-poll MS:
// DhtPeerOptions::network_poll).
// listen and connect take --relay-through HEX (DhtPeerOptions::relay_through), and print
// {"upgraded":{"path","remote"}} when a relayed connection moved to a direct path
// (DhtPeerOptions::on_upgrade); listen prints {"closed":{"error"}} when a connection ends.
// connect --wait-upgrade 1 keeps the connection after it opened until it upgraded, then
// closes it cleanly (its END must cross the direct path: the relay connection is gone).
// Exits 2 when --seconds (default 60) pass first.
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "net/connect/blind_relay_server.hpp"
#include "net/connect/dht_peer.hpp"
#include "net/transport/event_loop.hpp"

namespace {

std::map<std::string, std::string> parse(int argc, char** argv) {
  std::map<std::string, std::string> out;
  for (int i = 2; i + 1 < argc; i += 2) out[std::string(argv[i]).substr(2)] = argv[i + 1];
  return out;
}

template <size_t N>
std::array<uint8_t, N> unhex(const std::string& h) {
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N && 2 * i + 1 < h.size(); i++) out[i] = static_cast<uint8_t>(std::stoi(h.substr(2 * i, 2), nullptr, 16));
  return out;
}

std::string hex(const uint8_t* p, size_t n) {
  std::string out;
  char b[3];
  for (size_t i = 0; i < n; i++) {
    std::snprintf(b, sizeof b, "%02x", p[i]);
    out += b;
  }
  return out;
}

std::string quoted(std::string s) {
  for (char& c : s) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '\'';
  }
  return s;
}

void line(const std::string& s) {
  std::fputs(s.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

bool opened(const net::SessionEvent& e) {
  return e.core == net::SessionEvent::kSessionEvent && e.event.kind == net::ReplicatorEvent::Kind::connected;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 64;
  std::string mode = argv[1];
  auto args = parse(argc, argv);
  int seconds = args.contains("seconds") ? std::stoi(args["seconds"]) : 60;
  net::EventLoop loop;
  net::connect::DhtPeerOptions options;
  options.bootstrap = {args["bootstrap"]};
  options.host = args.contains("host") ? args["host"] : "0.0.0.0";
  options.handshake_timeout = std::chrono::milliseconds(20000);
  if (args.contains("relay-through")) options.relay_through = unhex<32>(args["relay-through"]);
  const bool wait_upgrade = args.contains("wait-upgrade");
  if (args.contains("network-poll")) options.network_poll = std::chrono::milliseconds(std::stoi(args["network-poll"]));
  std::shared_ptr<net::Peer> connected;
  std::unique_ptr<net::connect::DhtPeer> dht;
  int status = 2;
  auto started = std::chrono::steady_clock::now();

  net::PeerSetup setup;
  // Everything the loop's handlers use lives until main returns.
  hypercore::KeyPair keys;
  std::map<net::Peer*, net::connect::ConnectInfo> infos;
  bool announced = false;
  std::function<void()> poll;
  std::optional<net::connect::ConnectInfo> info;
  hypercore::PublicKey key{};
  std::shared_ptr<net::connect::BlindRelayServer> relay;
  uint64_t matched = 0;
  // --wait-upgrade: the connection closes once it both opened and upgraded (in either order).
  bool upgraded = false, open = false;
  auto close_when_upgraded = [&] {
    if (!wait_upgrade || !connected || !upgraded || !open || status == 0) return;
    status = 0;
    // A second on the new path first, so the peer's watchers see it before the close.
    loop.after(std::chrono::milliseconds(1000), [&] {
      connected->close();
      loop.after(std::chrono::milliseconds(1000), [&] { loop.stop(); });
    });
  };
  options.on_upgrade = [&](const net::connect::ConnectInfo& i) {
    line("{\"upgraded\":{\"path\":\"" + std::string(net::connect::path_name(i.path)) + "\",\"remote\":\"" + i.remote +
         "\"}}");
    upgraded = true;
    close_when_upgraded();
  };
  uint64_t network_changes = 0;
  options.on_network_change = [&] { line("{\"networkChange\":" + std::to_string(++network_changes) + "}"); };
  if (mode == "relay") {
    keys = hypercore::KeyPair::from_seed(unhex<32>(args["seed"]));
    auto dht_opened = net::connect::DhtPeer::open(loop.context(), options, [&] {
      relay = net::connect::BlindRelayServer::start(*dht, keys);
    });
    if (!dht_opened) {
      line("{\"error\":\"" + quoted(dht_opened.error().message) + "\"}");
      return 1;
    }
    dht = std::move(*dht_opened);
    status = 0;  // a relay runs until --seconds
    poll = [&] {
      if (!announced && !dht->relays(keys.public_key).empty()) {
        announced = true;
        line("{\"publicKey\":\"" + hex(keys.public_key.data(), 32) + "\",\"port\":" + std::to_string(dht->port()) + "}");
      }
      if (relay && relay->stats().pairings.matched != matched) {
        matched = relay->stats().pairings.matched;
        line("{\"matched\":" + std::to_string(matched) + "}");
      }
      loop.after(std::chrono::milliseconds(50), poll);
    };
    poll();
  } else if (mode == "listen") {
    keys = hypercore::KeyPair::from_seed(unhex<32>(args["seed"]));
    setup.handlers.on_event = [&](net::Peer& peer, const net::SessionEvent& e) {
      if (!opened(e)) return;
      auto info = infos[&peer];
      line("{\"open\":{\"remote\":\"" + info.remote + "\",\"path\":\"" + net::connect::path_name(info.path) + "\"}}");
    };
    setup.handlers.on_close = [&](net::Peer&, const std::optional<net::TransportError>& error) {
      line("{\"closed\":{\"error\":\"" + (error ? quoted(error->to_string()) : std::string()) + "\"}}");
    };
    auto dht_opened = net::connect::DhtPeer::open(loop.context(), options, [&] {
      dht->listen(keys, setup, [&](std::shared_ptr<net::Peer> peer, const net::connect::ConnectInfo& info) {
        infos[peer.get()] = info;
      });
    });
    if (!dht_opened) {
      line("{\"error\":\"" + quoted(dht_opened.error().message) + "\"}");
      return 1;
    }
    dht = std::move(*dht_opened);
    poll = [&] {
      if (!announced && !dht->relays(keys.public_key).empty()) {
        announced = true;
        line("{\"publicKey\":\"" + hex(keys.public_key.data(), 32) + "\"}");
      }
      loop.after(std::chrono::milliseconds(50), poll);
    };
    poll();
  } else if (mode == "connect") {
    key = unhex<32>(args["public-key"]);
    setup.handlers.on_event = [&](net::Peer& peer, const net::SessionEvent& e) {
      if (!opened(e) || !info || status == 0) return;
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      line("{\"open\":{\"path\":\"" + std::string(net::connect::path_name(info->path)) + "\",\"remote\":\"" +
           info->remote + "\",\"ms\":" + std::to_string(ms.count()) + "}}");
      if (wait_upgrade) {
        open = true;
        close_when_upgraded();
        return;
      }
      status = 0;
      peer.close();
      loop.after(std::chrono::milliseconds(200), [&] { loop.stop(); });
    };
    auto dht_opened = net::connect::DhtPeer::open(loop.context(), options, [&] {
      dht->connect(key, {}, setup, [&](net::TransportResult<std::shared_ptr<net::Peer>> peer,
                                       const net::connect::ConnectInfo& i) {
        info = i;
        if (peer) connected = *peer;
        if (!peer) {
          line("{\"error\":\"" + quoted(peer.error().to_string()) + "\"}");
          status = 1;
          loop.stop();
        }
      });
    });
    if (!dht_opened) {
      line("{\"error\":\"" + quoted(dht_opened.error().message) + "\"}");
      return 1;
    }
    dht = std::move(*dht_opened);
  } else {
    return 64;
  }
  loop.after(std::chrono::seconds(seconds), [&] { loop.stop(); });
  loop.run_for(std::chrono::seconds(seconds) + std::chrono::seconds(1));
  if (relay) relay->close();
  dht->close();
  return status;
}
