#include "net/connect/dht_peer.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <arpa/inet.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "net/connect/holepunch_rounds.hpp"
#include "net/connect/internal/punch_driver.hpp"
#include "net/connect/internal/relay_pairing.hpp"
#include "net/connect/internal/relay_upgrade.hpp"
#include "net/connect/lan_shortcut.hpp"
#include "net/connect/network_watch.hpp"
#include "net/connect/server_handshake.hpp"
#include "net/dht/hyperdht.hpp"
#include "net/dht/udp_dht.hpp"
#include "net/transport/internal/session_driver.hpp"
#include "net/udx/internal/udx_byte_stream.hpp"
#include "net/udx/udx_socket.hpp"

namespace net::connect {

namespace asio = boost::asio;
using dht::Ipv4Address;
using dht::Socket;
using hypercore::errc;

namespace {

// How long a relayed connect waits for its PING to the server's address before it starts the
// holepunch rounds (see start_client_punch). A PING on a LAN or loopback answers in
// milliseconds; behind NATs it never does, and the punch then starts this much later.
constexpr std::chrono::milliseconds kPunchAfter{1000};

udx::Address to_udx(const Ipv4Address& a) { return udx::Address::v4(a.host[0], a.host[1], a.host[2], a.host[3], a.port); }

hypercore::Hash target_of(const hypercore::PublicKey& key) { return hypercore::blake2b({key}); }

// The IPv4 addresses a peer on another host may reach us at: the bound host, or every up
// interface but loopback when bound to 0.0.0.0, 127.0.0.1 if there is none (holepuncher.js
// localAddresses; server.js shares its local addresses the same way).
std::vector<Ipv4Address> local_addresses(const std::string& bound_host, uint16_t port) {
  std::vector<Ipv4Address> out;
  if (auto host = Ipv4Address::parse_host(bound_host); host && *host != std::array<uint8_t, 4>{0, 0, 0, 0}) {
    out.push_back(Ipv4Address{*host, port});
    return out;
  }
  for (const auto& i : interface_addresses()) {
    if (i.loopback) continue;
    Ipv4Address a{i.ip, port};
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  if (out.empty()) out.push_back(Ipv4Address{{127, 0, 0, 1}, port});
  return out;
}

std::unexpected<TransportError> connect_error(std::string why) {
  return std::unexpected(TransportError{TransportErrc::connect_failed, std::move(why)});
}

}  // namespace

struct DhtPeer::Impl : std::enable_shared_from_this<Impl> {
  struct Listening {
    hypercore::KeyPair key_pair;
    std::unique_ptr<ServerHandshakes> handshakes;
    PeerSetup setup;
    AcceptHandler on_accept;
    std::vector<Ipv4Address> relays;
    std::vector<RelayInfo> relay_infos;  // every node relaying for us, with us as it saw us
    std::map<uint64_t, std::shared_ptr<detail::PunchDriver>> punches;  // by holepunch id = stream id
    std::unique_ptr<asio::steady_timer> timer;
  };

  struct Attempt {
    hypercore::PublicKey remote{};
    std::unique_ptr<ClientHandshake> handshake;
    uint32_t local_id = 0;
    Socket socket = Socket::client;
    std::set<Ipv4Address> asked;
    size_t pending = 0;
    bool lookup_done = false;
    bool finished = false;
    std::string last_failure;
    PeerSetup setup;
    ConnectHandler done;
    std::chrono::steady_clock::time_point started;
    std::unique_ptr<asio::steady_timer> timer;
    std::shared_ptr<detail::PunchDriver> punch;
    // While punching: the handshake's outcome, for the direct attempt racing the punch.
    std::optional<ClientConnect> relayed;
    bool direct_pending = false;
    bool lan_pending = false;  // the LAN shortcut's PING (lan_shortcut.hpp)
    std::optional<Ipv4Address> seen_as;  // our address as the relay that answered saw it
    std::optional<TransportError> punch_failure;  // held until the direct attempt failed too
    std::unique_ptr<asio::steady_timer> punch_delay;  // the punch waits for the PING a while
    // Through a blind relay: the pairing, and the relay's UDX address once connected to it.
    std::shared_ptr<detail::RelayPairing> pairing;
    std::optional<Ipv4Address> relay_remote;
    // A punch racing the relay (connect.js punches beside relayConnection): while the pairing
    // is pending, a failed punch waits for it, and the other way round. Once the relay
    // carries the connection, `upgrade` moves it to whichever direct path gets through.
    bool relay_pending = false;
    std::optional<TransportError> relay_failure;
    std::shared_ptr<detail::RelayUpgrade> upgrade;
    // The connection's, for on_upgrade (shared with the upgrade, which outlives the attempt).
    std::shared_ptr<ConnectInfo> upgrade_info;

    // Still racing for a path: not finished, or relayed and not moved yet.
    bool racing() const { return !finished || (upgrade && !upgrade->moved()); }
  };

  Impl(asio::io_context& io, DhtPeerOptions options) : io(io), options(std::move(options)) {}

  asio::io_context& io;
  DhtPeerOptions options;
  hypercore::KeyPair key_pair;
  std::shared_ptr<udx::UdxSocket> server_socket, client_socket;
  std::unique_ptr<dht::UdpDht> udp;
  std::unique_ptr<dht::HyperDht> hyper;
  std::map<hypercore::PublicKey, Listening> listening;
  std::vector<std::weak_ptr<Peer>> peers;
  RandomPunchGate gate;  // one random-NAT punch at a time for this node
  std::unique_ptr<NetworkWatch> watch;
  std::vector<std::weak_ptr<detail::PunchDriver>> drivers;
  bool closed = false;

