// Opens a core whose files hold fuzzed bytes, then reads everything it claims to have.
// Input: for each of header, log, index, tree, bitfield: u32le length ‖ bytes.
#include <cstdint>
#include <cstring>

#include "hypercore/core.hpp"

using namespace hypercore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* kFiles[] = {"header", "log", "index", "tree", "bitfield"};
  auto storage = make_memory_storage();
  size_t pos = 0;
  for (const char* name : kFiles) {
    uint32_t len = 0;
    if (pos + 4 <= size) std::memcpy(&len, data + pos, 4);
    pos = std::min(size, pos + 4);
    len = static_cast<uint32_t>(std::min<size_t>(len, size - pos));
    auto file = storage->open(name, true);
    if (!file) return 0;
    (void)(*file)->write(0, ByteSpan(data + pos, len));
    pos += len;
  }
  auto core = Core::open(storage);
  if (!core) return 0;
  uint64_t n = std::min<uint64_t>((*core)->length(), 256);
  for (uint64_t i = 0; i < n; i++) (void)(*core)->get(i);
  (void)(*core)->verify();
  (void)(*core)->seek((*core)->byte_length() / 2);
  (void)(*core)->append(ByteSpan(data, std::min<size_t>(size, 64)));
  return 0;
}
