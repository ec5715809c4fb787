#include "net/udx/packet.hpp"

#include <cstdio>

namespace net::udx {

namespace {

uint32_t read_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

void write_u32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

}  // namespace

Address Address::v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  Address out;
  out.ip[0] = a;
  out.ip[1] = b;
  out.ip[2] = c;
  out.ip[3] = d;
  out.port = port;
  return out;
}

std::string Address::to_string() const {
  char buf[64];
  if (!v6) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", ip[0], ip[1], ip[2], ip[3], port);
    return buf;
  }
  std::string s = "[";
  for (int i = 0; i < 16; i += 2) {
    std::snprintf(buf, sizeof buf, "%s%x", i ? ":" : "", (ip[i] << 8) | ip[i + 1]);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "]:%u", port);
  return s + buf;
}

bool is_udx(hypercore::ByteSpan d) { return d.size() >= kHeaderSize && d[0] == kMagic && d[1] == kVersion; }

std::optional<uint32_t> receiver_id(hypercore::ByteSpan d) {
  if (!is_udx(d)) return std::nullopt;
  return static_cast<uint32_t>(d[4]) | static_cast<uint32_t>(d[5]) << 8 | static_cast<uint32_t>(d[6]) << 16 |
         static_cast<uint32_t>(d[7]) << 24;
}

UdxResult<PacketView> decode_packet(hypercore::ByteSpan d) {
  if (d.size() < kHeaderSize) {
    return udx_fail(UdxErrc::too_short, std::to_string(d.size()) + " bytes, a header is 20");
  }
  if (d[0] != kMagic) return udx_fail(UdxErrc::bad_magic, "first byte " + std::to_string(d[0]));
  if (d[1] != kVersion) return udx_fail(UdxErrc::bad_version, "version " + std::to_string(d[1]));
  PacketView out;
  out.header.type = d[2];
  out.header.data_offset = d[3];
  out.header.stream_id = read_u32(&d[4]);
  out.header.rwnd = read_u32(&d[8]);
  out.header.seq = read_u32(&d[12]);
  out.header.ack = read_u32(&d[16]);
  const auto rest = d.subspan(kHeaderSize);
  const size_t offset = out.header.data_offset;
  if (offset > rest.size()) {
    return udx_fail(UdxErrc::bad_data_offset,
                    "data offset " + std::to_string(offset) + " past " + std::to_string(rest.size()) + " bytes");
  }
  if (out.header.type & kTypeSack) {
    // libudx: the whole rest is SACK area unless the offset says where the payload starts.
    const size_t area = (offset > 0 && offset < rest.size()) ? offset : rest.size();
    if (area % 8 != 0) {
      return udx_fail(UdxErrc::bad_sack, "SACK area of " + std::to_string(area) + " bytes");
    }
    out.sacks.reserve(area / 8);
    for (size_t i = 0; i < area; i += 8) out.sacks.push_back({read_u32(&rest[i]), read_u32(&rest[i + 4])});
  }
  out.payload = rest.subspan(offset);
  return out;
}

void encode_header(const Header& h, uint8_t out[kHeaderSize]) {
  out[0] = kMagic;
  out[1] = kVersion;
  out[2] = h.type;
  out[3] = h.data_offset;
  write_u32(out + 4, h.stream_id);
  write_u32(out + 8, h.rwnd);
  write_u32(out + 12, h.seq);
  write_u32(out + 16, h.ack);
}

hypercore::Bytes encode_packet(const Header& header, std::span<const SackBlock> sacks, hypercore::ByteSpan payload,
                               uint8_t padding) {
  Header h = header;
  if (padding > 0) {
    sacks = {};
    h.data_offset = padding;
  } else if (!sacks.empty()) {
    h.type |= kTypeSack;
  }
  hypercore::Bytes out(kHeaderSize + sacks.size() * 8 + padding + payload.size());
  encode_header(h, out.data());
  uint8_t* p = out.data() + kHeaderSize;
  for (const auto& s : sacks) {
    write_u32(p, s.start);
    write_u32(p + 4, s.end);
    p += 8;
  }
  p += padding;  // zeros
  if (!payload.empty()) std::copy(payload.begin(), payload.end(), p);
  return out;
}

}  // namespace net::udx
