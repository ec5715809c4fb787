// Db: encodings, sub-database prefixes and fixed versions over a Bee. See bee/db.hpp.
#include "bee/db.hpp"

namespace bee {

using hypercore::errc;
using hypercore::fail;

std::optional<Bytes> prefix_upper_bound(ByteSpan prefix) {
  Bytes bound(prefix.begin(), prefix.end());
  while (!bound.empty()) {
    if (bound.back() != 0xff) {
      bound.back()++;
      return bound;
    }
    bound.pop_back();  // 0xff carries into the byte before
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- decoding

Result<DbEntry> DbDecoder::entry(const Entry& raw) const {
  DbEntry out;
  out.seq = raw.seq;
  // The reference slices the prefix length off whatever the key is (history, nested subs).
  size_t cut = std::min(prefix_size_, raw.key.size());
  out.key_bytes.assign(raw.key.begin() + static_cast<std::ptrdiff_t>(cut), raw.key.end());
  auto key = decode(key_encoding_, out.key_bytes);
  if (!key) return fail(key.error().code, "key of block " + std::to_string(raw.seq) + ": " + key.error().message);
  out.key = std::move(*key);
  // The reference's keyHex/valueHex re-encode the decoded form (invalid UTF-8 shows as
  // ef bf bd); for our encodings that is the natural form's bytes.
  out.key_bytes = out.key;
  if (raw.value) {
    auto value = decode(value_encoding_, *raw.value);
    if (!value) {
      return fail(value.error().code, "value of block " + std::to_string(raw.seq) + ": " + value.error().message);
    }
    out.value = std::move(*value);
    out.value_bytes = out.value;
  }
  return out;
}

Result<std::optional<DbEntry>> DbRangeIterator::next() {
  HC_TRY(item, inner_.next());
  if (!item) return std::nullopt;
  return decoder_.entry(*item);
}

Result<std::optional<DbHistoryEntry>> DbHistoryIterator::next() {
  HC_TRY(item, inner_.next());
  if (!item) return std::nullopt;
  HC_TRY(entry, decoder_.entry(item->entry));
  return DbHistoryEntry{item->type, std::move(entry)};
}

Result<std::optional<DbDiffEntry>> DbDiffIterator::next() {
  HC_TRY(item, inner_.next());
  if (!item) return std::nullopt;
  DbDiffEntry out;
  // Not HC_TRY: moving out of its local makes g++ 12 warn -Wmaybe-uninitialized (GCC bug 80635).
  if (item->left) {
    auto left = decoder_.entry(*item->left);
    if (!left) return std::unexpected(std::move(left.error()));
    out.left = std::move(*left);
  }
  if (item->right) {
    auto right = decoder_.entry(*item->right);
    if (!right) return std::unexpected(std::move(right.error()));
    out.right = std::move(*right);
  }
  return out;
}

// ---------------------------------------------------------------- views

Db::Db(Bee& bee, Encoding key_encoding, Encoding value_encoding)
    : bee_(&bee), key_encoding_(key_encoding), value_encoding_(value_encoding) {}

Db Db::sub(ByteSpan name, std::optional<ByteSpan> sep) const {
  Db child = *this;
  ByteSpan own_sep = sep ? *sep : ByteSpan(sep_);
  child.prefix_.insert(child.prefix_.end(), name.begin(), name.end());
  child.prefix_.insert(child.prefix_.end(), own_sep.begin(), own_sep.end());
  // Quirk: the child hands on this Db's separator, not its own custom one.
  child.sep_ = sep_;
  child.is_sub_ = true;
  return child;
}

Db Db::with_encodings(Encoding key_encoding, Encoding value_encoding) const {
  Db copy = *this;
  copy.key_encoding_ = key_encoding;
  copy.value_encoding_ = value_encoding;
  return copy;
}

Result<Db> Db::at_version(uint64_t version) const {
  HC_CHECK(bee_->checkout(version));
  Db copy = *this;
  copy.version_ = std::max<uint64_t>(1, version);
  return copy;
}

uint64_t Db::version() const { return version_ ? *version_ : bee_->version(); }

Result<Snapshot> Db::snapshot() const {
  if (version_) return bee_->checkout(*version_);
  return bee_->snapshot();
}

// ---------------------------------------------------------------- encoding

Result<Bytes> Db::encode_key(ByteSpan key) const {
  HC_TRY(encoded, encode(key_encoding_, key));
  Bytes out = prefix_;
  out.insert(out.end(), encoded.begin(), encoded.end());
  return out;
}

Result<std::optional<Bytes>> Db::encode_value(std::optional<ByteSpan> value) const {
  if (!value) return std::nullopt;
  HC_TRY(encoded, encode(value_encoding_, *value));
  // JSON null is JavaScript null: "no value" (spec §7).
  static const Bytes kNull = hypercore::to_bytes("null");
  if (value_encoding_ == Encoding::json && encoded == kNull) return std::nullopt;
  return std::optional<Bytes>(std::move(encoded));
}

Result<Range> Db::encode_range(const DbRange& range) const {
  Range out;
  out.reverse = range.reverse;
  out.limit = range.limit;
  auto bound = [&](const std::optional<Bytes>& natural, std::optional<Bytes>& stored) -> Result<void> {
    if (!natural) return {};
    HC_TRY(key, encode_key(*natural));
    stored = std::move(key);
    return {};
  };
  HC_CHECK(bound(range.gt, out.gt));
  HC_CHECK(bound(range.gte, out.gte));
  HC_CHECK(bound(range.lt, out.lt));
  HC_CHECK(bound(range.lte, out.lte));
  if (is_sub_) {
    // The reference's defaults (encRange): after prefix ‖ 00, before bump(prefix).
    if (!out.gt && !out.gte) {
      out.gt = prefix_;
      out.gt->push_back(0x00);
    }
    if (!out.lt && !out.lte) {
      out.lt = prefix_;  // an empty prefix stays empty: nothing is below it
      if (!out.lt->empty()) out.lt->back() = static_cast<uint8_t>(out.lt->back() + 1);  // ff wraps, no carry
    }
  }
  return out;
}

Cas Db::wrap_cas(const DbCas& cas, std::shared_ptr<std::optional<Error>> error) const {
  if (!cas) return {};
  DbDecoder dec = decoder();
  return [cas, dec, error](const Entry& prev, const Entry& next) {
    auto p = dec.entry(prev);
    auto n = dec.entry(next);
    if (!p || !n) {
      if (!*error) *error = p ? n.error() : p.error();
      return false;
    }
    return cas(*p, *n);
  };
}

// ---------------------------------------------------------------- writes

namespace {

Result<bool> finish_write(Result<bool> written, const std::shared_ptr<std::optional<Error>>& cas_error) {
  if (*cas_error) return std::unexpected(**cas_error);
  return written;
}

Result<void> check_writable(const std::optional<uint64_t>& version) {
  if (version) return fail(errc::invalid_argument, "a checkout at version " + std::to_string(*version) + " is read-only");
  return {};
}

}  // namespace

Result<bool> Db::put(ByteSpan key, std::optional<ByteSpan> value, const DbCas& cas) {
  HC_CHECK(check_writable(version_));
  HC_TRY(stored_key, encode_key(key));
  HC_TRY(stored_value, encode_value(value));
  auto cas_error = std::make_shared<std::optional<Error>>();
  std::optional<ByteSpan> v;
  if (stored_value) v = ByteSpan(*stored_value);
  // The reference's sub() does not pass alwaysDuplicate on: writes through a sub always
  // write duplicates, whatever the bee's option.
  bool always_duplicate = is_sub_ || bee_->options().always_duplicate;
  return finish_write(bee_->put(stored_key, v, wrap_cas(cas, cas_error), always_duplicate), cas_error);
}

Result<bool> Db::del(ByteSpan key, const DbCas& cas) {
  HC_CHECK(check_writable(version_));
  HC_TRY(stored_key, encode_key(key));
  auto cas_error = std::make_shared<std::optional<Error>>();
  return finish_write(bee_->del(stored_key, wrap_cas(cas, cas_error)), cas_error);
}

Result<DbBatch> Db::batch() {
  HC_CHECK(check_writable(version_));
  return DbBatch(*this, bee_->batch());
}

Result<bool> DbBatch::put(ByteSpan key, std::optional<ByteSpan> value, const DbCas& cas) {
  HC_TRY(stored_key, db_.encode_key(key));
  HC_TRY(stored_value, db_.encode_value(value));
  auto cas_error = std::make_shared<std::optional<Error>>();
  std::optional<ByteSpan> v;
  if (stored_value) v = ByteSpan(*stored_value);
  bool always_duplicate = db_.is_sub() || db_.bee().options().always_duplicate;
  return finish_write(batch_.put(stored_key, v, db_.wrap_cas(cas, cas_error), always_duplicate), cas_error);
}

Result<bool> DbBatch::del(ByteSpan key, const DbCas& cas) {
  HC_TRY(stored_key, db_.encode_key(key));
  auto cas_error = std::make_shared<std::optional<Error>>();
  return finish_write(batch_.del(stored_key, db_.wrap_cas(cas, cas_error)), cas_error);
}

// ---------------------------------------------------------------- reads

Result<std::optional<DbEntry>> Db::get(ByteSpan key) const {
  HC_TRY(stored_key, encode_key(key));
  HC_TRY(snap, snapshot());
  HC_TRY(raw, snap.get(stored_key));
  if (!raw) return std::nullopt;
  return decoder().entry(*raw);
}

Result<std::optional<DbEntry>> Db::peek(const DbRange& range) const {
  DbRange first = range;
  first.limit = 1;
  HC_TRY(it, this->range(first));
  return it.next();
}

Result<DbRangeIterator> Db::range(const DbRange& range) const {
  HC_TRY(bounds, encode_range(range));
  HC_TRY(snap, snapshot());
  return DbRangeIterator(snap.range(bounds), decoder());
}

Result<DbHistoryIterator> Db::history(const HistoryRange& range) const {
  HC_TRY(snap, snapshot());
  return DbHistoryIterator(snap.history(range), decoder());
}

Result<DbDiffIterator> Db::diff(uint64_t other_version, const DbRange& range) const {
  HC_TRY(bounds, encode_range(range));
  HC_TRY(snap, snapshot());
  return DbDiffIterator(snap.diff(other_version, bounds), decoder());
}

Result<DbEntry> Db::get_by_seq(uint64_t seq) const {
  HC_TRY(snap, snapshot());
  HC_TRY(raw, snap.get_by_seq(seq));
  return decoder().entry(raw);
}

}  // namespace bee
