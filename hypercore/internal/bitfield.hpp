// Which blocks a core holds locally: a sparse bitfield of 32768-bit pages, so a replica
// holding a few blocks of a huge core costs a few pages. Pages changed since the last
// checkpoint are marked dirty for persistence.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "hypercore/bytes.hpp"

namespace hypercore::internal {

class Bitfield {
 public:
  static constexpr uint64_t kPageBits = 32768;
  using Page = std::array<uint64_t, kPageBits / 64>;

  bool get(uint64_t index) const;
  void set(uint64_t index, bool value);
  void set_range(uint64_t start, uint64_t end, bool value);  // [start, end)
  // First index >= from whose bit is clear.
  uint64_t first_clear(uint64_t from) const;
  // Number of set bits in [start, end).
  uint64_t count(uint64_t start, uint64_t end) const;

  // Persistence: page numbers changed since clear_dirty(), a page as 4096 LE bytes, and
  // loading one.
  std::vector<uint64_t> dirty_pages() const;
  void clear_dirty();
  Bytes page_bytes(uint64_t page) const;
  void load_page(uint64_t page, ByteSpan bytes);

 private:
  struct Entry {
    Page bits{};
    bool dirty = false;
  };
  Entry* page_for_write(uint64_t page);

  std::map<uint64_t, std::unique_ptr<Entry>> pages_;
};

}  // namespace hypercore::internal
