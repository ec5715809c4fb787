#include "net/connect/blind_relay_server.hpp"

#include <map>

#include "net/udx/udx_socket.hpp"

namespace net::connect {

using blind_relay::SessionId;
using blind_relay::Token;

struct BlindRelayServer::Impl : std::enable_shared_from_this<Impl> {
  struct Session {
    std::weak_ptr<Peer> peer;
    Peer* raw = nullptr;
    std::shared_ptr<udx::UdxSocket> socket;
    uint64_t channel = 0;  // our local id of the blind-relay channel, once opened
  };
  struct Half {
    std::weak_ptr<udx::UdxSocket> socket;
    uint32_t stream_id = 0;
  };
  struct Link {
    std::array<Half, 2> halves;
  };

  Impl(DhtPeer& dht, BlindRelayServerOptions options) : dht(dht), options(options), table(options.limits) {}

  DhtPeer& dht;
  BlindRelayServerOptions options;
  hypercore::KeyPair key_pair;
  blind_relay::PairingTable table;
  std::map<SessionId, Session> sessions;
  std::map<Peer*, SessionId> by_peer;
  std::map<Token, Link> links;
  SessionId next_session = 1;
  uint64_t relayed_packets = 0;
  bool closed = false;

  Session* session_of(Peer& peer) {
    auto it = by_peer.find(&peer);
    if (it == by_peer.end()) return nullptr;
    return &sessions.at(it->second);
  }

  void on_accept(const std::shared_ptr<Peer>& peer, const ConnectInfo& info) {
    if (closed || sessions.size() >= options.max_sessions) {
      peer->stop();
      return;
    }
    const SessionId id = next_session++;
    sessions[id] = Session{peer, peer.get(), info.socket, 0};
    by_peer[peer.get()] = id;
  }

  // The byte stream is up: answer the client's "blind-relay" open (its id is the client's
  // key, as Server.accept(socket, {id: socket.remotePublicKey}) opens ours).
  void on_open(Peer& peer) {
    std::weak_ptr<Impl> weak = weak_from_this();
    peer.session().set_channel_handlers(
        [weak](const RemoteOpen& open) {
          auto self = weak.lock();
          if (!self || self->closed || open.protocol != blind_relay::kProtocol) return OpenDecision::reject();
          return OpenDecision::accept({}, ChannelOptions{blind_relay::kMessageTypes});
        },
        [weak, &peer](const MuxEvent& e, TimePoint) {
          if (auto self = weak.lock()) self->on_channel(peer, e);
        });
  }

  void on_channel(Peer& peer, const MuxEvent& e) {
    Session* s = session_of(peer);
    if (s == nullptr || closed) return;
    const SessionId id = by_peer.at(&peer);
    if (e.kind == MuxEvent::Kind::opened) {
      if (e.protocol == blind_relay::kProtocol || s->channel == 0) s->channel = e.channel;
      return;
    }
    if (e.channel != s->channel) return;
    if (e.kind == MuxEvent::Kind::closed) {
      end_session(id);
      return;
    }
    if (e.kind != MuxEvent::Kind::message) return;
    if (e.type == blind_relay::kPairType) {
      auto m = blind_relay::decode_pair(e.payload);
      if (!m) return;
      auto udx_now = s->socket ? s->socket->now() : udx::Millis(0);
      auto matched = table.on_pair(id, *m, udx_now);
      if (matched && *matched) make_link(**matched);
    } else if (e.type == blind_relay::kUnpairType) {
      auto m = blind_relay::decode_unpair(e.payload);
      if (m && table.on_unpair(id, m->token)) end_link(m->token);
    }
  }

  // BlindRelaySession._onpair, once paired: streams, relay_to both ways, then the answers.
  void make_link(const blind_relay::Match& match) {
    Link link;
    std::array<udx::Stream*, 2> streams{};
    std::weak_ptr<Impl> weak = weak_from_this();
    for (size_t i = 0; i < 2; i++) {
      auto it = sessions.find(match.halves[i].session);
      if (it == sessions.end() || !it->second.socket || it->second.socket->closed()) {
        abandon(match.token, link, i);
        return;
      }
      auto& sock = it->second.socket;
      const uint32_t id = sock->free_stream_id();
      const Token token = match.token;
      // Wakes after a pass that touched the stream: the partner's socket may hold what it
      // forwarded (the two sockets may differ), and a closed stream ends the link.
      auto created = sock->create_stream(id, {}, [weak, token] {
        if (auto self = weak.lock()) self->on_wake(token);
      });
      if (!created) {
        abandon(match.token, link, i);
        return;
      }
      (*created)->accept_first_packet(match.halves[i].remote_stream_id);
      streams[i] = *created;
      link.halves[i] = Half{sock, id};
    }
    (void)streams[0]->relay_to(*streams[1]);
    (void)streams[1]->relay_to(*streams[0]);
    links[match.token] = link;
    for (size_t i = 0; i < 2; i++) {
      Session& s = sessions.at(match.halves[i].session);
      auto peer = s.peer.lock();
      if (!peer) continue;
      blind_relay::PairMessage answer{match.halves[i].is_initiator, match.token, link.halves[i].stream_id, 0};
      (void)peer->session().mux().send(s.channel, blind_relay::kPairType, blind_relay::encode_pair(answer));
      peer->flush();
    }
  }