  dht::Millis now() const { return udp->now(); }
  std::shared_ptr<udx::UdxSocket> socket_for(Socket s) { return s == Socket::server ? server_socket : client_socket; }
  // The socket DhtNode sends requests from (DhtNode::request_socket), which is where the
  // other side sees us and so where our UDX stream must live.
  Socket request_socket() const { return udp->node().firewalled() ? Socket::client : Socket::server; }

  void track(const std::shared_ptr<Peer>& peer) {
    std::erase_if(peers, [](const std::weak_ptr<Peer>& p) { return p.expired(); });
    peers.push_back(peer);
  }

  std::shared_ptr<Peer> start(std::unique_ptr<udx::UdxByteStream> stream, NoiseRole role, PeerSetup setup,
                              const IkOutcome& keys) {
    setup.transport.session.stream.handshake = secret_stream_handshake(keys);
    if (setup.transport.keepalive.count() == 0) setup.transport.keepalive = options.keepalive;
    auto peer = net::detail::start_peer(io, std::move(stream), role, std::move(setup));
    track(peer);
    return peer;
  }

  // --- server -----------------------------------------------------------------------------

  void refresh_server_options(Listening& l, Socket socket) {
    ServerHandshakeOptions& o = l.handshakes->options();
    auto sock = socket_for(socket);
    o.addresses4.clear();
    // server.js: OPEN with our public address when the DHT found our server socket
    // reachable; else UNKNOWN with only local addresses.
    if (!udp->node().firewalled() && socket == Socket::server) {
      o.firewall = Firewall::open;
      if (auto host = udp->node().nat().host()) o.addresses4.push_back(Ipv4Address{*host, sock->port()});
    } else {
      o.firewall = Firewall::unknown;
    }
    for (const auto& a : local_addresses(options.host, sock->port())) {
      if (std::find(o.addresses4.begin(), o.addresses4.end(), a) == o.addresses4.end()) o.addresses4.push_back(a);
    }
    o.relay_addresses = l.relays;
    o.relay_through = options.relay_through;
    o.holepunch_relays.clear();
    if (o.firewall != Firewall::open) o.holepunch_relays = l.relay_infos;
  }

  void on_handshake(const hypercore::PublicKey& key, const dht::ServerHandshake& h) {
    auto it = listening.find(key);
    if (it == listening.end() || closed) return;
    Listening& l = it->second;
    bool direct = h.message.mode == dht::RelayMode::from_client;
    Ipv4Address client = direct ? h.request.from : h.message.peer_address.value_or(h.request.from);
    auto sock = socket_for(h.request.socket);
    uint32_t id = sock->free_stream_id();
    refresh_server_options(l, h.request.socket);
    auto answer = l.handshakes->on_handshake(h.message.noise, client, direct, id, Millis(now()));
    if (!answer) return;
    hyper->reply_handshake(h, answer->noise);
    udp->reschedule();
    if (!answer->accepted) return;
    const AcceptedConnection& accepted = *answer->accepted;
    std::optional<udx::Address> remote;
    if (accepted.connect_now) remote = to_udx(accepted.client_address);
    auto stream = udx::UdxByteStream::create(sock, accepted.local_stream_id, accepted.remote_stream_id, remote);
    if (!stream) return;
    ConnectInfo info;
    info.path = direct ? ConnectPath::direct : ConnectPath::relayed_address;
    info.remote = accepted.client_address.to_string();
    info.remote_public_key = accepted.keys.remote_public_key;
    info.socket = sock;
    PeerSetup setup = l.setup;
    // We offered holepunching: the client may get through only when a punch (a birthday
    // search behind a random NAT takes seconds to tens of seconds) does. server.js keeps the
    // stream while a punch runs; so does ours, its usual deadline after the punch's.
    const bool punching = !accepted.connect_now && !l.handshakes->options().holepunch_relays.empty();
    if (punching) setup.transport.handshake_timeout += detail::kPunchLifetime;
    // server.js _relayConnection: pair the stream at the blind relay; a direct first packet
    // before the pairing still wins. The relay connection lives as long as this one.
    // Paired while a punch runs, the stream may move to the direct path later (server.js
    // onsocket with a connected raw stream; relay_upgrade.hpp).
    auto pairing_holder = std::make_shared<std::shared_ptr<detail::RelayPairing>>();
    auto upgrade_holder = std::make_shared<std::shared_ptr<detail::RelayUpgrade>>();
    if (accepted.relay) {
      info.path = ConnectPath::relay;
      auto previous = std::move(setup.handlers.on_close);
      setup.handlers.on_close = [pairing_holder, upgrade_holder, previous](Peer& p,
                                                                           const std::optional<TransportError>& error) {
        if (auto pairing = *pairing_holder) {
          pairing->fail("the relayed connection closed");
          if (pairing->relay()) pairing->relay()->close();
        }
        if (auto upgrade = *upgrade_holder) upgrade->stop();
        if (previous) previous(p, error);
      };
    }
    auto peer = start(std::move(*stream), NoiseRole::responder, std::move(setup), accepted.keys);
    if (accepted.relay) {
      std::function<void(std::shared_ptr<Peer>)> on_paired;
      if (punching) {
        std::weak_ptr<Impl> weak = weak_from_this();
        const uint32_t direct_id = accepted.remote_stream_id;
        on_paired = [weak, sock, id = accepted.local_stream_id, direct_id, upgrade_holder, info](std::shared_ptr<Peer> relay) {
          auto self = weak.lock();
          if (!self) return;
          *upgrade_holder = detail::RelayUpgrade::create(
              self->io, sock, id, direct_id, std::move(relay), [weak, info](const udx::Address& to) {
                auto self = weak.lock();
                if (!self || !self->options.on_upgrade) return;
                ConnectInfo upgraded = info;
                upgraded.path = ConnectPath::holepunch;
                upgraded.remote = to.to_string();
                self->options.on_upgrade(upgraded);
              });
          (*upgrade_holder)->watch(detail::kPunchLifetime + self->options.handshake_timeout);
        };
      }
      *pairing_holder = start_server_relay(sock, accepted.local_stream_id, *accepted.relay, std::move(on_paired));
    }
    // Be ready for the client's PEER_HOLEPUNCH rounds.
    if (punching) start_server_punch(key, l, h.request.socket, accepted, upgrade_holder);
    if (l.on_accept) l.on_accept(peer, info);
  }

