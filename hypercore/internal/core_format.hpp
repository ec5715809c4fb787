// The byte layout of a core's files (docs/format/hypercore-storage.md). Every decoder
// here takes untrusted bytes and fails with errc::corrupt naming the file and offset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/error.hpp"
#include "hypercore/manifest.hpp"
#include "hypercore/merkle.hpp"

namespace hypercore::format {

inline constexpr uint32_t kHeaderMagic = 0x31484342;  // "BCH1"
inline constexpr uint32_t kRecordMagic = 0x314c4342;  // "BCL1"
inline constexpr uint64_t kHeaderSlotSize = 64 * 1024;  // two slots: [0, 64K) and [64K, 128K)
inline constexpr size_t kSlotFrameBytes = 20;           // magic, crc, payload length, sequence
inline constexpr size_t kRecordFrameBytes = 12;         // magic, crc, payload length
inline constexpr size_t kRecordAlign = 8;               // records start at multiples of 8
inline constexpr uint64_t kMaxRecordPayload = 1ull << 31;
inline constexpr size_t kIndexEntryBytes = 16;
inline constexpr size_t kTreeRecordBytes = 48;
inline constexpr size_t kBitfieldPageBits = 32768;
inline constexpr size_t kBitfieldPageBytes = kBitfieldPageBits / 8;
inline constexpr size_t kBitfieldRecordBytes = kBitfieldPageBytes + 4;  // page ‖ crc32c
inline constexpr uint64_t kFormatVersion = 1;

// The checkpointed state of a core, stored in the header file.
struct HeaderState {
  Hash key{};
  std::optional<Manifest> manifest;
  std::optional<SecretKey> secret_key;
  uint64_t length = 0;
  uint64_t fork = 0;
  Bytes signature;
  std::vector<Node> roots;
  uint64_t log_offset = 0;  // log bytes whose effects are in index, tree and bitfield files
  uint64_t bitfield_pages = 0;  // page records the bitfield file holds (a short file is damage)
  friend bool operator==(const HeaderState&, const HeaderState&) = default;
};

Bytes encode_header(const HeaderState& state);
Result<HeaderState> decode_header(ByteSpan payload);

// A header slot: magic ‖ crc32c(rest) ‖ u32 payload length ‖ u64 sequence ‖ payload.
Bytes frame_slot(uint64_t sequence, ByteSpan payload);
struct Slot {
  uint64_t sequence = 0;
  Bytes payload;
};
// nullopt for an empty, torn or corrupt slot (the other slot then holds the state).
std::optional<Slot> parse_slot(ByteSpan slot_bytes);
// Whether `slot_bytes` are a strict prefix of a slot frame (a write cut short): the magic
// as far as it goes, and the file ending before the frame's declared end.
bool is_torn_slot(ByteSpan slot_bytes);

// One mutation of a core, as appended to the log and replayed after a crash.
struct Record {
  struct Block {
    uint64_t index = 0;
    uint64_t size = 0;
  };
  struct Head {
    uint64_t length = 0;
    uint64_t fork = 0;
    Bytes signature;
  };
  struct Drop {
    uint64_t start = 0;
    uint64_t end = 0;
  };
  std::vector<Block> blocks;  // their bytes follow the payload's fields, concatenated
  std::vector<Node> nodes;
  std::optional<Head> head;
  std::optional<Drop> drop;   // blocks [start, end) removed (truncation)
};

// The framed record, padded to kRecordAlign, with the blocks' bytes. `data_offset` gets the
// position of the first block byte within the returned buffer.
Bytes encode_record(const Record& record, std::span<const ByteSpan> block_data, size_t* data_offset);

struct ParsedRecord {
  Record record;
  uint64_t data_offset = 0;   // offset of the first block byte, relative to the record start
  uint64_t total_bytes = 0;   // framed and padded length
};
// Parses the record at the start of `bytes`. nullopt when the bytes do not hold a complete
// valid record (torn tail or garbage); `needed` gets the full length when the frame header
// is intact but the record is longer than `bytes`.
std::optional<ParsedRecord> parse_record(ByteSpan bytes, uint64_t* needed = nullptr);

// index file: 16 bytes per block: u64 log offset of its bytes ‖ u32 size ‖ u32 checksum,
// where checksum = crc32c over u64le(block index) ‖ u64le(offset) ‖ u32le(size) ‖ bytes, so
// a damaged, shifted or half-zeroed entry never passes for a valid (say, empty) block.
struct IndexEntry {
  uint64_t offset = 0;  // 0 = absent (no block byte can sit at log offset 0)
  uint32_t size = 0;
  uint32_t crc = 0;
};
uint32_t block_checksum(uint64_t index, uint64_t offset, ByteSpan bytes);
void encode_index_entry(const IndexEntry& e, uint8_t* out);
IndexEntry decode_index_entry(const uint8_t* in);

// tree file: 48 bytes per node at 48 × index: u64 size ‖ hash ‖ u32 crc32c ‖ u32 zero.
// 48 zero bytes = absent.
void encode_tree_record(const Node& node, uint8_t* out);
// nullopt when absent; errc::corrupt when the checksum fails.
Result<std::optional<Node>> decode_tree_record(uint64_t index, const uint8_t* in);

}  // namespace hypercore::format
