// The names and records of our DNS-SD service (docs/protocol/mdns.md, spec §4.1/§4.2):
// the constants every node must agree on, and the derivations from a topic and a Noise
// public key. The raw topic never appears on the wire: only lan_id(topic), a truncated
// keyed-by-context BLAKE2b of it, names the per-topic subtype.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/mdns/dns_message.hpp"

namespace net::mdns {

// Service type (≤ 15 characters, same everywhere) and the DNS-SD meta-query name.
inline constexpr std::string_view kServiceType = "_p2pdb._udp.local";
inline constexpr std::string_view kServicesMetaName = "_services._dns-sd._udp.local";
// Prefix of H(prefix || topic) that gives the topic id.
inline constexpr std::string_view kLanIdContext = "p2pdb/mdns/v1";
inline constexpr std::string_view kInstancePrefix = "p2pdb-";

// TTLs in seconds (RFC 6762 §10: 120 s for records naming a host, 75 min for others).
inline constexpr uint32_t kTtlPtr = 4500;
inline constexpr uint32_t kTtlSrv = 120;
inline constexpr uint32_t kTtlTxt = 4500;
inline constexpr uint32_t kTtlHost = 120;  // A / AAAA

using PublicKey = std::array<uint8_t, 32>;
using LanId = std::array<uint8_t, 16>;

// lanid = BLAKE2b-256("p2pdb/mdns/v1" || topic)[0..16].
LanId lan_id(ByteSpan topic);

// RFC 4648 base32, lower-case, no padding (16 bytes -> 26 characters).
std::string base32_lower(ByteSpan data);

DnsName service_type_name();
DnsName services_meta_name();
// "_t<base32(lanid)>._sub._p2pdb._udp.local".
DnsName subtype_name(const LanId& id);
// "p2pdb-" + hex(pk[0..8]); a rename after a conflict appends " (2)", " (3)", ...
std::string instance_label(const PublicKey& pk, unsigned attempt = 1);
DnsName instance_name(const std::string& label);
// "p2pdb-" + hex(pk[0..4]) + ".local"; a rename appends "-2", "-3", ... to the label.
DnsName host_name(const PublicKey& pk, unsigned attempt = 1);

// TXT strings: "v=1", "pk=<64 hex>".
std::vector<std::string> txt_strings(const PublicKey& pk);
// The public key of a TXT record that says v=1 and carries a well-formed pk=; nullopt
// otherwise (another version, or garbage: such an instance is not a peer we can dial).
std::optional<PublicKey> parse_txt(const TxtData& txt);

}  // namespace net::mdns