  void announce(const hypercore::PublicKey& key) {
    auto it = listening.find(key);
    if (it == listening.end() || closed) return;
    std::weak_ptr<Impl> weak = weak_from_this();
    // A self-announcement (target = H(pk)): the nodes keep a forward entry that routes
    // handshakes to the socket this comes from; the three closest are our relays.
    hyper->announce(
        target_of(key), it->second.key_pair, {},
        [weak, key](const dht::QueryResult& result) {
          auto self = weak.lock();
          if (!self || self->closed) return;
          auto l = self->listening.find(key);
          if (l == self->listening.end()) return;
          l->second.relays.clear();
          l->second.relay_infos.clear();
          // announcer.js: every node committed to relays for us (and may carry a holepunch);
          // the record names three.
          for (const auto& reply : result.closest) {
            if (l->second.relays.size() < 3) l->second.relays.push_back(reply.from);
            l->second.relay_infos.push_back(RelayInfo{reply.from, reply.to});
          }
          // Nothing stored (no nodes yet): try again soon rather than in 5 minutes.
          auto wait = result.commits_ok > 0 ? self->options.reannounce : std::chrono::milliseconds(5000);
          l->second.timer->expires_after(wait);
          l->second.timer->async_wait([weak, key](const boost::system::error_code& ec) {
            auto self = weak.lock();
            if (!ec && self) self->announce(key);
          });
        },
        now());
    udp->reschedule();
  }

  // --- holepunching (holepunch_rounds.hpp, run by detail::PunchDriver) ----------------------

  detail::PunchEnv punch_env(Socket socket, const hypercore::PublicKey& server_key) {
    return detail::PunchEnv{&io, udp.get(), hyper.get(), socket_for(socket), socket, options.host, target_of(server_key)};
  }

  // Our sockets' datagrams that no UDX stream takes: 1-byte holepunch probes go to the
  // punches on that socket, the rest to the DHT node (what UdpDht's own hook does).
  void install_probe_hooks() {
    std::weak_ptr<Impl> weak = weak_from_this();
    for (Socket which : {Socket::server, Socket::client}) {
      socket_for(which)->set_datagram_hook([weak, which](const udx::Address& from, hypercore::ByteSpan datagram) {
        auto self = weak.lock();
        if (!self || self->closed || !self->udp || from.v6) return;
        Ipv4Address a{{from.ip[0], from.ip[1], from.ip[2], from.ip[3]}, from.port};
        if (datagram.size() == 1) {
          self->on_probe(which, a);
          return;
        }
        self->udp->node().receive(which, a, datagram, self->udp->now());
        self->udp->reschedule();
      });
    }
  }

  void on_probe(Socket which, const Ipv4Address& from) {
    std::erase_if(drivers, [](const std::weak_ptr<detail::PunchDriver>& d) { return d.expired(); });
    auto sock = socket_for(which);
    for (auto& weak : std::vector<std::weak_ptr<detail::PunchDriver>>(drivers)) {
      auto d = weak.lock();
      if (d && !d->finished() && d->socket() == sock) d->on_probe(from);
    }
  }

  void start_server_punch(const hypercore::PublicKey& key, Listening& l, Socket socket,
                          const AcceptedConnection& accepted,
                          std::shared_ptr<std::shared_ptr<detail::RelayUpgrade>> upgrade) {
    std::erase_if(l.punches, [](const auto& p) { return p.second->finished(); });
    auto punch = std::make_unique<ServerPunch>(accepted.keys.holepunch_secret, accepted.remote_payload.firewall, gate,
                                               udp->node().firewalled());
    auto driver = detail::PunchDriver::server(punch_env(socket, key), std::move(punch));
    // Behind a random NAT the client gets through to one of the punch's birthday sockets,
    // not to the socket our stream waits on: its traffic then runs through that one.
    std::weak_ptr<udx::UdxSocket> home = socket_for(socket);
    const uint32_t id = accepted.local_stream_id;
    // A stream paired at a blind relay meanwhile moves to that socket instead.
    driver->on_stream_elsewhere(id, [home, id, upgrade](std::shared_ptr<udx::UdxSocket> via, const udx::Address& from,
                                                        hypercore::ByteSpan datagram) {
      auto h = home.lock();
      udx::Stream* s = h ? h->find(id) : nullptr;
      if (s == nullptr) return;
      if (s->connected()) {
        // Bound through another path first; only a relayed one moves.
        if (!*upgrade || !(*upgrade)->move(from, via)) return;
      } else {
        h->route_through(id, from, std::move(via));
      }
      h->inject(from, datagram);
    });
    drivers.push_back(driver);
    l.punches[accepted.local_stream_id] = std::move(driver);
  }

