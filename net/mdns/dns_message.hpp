// DNS messages as mDNS uses them (RFC 1035 wire format plus the two RFC 6762 bits: the
// cache-flush bit in a record's class and the unicast-response "QU" bit in a question's
// class). Only what DNS-SD discovery needs is decoded into fields (PTR, SRV, TXT, A, AAAA);
// every other record type is kept as opaque rdata so it can be skipped or echoed.
//
// The codec is a pure function of bytes: decode_message() never throws and fails with
// errc::corrupt on anything malformed (truncated, compression loops or forward pointers,
// counts the packet cannot hold, bad rdata lengths). See docs/protocol/mdns.md.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"

namespace net::mdns {

using hypercore::Bytes;
using hypercore::ByteSpan;
using hypercore::Result;

namespace rr_type {
inline constexpr uint16_t kA = 1;
inline constexpr uint16_t kPtr = 12;
inline constexpr uint16_t kTxt = 16;
inline constexpr uint16_t kAaaa = 28;
inline constexpr uint16_t kSrv = 33;
inline constexpr uint16_t kNsec = 47;
inline constexpr uint16_t kAny = 255;  // questions only
}  // namespace rr_type

inline constexpr uint16_t kClassIn = 1;
inline constexpr uint16_t kClassAny = 255;
inline constexpr uint16_t kFlagResponse = 0x8000;       // QR
inline constexpr uint16_t kFlagAuthoritative = 0x0400;  // AA, set on every mDNS response
inline constexpr uint16_t kFlagTruncated = 0x0200;      // TC
inline constexpr uint16_t kTopClassBit = 0x8000;        // cache-flush (records) / QU (questions)

inline constexpr size_t kMaxNameBytes = 255;  // wire length, RFC 1035 §2.3.4
inline constexpr size_t kMaxLabelBytes = 63;

// A domain name as its labels, kept as received (labels may hold any byte, including '.'
// and ' ', as DNS-SD instance names do). Comparison is ASCII case-insensitive (RFC 6762
// §16), which is what operator== does.
struct DnsName {
  std::vector<std::string> labels;

  // Splits at '.' with no escaping: for our own constant names ("_p2pdb._udp.local").
  static DnsName parse(std::string_view dotted);
  // A name with `label` in front of this one ("p2pdb-…" + "_p2pdb._udp.local").
  DnsName prepend(std::string label) const;
  // Dotted, with '.' and '\' inside labels escaped by '\', as avahi-browse prints them.
  std::string to_string() const;
  // Lower-cased, escaped dotted form: the key for maps and for equality.
  std::string key() const;
  // Bytes on the wire without compression (labels + lengths + root byte).
  size_t wire_size() const;

  friend bool operator==(const DnsName& a, const DnsName& b);
};

struct PtrData {
  DnsName target;
};
struct SrvData {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  DnsName target;
};
struct TxtData {
  std::vector<std::string> strings;  // "key=value" entries, each ≤ 255 bytes
};
struct AData {
  std::array<uint8_t, 4> address{};
};
struct AaaaData {
  std::array<uint8_t, 16> address{};
};
// Any other type (NSEC, HINFO, ...): the rdata bytes as received. Names inside are not
// decompressed, so only use it to skip or to compare.
struct OpaqueData {
  Bytes bytes;
};
using RData = std::variant<PtrData, SrvData, TxtData, AData, AaaaData, OpaqueData>;

struct ResourceRecord {
  DnsName name;
  uint16_t type = 0;              // rr_type::k*; must agree with `data` for the typed ones
  uint16_t rrclass = kClassIn;    // without the cache-flush bit
  bool cache_flush = false;       // "this is the whole set for name/type" (unique records)
  uint32_t ttl = 0;               // seconds; 0 = goodbye
  RData data;
};

struct Question {
  DnsName name;
  uint16_t type = 0;
  uint16_t qclass = kClassIn;     // without the QU bit
  bool unicast_response = false;  // QU
};

struct Message {
  uint16_t id = 0;     // 0 in multicast; echoed in replies to legacy unicast queries
  uint16_t flags = 0;  // 0 = query, kFlagResponse | kFlagAuthoritative = mDNS response
  std::vector<Question> questions;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authorities;  // proposed records in probes
  std::vector<ResourceRecord> additionals;

  bool is_response() const { return (flags & kFlagResponse) != 0; }
};

// Typed record constructors (class IN).
ResourceRecord make_ptr(DnsName name, DnsName target, uint32_t ttl);
ResourceRecord make_srv(DnsName name, uint16_t port, DnsName target, uint32_t ttl, bool cache_flush = true);
ResourceRecord make_txt(DnsName name, std::vector<std::string> strings, uint32_t ttl, bool cache_flush = true);
ResourceRecord make_a(DnsName name, std::array<uint8_t, 4> address, uint32_t ttl, bool cache_flush = true);
ResourceRecord make_aaaa(DnsName name, std::array<uint8_t, 16> address, uint32_t ttl, bool cache_flush = true);

// Decodes one UDP payload. Trailing bytes after the last counted record are ignored
// (some stacks pad); everything else that does not parse is errc::corrupt with the offset.
Result<Message> decode_message(ByteSpan packet);

// Encodes with name compression (owner names and the names inside PTR and SRV rdata,
// RFC 6762 §18.14) unless `compress` is false. Fails with errc::invalid_argument on a name
// or TXT string that cannot be encoded (empty or > 63-byte label, > 255-byte name,
// > 255-byte TXT string) or a section with more than 65535 entries.
Result<Bytes> encode_message(const Message& message, bool compress = true);

// The record's rdata, uncompressed. With `fold_case` the names inside are lower-cased:
// that form decides "same record" (known answers, caches); without it, it is the raw form
// RFC 6762 §8.2 compares when two probes collide.
Bytes rdata_bytes(const ResourceRecord& record, bool fold_case);

// name key + type + class + folded rdata: equal for the same record whatever the TTL.
std::string record_key(const ResourceRecord& record);
// The prefix of record_key() shared by every record of one name and type (an RRset).
std::string rrset_key(const DnsName& name, uint16_t type);

}  // namespace net::mdns
