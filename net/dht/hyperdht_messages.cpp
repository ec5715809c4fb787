#include "net/dht/hyperdht_messages.hpp"

#include <cstring>

#include "hypercore/compact_encoding.hpp"

namespace net::dht {

namespace cenc = hypercore::cenc;
using hypercore::Bytes;
using hypercore::ByteSpan;
using hypercore::Hash;
using hypercore::Result;

namespace {

void put_peer(cenc::Encoder& e, const PeerRecord& p) {
  e.fixed(p.public_key);
  e.uint(p.relay_addresses.size());
  for (const auto& a : p.relay_addresses) {
    auto six = a.encode();
    e.fixed(ByteSpan(six.data(), six.size()));
  }
}

Result<PeerRecord> get_peer(cenc::Decoder& d) {
  PeerRecord p;
  HC_TRY(pk, d.fixed32());
  p.public_key = pk;
  HC_TRY(n, d.array_length(6));  // bounded by the bytes left before anything is allocated
  p.relay_addresses.reserve(n);
  for (uint64_t i = 0; i < n; i++) {
    HC_TRY(six, d.fixed(6));
    p.relay_addresses.push_back(Ipv4Address::decode(six.data()));
  }
  return p;
}

Result<hypercore::Signature> get_signature(cenc::Decoder& d) {
  HC_TRY(b, d.fixed(64));
  hypercore::Signature s;
  std::memcpy(s.data(), b.data(), 64);
  return s;
}

// compact-encoding's buffer: length 0 is null, which we hold as an empty value.
Bytes seq_value_bytes(uint64_t seq, ByteSpan value) {
  cenc::Encoder e;
  e.uint(seq);
  e.buffer(value);
  return e.take();
}

}  // namespace

Hash hyperdht_namespace(uint8_t index) {
  Hash name = hypercore::blake2b({hypercore::as_bytes("hyperswarm/dht")});
  uint8_t i = index;
  return hypercore::blake2b({name, ByteSpan(&i, 1)});
}

namespace ns {
const Hash& peer_handshake() {
  static const Hash h = hyperdht_namespace(0);
  return h;
}
const Hash& peer_holepunch() {
  static const Hash h = hyperdht_namespace(1);
  return h;
}
const Hash& announce() {
  static const Hash h = hyperdht_namespace(4);
  return h;
}
const Hash& unannounce() {
  static const Hash h = hyperdht_namespace(5);
  return h;
}
const Hash& mutable_put() {
  static const Hash h = hyperdht_namespace(6);
  return h;
}
}  // namespace ns

Bytes encode_peer_record(const PeerRecord& record) {
  cenc::Encoder e;
  put_peer(e, record);
  return e.take();
}

Result<PeerRecord> decode_peer_record(ByteSpan bytes) {
  cenc::Decoder d(bytes, "peer record");
  return get_peer(d);
}

Bytes encode_announce(const AnnounceMessage& m) {
  cenc::Encoder e;
  e.uint((m.peer ? 1 : 0) | (m.refresh ? 2 : 0) | (m.signature ? 4 : 0) | (m.bump ? 8 : 0));
  if (m.peer) put_peer(e, *m.peer);
  if (m.refresh) e.fixed(*m.refresh);
  if (m.signature) e.fixed(*m.signature);
  if (m.bump) e.uint(m.bump);
  return e.take();
}

Result<AnnounceMessage> decode_announce(ByteSpan bytes) {
  cenc::Decoder d(bytes, "announce");
  AnnounceMessage m;
  HC_TRY(flags, d.uint());
  if (flags & 1) {
    HC_TRY(peer, get_peer(d));
    m.peer = std::move(peer);
  }
  if (flags & 2) {
    HC_TRY(refresh, d.fixed32());
    m.refresh = refresh;
  }
  if (flags & 4) {
    HC_TRY(sig, get_signature(d));
    m.signature = sig;
  }
  if (flags & 8) {
    HC_TRY(bump, d.uint());
    m.bump = bump;
  }
  return m;
}

Bytes encode_lookup_reply(const std::vector<Bytes>& raw_records, uint64_t bump) {
  cenc::Encoder e;
  e.uint(raw_records.size());
  for (const auto& r : raw_records) e.fixed(r);
  e.uint(bump);
  return e.take();
}

Result<LookupReply> decode_lookup_reply(ByteSpan bytes) {
  cenc::Decoder d(bytes, "lookup reply");
  LookupReply r;
  HC_TRY(n, d.array_length(33));  // a record is at least 32 + 1 bytes
  r.peers.reserve(n);
  for (uint64_t i = 0; i < n; i++) {
    HC_TRY(peer, get_peer(d));
    r.peers.push_back(std::move(peer));
  }
  if (!d.done()) {
    HC_TRY(bump, d.uint());
    r.bump = bump;
  }
  return r;
}

namespace {

// Both mutable layouts end in {uint seq, buffer value, fixed64 signature}: a put is that
// record after the public key.
void put_record_tail(cenc::Encoder& e, uint64_t seq, ByteSpan value, const hypercore::Signature& signature) {
  e.uint(seq);
  e.buffer(value);
  e.fixed(signature);
}

Result<MutableRecord> get_record_tail(cenc::Decoder& d) {
  MutableRecord r;
  HC_TRY(seq, d.uint());
  r.seq = seq;
  HC_TRY(value, d.buffer());
  r.value.assign(value.begin(), value.end());
  HC_TRY(sig, get_signature(d));
  r.signature = sig;
  return r;
}

}  // namespace

Bytes encode_mutable_put(const MutablePut& p) {
  cenc::Encoder e;
  e.fixed(p.public_key);
  put_record_tail(e, p.seq, p.value, p.signature);
  return e.take();
}

Result<MutablePut> decode_mutable_put(ByteSpan bytes) {
  cenc::Decoder d(bytes, "mutable put");
  MutablePut p;
  HC_TRY(pk, d.fixed32());
  p.public_key = pk;
  HC_TRY(tail, get_record_tail(d));
  p.seq = tail.seq;
  p.value = std::move(tail.value);
  p.signature = tail.signature;
  return p;
}

Bytes encode_mutable_record(const MutableRecord& r) {
  cenc::Encoder e;
  put_record_tail(e, r.seq, r.value, r.signature);
  return e.take();
}

Result<MutableRecord> decode_mutable_record(ByteSpan bytes) {
  cenc::Decoder d(bytes, "mutable record");
  return get_record_tail(d);
}

Bytes encode_seq(uint64_t seq) {
  cenc::Encoder e;
  e.uint(seq);
  return e.take();
}

Result<uint64_t> decode_seq(ByteSpan bytes) {
  cenc::Decoder d(bytes, "mutable get");
  return d.uint();
}

std::array<uint8_t, 64> announce_signable(const Hash& ns, const Hash& target, const Hash& node_id, const Hash& token,
                                          const PeerRecord& peer, const std::optional<Hash>& refresh) {
  std::array<uint8_t, 64> out{};
  Bytes record = encode_peer_record(peer);
  Hash inner = refresh ? hypercore::blake2b({target, node_id, token, record, *refresh})
                       : hypercore::blake2b({target, node_id, token, record});
  std::memcpy(out.data(), ns.data(), 32);
  std::memcpy(out.data() + 32, inner.data(), 32);
  return out;
}

void sign_announce(AnnounceMessage& m, const Hash& ns, const Hash& target, const Hash& node_id, const Hash& token,
                   const hypercore::KeyPair& key_pair) {
  if (!m.peer) m.peer = PeerRecord{key_pair.public_key, {}};
  auto signable = announce_signable(ns, target, node_id, token, *m.peer, m.refresh);
  m.signature = hypercore::sign(key_pair.secret_key, signable);
}

bool verify_announce(const AnnounceMessage& m, const Hash& ns, const Hash& target, const Hash& node_id,
                     const Hash& token) {
  if (!m.peer || !m.signature) return false;
  auto signable = announce_signable(ns, target, node_id, token, *m.peer, m.refresh);
  return hypercore::verify(m.peer->public_key, signable, *m.signature);
}

std::array<uint8_t, 64> mutable_signable(uint64_t seq, ByteSpan value) {
  std::array<uint8_t, 64> out{};
  Hash inner = hypercore::blake2b({seq_value_bytes(seq, value)});
  std::memcpy(out.data(), ns::mutable_put().data(), 32);
  std::memcpy(out.data() + 32, inner.data(), 32);
  return out;
}

hypercore::Signature sign_mutable(uint64_t seq, ByteSpan value, const hypercore::KeyPair& key_pair) {
  return hypercore::sign(key_pair.secret_key, mutable_signable(seq, value));
}

bool verify_mutable(const hypercore::Signature& signature, uint64_t seq, ByteSpan value,
                    const hypercore::PublicKey& public_key) {
  return hypercore::verify(public_key, mutable_signable(seq, value), signature);
}

}  // namespace net::dht