  void on_holepunch(const hypercore::PublicKey& key, const dht::ServerHolepunch& h) {
    auto it = listening.find(key);
    if (it == listening.end() || closed) return;
    auto p = it->second.punches.find(h.message.id);
    if (p == it->second.punches.end()) return;
    const auto& relays = it->second.relay_infos;
    bool ours = std::any_of(relays.begin(), relays.end(), [&](const RelayInfo& r) { return r.relay_address == h.request.from; });
    p->second->on_holepunch(h, ours);
  }

  void start_client_punch(const std::shared_ptr<Attempt>& a, const Ipv4Address& relay, ClientConnect connected) {
    // The handshake is done: the punch's own bound (PunchDriver, 60 s) replaces its timeout;
    // this only ends an attempt whose punch was stopped (close()).
    std::weak_ptr<Impl> weak_timer = weak_from_this();
    a->timer->expires_after(std::chrono::seconds(70));
    a->timer->async_wait([weak_timer, a](const boost::system::error_code& ec) {
      auto self = weak_timer.lock();
      if (ec || !self) return;
      self->finish(a, std::unexpected(TransportError{TransportErrc::handshake_timeout, "the holepunch did not finish"}), {});
    });
    auto punch = std::make_unique<ClientPunch>(connected.keys.holepunch_secret, connected.remote_payload, relay,
                                               connected.target, gate, udp->node().firewalled(), Millis(now()));
    std::weak_ptr<Impl> weak = weak_from_this();
    IkOutcome keys = connected.keys;
    uint32_t remote_id = connected.remote_stream_id;
    // The direct attempt, raced against the punch (connect.js races its LAN ping the same
    // way): a PING to the server's address as the relay saw it, from the socket our stream
    // would use. An answer means the path is open both ways, as on loopback or a LAN.
    // The punch starts only when the PING failed or took over kPunchAfter: a Node server that
    // sees our rounds may abort its punch and with it the stream we are about to dial
    // (server.js onabort destroys the raw stream), so on an open path no round is sent.
    a->relayed = connected;
    a->direct_pending = true;
    auto punch_holder = std::make_shared<std::unique_ptr<ClientPunch>>(std::move(punch));
    auto begin_punch = [weak, a, relay, keys, remote_id, punch_holder] {
      auto self = weak.lock();
      // Not after close(): a punch started then would outlive every connection, its timers
      // keeping the caller's loop busy for a minute.
      if (!self || self->closed || !a->racing() || a->punch || !*punch_holder) return;
      self->run_client_punch(a, relay, keys, remote_id, std::move(*punch_holder));
    };
    udp->node().ping(
        connected.target,
        [weak, a, relay](const dht::QueryReply&) {
          auto self = weak.lock();
          a->direct_pending = false;
          if (self && a->racing()) self->dial(a, relay, a->relayed->target, ConnectPath::relayed_address);
        },
        [weak, a, begin_punch] {
          auto self = weak.lock();
          a->direct_pending = false;
          if (!self || !a->racing()) return;
          if (a->punch_failure) {
            self->fail_if_all_failed(a);
            return;
          }
          begin_punch();
        },
        now());
    start_lan_shortcut(a, relay, connected);
    a->punch_delay = std::make_unique<asio::steady_timer>(io);
    a->punch_delay->expires_after(kPunchAfter);
    a->punch_delay->async_wait([begin_punch](const boost::system::error_code& ec) {
      if (!ec) begin_punch();
    });
    udp->reschedule();
  }

  // connect.js: when the relay saw us and the server at one public IP (one NAT, which may
  // not hairpin), PING the server's best-matching interface address; on an answer dial it,
  // whatever the punch is doing. A failed PING only ends the attempt if everything else
  // failed too.
  void start_lan_shortcut(const std::shared_ptr<Attempt>& a, const Ipv4Address& relay, const ClientConnect& connected) {
    if (!options.lan_shortcut || !a->seen_as) return;
    const auto ours = local_addresses(options.host, socket_for(a->socket)->port());
    auto target = lan_shortcut_target(*a->seen_as, connected.target, connected.remote_payload.addresses4, ours);
    if (!target || *target == connected.target) return;
    std::weak_ptr<Impl> weak = weak_from_this();
    a->lan_pending = true;
    udp->node().ping(
        *target,
        [weak, a, relay, target = *target](const dht::QueryReply&) {
          auto self = weak.lock();
          a->lan_pending = false;
          if (self && a->racing()) self->dial(a, relay, target, ConnectPath::lan);
        },
        [weak, a] {
          auto self = weak.lock();
          a->lan_pending = false;
          if (self) self->fail_if_all_failed(a);
        },
        now());
  }

