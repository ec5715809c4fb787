#include "net/multi/writer_list.hpp"

#include "hypercore/compact_encoding.hpp"

namespace net::multi {

using hypercore::errc;
using hypercore::fail;

namespace {
constexpr uint64_t kVersion = 1;
}

hypercore::Bytes encode_writer_list(const std::vector<ListedWriter>& writers) {
  hypercore::cenc::Encoder e;
  e.uint(kVersion);
  e.uint(writers.size());
  for (const auto& w : writers) {
    e.fixed(w.key);
    e.uint(w.length);
  }
  return e.take();
}

hypercore::Result<std::vector<ListedWriter>> decode_writer_list(hypercore::ByteSpan bytes) {
  hypercore::cenc::Decoder d(bytes, "writer list");
  HC_TRY(version, d.uint());
  if (version != kVersion) return fail(errc::unsupported, "writer list of version " + std::to_string(version));
  HC_TRY(count, d.array_length(33));
  if (count > kMaxListedWriters) return fail(errc::corrupt, "writer list of " + std::to_string(count) + " writers");
  std::vector<ListedWriter> writers;
  writers.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    HC_TRY(key, d.fixed32());
    HC_TRY(length, d.uint());
    writers.push_back({key, length});
  }
  HC_CHECK(d.expect_end());
  return writers;
}

}  // namespace net::multi
