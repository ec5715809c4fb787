// Core: the write path (append, truncate, apply), reads, verification and snapshots.
// Opening and crash recovery are in core_open.cpp.
#include "hypercore/core.hpp"

#include <algorithm>
#include <cstring>

#include "hypercore/flat_tree.hpp"
#include "hypercore/internal/core_state.hpp"
#include "hypercore/internal/crc32c.hpp"
#include "hypercore/internal/endian.hpp"
#include "hypercore/internal/parallel.hpp"

namespace hypercore {

using format::IndexEntry;
using format::kIndexEntryBytes;
using format::kTreeRecordBytes;
using format::Record;

Result<std::optional<Node>> Core::Impl::node(uint64_t index) const {
  if (head.length == 0 || flat_tree::right_span(index) > 2 * head.length - 2) return std::optional<Node>{};
  uint8_t buf[kTreeRecordBytes];
  HC_TRY(n, tree_file->read(index * kTreeRecordBytes, buf));
  if (n < kTreeRecordBytes) return std::optional<Node>{};
  auto decoded = format::decode_tree_record(index, buf);
  if (!decoded) return fail(errc::corrupt, where() + "/tree: " + decoded.error().message);
  return decoded;
}

Result<void> Core::Impl::writable_check() const {
  if (closed) return fail(errc::closed, "core is closed");
  if (failure) return fail(failure->code, "core refused the write after an earlier failure: " + failure->message);
  if (options.read_only) return fail(errc::session_not_writable, "core " + to_hex(identity.key()) + " is open read-only");
  if (!key_pair) return fail(errc::session_not_writable, "core " + to_hex(identity.key()) + " has no secret key");
  return {};
}

Result<void> Core::Impl::apply_record(const Record& r, uint64_t data_position, std::span<const ByteSpan> data,
                                      const std::vector<Node>* roots) {
  // Index entries: one write per run of consecutive block indexes.
  uint64_t offset = data_position;
  for (size_t i = 0; i < r.blocks.size();) {
    size_t j = i;
    Bytes run;
    while (j < r.blocks.size() && r.blocks[j].index == r.blocks[i].index + (j - i)) {
      uint8_t entry[kIndexEntryBytes];
      uint32_t crc = format::block_checksum(r.blocks[j].index, offset, data[j]);
      format::encode_index_entry(IndexEntry{offset, static_cast<uint32_t>(data[j].size()), crc}, entry);
      run.insert(run.end(), entry, entry + kIndexEntryBytes);
      offset += data[j].size();
      j++;
    }
    HC_CHECK(index_cache->write(r.blocks[i].index * kIndexEntryBytes, run));
    i = j;
  }

  // Tree nodes. A writer's append covers the leaf range [2s, 2e-2] completely: write it as
  // one buffer (odd indexes in it that were not created lie outside the new tree, so zeros
  // are right for them); every other node gets its own write.
  uint64_t lo = 1, hi = 0;
  if (!r.blocks.empty() && r.head && r.blocks.front().index == head.length &&
      r.blocks.back().index + 1 == r.head->length && r.blocks.size() == r.head->length - head.length) {
    lo = 2 * r.blocks.front().index;
    hi = 2 * r.blocks.back().index;
  }
  if (lo <= hi) {
    Bytes range((hi - lo + 1) * kTreeRecordBytes, 0);
    for (const Node& n : r.nodes) {
      if (n.index >= lo && n.index <= hi) format::encode_tree_record(n, range.data() + (n.index - lo) * kTreeRecordBytes);
    }
    HC_CHECK(tree_file->write(lo * kTreeRecordBytes, range));
  }
  for (const Node& n : r.nodes) {
    if (n.index >= lo && n.index <= hi) continue;
    uint8_t rec[kTreeRecordBytes];
    format::encode_tree_record(n, rec);
    HC_CHECK(tree_file->write(n.index * kTreeRecordBytes, ByteSpan(rec, kTreeRecordBytes)));
  }

  if (r.drop) {
    // Zero the dropped index entries so nothing can resurrect them, in bounded chunks.
    const uint64_t chunk = 65536;
    Bytes zeros(std::min<uint64_t>(r.drop->end - r.drop->start, chunk) * kIndexEntryBytes, 0);
    for (uint64_t s = r.drop->start; s < r.drop->end; s += chunk) {
      uint64_t n = std::min(chunk, r.drop->end - s);
      HC_CHECK(index_cache->write(s * kIndexEntryBytes, ByteSpan(zeros.data(), n * kIndexEntryBytes)));
    }
    bitfield.set_range(r.drop->start, r.drop->end, false);
    contiguous = std::min(contiguous, r.drop->start);
    truncations++;
    truncation_history.emplace_back(truncations, r.drop->start);
  }

  for (const auto& b : r.blocks) bitfield.set(b.index, true);

  if (r.head) {
    std::vector<Node> new_roots;
    if (roots) {
      new_roots = *roots;
    } else {
      for (uint64_t idx : flat_tree::full_roots(r.head->length)) {
        auto it = std::find_if(r.nodes.begin(), r.nodes.end(), [&](const Node& n) { return n.index == idx; });
        if (it != r.nodes.end()) {
          new_roots.push_back(*it);
          continue;
        }
        // Read with the new length in force so nodes beyond the old tree are visible.
        uint64_t saved = head.length;
        head.length = std::max(head.length, r.head->length);
        auto stored = node(idx);
        head.length = saved;
        if (!stored) return std::unexpected(stored.error());
        if (!*stored) return fail(errc::corrupt, where() + ": root " + std::to_string(idx) + " of length " +
                                                     std::to_string(r.head->length) + " is not stored");
        new_roots.push_back(**stored);
      }
    }
    head.length = r.head->length;
    head.fork = r.head->fork;
    head.signature = r.head->signature;
    head.roots = std::move(new_roots);
    byte_length = head.byte_length();
  }
  if (contiguous < head.length && bitfield.get(contiguous)) contiguous = bitfield.first_clear(contiguous);
  contiguous = std::min(contiguous, head.length);
  return {};
}

Result<void> Core::Impl::commit(const Record& r, std::span<const ByteSpan> data, const std::vector<Node>* roots) {
  size_t data_offset = 0;
  Bytes framed = format::encode_record(r, data, &data_offset);
  auto done = [&]() -> Result<void> {
    HC_CHECK(log_file->write(log_end, framed));
    // Write-ahead: a drop overwrites index entries that the last checkpoint relies on, so
    // its record must be durable first; under Durability::sync every record is.
    if (r.drop || options.durability == Durability::sync) HC_CHECK(log_file->sync());
    HC_CHECK(apply_record(r, log_end + data_offset, data, roots));
    log_end += framed.size();
    if (log_end - checkpoint_offset >= options.checkpoint_bytes) HC_CHECK(checkpoint());
    return {};
  }();
  // The log and the in-memory state may now disagree: refuse further writes until reopened
  // (which replays the log to the last complete record).
  if (!done) failure = done.error();
  return done;
}

Result<void> Core::Impl::checkpoint() {
  for (uint64_t page : bitfield.dirty_pages()) {
    Bytes bytes = bitfield.page_bytes(page);
    uint8_t crc[4];
    internal::store_u32le(crc, internal::crc32c(bytes));
    bytes.insert(bytes.end(), crc, crc + 4);
    HC_CHECK(bitfield_file->write(page * format::kBitfieldRecordBytes, bytes));
    bitfield_pages = std::max(bitfield_pages, page + 1);
  }
  HC_CHECK(bitfield_file->sync());
  HC_CHECK(index_file->sync());
  HC_CHECK(tree_file->sync());
  HC_CHECK(log_file->sync());

  format::HeaderState state;
  state.key = identity.key();
  state.manifest = identity.manifest();
  if (secret_key_stored && key_pair) state.secret_key = key_pair->secret_key;
  state.length = head.length;
  state.fork = head.fork;
  state.signature = head.signature;
  state.roots = head.roots;
  state.log_offset = log_end;
  state.bitfield_pages = bitfield_pages;
  Bytes payload = format::encode_header(state);
  if (payload.size() + format::kSlotFrameBytes > format::kHeaderSlotSize) {
    return fail(errc::unsupported, "header of " + std::to_string(payload.size()) + " bytes does not fit a slot");
  }
  uint64_t sequence = header_sequence + 1;
  Bytes framed = format::frame_slot(sequence, payload);
  HC_CHECK(header_file->write((sequence % 2) * format::kHeaderSlotSize, framed));
  HC_CHECK(header_file->sync());
  header_sequence = sequence;
  checkpoint_offset = log_end;
  bitfield.clear_dirty();
  return {};
}

void Core::Impl::notify(const CoreEvent& event) {
  // Copy first: a listener may register or drop listeners while being called.
  std::vector<std::shared_ptr<CoreListener>> live;
  std::erase_if(listeners, [&](const std::weak_ptr<CoreListener>& w) {
    auto l = w.lock();
    if (!l) return true;
    live.push_back(std::move(l));
    return false;
  });
  for (const auto& l : live) (*l)(event);
}

std::shared_ptr<void> Core::watch(CoreListener listener) {
  auto handle = std::make_shared<CoreListener>(std::move(listener));
  impl_->listeners.push_back(handle);
  return handle;
}

Core::Core(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
// Closing without close() writes nothing: what was appended is in the log already.
Core::~Core() = default;

Result<uint64_t> Core::append(std::span<const ByteSpan> blocks) {
  Impl& s = *impl_;
  HC_CHECK(s.writable_check());
  for (size_t i = 0; i < blocks.size(); i++) {
    if (blocks[i].size() > s.options.max_block_size) {
      return fail(errc::block_too_large, "block " + std::to_string(s.head.length + i) + " has " +
                                             std::to_string(blocks[i].size()) + " bytes, over the limit of " +
                                             std::to_string(s.options.max_block_size));
    }
  }
  if (blocks.empty()) return s.head.length;

  Record r;
  r.blocks.reserve(blocks.size());
  r.nodes.reserve(2 * blocks.size() + 64);
  // Leaf hashes are independent: large batches hash them on two cores.
  const uint64_t first = s.head.length;
  std::vector<Node> leaves(blocks.size());
  internal::parallel_ranges(blocks.size(), 256, [&](size_t begin, size_t end) {
    for (size_t k = begin; k < end; k++) leaves[k] = leaf_node(first + k, blocks[k]);
  });
  RootStack roots(s.head.roots);
  for (size_t k = 0; k < blocks.size(); k++) {
    r.blocks.push_back({first + k, blocks[k].size()});
    r.nodes.push_back(leaves[k]);
    roots.push(leaves[k], &r.nodes);
  }
  const uint64_t index = first + blocks.size();
  Hash th = hypercore::tree_hash(roots.roots());
  HC_TRY(signature, s.identity.sign(*s.key_pair, th, index, s.head.fork));
  r.head = Record::Head{index, s.head.fork, std::move(signature)};
  HC_CHECK(s.commit(r, blocks, &roots.roots()));
  s.notify(CoreEvent{CoreEvent::Kind::append, s.head.length, first, s.head.fork});
  return s.head.length;
}

Result<void> Core::truncate(uint64_t new_length, std::optional<uint64_t> fork) {
  Impl& s = *impl_;
  HC_CHECK(s.writable_check());
  if (new_length > s.head.length) {
    return fail(errc::out_of_range, "truncate to " + std::to_string(new_length) + " beyond length " +
                                        std::to_string(s.head.length));
  }
  uint64_t new_fork = fork.value_or(s.head.fork + 1);
  std::vector<Node> roots;
  for (uint64_t idx : flat_tree::full_roots(new_length)) {
    HC_TRY(n, s.node(idx));
    if (!n) return fail(errc::corrupt, s.where() + ": node " + std::to_string(idx) + " missing for truncation");
    roots.push_back(*n);
  }
  Record r;
  Bytes signature;
  if (new_length > 0) {
    HC_TRY(sig, s.identity.sign(*s.key_pair, hypercore::tree_hash(roots), new_length, new_fork));
    signature = std::move(sig);
  }
  r.head = Record::Head{new_length, new_fork, std::move(signature)};
  r.drop = Record::Drop{new_length, s.head.length};
  uint64_t previous = s.head.length;
  HC_CHECK(s.commit(r, {}, &roots));
  s.notify(CoreEvent{CoreEvent::Kind::truncate, new_length, previous, new_fork});
  // The reference checkpoints after every truncation; so do we, so that replay never has
  // to resurrect a longer state.
  return s.checkpoint();
}

Result<void> Core::flush() {
  if (impl_->closed) return fail(errc::closed, "core is closed");
  return impl_->log_file->sync();
}

Result<void> Core::close() {
  Impl& s = *impl_;
  if (s.closed) return {};
  // A read-only core has nothing to checkpoint and must not write.
  Result<void> result = s.failure || s.options.read_only ? Result<void>{} : s.checkpoint();
  s.closed = true;
  s.header_file.reset();
  s.log_file.reset();
  s.index_cache.reset();
  s.index_file.reset();
  s.tree_file.reset();
  s.bitfield_file.reset();
  s.lock.reset();
  return result;
}

Result<Bytes> Core::get(uint64_t index) const {
  Bytes out;
  HC_CHECK(get_into(index, out));
  return out;
}

Result<void> Core::get_into(uint64_t index, Bytes& out) const {
  const Impl& s = *impl_;
  if (s.closed) return fail(errc::closed, "core is closed");
  if (index >= s.head.length) {
    if (s.key_pair) {
      return fail(errc::out_of_range, "block " + std::to_string(index) + " is beyond the length " +
                                          std::to_string(s.head.length));
    }
    return std::unexpected(Error{errc::block_not_available, "block " + std::to_string(index) +
                                     " is beyond the known length " + std::to_string(s.head.length), index});
  }
  if (!s.bitfield.get(index)) {
    return std::unexpected(Error{errc::block_not_available, "block " + std::to_string(index) + " is not stored locally", index});
  }
  uint8_t raw[kIndexEntryBytes];
  HC_TRY(n, s.index_cache->read(index * kIndexEntryBytes, raw));
  IndexEntry e = format::decode_index_entry(raw);
  if (n < kIndexEntryBytes || e.offset == 0 || e.offset + e.size > s.log_end) {
    return fail(errc::corrupt, s.where() + "/index: entry of block " + std::to_string(index) + " at offset " +
                                   std::to_string(index * kIndexEntryBytes) + " is missing or out of bounds");
  }
  out.resize(e.size);
  HC_TRY(got, s.log_file->read(e.offset, out));
  if (got != e.size || format::block_checksum(index, e.offset, out) != e.crc) {
    return fail(errc::corrupt, s.where() + "/log: block " + std::to_string(index) + " at offset " +
                                   std::to_string(e.offset) + " fails its checksum");
  }
  return {};
}

void Core::prefetch(std::span<const uint64_t> indices) const {
  const Impl& s = *impl_;
  if (s.closed || !s.log_file->reads_from_memory()) return;
  // Two passes: every index entry first, then (once they arrive) every block they locate.
  for (uint64_t i : indices) {
    if (i < s.head.length) s.index_file->prefetch(i * kIndexEntryBytes, kIndexEntryBytes);
  }
  for (uint64_t i : indices) {
    if (i >= s.head.length || !s.bitfield.get(i)) continue;
    uint8_t raw[kIndexEntryBytes];
    auto n = s.index_cache->read(i * kIndexEntryBytes, raw);
    if (!n || *n < kIndexEntryBytes) continue;
    IndexEntry e = format::decode_index_entry(raw);
    if (e.offset != 0 && e.offset + e.size <= s.log_end) s.log_file->prefetch(e.offset, e.size);
  }
}

bool Core::has(uint64_t index) const { return index < impl_->head.length && impl_->bitfield.get(index); }

Result<std::pair<uint64_t, uint64_t>> Core::seek(uint64_t bytes) const {
  if (impl_->closed) return fail(errc::closed, "core is closed");
  return seek_bytes(*impl_, impl_->head, bytes, 0);
}

uint64_t Core::length() const { return impl_->head.length; }
uint64_t Core::byte_length() const { return impl_->byte_length; }
uint64_t Core::fork() const { return impl_->head.fork; }
uint64_t Core::contiguous_length() const { return impl_->contiguous; }
Hash Core::tree_hash() const { return hypercore::tree_hash(impl_->head.roots); }
const Bytes& Core::signature() const { return impl_->head.signature; }
const Hash& Core::key() const { return impl_->identity.key(); }
Hash Core::discovery_key() const { return hypercore::discovery_key(impl_->identity.key()); }
bool Core::writable() const { return impl_->key_pair.has_value(); }
const Identity& Core::identity() const { return impl_->identity; }
const TreeHead& Core::head() const { return impl_->head; }
const NodeReader& Core::nodes() const { return *impl_; }

CoreInfo Core::info() const {
  CoreInfo i;
  i.key = key();
  i.discovery_key = discovery_key();
  i.length = length();
  i.byte_length = byte_length();
  i.fork = fork();
  i.contiguous_length = contiguous_length();
  i.tree_hash = tree_hash();
  i.signature = signature();
  i.writable = writable();
  i.compat = impl_->identity.compat();
  return i;
}

Snapshot Core::snapshot() const { return Snapshot(this, length(), fork(), impl_->truncations); }

Result<Bytes> Snapshot::get(uint64_t index) const {
  if (index >= length_) {
    return fail(errc::out_of_range, "block " + std::to_string(index) + " is beyond the snapshot length " +
                                        std::to_string(length_));
  }
  for (const auto& [sequence, cut] : core_->impl_->truncation_history) {
    if (sequence > truncations_ && cut <= index) {
      return fail(errc::out_of_range, "snapshot at length " + std::to_string(length_) +
                                          " is stale: the core was truncated to " + std::to_string(cut));
    }
  }
  return core_->get(index);
}

Result<Proof> Core::proof(const ProofRequest& request) const {
  HC_TRY(p, make_proof(*impl_, impl_->head, request, impl_->identity));
  if (p.block) {
    HC_TRY(value, get(p.block->index));
    p.block->value = std::move(value);
  }
  return p;
}

Result<VerifiedProof> Core::verify_proof(const Proof& proof) const {
  return hypercore::verify_proof(*impl_, impl_->head, impl_->identity, proof);
}

Result<void> Core::apply(const VerifiedProof& v) {
  Impl& s = *impl_;
  if (s.closed) return fail(errc::closed, "core is closed");
  if (s.options.read_only) return s.writable_check();
  if (s.failure) return fail(s.failure->code, "core refused the write after an earlier failure: " + s.failure->message);
  if (v.fork != s.head.fork && s.head.length > 0) {
    return fail(errc::unsupported, "proof for fork " + std::to_string(v.fork) + " on a core at fork " +
                                       std::to_string(s.head.fork) + ": reorganisation is not supported yet");
  }
  bool learned_manifest = false;
  if (v.manifest && !s.identity.manifest()) {
    HC_CHECK(s.identity.learn_manifest(*v.manifest));
    learned_manifest = true;
  }
  Record r;
  std::vector<ByteSpan> data;
  if (v.block) {
    r.blocks.push_back({v.block->first, v.block->second.size()});
    data.push_back(v.block->second);
  }
  r.nodes = v.nodes;
  const std::vector<Node>* roots = nullptr;
  if (v.upgrade && v.upgrade->length >= s.head.length) {
    r.head = Record::Head{v.upgrade->length, v.upgrade->fork, v.upgrade->signature};
    roots = &v.upgrade->roots;
  }
  uint64_t previous = s.head.length;
  HC_CHECK(s.commit(r, data, roots));
  if (learned_manifest) HC_CHECK(s.checkpoint());  // the manifest lives in the header only
  if (s.head.length != previous) s.notify(CoreEvent{CoreEvent::Kind::append, s.head.length, previous, s.head.fork});
  return {};
}

}  // namespace hypercore