  void run_client_punch(const std::shared_ptr<Attempt>& a, const Ipv4Address& relay, const IkOutcome& keys,
                        uint32_t remote_id, std::unique_ptr<ClientPunch> punch) {
    std::weak_ptr<Impl> weak = weak_from_this();
    a->punch = detail::PunchDriver::client(
        punch_env(a->socket, a->remote), std::move(punch),
        [weak, a, relay, keys, remote_id](ConnectResult<detail::PunchResult> punched) {
          auto self = weak.lock();
          if (!self || !a->racing()) return;
          if (!punched) {
            a->punch_failure =
                connect_error("holepunch through " + relay.to_string() + ": " + punched.error().to_string()).error();
            self->fail_if_all_failed(a);
            return;
          }
          if (a->finished) {  // relayed meanwhile: move there
            self->upgrade_to(a, ConnectPath::holepunch, punched->remote, punched->socket);
            return;
          }
          auto stream = udx::UdxByteStream::create(punched->socket, a->local_id, remote_id, to_udx(punched->remote));
          if (!stream) {
            self->finish(a, connect_error("udx stream: " + stream.error().message), {});
            return;
          }
          ConnectInfo info;
          info.path = ConnectPath::holepunch;
          info.socket = punched->socket;
          info.remote = punched->remote.to_string();
          info.relay = relay.to_string();
          info.remote_public_key = a->remote;
          info.handshakes_sent = a->asked.size();
          info.elapsed =
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - a->started);
          auto peer = self->start(std::move(*stream), NoiseRole::initiator, std::move(a->setup), keys);
          self->finish(a, peer, info);
        });
    drivers.push_back(a->punch);
    udp->reschedule();
  }

  // Every path racing for this attempt has failed: the punch's failure ends it (the relay's
  // appended). Nothing while a path is still pending or the punch still runs.
  void fail_if_all_failed(const std::shared_ptr<Attempt>& a) {
    if (a->finished || a->direct_pending || a->lan_pending || a->relay_pending || !a->punch_failure) return;
    TransportError failure = *a->punch_failure;
    if (a->relay_failure) failure.message += "; and " + a->relay_failure->message;
    finish(a, std::unexpected(failure), {});
  }

  // The relay carries the connection and a direct path got through: the stream moves there
  // (relay_upgrade.hpp).
  void upgrade_to(const std::shared_ptr<Attempt>& a, ConnectPath path, const Ipv4Address& to,
                  std::shared_ptr<udx::UdxSocket> via) {
    if (closed || !a->upgrade || a->upgrade->moved()) return;
    a->upgrade_info->path = path;
    if (a->punch) a->punch->stop();
    if (a->punch_delay) a->punch_delay->cancel();
    a->upgrade->move(to_udx(to), std::move(via));
  }

  // A PING got through, to the server's address as the relay saw it (the path
  // relayed_address) or to its LAN address (lan): the UDX stream to there, from our request
  // socket, which the PING went from.
  void dial(const std::shared_ptr<Attempt>& a, const Ipv4Address& relay, const Ipv4Address& to, ConnectPath path) {
    if (a->punch) a->punch->stop();
    if (a->punch_delay) a->punch_delay->cancel();
    if (a->finished) {  // relayed meanwhile: move there
      upgrade_to(a, path, to, nullptr);
      return;
    }
    const ClientConnect& c = *a->relayed;
    auto stream = udx::UdxByteStream::create(socket_for(a->socket), a->local_id, c.remote_stream_id, to_udx(to));
    if (!stream) {
      finish(a, connect_error("udx stream: " + stream.error().message), {});
      return;
    }
    ConnectInfo info;
    info.path = path;
    info.remote = to.to_string();
    info.relay = relay.to_string();
    info.remote_public_key = a->remote;
    info.handshakes_sent = a->asked.size();
    info.socket = socket_for(a->socket);
    info.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - a->started);
    auto peer = start(std::move(*stream), NoiseRole::initiator, std::move(a->setup), c.keys);
    finish(a, peer, info);
  }

  // --- the blind relay (internal/relay_pairing.hpp) --------------------------------------

  // Connects to the relay (never itself through a relay) and pairs `local_id` there.
  std::shared_ptr<detail::RelayPairing> pair_at_relay(const RelayPlan& plan, uint32_t local_id,
                                                      std::shared_ptr<std::optional<Ipv4Address>> relay_remote,
                                                      detail::RelayPairing::Done done) {
    blind_relay::Token token;
    std::copy(plan.token.begin(), plan.token.end(), token.begin());
    auto pairing = detail::RelayPairing::create(io, key_pair.public_key, plan.is_initiator, token, local_id,
                                                options.relay_timeout, std::move(done));
    std::weak_ptr<detail::RelayPairing> weak_pairing = pairing;
    connect(plan.relay, {}, pairing->setup(), std::nullopt,
            [weak_pairing, relay_remote](TransportResult<std::shared_ptr<Peer>> relay, const ConnectInfo& info) {
              auto pairing = weak_pairing.lock();
              if (!pairing) {
                if (relay) (*relay)->close();
                return;
              }
              if (!relay) {
                pairing->fail("cannot reach the relay: " + relay.error().message);
                return;
              }
              pairing->attach(*relay);
              *relay_remote = Ipv4Address::parse(info.remote);
            });
    return pairing;
  }

  // `on_paired` (optional) gets the relay connection once the stream is bound through it.
  std::shared_ptr<detail::RelayPairing> start_server_relay(const std::shared_ptr<udx::UdxSocket>& sock,
                                                           uint32_t local_id, const RelayPlan& plan,
                                                           std::function<void(std::shared_ptr<Peer>)> on_paired) {
    auto relay_remote = std::make_shared<std::optional<Ipv4Address>>();
    auto self_holder = std::make_shared<std::weak_ptr<detail::RelayPairing>>();
    std::weak_ptr<udx::UdxSocket> weak_sock = sock;
    auto pairing = pair_at_relay(
        plan, local_id, relay_remote,
        [weak_sock, local_id, relay_remote, self_holder, on_paired](hypercore::Result<uint32_t> paired) {
          auto pairing = self_holder->lock();
          auto sock = weak_sock.lock();
          bool bound = paired && sock && *relay_remote && sock->connect_stream(local_id, *paired, to_udx(**relay_remote));
          // Not paired, or the client's first packet came directly: the relay connection has
          // no use.
          if (!bound && pairing && pairing->relay()) pairing->relay()->close();
          if (bound && on_paired && pairing) on_paired(pairing->relay());
        });
    *self_holder = pairing;
    return pairing;
  }

