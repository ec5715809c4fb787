// The messages of the "hypercore/alpha" protomux channel (hypercore 10.38.2,
// ../shared/spec/replication.md §4): the open handshake with its capability, and the ten
// channel messages, with the fields hypercore 11.39.5 added (noData reason, want/unwant
// `any`, sync allowPush), which 10.38.2 ignores. Encoders emit exactly the reference's
// bytes (lib/messages.js wire.*; an optional 11 field at its default is left out, as
// 10.38.2 writes it);
// decoders take untrusted bytes, ignore trailing bytes and unknown flag bits as the
// reference does, and never allocate more than the input could describe.
// request and data carry hypercore::ProofRequest / hypercore::Proof directly, so the
// replicator hands them to make_proof / verify_proof without another conversion.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/compact_encoding.hpp"
#include "hypercore/error.hpp"
#include "hypercore/proof.hpp"

namespace net {

using hypercore::Bytes;
using hypercore::ByteSpan;
using hypercore::Hash;
using hypercore::Result;

inline constexpr std::string_view kHypercoreProtocol = "hypercore/alpha";

// Message types of the channel (§4.2); types >= kHypercoreMessageTypes are ignored.
enum class MessageType : uint64_t {
  sync = 0, request = 1, cancel = 2, data = 3, no_data = 4,
  want = 5, unwant = 6, bitfield = 7, range = 8, extension = 9,
};
inline constexpr uint64_t kHypercoreMessageTypes = 10;

// ---- open ------------------------------------------------------------------------------

enum class NoiseRole { initiator, responder };

// The open handshake: `uint flags ‖ fixed32 capability`; flag 1 = accepts seek requests.
struct Handshake {
  bool seeks = true;
  Hash capability{};
  friend bool operator==(const Handshake&, const Handshake&) = default;
};
Bytes encode_handshake(const Handshake& h);
Result<Handshake> decode_handshake(ByteSpan bytes);

// B2b256(NS("hypercore", role == initiator ? 1 : 2) ‖ core_key; key = handshake_hash):
// proves knowledge of the core key, bound to this Noise session. A side sends its own
// role's value and checks the peer's against the peer's role.
Hash capability(NoiseRole role, ByteSpan handshake_hash, const Hash& core_key);

// ---- channel messages ------------------------------------------------------------------

struct Sync {
  bool can_upgrade = false;
  bool uploading = false;
  bool downloading = false;
  bool has_manifest = false;
  uint64_t fork = 0;
  uint64_t length = 0;
  uint64_t remote_length = 0;
  bool allow_push = false;  // hypercore 11 (flag 16): the peer accepts pushed blocks
  friend bool operator==(const Sync&, const Sync&) = default;
};

// `proof.fork` is the request's fork; priority 0 is not encoded (flag 32 clear).
struct Request {
  uint64_t id = 0;
  uint64_t priority = 0;
  hypercore::ProofRequest proof;
  // Wire equality (hypercore::ProofRequest has no operator==): same encoding.
  friend bool operator==(const Request& a, const Request& b);
};

struct Cancel {
  uint64_t request = 0;
  friend bool operator==(const Cancel&, const Cancel&) = default;
};

// `proof.fork` echoes the request's fork.
struct Data {
  uint64_t request = 0;
  hypercore::Proof proof;
  // Wire equality: same encoding.
  friend bool operator==(const Data& a, const Data& b);
};

// hypercore 11 reasons (lib/replicator.js); 0 = none given (hypercore 10).
enum class NoDataReason : uint64_t { none = 0, not_available = 1, invalid_request = 2 };

// `uint request` (10.38.2), then in 11 `uint flags` (1 = reason follows) and `uint reason`.
// A reason is encoded only when not none.
struct NoData {
  uint64_t request = 0;
  uint64_t reason = 0;  // a NoDataReason, or a value a later version defines
  friend bool operator==(const NoData&, const NoData&) = default;
};

// hypercore 11 appends `uint flags` (1 = any: the peer asks for any block of the range,
// not for our holdings in it), encoded only when set.
struct Want {
  uint64_t start = 0;
  uint64_t length = 0;
  bool any = false;
  friend bool operator==(const Want&, const Want&) = default;
};

struct Unwant {
  uint64_t start = 0;
  uint64_t length = 0;
  bool any = false;
  friend bool operator==(const Unwant&, const Unwant&) = default;
};

// Bit j (word j >> 5, bit j & 31) set = block start + j held.
struct Bitfield {
  uint64_t start = 0;
  std::vector<uint32_t> words;
  friend bool operator==(const Bitfield&, const Bitfield&) = default;
};

// length 1 travels in the compact form (flag 2, no length field).
struct Range {
  bool drop = false;
  uint64_t start = 0;
  uint64_t length = 0;
  friend bool operator==(const Range&, const Range&) = default;
};

// An empty name = the previous extension's name on this channel and direction.
struct Extension {
  std::string name;
  Bytes message;
  friend bool operator==(const Extension&, const Extension&) = default;
};

using Message = std::variant<Sync, Request, Cancel, Data, NoData, Want, Unwant, Bitfield, Range, Extension>;

MessageType message_type(const Message& m);

// The payload of a channel frame (without `uint channel ‖ uint type`).
Bytes encode_message(const Message& m);
// errc::corrupt for truncated or hostile bytes (naming the message and field);
// errc::bad_manifest for a data.manifest the reference would refuse; errc::unsupported
// for a type >= kHypercoreMessageTypes (which a receiver drops).
Result<Message> decode_message(uint64_t type, ByteSpan payload);

// Appends the payload of `m` to `out`.
void encode_to(hypercore::cenc::Encoder& out, const Message& m);

// uint32array: `uint count ‖ count × LE32` (compact-encoding 2.19.2); the count is
// checked against the remaining input.
void encode_uint32array(hypercore::cenc::Encoder& out, const std::vector<uint32_t>& words);
Result<std::vector<uint32_t>> decode_uint32array(hypercore::cenc::Decoder& in);

}  // namespace net
