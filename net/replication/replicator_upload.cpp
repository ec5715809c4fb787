// Replicator, serving side: answering requests from Core::proof and telling the peer what
// we hold (range after appends and on open, range or bitfield in answer to want).
#include <algorithm>

#include "net/replication/replicator.hpp"

namespace net {

namespace {
// A bitfield answer covers at most one want segment: 2^21 blocks = 65536 words (256 KiB),
// Node's own maximum.
constexpr uint64_t kMaxBitfieldBits = uint64_t{1} << 21;
}  // namespace

void Replicator::on_request(const Request& m) {
  const hypercore::ProofRequest& r = m.proof;
  if (r.upgrade) {
    // An upgrade beyond what we could ever have announced is impossible: Node treats it
    // as fatal and drops the connection, and so do we.
    uint64_t length = core_.length();
    if (r.upgrade->length == 0 || r.upgrade->start > length || r.upgrade->length > length - r.upgrade->start) {
      if (r.fork == core_.fork()) {
        return fatal(ReplicationErrc::invalid_request,
                     "request " + std::to_string(m.id) + ": upgrade " + std::to_string(r.upgrade->start) + "+" +
                         std::to_string(r.upgrade->length) + " beyond our length " + std::to_string(length));
      }
    }
  }
  auto no_data = [&] {
    counters_.requests_refused++;
    send(NoData{m.id});
  };
  if (!options_.upload) return no_data();
  if (r.fork != core_.fork()) return no_data();
  if (r.seek) return no_data();  // our open said we do not serve seeks
  if (r.block && !core_.has(r.block->index)) return no_data();
  auto proof = core_.proof(r);
  if (!proof) return no_data();  // not held, nodes missing, or beyond the tree: noData
  counters_.requests_served++;
  if (proof->block) {
    counters_.blocks_up++;
    counters_.block_bytes_up += proof->block->value.size();
  }
  send(Data{m.id, std::move(*proof)});
}

void Replicator::announce_contiguous() {
  uint64_t contiguous = core_.contiguous_length();
  if (contiguous <= announced_contiguous_) return;
  Range r;
  r.start = announced_contiguous_;
  r.length = contiguous - announced_contiguous_;
  announced_contiguous_ = contiguous;
  send(r);
}

void Replicator::on_want(const Want& m) {
  uint64_t length = core_.length();
  uint64_t contiguous = core_.contiguous_length();
  uint64_t end = m.length > UINT64_MAX - m.start ? UINT64_MAX : m.start + m.length;
  end = std::min(end, length);
  if (m.start >= end) return;  // nothing of ours in that span: Node stays silent too
  if (end <= contiguous || (m.any && m.start < contiguous)) {
    send(Range{false, 0, contiguous});
    return;
  }
  if (m.any) {
    // hypercore 11: any one block of the span will do; the first held one, if any.
    uint64_t stop = std::min(end, m.start + kMaxBitfieldBits);
    for (uint64_t i = m.start; i < stop; i++) {
      if (core_.has(i)) return send(Range{false, i, 1});
    }
    return;
  }
  uint64_t start = m.start / 32 * 32;
  uint64_t bits = std::min(end - start, kMaxBitfieldBits);
  Bitfield b;
  b.start = start;
  b.words.assign((bits + 31) / 32, 0);
  for (uint64_t j = 0; j < bits; j++) {
    if (core_.has(start + j)) b.words[j >> 5] |= uint32_t{1} << (j & 31);
  }
  send(b);
}

}  // namespace net
