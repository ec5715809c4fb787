// Core: creating, opening and crash recovery. Opening reads the newest valid header slot
// (the last checkpoint), loads the bitfield, then replays the log records written after
// the checkpoint; a torn tail is cut off, anything else that fails a checksum is an
// errc::corrupt error naming the file and offset.
#include <algorithm>
#include <cstring>
#include <map>

#include "hypercore/core.hpp"
#include "hypercore/flat_tree.hpp"
#include "hypercore/internal/core_state.hpp"
#include "hypercore/internal/crc32c.hpp"
#include "hypercore/internal/endian.hpp"

namespace hypercore {

using format::kBitfieldRecordBytes;
using format::kIndexEntryBytes;

namespace {

// A file of a read-only core: reads come from the stored file (absent = empty), writes stay
// in memory and later reads see them. Replay and recovery then run unchanged without
// touching the storage; what they write is what the log tail adds to the index and tree.
class ReadOnlyFile final : public File {
 public:
  ReadOnlyFile(std::shared_ptr<File> base, std::string name) : base_(std::move(base)), name_(std::move(name)) {}

  Result<size_t> read(uint64_t offset, std::span<uint8_t> out) override {
    size_t n = 0;
    if (base_) {
      HC_TRY(got, base_->read(offset, out));
      n = got;
    }
    std::fill(out.begin() + static_cast<ptrdiff_t>(n), out.end(), 0);
    uint64_t end = offset + out.size();
    for (auto it = pages_.lower_bound(offset / kPage); it != pages_.end() && it->first * kPage < end; ++it) {
      uint64_t from = std::max(offset, it->first * kPage), to = std::min(end, (it->first + 1) * kPage);
      std::memcpy(out.data() + (from - offset), it->second.data() + (from - it->first * kPage), to - from);
    }
    uint64_t visible = std::max(offset + n, written_end_);
    return visible > offset ? static_cast<size_t>(std::min<uint64_t>(out.size(), visible - offset)) : 0;
  }

  Result<void> write(uint64_t offset, ByteSpan data) override {
    for (uint64_t pos = offset, end = offset + data.size(); pos < end;) {
      uint64_t number = pos / kPage, to = std::min(end, (number + 1) * kPage);
      auto it = pages_.find(number);
      if (it == pages_.end()) {
        Bytes page(kPage);
        HC_CHECK(read(number * kPage, page));  // the page as it reads now, base and writes
        it = pages_.emplace(number, std::move(page)).first;
      }
      std::memcpy(it->second.data() + (pos - number * kPage), data.data() + (pos - offset), to - pos);
      pos = to;
    }
    written_end_ = std::max(written_end_, offset + data.size());
    return {};
  }

  Result<uint64_t> size() override {
    uint64_t base_size = 0;
    if (base_) {
      HC_TRY(n, base_->size());
      base_size = n;
    }
    return std::max(base_size, written_end_);
  }
  // Never reached: only a writable open truncates (a torn tail, a new core).
  Result<void> truncate(uint64_t) override { return fail(errc::session_not_writable, name_ + ": opened read-only"); }
  Result<void> sync() override { return {}; }
  const std::string& name() const override { return name_; }

