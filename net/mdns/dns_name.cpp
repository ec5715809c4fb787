// DnsName and the record helpers that do not touch the wire format.
#include <cstdio>

#include "net/mdns/dns_message.hpp"

namespace net::mdns {

namespace {

char fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Escapes so that two different label lists never print the same: '.' and '\' get a
// backslash, other non-printable bytes become \ddd (RFC 4343 style).
void append_escaped(std::string& out, const std::string& label, bool lower) {
  for (char c : label) {
    auto u = static_cast<unsigned char>(c);
    if (c == '.' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u > 0x7e) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(u));
      out += buf;
    } else {
      out += lower ? fold(c) : c;
    }
  }
}

std::string dotted(const DnsName& name, bool lower) {
  std::string out;
  for (size_t i = 0; i < name.labels.size(); i++) {
    if (i) out += '.';
    append_escaped(out, name.labels[i], lower);
  }
  return out;
}

}  // namespace

DnsName DnsName::parse(std::string_view dotted_name) {
  DnsName name;
  while (!dotted_name.empty()) {
    size_t dot = dotted_name.find('.');
    name.labels.emplace_back(dotted_name.substr(0, dot));
    if (dot == std::string_view::npos) break;
    dotted_name.remove_prefix(dot + 1);
  }
  return name;
}

DnsName DnsName::prepend(std::string label) const {
  DnsName name;
  name.labels.reserve(labels.size() + 1);
  name.labels.push_back(std::move(label));
  name.labels.insert(name.labels.end(), labels.begin(), labels.end());
  return name;
}

std::string DnsName::to_string() const { return dotted(*this, false); }
std::string DnsName::key() const { return dotted(*this, true); }

size_t DnsName::wire_size() const {
  size_t n = 1;
  for (const auto& l : labels) n += 1 + l.size();
  return n;
}

bool operator==(const DnsName& a, const DnsName& b) {
  if (a.labels.size() != b.labels.size()) return false;
  for (size_t i = 0; i < a.labels.size(); i++) {
    const auto& x = a.labels[i];
    const auto& y = b.labels[i];
    if (x.size() != y.size()) return false;
    for (size_t j = 0; j < x.size(); j++)
      if (fold(x[j]) != fold(y[j])) return false;
  }
  return true;
}

ResourceRecord make_ptr(DnsName name, DnsName target, uint32_t ttl) {
  return {std::move(name), rr_type::kPtr, kClassIn, false, ttl, PtrData{std::move(target)}};
}
ResourceRecord make_srv(DnsName name, uint16_t port, DnsName target, uint32_t ttl, bool cache_flush) {
  return {std::move(name), rr_type::kSrv, kClassIn, cache_flush, ttl, SrvData{0, 0, port, std::move(target)}};
}
ResourceRecord make_txt(DnsName name, std::vector<std::string> strings, uint32_t ttl, bool cache_flush) {
  return {std::move(name), rr_type::kTxt, kClassIn, cache_flush, ttl, TxtData{std::move(strings)}};
}
ResourceRecord make_a(DnsName name, std::array<uint8_t, 4> address, uint32_t ttl, bool cache_flush) {
  return {std::move(name), rr_type::kA, kClassIn, cache_flush, ttl, AData{address}};
}
ResourceRecord make_aaaa(DnsName name, std::array<uint8_t, 16> address, uint32_t ttl, bool cache_flush) {
  return {std::move(name), rr_type::kAaaa, kClassIn, cache_flush, ttl, AaaaData{address}};
}

std::string rrset_key(const DnsName& name, uint16_t type) {
  std::string key = name.key();
  key += '\0';
  key += static_cast<char>(type >> 8);
  key += static_cast<char>(type & 0xff);
  return key;
}

std::string record_key(const ResourceRecord& record) {
  std::string key = rrset_key(record.name, record.type);
  key += static_cast<char>(record.rrclass >> 8);
  key += static_cast<char>(record.rrclass & 0xff);
  Bytes rdata = rdata_bytes(record, true);
  key.append(rdata.begin(), rdata.end());
  return key;
}

}  // namespace net::mdns