  // A link that could not be made: release what was created, forget the token.
  void abandon(const Token& token, Link& link, size_t made) {
    for (size_t j = 0; j < made; j++) {
      if (auto sock = link.halves[j].socket.lock()) {
        if (auto* st = sock->find(link.halves[j].stream_id)) st->destroy(sock->now());
        sock->release(link.halves[j].stream_id);
      }
    }
    table.link_closed(token);
  }

  void on_wake(const Token& token) {
    auto it = links.find(token);
    if (it == links.end()) return;
    bool ended = false;
    for (auto& half : it->second.halves) {
      auto sock = half.socket.lock();
      udx::Stream* st = sock ? sock->find(half.stream_id) : nullptr;
      if (st == nullptr) {
        ended = true;
        continue;
      }
      while (auto ev = st->poll_event()) {
        if (ev->kind == udx::StreamEvent::Kind::closed) ended = true;
      }
      if (st->closed()) ended = true;
    }
    for (auto& half : it->second.halves) {
      if (auto sock = half.socket.lock()) sock->flush();
    }
    if (ended) end_link(token);
  }

  // Destroys both streams (a relayed stream sends no DESTROY of its own) and releases them.
  void end_link(const Token& token) {
    auto it = links.find(token);
    if (it == links.end()) {
      table.link_closed(token);
      return;
    }
    Link link = it->second;
    links.erase(it);
    table.link_closed(token);
    for (auto& half : link.halves) {
      auto sock = half.socket.lock();
      if (!sock) continue;
      if (auto* st = sock->find(half.stream_id)) {
        relayed_packets += st->stats().relayed_packets;
        st->destroy(sock->now());
      }
      sock->release(half.stream_id);
    }
  }

  void end_session(SessionId id) {
    for (const auto& token : table.remove_session(id)) end_link(token);
    auto it = sessions.find(id);
    if (it == sessions.end()) return;
    by_peer.erase(it->second.raw);
    sessions.erase(it);
  }

  void on_close(Peer& peer) {
    auto it = by_peer.find(&peer);
    if (it != by_peer.end()) end_session(it->second);
  }

  void close_all() {
    if (closed) return;
    closed = true;
    dht.unlisten(key_pair.public_key);
    for (auto& token : std::vector<Token>([&] {
           std::vector<Token> all;
           for (auto& [t, l] : links) all.push_back(t);
           return all;
         }())) {
      end_link(token);
    }
    std::vector<std::shared_ptr<Peer>> peers;
    for (auto& [id, s] : sessions) {
      if (auto p = s.peer.lock()) peers.push_back(p);
    }
    sessions.clear();
    by_peer.clear();
    for (auto& p : peers) p->close();
  }
};

std::shared_ptr<BlindRelayServer> BlindRelayServer::start(DhtPeer& dht, const hypercore::KeyPair& key_pair,
                                                          BlindRelayServerOptions options) {
  auto impl = std::make_shared<Impl>(dht, options);
  impl->key_pair = key_pair;
  std::weak_ptr<Impl> weak = impl;
  PeerSetup setup;
  setup.handlers.on_open = [weak](Peer& peer) {
    if (auto self = weak.lock()) self->on_open(peer);
  };
  setup.handlers.on_close = [weak](Peer& peer, const std::optional<TransportError>&) {
    if (auto self = weak.lock()) self->on_close(peer);
  };
  dht.listen(key_pair, std::move(setup), [weak](std::shared_ptr<Peer> peer, const ConnectInfo& info) {
    if (auto self = weak.lock()) self->on_accept(peer, info);
  });
  return std::shared_ptr<BlindRelayServer>(new BlindRelayServer(std::move(impl)));
}

BlindRelayServer::BlindRelayServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
BlindRelayServer::~BlindRelayServer() { close(); }

const hypercore::PublicKey& BlindRelayServer::public_key() const { return impl_->key_pair.public_key; }

BlindRelayStats BlindRelayServer::stats() const {
  BlindRelayStats s;
  s.pairings = impl_->table.stats();
  s.sessions = impl_->sessions.size();
  s.relayed_packets = impl_->relayed_packets;
  return s;
}

void BlindRelayServer::close() { impl_->close_all(); }

}  // namespace net::connect
