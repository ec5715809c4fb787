// The hyperdht 6.34.0 layer's values (../shared/spec/dht.md §2): command numbers, the
// "hyperswarm/dht" namespaces, targets, the peer record, announce messages, lookup replies,
// mutable put/get values, and the Ed25519 signables both sides sign and verify. Sans-I/O and
// stateless: the storing side is record_store.hpp, the client side hyperdht.hpp.
//
// Decoders take hostile bytes: every failure is errc::corrupt (the caller then drops the
// request without a reply, as the reference does). Trailing bytes are ignored, as
// compact-encoding's decode() ignores them.
#pragma once

#include <optional>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/error.hpp"
#include "net/dht/address.hpp"

namespace net::dht {

// Non-internal commands (§2.1); the same numbers mean PING.. when the internal flag is set.
enum class HyperCommand : uint32_t {
  peer_handshake = 0,
  peer_holepunch = 1,
  find_peer = 2,
  lookup = 3,
  announce = 4,
  unannounce = 5,
  mutable_put = 6,
  mutable_get = 7,
  immutable_put = 8,
  immutable_get = 9,
  plugin = 10,
};

// hyperdht error codes in responses (next to dht-rpc's 1 and 2).
inline constexpr uint32_t kSeqReused = 16;
inline constexpr uint32_t kSeqTooLow = 17;

inline constexpr size_t kMaxRelayAddresses = 3;  // a storing node keeps at most 3 (§2.4)
inline constexpr size_t kMaxLookupRecords = 20;  // records in one LOOKUP reply

// NS(name, i) = H(H(utf8(name)) || byte(i)) with name "hyperswarm/dht" (§2.2).
hypercore::Hash hyperdht_namespace(uint8_t index);
namespace ns {
const hypercore::Hash& peer_handshake();  // 0
const hypercore::Hash& peer_holepunch();  // 1
const hypercore::Hash& announce();        // 4
const hypercore::Hash& unannounce();      // 5
const hypercore::Hash& mutable_put();     // 6
}  // namespace ns

// Targets (§2.3): a server key or a mutable record's key is looked up at H(pk), an
// immutable value at H(value); a Hyperswarm topic is its own target.
inline hypercore::Hash hash_target(hypercore::ByteSpan bytes) { return hypercore::blake2b({bytes}); }

// fixed32 publicKey || array(ipv4) relayAddresses.
struct PeerRecord {
  hypercore::PublicKey public_key{};
  std::vector<Ipv4Address> relay_addresses;
  bool operator==(const PeerRecord&) const = default;
};
hypercore::Bytes encode_peer_record(const PeerRecord& record);
hypercore::Result<PeerRecord> decode_peer_record(hypercore::ByteSpan bytes);

// uint flags (bit0 peer, bit1 refresh, bit2 signature, bit3 bump) then the present fields.
struct AnnounceMessage {
  std::optional<PeerRecord> peer;
  std::optional<hypercore::Hash> refresh;
  std::optional<hypercore::Signature> signature;
  uint64_t bump = 0;  // 0 = absent
};
hypercore::Bytes encode_announce(const AnnounceMessage& message);
hypercore::Result<AnnounceMessage> decode_announce(hypercore::ByteSpan bytes);

// array(peer record) || uint bump. The encoder takes records already encoded (what a storing
// node keeps); a missing bump decodes as 0, as in the reference.
struct LookupReply {
  std::vector<PeerRecord> peers;
  uint64_t bump = 0;
};
hypercore::Bytes encode_lookup_reply(const std::vector<hypercore::Bytes>& raw_records, uint64_t bump);
hypercore::Result<LookupReply> decode_lookup_reply(hypercore::ByteSpan bytes);

// MUTABLE_PUT value: fixed32 pk || uint seq || buffer value || fixed64 signature.
struct MutablePut {
  hypercore::PublicKey public_key{};
  uint64_t seq = 0;
  hypercore::Bytes value;
  hypercore::Signature signature{};
};
hypercore::Bytes encode_mutable_put(const MutablePut& put);
hypercore::Result<MutablePut> decode_mutable_put(hypercore::ByteSpan bytes);

// MUTABLE_GET reply value (what a node stores): uint seq || buffer value || fixed64 signature.
struct MutableRecord {
  uint64_t seq = 0;
  hypercore::Bytes value;
  hypercore::Signature signature{};
};
hypercore::Bytes encode_mutable_record(const MutableRecord& record);
hypercore::Result<MutableRecord> decode_mutable_record(hypercore::ByteSpan bytes);
// The MUTABLE_GET request value: uint seq (the minimum the caller wants).
hypercore::Bytes encode_seq(uint64_t seq);
hypercore::Result<uint64_t> decode_seq(hypercore::ByteSpan bytes);

// NS || H(target || nodeId || token || peerRecord || refresh?): what an announcer signs for
// one storing node (its id) and one token window. `ns`: ns::announce() or ns::unannounce().
std::array<uint8_t, 64> announce_signable(const hypercore::Hash& ns, const hypercore::Hash& target,
                                          const hypercore::Hash& node_id, const hypercore::Hash& token,
                                          const PeerRecord& peer, const std::optional<hypercore::Hash>& refresh);
// Signs `message` (its peer and refresh) in place for that node; an UNANNOUNCE must carry an
// empty relay list, which the caller sets.
void sign_announce(AnnounceMessage& message, const hypercore::Hash& ns, const hypercore::Hash& target,
                   const hypercore::Hash& node_id, const hypercore::Hash& token, const hypercore::KeyPair& key_pair);
bool verify_announce(const AnnounceMessage& message, const hypercore::Hash& ns, const hypercore::Hash& target,
                     const hypercore::Hash& node_id, const hypercore::Hash& token);

// NS_MUTABLE_PUT || H(uint seq || buffer value).
std::array<uint8_t, 64> mutable_signable(uint64_t seq, hypercore::ByteSpan value);
hypercore::Signature sign_mutable(uint64_t seq, hypercore::ByteSpan value, const hypercore::KeyPair& key_pair);
bool verify_mutable(const hypercore::Signature& signature, uint64_t seq, hypercore::ByteSpan value,
                    const hypercore::PublicKey& public_key);

}  // namespace net::dht
