// The log record decoder on hostile bytes; a record that parses must re-encode to a record
// that parses to the same fields.
#include <cstdlib>

#include "hypercore/internal/core_format.hpp"

using namespace hypercore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t needed = 0;
  auto parsed = format::parse_record(ByteSpan(data, size), &needed);
  if (!parsed) return 0;
  std::vector<ByteSpan> blocks;
  uint64_t off = parsed->data_offset;
  for (const auto& b : parsed->record.blocks) {
    blocks.emplace_back(data + off, b.size);
    off += b.size;
  }
  size_t data_offset = 0;
  Bytes again = format::encode_record(parsed->record, blocks, &data_offset);
  auto reparsed = format::parse_record(again);
  if (!reparsed || reparsed->record.blocks.size() != parsed->record.blocks.size() ||
      reparsed->record.nodes != parsed->record.nodes) {
    std::abort();
  }
  return 0;
}
