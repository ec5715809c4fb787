// The DNS wire format: decoding with compression-pointer loop protection, encoding with
// name compression. Every read is bounds-checked; a failure names the offset.
#include <algorithm>
#include <map>
#include <type_traits>

#include "net/mdns/dns_message.hpp"

namespace net::mdns {

using hypercore::errc;
using hypercore::fail;

namespace {

// Smallest wire sizes, used to refuse counts the packet cannot possibly hold before
// allocating anything: a question is a root name (1) + type + class; a record is a
// root name (1) + type + class + TTL + rdlength.
constexpr size_t kMinQuestionBytes = 5;
constexpr size_t kMinRecordBytes = 11;

std::unexpected<hypercore::Error> corrupt(size_t offset, const std::string& what) {
  return fail(errc::corrupt, "dns packet offset " + std::to_string(offset) + ": " + what);
}

class Reader {
 public:
  explicit Reader(ByteSpan packet) : packet_(packet) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return packet_.size() - pos_; }

  Result<uint16_t> u16() {
    if (remaining() < 2) return corrupt(pos_, "truncated (u16)");
    uint16_t v = static_cast<uint16_t>(packet_[pos_] << 8 | packet_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  Result<uint32_t> u32() {
    HC_TRY(hi, u16());
    HC_TRY(lo, u16());
    return uint32_t{hi} << 16 | lo;
  }

  // A name at the current position, following compression pointers. Loop protection:
  // the first pointer must point before itself and every later one before the previous
  // target, so targets strictly decrease and the walk ends. Honest encoders only point
  // at names written earlier, which always satisfies this.
  Result<DnsName> name() {
    DnsName out;
    size_t p = pos_;
    size_t limit = pos_;  // a pointer's target must be below this
    bool jumped = false;
    size_t wire = 1;  // root byte
    for (;;) {
      if (p >= packet_.size()) return corrupt(p, "name runs past the end");
      uint8_t len = packet_[p];
      if (len == 0) {
        if (!jumped) pos_ = p + 1;
        return out;
      }
      if ((len & 0xC0) == 0xC0) {
        if (p + 1 >= packet_.size()) return corrupt(p, "truncated compression pointer");
        size_t target = static_cast<size_t>(len & 0x3F) << 8 | packet_[p + 1];
        if (!jumped) pos_ = p + 2;
        if (target >= std::min(limit, p)) return corrupt(p, "compression pointer forward or looping");
        limit = target;
        jumped = true;
        p = target;
        continue;
      }
      if (len & 0xC0) return corrupt(p, "unsupported label type");
      if (p + 1 + len > packet_.size()) return corrupt(p, "label runs past the end");
      wire += 1 + len;
      if (wire > kMaxNameBytes) return corrupt(p, "name longer than 255 bytes");
      out.labels.emplace_back(reinterpret_cast<const char*>(packet_.data() + p + 1), len);
      p += 1 + len;
    }
  }

  Result<Question> question() {
    Question q;
    HC_TRY(name, this->name());
    HC_TRY(type, u16());
    HC_TRY(qclass, u16());
    q.name = std::move(name);
    q.type = type;
    q.qclass = qclass & ~kTopClassBit;
    q.unicast_response = (qclass & kTopClassBit) != 0;
    return q;
  }

  Result<ResourceRecord> record() {
    ResourceRecord r;
    HC_TRY(name, this->name());
    HC_TRY(type, u16());
    HC_TRY(rrclass, u16());
    HC_TRY(ttl, u32());
    HC_TRY(rdlength, u16());
    r.name = std::move(name);
    r.type = type;
    r.rrclass = rrclass & ~kTopClassBit;
    r.cache_flush = (rrclass & kTopClassBit) != 0;
    r.ttl = ttl;
    size_t start = pos_;
    if (remaining() < rdlength) return corrupt(pos_, "rdata runs past the end");
    size_t end = start + rdlength;
    HC_TRY(data, rdata(type, end));
    if (pos_ != end) return corrupt(start, "rdata length does not match its content");
    r.data = std::move(data);
    return r;
  }

 private:
  // Reads rdata ending at `end`. Names inside PTR/SRV may point anywhere earlier in the
  // packet, but must end exactly at `end` (checked by the caller).
  Result<RData> rdata(uint16_t type, size_t end) {
    size_t start = pos_;
    switch (type) {
      case rr_type::kPtr: {
        HC_TRY(target, name());
        if (pos_ > end) return corrupt(start, "PTR name overruns its rdata");
        return PtrData{std::move(target)};
      }
      case rr_type::kSrv: {
        if (end - start < 7) return corrupt(start, "SRV rdata too short");
        SrvData srv;
        HC_TRY(priority, u16());
        HC_TRY(weight, u16());
        HC_TRY(port, u16());
        HC_TRY(target, name());
        if (pos_ > end) return corrupt(start, "SRV name overruns its rdata");
        srv.priority = priority, srv.weight = weight, srv.port = port, srv.target = std::move(target);
        return srv;
      }
      case rr_type::kTxt: {
        TxtData txt;
        while (pos_ < end) {
          size_t len = packet_[pos_];
          if (pos_ + 1 + len > end) return corrupt(pos_, "TXT string overruns its rdata");
          // An empty string is what an empty TXT record is made of (RFC 6763 §6.1): skip it.
          if (len) txt.strings.emplace_back(reinterpret_cast<const char*>(packet_.data() + pos_ + 1), len);
          pos_ += 1 + len;
        }
        return txt;
      }
      case rr_type::kA: {
        if (end - start != 4) return corrupt(start, "A rdata is not 4 bytes");
        AData a;
        std::copy(packet_.begin() + start, packet_.begin() + end, a.address.begin());
        pos_ = end;
        return a;
      }
      case rr_type::kAaaa: {
        if (end - start != 16) return corrupt(start, "AAAA rdata is not 16 bytes");
        AaaaData a;
        std::copy(packet_.begin() + start, packet_.begin() + end, a.address.begin());
        pos_ = end;
        return a;
      }
      default:
        pos_ = end;
        return OpaqueData{Bytes(packet_.begin() + start, packet_.begin() + end)};
    }
  }

  ByteSpan packet_;
  size_t pos_ = 0;
};

class Writer {
 public:
  explicit Writer(bool compress) : compress_(compress) {}

  Bytes& bytes() { return out_; }

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    out_.push_back(static_cast<uint8_t>(v >> 8));
    out_.push_back(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }

  // Writes `name`, replacing its longest already-written suffix by a pointer. Suffixes
  // are remembered by their case-folded form, so "Local" and "local" share one copy.
  Result<void> name(const DnsName& name) {
    if (name.wire_size() > kMaxNameBytes) return fail(errc::invalid_argument, "name over 255 bytes: " + name.to_string());
    for (size_t i = 0; i < name.labels.size(); i++) {
      const std::string& label = name.labels[i];
      if (label.empty() || label.size() > kMaxLabelBytes)
        return fail(errc::invalid_argument, "label must be 1..63 bytes in " + name.to_string());
      std::string suffix;
      if (compress_) {
        suffix = DnsName{{name.labels.begin() + static_cast<std::ptrdiff_t>(i), name.labels.end()}}.key();
        auto it = suffixes_.find(suffix);
        if (it != suffixes_.end()) {
          u16(static_cast<uint16_t>(0xC000 | it->second));
          return {};
        }
        if (out_.size() < 0x3FFF) suffixes_.emplace(std::move(suffix), static_cast<uint16_t>(out_.size()));
      }
      u8(static_cast<uint8_t>(label.size()));
      out_.insert(out_.end(), label.begin(), label.end());
    }
    u8(0);
    return {};
  }

  Result<void> rdata(const ResourceRecord& r) {
    return std::visit(
        [&](const auto& d) -> Result<void> {
          using T = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<T, PtrData>) {
            return name(d.target);
          } else if constexpr (std::is_same_v<T, SrvData>) {
            u16(d.priority), u16(d.weight), u16(d.port);
            return name(d.target);
          } else if constexpr (std::is_same_v<T, TxtData>) {
            // RFC 6763 §6.1: an empty TXT record is one empty string, never no rdata.
            if (d.strings.empty()) u8(0);
            for (const auto& s : d.strings) {
              if (s.size() > 255) return fail(errc::invalid_argument, "TXT string over 255 bytes");
              u8(static_cast<uint8_t>(s.size()));
              out_.insert(out_.end(), s.begin(), s.end());
            }
            return {};
          } else if constexpr (std::is_same_v<T, AData> || std::is_same_v<T, AaaaData>) {
            out_.insert(out_.end(), d.address.begin(), d.address.end());
            return {};
          } else {
            out_.insert(out_.end(), d.bytes.begin(), d.bytes.end());
            return {};
          }
        },
        r.data);
  }

  Result<void> record(const ResourceRecord& r) {
    HC_CHECK(name(r.name));
    u16(r.type);
    u16(static_cast<uint16_t>(r.rrclass | (r.cache_flush ? kTopClassBit : 0)));
    u32(r.ttl);
    size_t length_at = out_.size();
    u16(0);
    HC_CHECK(rdata(r));
    size_t length = out_.size() - length_at - 2;
    if (length > 0xFFFF) return fail(errc::invalid_argument, "rdata over 65535 bytes");
    out_[length_at] = static_cast<uint8_t>(length >> 8);
    out_[length_at + 1] = static_cast<uint8_t>(length);
    return {};
  }

 private:
  bool compress_;
  Bytes out_;
  std::map<std::string, uint16_t> suffixes_;
};

void fold_names(ResourceRecord& r) {
  auto fold = [](DnsName& n) {
    for (auto& l : n.labels)
      for (auto& c : l)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  };
  if (auto* p = std::get_if<PtrData>(&r.data)) fold(p->target);
  if (auto* s = std::get_if<SrvData>(&r.data)) fold(s->target);
}

}  // namespace

Result<Message> decode_message(ByteSpan packet) {
  Reader in(packet);
  Message m;
  if (packet.size() < 12) return corrupt(0, "shorter than the 12-byte header");
  HC_TRY(id, in.u16());
  HC_TRY(flags, in.u16());
  HC_TRY(qd, in.u16());
  HC_TRY(an, in.u16());
  HC_TRY(ns, in.u16());
  HC_TRY(ar, in.u16());
  m.id = id;
  m.flags = flags;
  size_t records = size_t{an} + ns + ar;
  if (qd * kMinQuestionBytes + records * kMinRecordBytes > in.remaining())
    return corrupt(4, "section counts exceed the packet (" + std::to_string(qd) + " questions, " +
                          std::to_string(records) + " records)");
  m.questions.reserve(qd);
  for (uint16_t i = 0; i < qd; i++) {
    HC_TRY(q, in.question());
    m.questions.push_back(std::move(q));
  }
  for (auto [count, section] : {std::pair{an, &m.answers}, std::pair{ns, &m.authorities}, std::pair{ar, &m.additionals}}) {
    section->reserve(count);
    for (uint16_t i = 0; i < count; i++) {
      HC_TRY(r, in.record());
      section->push_back(std::move(r));
    }
  }
  return m;
}

Result<Bytes> encode_message(const Message& message, bool compress) {
  for (size_t n : {message.questions.size(), message.answers.size(), message.authorities.size(), message.additionals.size()})
    if (n > 0xFFFF) return fail(errc::invalid_argument, "more than 65535 entries in a section");
  Writer out(compress);
  out.u16(message.id);
  out.u16(message.flags);
  out.u16(static_cast<uint16_t>(message.questions.size()));
  out.u16(static_cast<uint16_t>(message.answers.size()));
  out.u16(static_cast<uint16_t>(message.authorities.size()));
  out.u16(static_cast<uint16_t>(message.additionals.size()));
  for (const auto& q : message.questions) {
    HC_CHECK(out.name(q.name));
    out.u16(q.type);
    out.u16(static_cast<uint16_t>(q.qclass | (q.unicast_response ? kTopClassBit : 0)));
  }
  for (const auto* section : {&message.answers, &message.authorities, &message.additionals})
    for (const auto& r : *section) HC_CHECK(out.record(r));
  return std::move(out.bytes());
}

Bytes rdata_bytes(const ResourceRecord& record, bool fold_case) {
  Writer out(false);
  if (fold_case) {
    ResourceRecord folded = record;
    fold_names(folded);
    (void)out.rdata(folded);
  } else {
    (void)out.rdata(record);
  }
  return std::move(out.bytes());
}

}  // namespace net::mdns
