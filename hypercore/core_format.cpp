#include "hypercore/internal/core_format.hpp"

#include <algorithm>
#include <cstring>

#include "hypercore/compact_encoding.hpp"
#include "hypercore/flat_tree.hpp"
#include "hypercore/internal/crc32c.hpp"
#include "hypercore/internal/endian.hpp"

namespace hypercore::format {

namespace {
constexpr uint64_t kHasManifest = 1;
constexpr uint64_t kHasSecretKey = 2;

constexpr uint64_t kRecordBlocks = 1;
constexpr uint64_t kRecordNodes = 2;
constexpr uint64_t kRecordHead = 4;
constexpr uint64_t kRecordDrop = 8;
constexpr uint64_t kRecordKnownFlags = 15;

// A node as u(index) ‖ u(size) ‖ hash, shared by the header's roots and records' nodes.
void encode_node(cenc::Encoder& e, const Node& n) {
  e.uint(n.index);
  e.uint(n.size);
  e.fixed(n.hash);
}

Result<Node> decode_node(cenc::Decoder& d) {
  Node n;
  HC_TRY(index, d.uint());
  HC_TRY(size, d.uint());
  HC_TRY(hash, d.fixed32());
  n.index = index;
  n.size = size;
  n.hash = hash;
  return n;
}
}  // namespace

Bytes encode_header(const HeaderState& s) {
  cenc::Encoder e;
  e.uint(kFormatVersion);
  e.fixed(s.key);
  e.uint((s.manifest ? kHasManifest : 0) | (s.secret_key ? kHasSecretKey : 0));
  if (s.manifest) e.buffer(s.manifest->encode());
  if (s.secret_key) e.fixed(*s.secret_key);
  e.uint(s.length);
  e.uint(s.fork);
  e.buffer(s.signature);
  e.uint(s.roots.size());
  for (const Node& r : s.roots) encode_node(e, r);
  e.uint(s.log_offset);
  e.uint(s.bitfield_pages);
  return e.take();
}

Result<HeaderState> decode_header(ByteSpan payload) {
  cenc::Decoder d(payload, "header");
  HeaderState s;
  HC_TRY(version, d.uint());
  if (version != kFormatVersion) {
    return fail(errc::unsupported, "header: format version " + std::to_string(version) + " (this build reads " +
                                       std::to_string(kFormatVersion) + ")");
  }
  HC_TRY(key, d.fixed32());
  s.key = key;
  HC_TRY(flags, d.uint());
  if (flags & kHasManifest) {
    HC_TRY(bytes, d.buffer());
    // Assigned from the result in place: moving a Manifest (optional vectors inside) out
    // of the Result first makes g++ 12 at -O2 warn falsely (maybe-uninitialized).
    auto manifest = Manifest::decode(bytes);
    if (!manifest) return std::unexpected(manifest.error());
    s.manifest.emplace(std::move(*manifest));
  }
  if (flags & kHasSecretKey) {
    HC_TRY(sk, d.fixed(64));
    SecretKey secret{};
    std::copy(sk.begin(), sk.end(), secret.begin());
    s.secret_key = secret;
  }
  HC_TRY(length, d.uint());
  HC_TRY(fork, d.uint());
  HC_TRY(signature, d.buffer());
  s.length = length;
  s.fork = fork;
  s.signature.assign(signature.begin(), signature.end());
  HC_TRY(root_count, d.array_length(34));
  if (root_count > 64) return fail(errc::corrupt, "header: " + std::to_string(root_count) + " roots");
  for (uint64_t i = 0; i < root_count; i++) {
    HC_TRY(node, decode_node(d));
    s.roots.push_back(node);
  }
  // The roots must be exactly those of `length`.
  auto expected = flat_tree::full_roots(s.length);
  if (expected.size() != s.roots.size()) return fail(errc::corrupt, "header: root count does not match the length");
  for (size_t i = 0; i < expected.size(); i++) {
    if (expected[i] != s.roots[i].index) return fail(errc::corrupt, "header: root index does not match the length");
  }
  HC_TRY(log_offset, d.uint());
  s.log_offset = log_offset;
  HC_TRY(bitfield_pages, d.uint());
  s.bitfield_pages = bitfield_pages;
  HC_CHECK(d.expect_end());
  return s;
}

Bytes frame_slot(uint64_t sequence, ByteSpan payload) {
  Bytes out(kSlotFrameBytes + payload.size());
  internal::store_u32le(out.data(), kHeaderMagic);
  internal::store_u32le(out.data() + 8, static_cast<uint32_t>(payload.size()));
  internal::store_u64le(out.data() + 12, sequence);
  std::copy(payload.begin(), payload.end(), out.begin() + kSlotFrameBytes);
  uint32_t crc = internal::crc32c(ByteSpan(out).subspan(8));
  internal::store_u32le(out.data() + 4, crc);
  return out;
}

std::optional<Slot> parse_slot(ByteSpan bytes) {
  if (bytes.size() < kSlotFrameBytes) return std::nullopt;
  if (internal::load_u32le(bytes.data()) != kHeaderMagic) return std::nullopt;
  uint32_t length = internal::load_u32le(bytes.data() + 8);
  if (length > bytes.size() - kSlotFrameBytes) return std::nullopt;
  uint32_t crc = internal::crc32c(bytes.subspan(8, 12 + length));
  if (crc != internal::load_u32le(bytes.data() + 4)) return std::nullopt;
  Slot slot;
  slot.sequence = internal::load_u64le(bytes.data() + 12);
  slot.payload.assign(bytes.begin() + kSlotFrameBytes, bytes.begin() + kSlotFrameBytes + length);
  return slot;
}

bool is_torn_slot(ByteSpan bytes) {
  uint8_t magic[4];
  internal::store_u32le(magic, kHeaderMagic);
  for (size_t i = 0; i < 4 && i < bytes.size(); ++i) {
    if (bytes[i] != magic[i]) return false;
  }
  if (bytes.size() < kSlotFrameBytes) return true;
  return internal::load_u32le(bytes.data() + 8) > bytes.size() - kSlotFrameBytes;
}

Bytes encode_record(const Record& r, std::span<const ByteSpan> block_data, size_t* data_offset) {
  cenc::Encoder e;
  e.bytes().resize(kRecordFrameBytes);
  uint64_t flags = (r.blocks.empty() ? 0 : kRecordBlocks) | (r.nodes.empty() ? 0 : kRecordNodes) |
                   (r.head ? kRecordHead : 0) | (r.drop ? kRecordDrop : 0);
  e.uint(flags);
  if (!r.blocks.empty()) {
    e.uint(r.blocks.size());
    for (const auto& b : r.blocks) {
      e.uint(b.index);
      e.uint(b.size);
    }
  }
  if (!r.nodes.empty()) {
    e.uint(r.nodes.size());
    for (const Node& n : r.nodes) encode_node(e, n);
  }
  if (r.head) {
    e.uint(r.head->length);
    e.uint(r.head->fork);
    e.buffer(r.head->signature);
  }
  if (r.drop) {
    e.uint(r.drop->start);
    e.uint(r.drop->end);
  }
  Bytes& out = e.bytes();
  if (data_offset) *data_offset = out.size();
  size_t total = out.size();
  for (ByteSpan b : block_data) total += b.size();
  size_t padded = (total + kRecordAlign - 1) / kRecordAlign * kRecordAlign;
  out.reserve(padded);
  for (ByteSpan b : block_data) out.insert(out.end(), b.begin(), b.end());
  out.resize(padded, 0);
  internal::store_u32le(out.data(), kRecordMagic);
  internal::store_u32le(out.data() + 8, static_cast<uint32_t>(padded - kRecordFrameBytes));
  internal::store_u32le(out.data() + 4, internal::crc32c(ByteSpan(out).subspan(8)));
  return e.take();
}

std::optional<ParsedRecord> parse_record(ByteSpan bytes, uint64_t* needed) {
  if (bytes.size() < kRecordFrameBytes) return std::nullopt;
  if (internal::load_u32le(bytes.data()) != kRecordMagic) return std::nullopt;
  uint64_t length = internal::load_u32le(bytes.data() + 8);
  uint64_t total = kRecordFrameBytes + length;
  if (length > kMaxRecordPayload || total % kRecordAlign != 0) return std::nullopt;
  if (total > bytes.size()) {
    if (needed) *needed = total;
    return std::nullopt;
  }
  if (internal::crc32c(bytes.subspan(8, 4 + length)) != internal::load_u32le(bytes.data() + 4)) return std::nullopt;

  ParsedRecord out;
  out.total_bytes = total;
  cenc::Decoder d(bytes.subspan(kRecordFrameBytes, length), "log record");
  auto parse = [&]() -> Result<void> {
    HC_TRY(flags, d.uint());
    if (flags & ~kRecordKnownFlags) return fail(errc::corrupt, "log record: unknown flags");
    uint64_t data_bytes = 0;
    if (flags & kRecordBlocks) {
      HC_TRY(count, d.array_length(2));
      for (uint64_t i = 0; i < count; i++) {
        HC_TRY(index, d.uint());
        HC_TRY(size, d.uint());
        if (size > length) return fail(errc::corrupt, "log record: block larger than the record");
        data_bytes += size;
        out.record.blocks.push_back({index, size});
      }
    }
    if (flags & kRecordNodes) {
      HC_TRY(count, d.array_length(34));
      for (uint64_t i = 0; i < count; i++) {
        HC_TRY(node, decode_node(d));
        out.record.nodes.push_back(node);
      }
    }
    if (flags & kRecordHead) {
      Record::Head head;
      HC_TRY(len, d.uint());
      HC_TRY(fork, d.uint());
      HC_TRY(sig, d.buffer());
      head.length = len;
      head.fork = fork;
      head.signature.assign(sig.begin(), sig.end());
      out.record.head = std::move(head);
    }
    if (flags & kRecordDrop) {
      HC_TRY(start, d.uint());
      HC_TRY(end, d.uint());
      if (start > end) return fail(errc::corrupt, "log record: drop range reversed");
      out.record.drop = Record::Drop{start, end};
    }
    if (data_bytes > d.remaining()) return fail(errc::corrupt, "log record: block bytes missing");
    out.data_offset = kRecordFrameBytes + d.position();
    return {};
  };
  if (!parse()) return std::nullopt;
  return out;
}

uint32_t block_checksum(uint64_t index, uint64_t offset, ByteSpan bytes) {
  uint8_t fields[20];
  internal::store_u64le(fields, index);
  internal::store_u64le(fields + 8, offset);
  internal::store_u32le(fields + 16, static_cast<uint32_t>(bytes.size()));
  return internal::crc32c(bytes, internal::crc32c(ByteSpan(fields, sizeof fields)));
}

void encode_index_entry(const IndexEntry& e, uint8_t* out) {
  internal::store_u64le(out, e.offset);
  internal::store_u32le(out + 8, e.size);
  internal::store_u32le(out + 12, e.crc);
}

IndexEntry decode_index_entry(const uint8_t* in) {
  return IndexEntry{internal::load_u64le(in), internal::load_u32le(in + 8), internal::load_u32le(in + 12)};
}

namespace {
uint32_t tree_record_crc(uint64_t index, const uint8_t* record) {
  uint8_t buf[48];
  std::memcpy(buf, record, 40);
  internal::store_u64le(buf + 40, index);  // binds the record to its position
  return internal::crc32c(ByteSpan(buf, 48));
}
}  // namespace

void encode_tree_record(const Node& node, uint8_t* out) {
  internal::store_u64le(out, node.size);
  std::memcpy(out + 8, node.hash.data(), 32);
  internal::store_u32le(out + 40, tree_record_crc(node.index, out));
  internal::store_u32le(out + 44, 0);
}

Result<std::optional<Node>> decode_tree_record(uint64_t index, const uint8_t* in) {
  static constexpr uint8_t kZero[kTreeRecordBytes] = {};
  if (std::memcmp(in, kZero, kTreeRecordBytes) == 0) return std::optional<Node>{};
  if (internal::load_u32le(in + 40) != tree_record_crc(index, in) || internal::load_u32le(in + 44) != 0) {
    return fail(errc::corrupt, "tree node " + std::to_string(index) + ": checksum mismatch");
  }
  Node n;
  n.index = index;
  n.size = internal::load_u64le(in);
  std::memcpy(n.hash.data(), in + 8, 32);
  return std::optional<Node>(n);
}

}  // namespace hypercore::format
