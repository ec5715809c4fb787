// A bee whose blocks are fuzzed bytes: every read (get, ranges both ways, history, diff)
// must end with entries or a clear error — never a crash, a hang or unbounded memory —
// whatever the child pointers say (pointers to later blocks, cycles, missing levels).
// Input: a list of blocks, each u16le length ‖ bytes (block 0 is the header).
#include <cstring>

#include "bee/bee.hpp"
#include "bee/read_trace.hpp"

using namespace hypercore;

namespace {

// Drains an iterator, with a bound well above any honest result for these inputs.
template <class It>
void drain(It it) {
  for (int i = 0; i < 100000; i++) {
    auto item = it.next();
    if (!item || !*item) return;
  }
  __builtin_trap();  // an honest tree of at most 64 KiB of blocks cannot yield this much
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const KeyPair key_pair = KeyPair::from_seed(Seed{});
  auto core = Core::create(make_memory_storage(), key_pair);
  if (!core) return 0;
  std::vector<Bytes> blocks;
  for (size_t pos = 0; pos + 2 <= size && blocks.size() < 512;) {
    size_t len = data[pos] | (data[pos + 1] << 8);
    pos += 2;
    len = std::min(len, size - pos);
    blocks.emplace_back(data + pos, data + pos + len);
    pos += len;
  }
  if (blocks.empty()) return 0;
  std::vector<ByteSpan> spans(blocks.begin(), blocks.end());
  if (!(*core)->append(spans)) return 0;
  bee::BeeOptions options;
  options.cache_bytes = 256 * 1024;
  auto db = bee::Bee::open(std::shared_ptr<Core>(std::move(*core)), options);
  if (!db) return 0;
  bee::Snapshot snap = (*db)->snapshot();
  for (const auto& b : blocks) (void)snap.get(ByteSpan(b).first(std::min<size_t>(b.size(), 8)));
  bee::Range forward;
  drain(snap.range(forward));
  bee::Range backward;
  backward.reverse = true;
  drain(snap.range(backward));
  drain(snap.history({}));
  uint64_t v = (*db)->version();
  for (uint64_t other = 1; other <= v && other < 16; other++) drain(snap.diff(other, {}));
  for (uint64_t seq = 0; seq < v; seq++) (void)snap.get_by_seq(seq);
  // The extension responder's traces walk the same hostile pointers.
  Core& c = (*db)->core();
  for (const auto& b : blocks) {
    auto seqs = bee::trace_get(c, v, ByteSpan(b).first(std::min<size_t>(b.size(), 8)));
    if (seqs.size() > bee::kMaxTracedBlocks) __builtin_trap();
  }
  bee::ExtensionMessage::Iterator scan;
  scan.version = v;
  for (bool reverse : {false, true}) {
    scan.reverse = reverse;
    if (bee::trace_range(c, scan).size() > bee::kMaxTracedBlocks) __builtin_trap();
  }
  // A checkpoint made of the input's first bytes.
  for (size_t i = 0; i + 3 <= std::min<size_t>(size, 12); i += 3) {
    scan.checkpoint.insert(scan.checkpoint.end(), {data[i] % (v + 1), data[i + 1] % 4u, data[i + 2]});
  }
  (void)bee::trace_range(c, scan);
  return 0;
}
