// Core::verify: re-hash every held block and check the result against the signed head.
#include <algorithm>

#include "hypercore/core.hpp"
#include "hypercore/flat_tree.hpp"
#include "hypercore/internal/core_state.hpp"
#include "hypercore/internal/crc32c.hpp"

namespace hypercore {

namespace {
constexpr uint64_t kEntriesPerRead = 4096;
constexpr uint64_t kMaxCoalescedRead = 8 << 20;
}  // namespace

Result<void> Core::verify() const {
  const Impl& s = *impl_;
  if (s.closed) return fail(errc::closed, "core is closed");
  const uint64_t length = s.head.length;
  if (length > 0 && !s.identity.verify(s.head.roots, length, s.head.fork, s.head.signature)) {
    return fail(errc::invalid_signature, "the signature of length " + std::to_string(length) + " does not verify");
  }
  const bool full = s.contiguous == length;
  RootStack roots;
  Bytes entries, data;
  for (uint64_t first = 0; first < length; first += kEntriesPerRead) {
    uint64_t count = std::min(kEntriesPerRead, length - first);
    entries.resize(count * format::kIndexEntryBytes);
    HC_TRY(got, s.index_file->read(first * format::kIndexEntryBytes, entries));
    entries.resize(got);
    for (uint64_t k = 0; k < count;) {
      uint64_t i = first + k;
      if (!s.bitfield.get(i)) {
        k++;
        continue;
      }
      // Coalesce a run of blocks that sit back to back in the log into one read.
      auto entry_at = [&](uint64_t kk) {
        return (kk + 1) * format::kIndexEntryBytes <= entries.size()
                   ? format::decode_index_entry(entries.data() + kk * format::kIndexEntryBytes)
                   : format::IndexEntry{};
      };
      format::IndexEntry e0 = entry_at(k);
      uint64_t run_end = k, span_end = e0.offset;
      while (run_end < count && s.bitfield.get(first + run_end)) {
        format::IndexEntry e = entry_at(run_end);
        if (e.offset == 0 || e.offset != span_end || span_end + e.size - e0.offset > kMaxCoalescedRead) {
          if (run_end == k) return fail(errc::corrupt, s.where() + "/index: block " + std::to_string(i) + " has no entry");
          break;
        }
        span_end += e.size;
        run_end++;
      }
      if (span_end > s.log_end) {
        return fail(errc::corrupt, s.where() + "/index: block " + std::to_string(i) + " points past the log end");
      }
      data.resize(span_end - e0.offset);
      HC_TRY(n, s.log_file->read(e0.offset, data));
      if (n != data.size()) return fail(errc::corrupt, s.where() + "/log: short read at offset " + std::to_string(e0.offset));
      uint64_t pos = 0;
      for (uint64_t kk = k; kk < run_end; kk++) {
        format::IndexEntry e = entry_at(kk);
        ByteSpan block(data.data() + pos, e.size);
        pos += e.size;
        uint64_t index = first + kk;
        if (format::block_checksum(index, e.offset, block) != e.crc) {
          return fail(errc::corrupt, s.where() + "/log: block " + std::to_string(index) + " at offset " +
                                         std::to_string(e.offset) + " fails its checksum");
        }
        Node leaf = leaf_node(index, block);
        if (full) {
          roots.push(leaf, nullptr);
          continue;
        }
        HC_TRY(stored, s.node(2 * index));
        if (!stored || *stored != leaf) {
          return fail(errc::corrupt, s.where() + ": block " + std::to_string(index) + " does not hash to its tree node");
        }
      }
      k = run_end;
    }
  }
  if (full && roots.roots() != s.head.roots) {
    return fail(errc::corrupt, s.where() + ": the blocks do not hash to the signed roots");
  }
  return {};
}

}  // namespace hypercore