 private:
  static constexpr uint64_t kPage = 4096;
  std::shared_ptr<File> base_;
  std::string name_;
  std::map<uint64_t, Bytes> pages_;  // written pages by number
  uint64_t written_end_ = 0;
};

}  // namespace

Result<void> Core::Impl::open_files(bool create) {
  if (options.held_lock) {
    lock = options.held_lock;
  } else {
    HC_TRY(l, storage->lock(file_name("lock"), options.read_only ? LockMode::shared : LockMode::exclusive));
    lock = std::move(l);
  }
  if (options.read_only) {
    for (auto [kind, target] : {std::pair{"header", &header_file}, std::pair{"log", &log_file}, std::pair{"index", &index_file},
                                std::pair{"tree", &tree_file}, std::pair{"bitfield", &bitfield_file}}) {
      auto base = storage->open(file_name(kind), false);
      if (!base && base.error().code != errc::not_found) return std::unexpected(base.error());
      *target = std::make_shared<ReadOnlyFile>(base ? *base : nullptr, file_name(kind));
    }
    index_cache = std::make_unique<internal::PageCache>(index_file, options.index_cache_bytes);
    return {};
  }
  HC_TRY(h, storage->open(file_name("header"), create));
  header_file = std::move(h);
  // The other files may be missing in a core whose creation was cut short; they are empty then.
  HC_TRY(lg, storage->open(file_name("log"), true));
  HC_TRY(ix, storage->open(file_name("index"), true));
  HC_TRY(tr, storage->open(file_name("tree"), true));
  HC_TRY(bf, storage->open(file_name("bitfield"), true));
  log_file = std::move(lg);
  index_file = std::move(ix);
  index_cache = std::make_unique<internal::PageCache>(index_file, options.index_cache_bytes);
  tree_file = std::move(tr);
  bitfield_file = std::move(bf);
  return {};
}

Result<void> Core::Impl::load_bitfield() {
  HC_TRY(size, bitfield_file->size());
  uint64_t pages = std::max(bitfield_pages, (size + kBitfieldRecordBytes - 1) / kBitfieldRecordBytes);
  // No block can sit at or past the signed length, so neither can a page (hostile headers).
  pages = std::min(pages, head.length / format::kBitfieldPageBits + 1);
  Bytes buf(kBitfieldRecordBytes);
  for (uint64_t page = 0; page < pages; page++) {
    HC_TRY(n, bitfield_file->read(page * kBitfieldRecordBytes, buf));
    std::fill(buf.begin() + static_cast<ptrdiff_t>(n), buf.end(), 0);
    ByteSpan bits(buf.data(), format::kBitfieldPageBytes);
    bool whole = n == buf.size();
    if (whole && std::all_of(buf.begin(), buf.end(), [](uint8_t b) { return b == 0; })) continue;
    if (whole && internal::crc32c(bits) == internal::load_u32le(buf.data() + format::kBitfieldPageBytes)) {
      bitfield.load_page(page, bits);
      continue;
    }
    // A page torn by a crash during a checkpoint, or cut short: the index holds the same facts.
    uint64_t first = page * format::kBitfieldPageBits;
    Bytes entries(format::kBitfieldPageBits * kIndexEntryBytes);
    HC_TRY(got, index_file->read(first * kIndexEntryBytes, entries));
    for (uint64_t i = 0; i * kIndexEntryBytes + kIndexEntryBytes <= got; i++) {
      if (format::decode_index_entry(entries.data() + i * kIndexEntryBytes).offset != 0) bitfield.set(first + i, true);
    }
  }
  bitfield.clear_dirty();
  return {};
}

// A record that passed its checksum is still checked before it touches any file, so that
// even a deliberately forged one cannot make us write far outside the signed tree: it may
// only add the blocks it carries, and a longer length it claims must be signed.
Result<void> Core::Impl::check_replayed_record(const format::Record& r, uint64_t pos) {
  auto bad = [&](const std::string& why) {
    return fail(errc::corrupt, where() + "/log: record at offset " + std::to_string(pos) + ": " + why);
  };
  uint64_t new_length = r.head ? r.head->length : head.length;
  uint64_t limit = std::max(head.length, new_length);
  for (const auto& b : r.blocks) {
    if (b.index >= limit) return bad("block " + std::to_string(b.index) + " beyond length " + std::to_string(limit));
  }
  for (const Node& n : r.nodes) {
    if (limit == 0 || flat_tree::right_span(n.index) > 2 * limit - 2) {
      return bad("node " + std::to_string(n.index) + " beyond length " + std::to_string(limit));
    }
  }
  if (r.drop && (r.drop->start > r.drop->end || r.drop->end > head.length)) return bad("drop range beyond the length");
  if (new_length > head.length + r.blocks.size() && new_length > 0) {
    // An upgrade learned from a peer: its roots come from the record or the stored tree.
    std::vector<Node> roots;
    for (uint64_t idx : flat_tree::full_roots(new_length)) {
      auto it = std::find_if(r.nodes.begin(), r.nodes.end(), [&](const Node& n) { return n.index == idx; });
      if (it != r.nodes.end()) {
        roots.push_back(*it);
        continue;
      }
      auto stored = node(idx);
      if (!stored || !*stored) return bad("root " + std::to_string(idx) + " of the new length is unknown");
      roots.push_back(**stored);
    }
    if (!identity.verify(roots, new_length, r.head->fork, r.head->signature)) {
      return bad("the signature of length " + std::to_string(new_length) + " does not verify");
    }
  }
  return {};
}

Result<void> Core::Impl::replay_log(bool writable_files) {
  HC_TRY(size, log_file->size());
  if (checkpoint_offset > size) {
    return fail(errc::corrupt, where() + "/log: " + std::to_string(size) + " bytes, but the header covers " +
                                   std::to_string(checkpoint_offset));
  }
  uint64_t pos = checkpoint_offset;
  Bytes buf;
  while (pos < size) {
    uint64_t want = std::min<uint64_t>(size - pos, 1 << 20);
    uint64_t needed = 0;
    std::optional<format::ParsedRecord> parsed;
    while (true) {
      buf.resize(want);
      HC_TRY(n, log_file->read(pos, buf));
      buf.resize(n);
      parsed = format::parse_record(buf, &needed);
      if (parsed || needed <= buf.size() || needed > size - pos) break;
      want = needed;
    }
    if (!parsed) break;
    const format::Record& r = parsed->record;
    HC_CHECK(check_replayed_record(r, pos));
    std::vector<ByteSpan> data;
    uint64_t off = parsed->data_offset;
    for (const auto& b : r.blocks) {
      data.emplace_back(buf.data() + off, b.size);
      off += b.size;
    }
    HC_CHECK(apply_record(r, pos + parsed->data_offset, data, nullptr));
    pos += parsed->total_bytes;
  }
  if (pos < size) {
    // Records after a bad one mean damage in the middle, not a torn tail.
    Bytes rest(size - pos);
    HC_TRY(n, log_file->read(pos, rest));
    rest.resize(n);
    for (uint64_t at = format::kRecordAlign; at + format::kRecordFrameBytes <= rest.size(); at += format::kRecordAlign) {
      if (internal::load_u32le(rest.data() + at) != format::kRecordMagic) continue;
      if (format::parse_record(ByteSpan(rest).subspan(at))) {
        return fail(errc::corrupt, where() + "/log: record at offset " + std::to_string(pos) +
                                       " fails its checksum but later records are intact");
      }
    }
    if (writable_files) HC_CHECK(log_file->truncate(pos));
  }
  log_end = pos;
  return {};
}

namespace {

Result<std::unique_ptr<Core::Impl>> new_impl(std::shared_ptr<Storage> storage, CoreOptions options) {
  if (!storage) return fail(errc::invalid_argument, "no storage given");
  if (options.max_block_size > 0xffffffffULL) return fail(errc::invalid_argument, "max_block_size must be under 4 GiB");
  auto impl = std::make_unique<Core::Impl>();
  impl->storage = std::move(storage);
  impl->options = std::move(options);
  return impl;
}

Result<void> refuse_read_only(const CoreOptions& options, const char* call) {
  if (options.read_only) return fail(errc::invalid_argument, std::string(call) + " cannot be read-only (an option of open())");
  return {};
}

// Writes the first header of a new core (writable or replica).
Result<void> initialise(Core::Impl& s) {
  HC_TRY(size, s.header_file->size());
  if (size > 0) {
    bool valid = false;
    for (uint64_t slot = 0; slot < 2; slot++) {
      Bytes bytes(format::kHeaderSlotSize);
      HC_TRY(n, s.header_file->read(slot * format::kHeaderSlotSize, bytes));
      bytes.resize(n);
      if (format::parse_slot(bytes)) valid = true;
    }
    if (valid) return fail(errc::already_exists, "a core already exists at " + s.where());
  }
  // Leftovers of an interrupted create are discarded.
  for (File* f : {s.header_file.get(), s.log_file.get(), s.index_file.get(), s.tree_file.get(), s.bitfield_file.get()}) {
    HC_CHECK(f->truncate(0));
  }
  HC_CHECK(s.checkpoint());
  HC_CHECK(s.storage->sync_dir(s.options.prefix));
  return {};
}

}  // namespace

Result<std::unique_ptr<Core>> Core::create(std::shared_ptr<Storage> storage, const KeyPair& key_pair,
                                           CoreOptions options) {
  HC_CHECK(refuse_read_only(options, "create()"));
  HC_TRY(impl, new_impl(std::move(storage), std::move(options)));
  impl->identity = Identity::compat(key_pair.public_key);
  impl->key_pair = key_pair;
  impl->secret_key_stored = true;
  HC_CHECK(impl->open_files(true));
  HC_CHECK(initialise(*impl));
  return std::unique_ptr<Core>(new Core(std::move(impl)));
}

Result<std::unique_ptr<Core>> Core::create(std::shared_ptr<Storage> storage, const KeyPair& key_pair,
                                           const Manifest& manifest, CoreOptions options) {
  bool signer = std::any_of(manifest.signers.begin(), manifest.signers.end(),
                            [&](const Signer& s) { return s.public_key == key_pair.public_key; });
  if (!signer) return fail(errc::invalid_argument, "the key pair is not a signer of the manifest");
  HC_CHECK(refuse_read_only(options, "create()"));
  HC_TRY(impl, new_impl(std::move(storage), std::move(options)));
  impl->identity = Identity::from_manifest(manifest);
  impl->key_pair = key_pair;
  impl->secret_key_stored = true;
  HC_CHECK(impl->open_files(true));
  HC_CHECK(initialise(*impl));
  return std::unique_ptr<Core>(new Core(std::move(impl)));
}

Result<std::unique_ptr<Core>> Core::open(std::shared_ptr<Storage> storage, CoreOptions options) {
  HC_TRY(impl, new_impl(std::move(storage), std::move(options)));
  Impl& s = *impl;
  HC_TRY(exists, s.storage->exists(s.file_name("header")));
  if (!exists) return fail(errc::not_found, "no core at " + s.where());
  HC_CHECK(s.open_files(false));

  // The newest slot whose checksum holds.
  std::optional<format::Slot> best;
  Bytes slots[2];
  for (uint64_t slot = 0; slot < 2; slot++) {
    Bytes bytes(format::kHeaderSlotSize);
    HC_TRY(n, s.header_file->read(slot * format::kHeaderSlotSize, bytes));
    bytes.resize(n);
    auto parsed = format::parse_slot(bytes);
    if (parsed && (!best || parsed->sequence > best->sequence)) best = std::move(parsed);
    slots[slot] = std::move(bytes);
  }
  if (!best) {
    HC_TRY(size, s.header_file->size());
    HC_TRY(log_size, s.log_file->size());
    if (size == 0 && log_size == 0) return fail(errc::not_found, "no core at " + s.where() + " (empty header)");
    // create() writes one slot (sequence 1: the second); a crash tearing that write leaves
    // a prefix of a frame there and zeros before it. No block was ever appended, so there
    // is no core to lose.
    bool never_written = std::all_of(slots[0].begin(), slots[0].end(), [](uint8_t b) { return b == 0; });
    if (log_size == 0 && never_written && format::is_torn_slot(slots[1])) {
      return fail(errc::not_found, "no core at " + s.where() + " (its creation did not complete)");
    }
    if (size == 0) {
      return fail(errc::corrupt, s.where() + "/header: empty, but the log holds " + std::to_string(log_size) + " bytes");
    }
    return fail(errc::corrupt, s.where() + "/header: neither slot passes its checksum");
  }
  auto decoded = format::decode_header(best->payload);
  if (!decoded) return fail(decoded.error().code, s.where() + "/header: " + decoded.error().message);
  format::HeaderState& h = *decoded;
  s.header_sequence = best->sequence;

  if (!h.manifest) {
    s.identity = Identity::from_key(h.key);
  } else if (h.manifest->is_compat_for(h.key)) {
    s.identity = Identity::compat(h.key);
  } else {
    s.identity = Identity::from_manifest(*h.manifest);
    if (s.identity.key() != h.key) return fail(errc::corrupt, s.where() + "/header: manifest does not hash to the key");
  }
  if (s.options.read_only) {
    // No key pair: every write is refused before it reaches the storage.
  } else if (h.secret_key) {
    HC_TRY(kp, KeyPair::from_secret_key(*h.secret_key));
    s.key_pair = kp;
    s.secret_key_stored = true;
  } else if (s.options.key_pair) {
    const Manifest* m = s.identity.manifest() ? &*s.identity.manifest() : nullptr;
    bool signer = m ? std::any_of(m->signers.begin(), m->signers.end(),
                                  [&](const Signer& sg) { return sg.public_key == s.options.key_pair->public_key; })
                    : s.options.key_pair->public_key == h.key;
    if (!signer) return fail(errc::invalid_argument, "the given key pair does not sign core " + to_hex(h.key));
    s.key_pair = s.options.key_pair;
  }

  s.head.length = h.length;
  s.head.fork = h.fork;
  s.head.signature = h.signature;
  s.head.roots = h.roots;
  s.byte_length = s.head.byte_length();
  if (h.length > 0 && !s.identity.verify(s.head.roots, h.length, h.fork, h.signature)) {
    return fail(errc::corrupt, s.where() + "/header: the stored signature does not verify for length " +
                                   std::to_string(h.length));
  }
  s.checkpoint_offset = h.log_offset;
  s.bitfield_pages = h.bitfield_pages;
  s.log_end = h.log_offset;

  HC_CHECK(s.load_bitfield());
  s.contiguous = std::min(s.bitfield.first_clear(0), s.head.length);
  HC_CHECK(s.replay_log(!s.options.read_only));
  if (s.head.length > 0 && !s.identity.verify(s.head.roots, s.head.length, s.head.fork, s.head.signature)) {
    return fail(errc::corrupt, s.where() + "/log: the replayed state's signature does not verify");
  }
  return std::unique_ptr<Core>(new Core(std::move(impl)));
}

Result<std::unique_ptr<Core>> Core::open_replica(std::shared_ptr<Storage> storage, const Hash& key,
                                                 CoreOptions options) {
  HC_CHECK(refuse_read_only(options, "open_replica()"));
  std::string prefix = options.prefix;
  HC_TRY(exists, storage->exists(prefix.empty() ? "header" : prefix + "/header"));
  if (exists) {
    HC_TRY(core, open(storage, options));
    if (core->key() != key) {
      return fail(errc::invalid_argument, "the core at that location has key " + to_hex(core->key()) + ", not " +
                                              to_hex(key));
    }
    return core;
  }
  HC_TRY(impl, new_impl(std::move(storage), std::move(options)));
  impl->identity = Identity::from_key(key);
  HC_CHECK(impl->open_files(true));
  HC_CHECK(initialise(*impl));
  return std::unique_ptr<Core>(new Core(std::move(impl)));
}

}  // namespace hypercore