  void start_client_relay(const std::shared_ptr<Attempt>& a, const Ipv4Address& via, ClientConnect connected) {
    a->relayed = connected;  // later replies are ignored
    a->relay_pending = true;
    std::weak_ptr<Impl> weak = weak_from_this();
    a->timer->expires_after(options.relay_timeout + std::chrono::seconds(5));
    a->timer->async_wait([weak, a](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->finish(a, std::unexpected(TransportError{TransportErrc::handshake_timeout, "the blind relay did not pair us"}), {});
    });
    auto relay_remote = std::make_shared<std::optional<Ipv4Address>>();
    a->pairing = pair_at_relay(*connected.relay, a->local_id, relay_remote,
                               [weak, a, via, relay_remote](hypercore::Result<uint32_t> paired) {
                                 auto self = weak.lock();
                                 a->relay_pending = false;
                                 const bool usable = paired && *relay_remote;
                                 // Not paired, or a direct path won meanwhile: the relay
                                 // connection has no use.
                                 if (!usable || !self || a->finished) {
                                   if (a->pairing && a->pairing->relay()) a->pairing->relay()->close();
                                 }
                                 if (!self || a->finished) return;
                                 if (!usable) {
                                   auto failed = connect_error(paired ? "blind relay: no relay address" : paired.error().message);
                                   a->relay_failure = failed.error();
                                   // A punch racing beside the relay may still get through.
                                   if (a->punch_delay && !a->punch_failure) return;
                                   if (a->punch_failure) {
                                     self->fail_if_all_failed(a);
                                     return;
                                   }
                                   self->finish(a, failed, {});
                                   return;
                                 }
                                 self->dial_through_relay(a, via, **relay_remote, *paired);
                               });
  }

