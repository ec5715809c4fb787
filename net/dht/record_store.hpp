// What a persistent hyperdht node stores for others (../shared/spec/dht.md §2.4, §2.6), and
// how it answers FIND_PEER, LOOKUP, ANNOUNCE, UNANNOUNCE, MUTABLE_PUT/GET and
// IMMUTABLE_PUT/GET. Sans-I/O: handle() takes a decoded request, the requester's address,
// our node id and the time, and says what to reply; hyperdht.hpp sends it through DhtNode.
//
// Expiry follows the reference's two-generation caches (records, forward entries and bumps:
// 20 min max age, so an entry lives 13–27 min; mutable and immutable values: 48 h, so
// 32–64 h). Unlike the reference, every cache also has a byte budget and a per-source-host
// entry limit: a host flooding announces (each needs a valid token, so a real address) gets
// its new records refused once it holds `max_per_source`, and cannot flush other hosts'
// records by overflowing a generation. Single-threaded, like DhtNode.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "net/dht/generation_limits.hpp"
#include "net/dht/hyperdht_messages.hpp"
#include "net/dht/messages.hpp"

namespace net::dht {

struct RecordStoreOptions {
  // Announce records (all targets together) and forward entries; reference maxSize 65536.
  GenerationLimits records{65536, 20 * 60 * 1000, 32u << 20, 1024};
  GenerationLimits forwards{65536, 20 * 60 * 1000, 16u << 20, 1024};
  // Mutable and immutable values: reference maxSize/2 and 48 h; values are up to a datagram,
  // so the byte budget is what bounds memory here.
  GenerationLimits mutables{32768, 48ull * 60 * 60 * 1000, 32u << 20, 1024};
  GenerationLimits immutables{32768, 48ull * 60 * 60 * 1000, 32u << 20, 1024};
  // Records of one target (ours; the reference bounds only the total). A topic with more
  // announcers than this keeps the earliest ones until they expire.
  size_t max_records_per_target = 4096;
  // Wall clock in ms since the epoch, for bump timestamps (default: the system clock).
  std::function<uint64_t()> wall_clock;
  uint64_t seed = 0;  // sampling of lookup records; 0: from libsodium
};

// A self-announced server (H(pk) == target): who relays handshakes to it, and its record.
struct ForwardEntry {
  Ipv4Address relay;        // the address its ANNOUNCE came from
  hypercore::Bytes record;  // encoded peer record
};

// What to do with one request.
struct StoreReply {
  enum class Kind { not_handled, drop, reply } kind = Kind::drop;
  uint32_t error = 0;
  std::optional<hypercore::Bytes> value;
  bool token = true;         // the hyperdht reply() default
  bool closer_nodes = true;
};

struct RecordStoreStats {
  uint64_t announces = 0, unannounces = 0, refused = 0, dropped = 0;
};

class RecordStore {
 public:
  RecordStore(RecordStoreOptions options, Millis now);
  ~RecordStore();
  RecordStore(RecordStore&&) noexcept;
  RecordStore& operator=(RecordStore&&) noexcept;

  // Answers one non-internal request addressed to the node `our_id`; `from` is its source.
  // Commands it does not store (handshakes, plugins) are not_handled; malformed, unsigned or
  // mis-targeted storage requests are dropped without a reply, as in the reference.
  StoreReply handle(const Request& request, const Ipv4Address& from, const NodeId& our_id, Millis now);

  // Expires what is due (handle() calls it too).
  void advance(Millis now);

  // Up to `n` of the target's records (random when there are more), encoded.
  std::vector<hypercore::Bytes> records(const hypercore::Hash& target, size_t n);
  const ForwardEntry* forward(const hypercore::Hash& target);
  uint64_t bump(const hypercore::Hash& target);
  // Drops `public_key`'s record (and forward entry) under `target`.
  void unannounce(const hypercore::Hash& target, const hypercore::PublicKey& public_key);
  std::optional<hypercore::Bytes> mutable_value(const hypercore::Hash& target);
  std::optional<hypercore::Bytes> immutable_value(const hypercore::Hash& target);

  // Sizes, for tests and monitoring.
  size_t record_count() const;
  size_t forward_count() const;
  size_t mutable_count() const;
  size_t immutable_count() const;
  size_t target_count() const { return by_target_.size(); }
  size_t stored_bytes() const;
  size_t records_from(const Ipv4Address& source) const;
  const RecordStoreStats& stats() const { return stats_; }

 private:
  StoreReply on_lookup(const Request& r);
  StoreReply on_find_peer(const Request& r);
  StoreReply on_announce(const Request& r, const Ipv4Address& from, const NodeId& our_id);
  StoreReply on_unannounce(const Request& r, const NodeId& our_id);
  StoreReply on_mutable_put(const Request& r, const Ipv4Address& from);
  StoreReply on_mutable_get(const Request& r);
  StoreReply on_immutable_put(const Request& r, const Ipv4Address& from);
  StoreReply on_immutable_get(const Request& r);
  void add_record(const hypercore::Hash& target, const hypercore::PublicKey& pk, hypercore::Bytes record,
                  uint32_t source);
  uint64_t wall_now() const;

  RecordStoreOptions options_;
  std::mt19937_64 rng_;
  // The bounded caches of records, forwards, bumps, mutable and immutable values
  // (record_store.cpp; behind a pointer so this header needs no internal one).
  struct Caches;
  std::unique_ptr<Caches> caches_;
  // An index of the public keys with a record, per target.
  std::unordered_map<std::string, std::unordered_set<std::string>> by_target_;
  RecordStoreStats stats_;
};

}  // namespace net::dht
