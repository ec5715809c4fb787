#include "net/dht/record_store.hpp"

#include "net/dht/internal/generation_cache.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <sodium.h>

namespace net::dht {

using hypercore::Bytes;
using hypercore::ByteSpan;
using hypercore::Hash;

namespace {

constexpr uint64_t kMaxBumpDrift = 60'000;  // a bump may be at most 60 s in the future

std::string key_of(ByteSpan a) { return std::string(reinterpret_cast<const char*>(a.data()), a.size()); }
std::string key_of(ByteSpan a, ByteSpan b) { return key_of(a) + key_of(b); }

uint32_t source_of(const Ipv4Address& a) {
  return (uint32_t(a.host[0]) << 24) | (uint32_t(a.host[1]) << 16) | (uint32_t(a.host[2]) << 8) | a.host[3];
}

StoreReply with_kind(StoreReply::Kind kind) {
  StoreReply r;
  r.kind = kind;
  return r;
}
StoreReply drop() { return with_kind(StoreReply::Kind::drop); }
StoreReply reply(std::optional<Bytes> value = std::nullopt, uint32_t error = 0) {
  return StoreReply{StoreReply::Kind::reply, error, std::move(value), true, true};
}
// ANNOUNCE/UNANNOUNCE replies carry neither a token nor closer nodes.
StoreReply bare_reply() { return StoreReply{StoreReply::Kind::reply, 0, std::nullopt, false, false}; }

uint64_t seed_or_random(uint64_t seed) {
  if (seed) return seed;
  uint64_t s = 0;
  randombytes_buf(&s, sizeof s);
  return s;
}

}  // namespace

// Records keyed by target || public key; forward entries, bumps, mutable and immutable
// values each in their own bounded cache.
struct RecordStore::Caches {
  detail::GenerationCache<hypercore::Bytes> records;
  detail::GenerationCache<ForwardEntry> forwards;
  detail::GenerationCache<uint64_t> bumps;
  detail::GenerationCache<hypercore::Bytes> mutables;
  detail::GenerationCache<hypercore::Bytes> immutables;
};

RecordStore::RecordStore(RecordStoreOptions options, Millis now)
    : options_(std::move(options)),
      rng_(seed_or_random(options_.seed)),
      caches_(std::make_unique<Caches>(Caches{{options_.records, now},
                                              {options_.forwards, now},
                                              {options_.records, now},
                                              {options_.mutables, now},
                                              {options_.immutables, now}})) {
  caches_->records.set_on_evict([this](const std::string& key) {
    auto it = by_target_.find(key.substr(0, 32));
    if (it == by_target_.end()) return;
    it->second.erase(key.substr(32));
    if (it->second.empty()) by_target_.erase(it);
  });
}

RecordStore::~RecordStore() = default;
size_t RecordStore::record_count() const { return caches_->records.size(); }
size_t RecordStore::forward_count() const { return caches_->forwards.size(); }
size_t RecordStore::mutable_count() const { return caches_->mutables.size(); }
size_t RecordStore::immutable_count() const { return caches_->immutables.size(); }
RecordStore::RecordStore(RecordStore&&) noexcept = default;
RecordStore& RecordStore::operator=(RecordStore&&) noexcept = default;

void RecordStore::advance(Millis now) {
  caches_->records.advance(now);
  caches_->forwards.advance(now);
  caches_->bumps.advance(now);
  caches_->mutables.advance(now);
  caches_->immutables.advance(now);
}

uint64_t RecordStore::wall_now() const {
  if (options_.wall_clock) return options_.wall_clock();
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

size_t RecordStore::stored_bytes() const {
  return caches_->records.bytes() + caches_->forwards.bytes() + caches_->mutables.bytes() + caches_->immutables.bytes();
}

size_t RecordStore::records_from(const Ipv4Address& source) const {
  return caches_->records.source_entries(source_of(source));
}

StoreReply RecordStore::handle(const Request& r, const Ipv4Address& from, const NodeId& our_id, Millis now) {
  advance(now);
  StoreReply out;
  switch (static_cast<HyperCommand>(r.command)) {
    case HyperCommand::find_peer: out = on_find_peer(r); break;
    case HyperCommand::lookup: out = on_lookup(r); break;
    case HyperCommand::announce: out = on_announce(r, from, our_id); break;
    case HyperCommand::unannounce: out = on_unannounce(r, our_id); break;
    case HyperCommand::mutable_put: out = on_mutable_put(r, from); break;
    case HyperCommand::mutable_get: out = on_mutable_get(r); break;
    case HyperCommand::immutable_put: out = on_immutable_put(r, from); break;
    case HyperCommand::immutable_get: out = on_immutable_get(r); break;
    default: return with_kind(StoreReply::Kind::not_handled);
  }
  if (out.kind == StoreReply::Kind::drop) stats_.dropped++;
  return out;
}

std::vector<Bytes> RecordStore::records(const Hash& target, size_t n) {
  std::vector<Bytes> out;
  auto it = by_target_.find(key_of(target));
  if (it == by_target_.end()) return out;
  std::vector<const std::string*> keys;
  keys.reserve(it->second.size());
  for (const auto& pk : it->second) keys.push_back(&pk);
  if (keys.size() > n) {
    std::shuffle(keys.begin(), keys.end(), rng_);  // the reference picks n at random
    keys.resize(n);
  }
  for (const auto* pk : keys) {
    if (const Bytes* rec = caches_->records.get(key_of(target) + *pk, false)) out.push_back(*rec);
  }
  return out;
}

const ForwardEntry* RecordStore::forward(const Hash& target) { return caches_->forwards.get(key_of(target), true); }

uint64_t RecordStore::bump(const Hash& target) {
  const uint64_t* b = caches_->bumps.get(key_of(target), true);
  return b ? *b : 0;
}

void RecordStore::unannounce(const Hash& target, const hypercore::PublicKey& pk) {
  if (hash_target(pk) == target) caches_->forwards.erase(key_of(target));
  caches_->records.erase(key_of(target, pk));
}

std::optional<Bytes> RecordStore::mutable_value(const Hash& target) {
  const Bytes* v = caches_->mutables.get(key_of(target), true);
  return v ? std::optional<Bytes>(*v) : std::nullopt;
}

std::optional<Bytes> RecordStore::immutable_value(const Hash& target) {
  const Bytes* v = caches_->immutables.get(key_of(target), true);
  return v ? std::optional<Bytes>(*v) : std::nullopt;
}

StoreReply RecordStore::on_lookup(const Request& r) {
  if (!r.target) return drop();
  auto recs = records(*r.target, kMaxLookupRecords);
  if (const ForwardEntry* fwd = forward(*r.target); fwd && recs.size() < kMaxLookupRecords) recs.push_back(fwd->record);
  if (recs.empty()) return reply();
  return reply(encode_lookup_reply(recs, bump(*r.target)));
}

StoreReply RecordStore::on_find_peer(const Request& r) {
  if (!r.target) return drop();
  const ForwardEntry* fwd = forward(*r.target);
  return fwd ? reply(fwd->record) : reply();
}

void RecordStore::add_record(const Hash& target, const hypercore::PublicKey& pk, Bytes record, uint32_t source) {
  std::string t = key_of(target);
  auto idx = by_target_.find(t);
  bool known = idx != by_target_.end() && idx->second.count(key_of(pk));
  if (!known && idx != by_target_.end() && idx->second.size() >= options_.max_records_per_target) {
    stats_.refused++;
    return;
  }
  size_t bytes = record.size() + 64;
  auto put = caches_->records.put(t + key_of(pk), std::move(record), source, bytes, true);
  if (put == detail::GenerationCache<Bytes>::Put::refused) {
    stats_.refused++;
    return;
  }
  by_target_[t].insert(key_of(pk));
}

StoreReply RecordStore::on_announce(const Request& r, const Ipv4Address& from, const NodeId& our_id) {
  if (!r.target || !r.token || !r.value) return drop();
  auto ann = decode_announce(*r.value);
  if (!ann) return drop();
  // Refresh-only announces (a preimage instead of a signed record) are not supported: the
  // requester sees no reply, as from a reference node that forgot the refresh.
  if (!ann->peer) return drop();
  if (!verify_announce(*ann, ns::announce(), *r.target, our_id, *r.token)) return drop();
  if (ann->peer->relay_addresses.size() > kMaxRelayAddresses) ann->peer->relay_addresses.resize(kMaxRelayAddresses);
  stats_.announces++;
  Bytes record = encode_peer_record(*ann->peer);
  const Hash& target = *r.target;
  if (hash_target(ann->peer->public_key) == target) {
    // A server announcing itself: FIND_PEER answers with it and handshakes are relayed to
    // the address the announce came from.
    size_t bytes = record.size() + 6 + 32;
    if (caches_->forwards.put(key_of(target), ForwardEntry{from, std::move(record)}, source_of(from), bytes, false) ==
        detail::GenerationCache<ForwardEntry>::Put::refused)
      stats_.refused++;
    caches_->records.erase(key_of(target, ann->peer->public_key));
  } else {
    uint64_t current = bump(target);
    if (ann->bump > current && ann->bump <= wall_now() + kMaxBumpDrift)
      caches_->bumps.put(key_of(target), ann->bump, source_of(from), 8, false);
    add_record(target, ann->peer->public_key, std::move(record), source_of(from));
  }
  return bare_reply();
}

StoreReply RecordStore::on_unannounce(const Request& r, const NodeId& our_id) {
  if (!r.target || !r.token || !r.value) return drop();
  auto ann = decode_announce(*r.value);
  if (!ann || !ann->peer || !ann->signature) return drop();
  if (!verify_announce(*ann, ns::unannounce(), *r.target, our_id, *r.token)) return drop();
  stats_.unannounces++;
  unannounce(*r.target, ann->peer->public_key);
  return bare_reply();
}

StoreReply RecordStore::on_mutable_put(const Request& r, const Ipv4Address& from) {
  if (!r.target || !r.token || !r.value) return drop();
  auto put = decode_mutable_put(*r.value);
  if (!put) return drop();
  if (hash_target(put->public_key) != *r.target) return drop();
  // An empty value is compact-encoding's null, which the reference rejects.
  if (put->value.empty() || !verify_mutable(put->signature, put->seq, put->value, put->public_key)) return drop();
  std::string k = key_of(*r.target);
  if (const Bytes* local = caches_->mutables.get(k, true)) {
    auto existing = decode_mutable_record(*local);
    if (existing) {
      if (!existing->value.empty() && existing->seq == put->seq && existing->value != put->value)
        return reply(std::nullopt, kSeqReused);
      if (put->seq < existing->seq) return reply(std::nullopt, kSeqTooLow);
    }
  }
  Bytes stored = encode_mutable_record(MutableRecord{put->seq, std::move(put->value), put->signature});
  size_t bytes = stored.size() + 32;
  if (caches_->mutables.put(k, std::move(stored), source_of(from), bytes, false) ==
      detail::GenerationCache<Bytes>::Put::refused)
    stats_.refused++;  // still answered: the reference would have stored it
  return reply();
}

StoreReply RecordStore::on_mutable_get(const Request& r) {
  if (!r.target || !r.value) return drop();
  auto seq = decode_seq(*r.value);
  if (!seq) return drop();
  const Bytes* value = caches_->mutables.get(key_of(*r.target), true);
  if (!value) return reply();
  auto local = decode_mutable_record(*value);
  if (!local || local->seq < *seq) return reply();
  return reply(*value);
}

StoreReply RecordStore::on_immutable_put(const Request& r, const Ipv4Address& from) {
  if (!r.target || !r.token || !r.value) return drop();
  if (hash_target(*r.value) != *r.target) return drop();
  size_t bytes = r.value->size() + 32;
  if (caches_->immutables.put(key_of(*r.target), *r.value, source_of(from), bytes, false) ==
      detail::GenerationCache<Bytes>::Put::refused)
    stats_.refused++;
  return reply();
}

StoreReply RecordStore::on_immutable_get(const Request& r) {
  if (!r.target) return drop();
  const Bytes* value = caches_->immutables.get(key_of(*r.target), true);
  return value ? reply(*value) : reply();
}

}  // namespace net::dht
