#include "net/mdns/service_names.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>

namespace net::mdns {

LanId lan_id(ByteSpan topic) {
  std::array<uint8_t, 32> digest{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, digest.size());
  crypto_generichash_update(&state, reinterpret_cast<const uint8_t*>(kLanIdContext.data()), kLanIdContext.size());
  crypto_generichash_update(&state, topic.data(), topic.size());
  crypto_generichash_final(&state, digest.data(), digest.size());
  LanId id{};
  std::copy_n(digest.begin(), id.size(), id.begin());
  return id;
}

std::string base32_lower(ByteSpan data) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

DnsName service_type_name() { return DnsName::parse(kServiceType); }
DnsName services_meta_name() { return DnsName::parse(kServicesMetaName); }

DnsName subtype_name(const LanId& id) {
  return service_type_name().prepend("_sub").prepend("_t" + base32_lower(id));
}

std::string instance_label(const PublicKey& pk, unsigned attempt) {
  std::string label = std::string(kInstancePrefix) + hypercore::to_hex(ByteSpan(pk.data(), 8));
  if (attempt > 1) label += " (" + std::to_string(attempt) + ")";
  return label;
}

DnsName instance_name(const std::string& label) { return service_type_name().prepend(label); }

DnsName host_name(const PublicKey& pk, unsigned attempt) {
  std::string label = std::string(kInstancePrefix) + hypercore::to_hex(ByteSpan(pk.data(), 4));
  if (attempt > 1) {
    // Separate appends: `"-" + std::string` makes g++ 12 warn -Wrestrict (GCC bug 105329).
    label += "-";
    label += std::to_string(attempt);
  }
  return DnsName::parse("local").prepend(std::move(label));
}

std::vector<std::string> txt_strings(const PublicKey& pk) {
  return {"v=1", "pk=" + hypercore::to_hex(pk)};
}

std::optional<PublicKey> parse_txt(const TxtData& txt) {
  bool v1 = false;
  std::optional<PublicKey> pk;
  for (const auto& s : txt.strings) {
    // Keys are case-insensitive (RFC 6763 §6.4); the first occurrence wins.
    auto eq = s.find('=');
    std::string key = s.substr(0, eq);
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key == "v" && !v1) {
      if (eq == std::string::npos || s.substr(eq + 1) != "1") return std::nullopt;
      v1 = true;
    } else if (key == "pk" && !pk) {
      if (eq == std::string::npos) return std::nullopt;
      auto h = hypercore::hash_from_hex(s.substr(eq + 1));
      if (!h) return std::nullopt;
      pk = *h;
    }
  }
  if (!v1) return std::nullopt;
  return pk;
}

}  // namespace net::mdns