  // Paired: our stream goes to the relay's stream, the secret stream keyed by the handshake.
  void dial_through_relay(const std::shared_ptr<Attempt>& a, const Ipv4Address& via, const Ipv4Address& relay,
                          uint32_t relay_stream_id) {
    const ClientConnect& c = *a->relayed;
    auto sock = socket_for(a->socket);
    auto stream = udx::UdxByteStream::create(sock, a->local_id, relay_stream_id, to_udx(relay));
    if (!stream) {
      finish(a, connect_error("udx stream: " + stream.error().message), {});
      return;
    }
    ConnectInfo info;
    info.path = ConnectPath::relay;
    info.remote = relay.to_string();
    info.relay = via.to_string();
    info.remote_public_key = a->remote;
    info.handshakes_sent = a->asked.size();
    info.socket = sock;
    info.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - a->started);
    PeerSetup setup = std::move(a->setup);
    auto relay_peer = a->pairing->relay();
    // A punch races beside the relay (a->punch_delay: started by start_client_punch): it may
    // move the connection to a direct path later.
    std::shared_ptr<detail::RelayUpgrade> upgrade;
    if (a->punch_delay) {
      std::weak_ptr<Impl> weak = weak_from_this();
      auto upgraded = std::make_shared<ConnectInfo>(info);
      upgraded->path = ConnectPath::holepunch;  // until a move says which
      a->upgrade_info = upgraded;
      upgrade = detail::RelayUpgrade::create(io, sock, a->local_id, c.remote_stream_id, relay_peer,
                                             [weak, upgraded](const udx::Address& to) {
                                               auto self = weak.lock();
                                               if (!self || !self->options.on_upgrade) return;
                                               ConnectInfo moved = *upgraded;
                                               moved.remote = to.to_string();
                                               self->options.on_upgrade(moved);
                                             });
      upgrade->watch(detail::kPunchLifetime + options.handshake_timeout);
      a->upgrade = upgrade;
    }
    auto previous = std::move(setup.handlers.on_close);
    setup.handlers.on_close = [relay_peer, upgrade, previous](Peer& p, const std::optional<TransportError>& error) {
      if (relay_peer) relay_peer->close();  // connect.js: the raw stream's close ends the relay connection
      if (upgrade) upgrade->stop();
      if (previous) previous(p, error);
    };
    auto peer = start(std::move(*stream), NoiseRole::initiator, std::move(setup), c.keys);
    finish(a, peer, info);
  }

  // --- client -----------------------------------------------------------------------------

  void ask(const std::shared_ptr<Attempt>& a, const Ipv4Address& relay) {
    if (a->finished || a->relayed || a->asked.contains(relay)) return;
    a->asked.insert(relay);
    a->pending++;
    dht::HandshakeMessage message;
    message.mode = dht::RelayMode::from_client;
    message.noise = a->handshake->noise();
    std::weak_ptr<Impl> weak = weak_from_this();
    udp->node().request(
        relay, false, static_cast<uint32_t>(dht::HyperCommand::peer_handshake), target_of(a->remote),
        dht::encode_peer_handshake(message), std::nullopt,
        [weak, a, relay](const dht::QueryReply& reply) {
          auto self = weak.lock();
          if (!self) return;
          a->pending--;
          self->on_reply(a, relay, reply);
        },
        [weak, a, relay] {
          auto self = weak.lock();
          if (!self) return;
          a->pending--;
          a->last_failure = relay.to_string() + " did not answer";
          self->maybe_fail(a);
        },
        now());
    udp->reschedule();
  }

  void on_reply(const std::shared_ptr<Attempt>& a, const Ipv4Address& relay, const dht::QueryReply& reply) {
    // The first reply that completed the handshake won: later relays' replies are ignored.
    if (a->finished || a->punch || a->relayed) return;
    if (!reply.value) {
      // A node with no route for the key answers with closer nodes only.
      a->last_failure = relay.to_string() + " has no route to the peer";
      maybe_fail(a);
      return;
    }
    auto message = dht::decode_peer_handshake(*reply.value);
    if (!message || message->mode != dht::RelayMode::reply || message->noise.empty()) {
      a->last_failure = relay.to_string() + " sent an unusable handshake reply";
      maybe_fail(a);
      return;
    }
    auto connected = a->handshake->on_reply(*message, relay);
    if (!connected && connected.error().code == ConnectErrc::handshake_failed) {
      // Not from the server (forged or garbled on the way): another relay may still answer.
      a->last_failure = relay.to_string() + " sent a reply that does not decrypt";
      maybe_fail(a);
      return;
    }
    if (!connected) {
      finish(a, connect_error("handshake with " + relay.to_string() + ": " + connected.error().message), {});
      return;
    }
    if (connected->relay && connected->path == ConnectPath::relayed_address) {
      // connect.js relayConnection: the server is firewalled and the handshake came through a
      // relay: the blind relay carries the connection first, and holepunch() runs beside it
      // when the server offers one; the first path that works wins, and a direct path that
      // gets through after the relay moves the connection there (relay_upgrade.hpp).
      const bool punch = connected->holepunch_offered && options.punch_beside_relay;
      a->seen_as = reply.to;
      start_client_relay(a, relay, *connected);
      if (punch) start_client_punch(a, relay, std::move(*connected));
      return;
    }
    if (connected->path == ConnectPath::relayed_address && connected->holepunch_offered) {
      // connect.js holepunch(): the rounds, whose fast-open probe is the direct attempt.
      a->seen_as = reply.to;
      start_client_punch(a, relay, std::move(*connected));
      return;
    }
    auto sock = socket_for(a->socket);
    auto stream = udx::UdxByteStream::create(sock, a->local_id, connected->remote_stream_id, to_udx(connected->target));
    if (!stream) {
      finish(a, connect_error("udx stream: " + stream.error().message), {});
      return;
    }
    ConnectInfo info;
    info.path = connected->path;
    info.remote = connected->target.to_string();
    info.relay = relay.to_string();
    info.remote_public_key = a->remote;
    info.handshakes_sent = a->asked.size();
    info.socket = sock;
    info.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - a->started);
    auto peer = start(std::move(*stream), NoiseRole::initiator, std::move(a->setup), connected->keys);
    finish(a, peer, info);
  }

  void maybe_fail(const std::shared_ptr<Attempt>& a) {
    if (a->finished || a->punch || a->relayed || a->pending > 0 || !a->lookup_done) return;
    std::string why = a->asked.empty() ? "peer not found: no DHT node holds its announcement"
                                       : "no relay completed the handshake (" + a->last_failure + ")";
    finish(a, connect_error(why), {});
  }

  void finish(const std::shared_ptr<Attempt>& a, TransportResult<std::shared_ptr<Peer>> result, ConnectInfo info) {
    if (a->finished) return;
    a->finished = true;
    a->timer->cancel();
    if (a->punch_delay && !a->upgrade) a->punch_delay->cancel();  // a relayed one still punches
    if (!result) info.handshakes_sent = a->asked.size();
    auto done = std::move(a->done);
    if (done) done(std::move(result), info);
  }

  void connect(const hypercore::PublicKey& remote, std::vector<Ipv4Address> hints, PeerSetup setup,
               std::optional<hypercore::PublicKey> relay_through, ConnectHandler done) {
    auto a = std::make_shared<Attempt>();
    a->remote = remote;
    a->socket = request_socket();
    auto sock = socket_for(a->socket);
    a->local_id = sock->free_stream_id();
    ClientHandshakeOptions ho;
    ho.firewall = Firewall::unknown;
    ho.addresses4 = local_addresses(options.host, sock->port());
    ho.relay_through = std::move(relay_through);
    a->handshake = std::make_unique<ClientHandshake>(key_pair, remote, a->local_id, std::move(ho));
    a->setup = std::move(setup);
    a->done = std::move(done);
    a->started = std::chrono::steady_clock::now();
    a->timer = std::make_unique<asio::steady_timer>(io);
    std::weak_ptr<Impl> weak = weak_from_this();
    a->timer->expires_after(options.handshake_timeout);
    a->timer->async_wait([weak, a](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->finish(a, std::unexpected(TransportError{TransportErrc::handshake_timeout, "no handshake reply within the timeout"}), {});
    });
    if (closed) {
      finish(a, std::unexpected(TransportError{TransportErrc::stopped, "the DHT peer is closed"}), {});
      return;
    }
    for (const auto& hint : hints) ask(a, hint);
    hyper->find_peer(
        remote,
        [weak, a, remote](const dht::PeerReply& reply) {
          auto self = weak.lock();
          if (!self) return;
          for (const auto& record : reply.peers) {
            if (record.public_key != remote) continue;
            // The node that answered holds the forward entry: it relays our handshake.
            self->ask(a, reply.from);
            for (const auto& relay : record.relay_addresses) self->ask(a, relay);
          }
        },
        [weak, a](const dht::QueryResult&) {
          auto self = weak.lock();
          if (!self) return;
          a->lookup_done = true;
          self->maybe_fail(a);
        },
        now());
    udp->reschedule();
  }

  // dht-rpc's 'network-change' as hyperdht handles it: every server announces again
  // (server.refresh()), so the nodes route handshakes to where we are now; the owner hears
  // of it (Hyperswarm refreshes its discovery).
  void on_network_change() {
    if (closed) return;
    std::vector<hypercore::PublicKey> keys;
    for (const auto& [key, l] : listening) keys.push_back(key);
    for (const auto& key : keys) announce(key);
    if (options.on_network_change) options.on_network_change();
  }

  void close_all() {
    if (closed) return;
    closed = true;
    watch.reset();
    for (auto& weak : drivers) {
      if (auto d = weak.lock()) d->stop();
    }
    drivers.clear();
    for (auto& [key, l] : listening) {
      hyper->unserve(target_of(key));
      l.timer->cancel();
    }
    listening.clear();
    for (auto& weak : peers) {
      if (auto p = weak.lock()) p->stop();
    }
    peers.clear();
    hyper.reset();
    if (udp) udp->close();
    if (server_socket) server_socket->close();
    if (client_socket) client_socket->close();
  }
};

