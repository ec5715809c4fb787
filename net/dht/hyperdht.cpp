#include "net/dht/hyperdht.hpp"

#include <memory>

namespace net::dht {

using hypercore::Bytes;
using hypercore::ByteSpan;
using hypercore::Hash;

HyperDht::HyperDht(DhtNode& node, RecordStoreOptions options) : node_(node), store_(std::move(options), node.now()) {
  node_.on_request = [this](const IncomingRequest& r) { return on_request(r); };
}

HyperDht::~HyperDht() { node_.on_request = nullptr; }

bool HyperDht::on_request(const IncomingRequest& request) {
  // Connecting works on every node, as in the reference (a server may be ephemeral).
  if (request.message.command == static_cast<uint32_t>(HyperCommand::peer_handshake)) {
    on_peer_handshake(request);
    return true;
  }
  if (request.message.command == static_cast<uint32_t>(HyperCommand::peer_holepunch)) {
    on_peer_holepunch(request);
    return true;
  }
  // Only persistent nodes store (an ephemeral node is never a commit target anyway).
  if (node_.ephemeral()) return false;
  StoreReply r = store_.handle(request.message, request.from, node_.id(), node_.now());
  switch (r.kind) {
    case StoreReply::Kind::not_handled: return false;
    case StoreReply::Kind::drop: return true;
    case StoreReply::Kind::reply:
      node_.reply(request, r.error, std::move(r.value), r.token, r.closer_nodes);
      return true;
  }
  return false;
}

void HyperDht::commit_request(const QueryReply& reply, HyperCommand command, const Hash& target, Bytes value,
                              std::function<void(bool)> done) {
  if (!reply.token) {
    done(false);
    return;
  }
  auto shared_done = std::make_shared<std::function<void(bool)>>(std::move(done));
  node_.request(
      reply.from, false, static_cast<uint32_t>(command), target, std::move(value), reply.token,
      [shared_done](const QueryReply& r) { (*shared_done)(r.error == 0); }, [shared_done] { (*shared_done)(false); },
      node_.now());
}

void HyperDht::query(const Hash& target, HyperCommand command, std::optional<Bytes> value, CommitFn commit,
                     QueryDataFn on_data, DoneFn done, Millis now) {
  QueryOptions o;
  o.internal = false;
  o.command = static_cast<uint32_t>(command);
  o.value = std::move(value);
  o.commit = std::move(commit);
  node_.query(target, std::move(o), std::move(on_data), std::move(done), now);
}

namespace {

std::optional<PeerReply> peers_of(const QueryReply& r, bool find_peer) {
  if (!r.value) return std::nullopt;
  PeerReply out{r.from, r.from_id, {}, 0};
  if (find_peer) {
    auto rec = decode_peer_record(*r.value);
    if (!rec) return std::nullopt;
    out.peers.push_back(std::move(*rec));
  } else {
    auto l = decode_lookup_reply(*r.value);
    if (!l) return std::nullopt;
    out.peers = std::move(l->peers);
    out.bump = l->bump;
  }
  return out;
}

}  // namespace

void HyperDht::announce(const Hash& target, const hypercore::KeyPair& key_pair, std::vector<Ipv4Address> relays,
                        DoneFn done, Millis now, uint64_t bump) {
  if (relays.size() > kMaxRelayAddresses) relays.resize(kMaxRelayAddresses);
  PeerRecord peer{key_pair.public_key, std::move(relays)};
  CommitFn commit = [this, target, key_pair, peer, bump](const QueryReply& reply, std::function<void(bool)> ok) {
    if (!reply.from_id || !reply.token) {
      ok(false);
      return;
    }
    AnnounceMessage m;
    m.peer = peer;
    m.bump = bump;
    sign_announce(m, ns::announce(), target, *reply.from_id, *reply.token, key_pair);
    commit_request(reply, HyperCommand::announce, target, encode_announce(m), std::move(ok));
  };
  query(target, HyperCommand::lookup, std::nullopt, std::move(commit), {}, std::move(done), now);
}

void HyperDht::unannounce(const Hash& target, const hypercore::KeyPair& key_pair, DoneFn done, Millis now) {
  store_.unannounce(target, key_pair.public_key);  // unlink ourselves, as the reference does
  struct State {
    size_t pending = 0;
    bool query_done = false;
    QueryResult result;
    DoneFn done;
  };
  auto state = std::make_shared<State>();
  state->done = std::move(done);
  auto maybe_finish = [state] {
    if (state->query_done && state->pending == 0 && state->done) {
      auto d = std::move(state->done);
      state->done = nullptr;
      d(state->result);
    }
  };
  QueryDataFn on_data = [this, target, key_pair, state, maybe_finish](const QueryReply& r) {
    if (!r.token || !r.from_id) return;
    auto peers = peers_of(r, false);
    if (!peers) return;
    bool listed = peers->peers.size() >= kMaxLookupRecords;
    for (const auto& p : peers->peers) listed = listed || p.public_key == key_pair.public_key;
    if (!listed) return;
    AnnounceMessage m;
    m.peer = PeerRecord{key_pair.public_key, {}};  // signed with an empty relay list
    sign_announce(m, ns::unannounce(), target, *r.from_id, *r.token, key_pair);
    state->pending++;
    commit_request(r, HyperCommand::unannounce, target, encode_announce(m), [state, maybe_finish](bool) {
      state->pending--;
      maybe_finish();
    });
  };
  query(target, HyperCommand::lookup, std::nullopt, {}, std::move(on_data),
        [state, maybe_finish](const QueryResult& r) {
          state->result = r;
          state->query_done = true;
          maybe_finish();
        },
        now);
}

void HyperDht::lookup(const Hash& target, PeersFn on_peers, DoneFn done, Millis now) {
  QueryDataFn on_data = [on_peers = std::move(on_peers)](const QueryReply& r) {
    if (auto p = peers_of(r, false); p && on_peers) on_peers(*p);
  };
  query(target, HyperCommand::lookup, std::nullopt, {}, std::move(on_data), std::move(done), now);
}

void HyperDht::find_peer(const hypercore::PublicKey& public_key, PeersFn on_peers, DoneFn done, Millis now) {
  QueryDataFn on_data = [on_peers = std::move(on_peers)](const QueryReply& r) {
    if (auto p = peers_of(r, true); p && on_peers) on_peers(*p);
  };
  query(hash_target(public_key), HyperCommand::find_peer, std::nullopt, {}, std::move(on_data), std::move(done), now);
}

void HyperDht::mutable_put(const hypercore::KeyPair& key_pair, ByteSpan value, uint64_t seq,
                           std::function<void(const QueryResult&, const hypercore::Signature&)> done, Millis now) {
  Hash target = hash_target(key_pair.public_key);
  MutablePut put{key_pair.public_key, seq, Bytes(value.begin(), value.end()), sign_mutable(seq, value, key_pair)};
  Bytes signed_value = encode_mutable_put(put);
  CommitFn commit = [this, target, signed_value](const QueryReply& reply, std::function<void(bool)> ok) {
    commit_request(reply, HyperCommand::mutable_put, target, signed_value, std::move(ok));
  };
  // The query asks for seq 0: only the commit matters, as in the reference.
  query(target, HyperCommand::mutable_get, encode_seq(0), std::move(commit), {},
        [done = std::move(done), sig = put.signature](const QueryResult& r) { done(r, sig); }, now);
}

void HyperDht::mutable_get(const hypercore::PublicKey& public_key, uint64_t min_seq,
                           std::function<void(std::optional<MutableResult>)> done, Millis now) {
  auto best = std::make_shared<std::optional<MutableResult>>();
  QueryDataFn on_data = [best, public_key, min_seq](const QueryReply& r) {
    if (!r.value) return;
    auto rec = decode_mutable_record(*r.value);
    if (!rec || rec->seq < min_seq) return;
    if (*best && rec->seq <= (*best)->seq) return;
    if (!verify_mutable(rec->signature, rec->seq, rec->value, public_key)) return;  // hostile nodes lie
    *best = MutableResult{rec->seq, std::move(rec->value), rec->signature, r.from};
  };
  query(hash_target(public_key), HyperCommand::mutable_get, encode_seq(min_seq), {}, std::move(on_data),
        [best, done = std::move(done)](const QueryResult&) { done(std::move(*best)); }, now);
}

void HyperDht::immutable_put(ByteSpan value, std::function<void(const QueryResult&, const Hash&)> done, Millis now) {
  Hash target = hash_target(value);
  Bytes bytes(value.begin(), value.end());
  CommitFn commit = [this, target, bytes](const QueryReply& reply, std::function<void(bool)> ok) {
    commit_request(reply, HyperCommand::immutable_put, target, bytes, std::move(ok));
  };
  query(target, HyperCommand::immutable_get, std::nullopt, std::move(commit), {},
        [done = std::move(done), target](const QueryResult& r) { done(r, target); }, now);
}

void HyperDht::immutable_get(const Hash& target, std::function<void(std::optional<Bytes>)> done, Millis now) {
  auto found = std::make_shared<std::optional<Bytes>>();
  QueryDataFn on_data = [found, target](const QueryReply& r) {
    if (*found || !r.value) return;
    if (hash_target(*r.value) == target) *found = *r.value;  // content-addressed: self-verifying
  };
  query(target, HyperCommand::immutable_get, std::nullopt, {}, std::move(on_data),
        [found, done = std::move(done)](const QueryResult&) { done(std::move(*found)); }, now);
}

}  // namespace net::dht
