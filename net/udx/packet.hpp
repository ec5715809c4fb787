// The UDX wire format (docs/protocol/udx.md, libudx 1.x as bundled by udx-native 1.21.3):
// a 20-byte header, then SACK blocks or MTU-probe padding, then payload. Pure functions, no
// state; decode_packet returns views into the caller's datagram (valid while it lives).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hypercore/bytes.hpp"
#include "net/udx/udx_error.hpp"

namespace net::udx {

inline constexpr size_t kHeaderSize = 20;
inline constexpr uint8_t kMagic = 0xFF;
inline constexpr uint8_t kVersion = 0x01;

// Type bits (they combine: DATA|END is the last data packet of a stream).
inline constexpr uint8_t kTypeData = 0x01;
inline constexpr uint8_t kTypeEnd = 0x02;
inline constexpr uint8_t kTypeSack = 0x04;
inline constexpr uint8_t kTypeMessage = 0x08;
inline constexpr uint8_t kTypeDestroy = 0x10;
inline constexpr uint8_t kTypeHeartbeat = 0x20;

// Path MTU assumptions of libudx: base 1200, IP+UDP+UDX overhead 48 (IPv4) / 68 (IPv6),
// so at most 1152 / 1132 payload bytes per packet.
inline constexpr size_t kMtuBase = 1200;
inline constexpr size_t kMtuMax = 1500;  // MTU probing stops here (libudx UDX_MTU_MAX)
inline constexpr size_t kMtuStep = 32;   // each probe asks for this much more
inline constexpr size_t kIpv4Overhead = 20 + 8 + kHeaderSize;
inline constexpr size_t kIpv6Overhead = 40 + 8 + kHeaderSize;
inline constexpr size_t kMaxPayloadV4 = kMtuBase - kIpv4Overhead;  // 1152
inline constexpr size_t kMaxPayloadV6 = kMtuBase - kIpv6Overhead;  // 1132
inline constexpr size_t kMaxSackBlocks = 50;                        // per ACK we send

// A stream's peer: an IPv4 or IPv6 address and a port, network byte order.
struct Address {
  std::array<uint8_t, 16> ip{};  // IPv4 uses the first 4 bytes
  bool v6 = false;
  uint16_t port = 0;

  static Address v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);
  bool operator==(const Address&) const = default;
  std::string to_string() const;  // "127.0.0.1:5000", "[::1]:5000"
};

struct SackBlock {
  uint32_t start = 0;  // first sequence number received
  uint32_t end = 0;    // one past the last
  bool operator==(const SackBlock&) const = default;
};

struct Header {
  uint8_t type = 0;
  uint8_t data_offset = 0;  // bytes between header and payload (SACK area / probe padding)
  uint32_t stream_id = 0;   // the RECEIVER's id
  uint32_t rwnd = 0;        // receive window in bytes
  uint32_t seq = 0;
  uint32_t ack = 0;
  bool operator==(const Header&) const = default;
};

// A decoded datagram. `sacks` only for SACK packets; `payload` views the datagram.
struct PacketView {
  Header header;
  std::vector<SackBlock> sacks;
  hypercore::ByteSpan payload;
};

// True when libudx would treat the datagram as UDX: ≥ 20 bytes and `FF 01`.
bool is_udx(hypercore::ByteSpan datagram);
// The receiving stream's id in a UDX datagram (is_udx), read without decoding the rest.
std::optional<uint32_t> receiver_id(hypercore::ByteSpan datagram);

// Decodes as libudx's process_packet reads: for a SACK packet the SACK area is `data offset`
// bytes when 0 < offset < remaining length, else the whole rest; payload follows the offset.
// Errors: too_short, bad_magic, bad_version, bad_data_offset, bad_sack.
UdxResult<PacketView> decode_packet(hypercore::ByteSpan datagram);

// Encodes a header, SACK blocks (type gets kTypeSack when any; data offset stays 0 as libudx
// writes it) and payload. `padding` zero bytes go before the payload with data offset set
// (an MTU probe); padding and SACK blocks are exclusive (padding wins, sacks dropped).
hypercore::Bytes encode_packet(const Header& header, std::span<const SackBlock> sacks,
                               hypercore::ByteSpan payload, uint8_t padding = 0);

// Writes just the 20 header bytes.
void encode_header(const Header& header, uint8_t out[kHeaderSize]);

// Sequence arithmetic modulo 2^32: negative when a is before b.
inline int32_t seq_diff(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }

}  // namespace net::udx