hypercore::Result<std::unique_ptr<DhtPeer>> DhtPeer::open(asio::io_context& io, DhtPeerOptions options,
                                                          std::function<void()> on_ready) {
  std::vector<Ipv4Address> bootstrap;
  for (const auto& b : options.bootstrap) {
    auto a = Ipv4Address::parse(b);
    if (!a) return hypercore::fail(errc::invalid_argument, "bootstrap node '" + b + "' is not IPV4:PORT");
    bootstrap.push_back(*a);
  }
  auto impl = std::make_shared<Impl>(io, std::move(options));
  impl->key_pair = impl->options.key_pair ? *impl->options.key_pair : hypercore::KeyPair::random();
  auto server = udx::UdxSocket::open(io, impl->options.host, impl->options.port);
  if (!server) return std::unexpected(server.error());
  auto client = udx::UdxSocket::open(io, impl->options.host, 0);
  if (!client) return std::unexpected(client.error());
  impl->server_socket = *server;
  impl->client_socket = *client;
  dht::DhtNodeOptions node_options;
  node_options.bootstrap = std::move(bootstrap);
  auto udp = dht::UdpDht::open(impl->server_socket, impl->client_socket, std::move(node_options));
  if (!udp) return std::unexpected(udp.error());
  impl->udp = std::move(*udp);
  impl->hyper = std::make_unique<dht::HyperDht>(impl->udp->node());
  impl->install_probe_hooks();
  if (impl->options.network_poll.count() > 0) {
    std::weak_ptr<Impl> weak = impl;
    impl->watch = std::make_unique<NetworkWatch>(io, impl->options.network_poll, [weak] {
      if (auto self = weak.lock()) self->on_network_change();
    });
  }
  impl->udp->node().bootstrap(impl->now(), std::move(on_ready));
  impl->udp->reschedule();
  return std::unique_ptr<DhtPeer>(new DhtPeer(std::move(impl)));
}

DhtPeer::DhtPeer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
DhtPeer::~DhtPeer() { close(); }

dht::UdpDht& DhtPeer::udp() { return *impl_->udp; }
dht::HyperDht& DhtPeer::hyperdht() { return *impl_->hyper; }
const hypercore::KeyPair& DhtPeer::key_pair() const { return impl_->key_pair; }
uint16_t DhtPeer::port() const { return impl_->server_socket->port(); }

void DhtPeer::listen(const hypercore::KeyPair& key_pair, PeerSetup setup, AcceptHandler on_accept) {
  if (impl_->closed) return;
  auto& l = impl_->listening[key_pair.public_key];
  l.key_pair = key_pair;
  l.handshakes = std::make_unique<ServerHandshakes>(key_pair);
  l.setup = std::move(setup);
  l.on_accept = std::move(on_accept);
  if (!l.timer) l.timer = std::make_unique<asio::steady_timer>(impl_->io);
  std::weak_ptr<Impl> weak = impl_;
  hypercore::PublicKey key = key_pair.public_key;
  dht::ConnectServer server;
  server.on_handshake = [weak, key](const dht::ServerHandshake& h) {
    if (auto self = weak.lock()) self->on_handshake(key, h);
  };
  server.on_holepunch = [weak, key](const dht::ServerHolepunch& h) {
    if (auto self = weak.lock()) self->on_holepunch(key, h);
  };
  impl_->hyper->serve(target_of(key), std::move(server));
  impl_->announce(key);
}

void DhtPeer::unlisten(const hypercore::PublicKey& public_key) {
  auto it = impl_->listening.find(public_key);
  if (it == impl_->listening.end()) return;
  impl_->hyper->unserve(target_of(public_key));
  it->second.timer->cancel();
  impl_->listening.erase(it);
}

std::vector<Ipv4Address> DhtPeer::relays(const hypercore::PublicKey& public_key) const {
  auto it = impl_->listening.find(public_key);
  return it == impl_->listening.end() ? std::vector<Ipv4Address>{} : it->second.relays;
}

void DhtPeer::connect(const hypercore::PublicKey& remote, std::vector<Ipv4Address> hints, PeerSetup setup,
                      ConnectHandler done) {
  impl_->connect(remote, std::move(hints), std::move(setup), impl_->options.relay_through, std::move(done));
}

void DhtPeer::close() {
  if (impl_) impl_->close_all();
}

}  // namespace net::connect
