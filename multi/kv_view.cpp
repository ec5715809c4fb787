#include "multi/kv_view.hpp"

#include <algorithm>

#include "bee/db.hpp"
#include "hypercore/compact_encoding.hpp"

namespace multi {

using hypercore::errc;
using hypercore::fail;

namespace {

constexpr std::string_view kKvPrefix{"kv\0", 3};
constexpr std::string_view kLinkPrefix{"lk\0", 3};
constexpr uint64_t kFlagTombstone = 1;
constexpr uint64_t kFlagValue = 2;

// Sized once and filled: g++ 12 at -O2 warns falsely (-Warray-bounds) on inserting into a
// vector built from a 3-byte prefix.
Bytes concat(std::string_view prefix, ByteSpan rest) {
  Bytes out(prefix.size() + rest.size());
  std::copy(prefix.begin(), prefix.end(), out.begin());
  std::copy(rest.begin(), rest.end(), out.begin() + static_cast<ptrdiff_t>(prefix.size()));
  return out;
}

std::tuple<Hlc, const Hash&, uint64_t> rank(const Value& v) { return {v.hlc, v.id.writer, v.id.seq}; }

Value value_of(const IndexedOp& op) {
  Value v{op.id, op.op->hlc, op.op->type == OpType::del, std::nullopt};
  if (op.op->type == OpType::put) v.value = op.op->value;
  return v;
}

// lww: keep the largest (hlc, writer, seq), deletes included.
class LwwView final : public View {
 public:
  std::string_view name() const override { return kKvViewName; }
  uint32_t version() const override { return kKvViewVersion; }
  Result<void> apply(std::span<const IndexedOp> ops, ViewWriter& out) override {
    for (const auto& op : ops) {
      Bytes key = kv_key(op.op->key);
      HC_TRY(stored, out.get(key));
      Value incoming = value_of(op);
      if (stored) {
        HC_TRY(current, decode_kv_record(*stored));
        if (!current.empty() && !(rank(current.back()) < rank(incoming))) continue;
      }
      HC_CHECK(out.put(key, encode_kv_record(std::span<const Value>(&incoming, 1))));
    }
    return {};
  }
};

// The marker that write `id` was replaced by a write to `key` linking it.
Bytes link_key(const OpId& id, ByteSpan key) {
  uint8_t middle[40];
  std::copy(id.writer.begin(), id.writer.end(), middle);
  for (int i = 0; i < 8; ++i) middle[32 + i] = static_cast<uint8_t>(id.seq >> (56 - 8 * i));
  Bytes out = concat(kLinkPrefix, ByteSpan(middle, sizeof middle));
  Bytes whole(out.size() + key.size());
  std::copy(out.begin(), out.end(), whole.begin());
  std::copy(key.begin(), key.end(), whole.begin() + static_cast<ptrdiff_t>(out.size()));
  return whole;
}

// multi_value: the heads of a key are its writes that no write to the same key links.
class MultiValueView final : public View {
 public:
  std::string_view name() const override { return kKvViewName; }
  uint32_t version() const override { return kKvViewVersion; }
  Result<void> apply(std::span<const IndexedOp> ops, ViewWriter& out) override {
    static const Bytes kMarked{1};
    for (const auto& op : ops) {
      Bytes key = kv_key(op.op->key);
      HC_TRY(stored, out.get(key));
      std::vector<Value> heads;
      if (stored) {
        HC_TRY(decoded, decode_kv_record(*stored));
        heads = std::move(decoded);
      }
      bool changed = false;
      for (const auto& link : op.op->links) {
        HC_CHECK(out.put(link_key(link, op.op->key), kMarked));
        auto gone = std::remove_if(heads.begin(), heads.end(), [&](const Value& v) { return v.id == link; });
        if (gone != heads.end()) {
          heads.erase(gone, heads.end());
          changed = true;
        }
      }
      HC_TRY(linked, out.get(link_key(op.id, op.op->key)));
      bool known = std::any_of(heads.begin(), heads.end(), [&](const Value& v) { return v.id == op.id; });
      if (!linked && !known) {
        heads.push_back(value_of(op));
        changed = true;
      }
      if (!changed) continue;
      std::sort(heads.begin(), heads.end(), value_order);
      if (heads.empty()) {
        HC_CHECK(out.del(key));
      } else {
        HC_CHECK(out.put(key, encode_kv_record(heads)));
      }
    }
    return {};
  }
};

}  // namespace

bool value_order(const Value& a, const Value& b) { return rank(a) < rank(b); }

std::unique_ptr<View> make_kv_view(Conflict conflict) {
  if (conflict == Conflict::multi_value) return std::make_unique<MultiValueView>();
  return std::make_unique<LwwView>();
}

Bytes kv_key(ByteSpan key) { return concat(kKvPrefix, key); }

bool is_kv_key(ByteSpan stored) {
  return stored.size() >= kKvPrefix.size() &&
         std::equal(kKvPrefix.begin(), kKvPrefix.end(), stored.begin(),
                    [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; });
}

Bytes encode_kv_record(std::span<const Value> values) {
  hypercore::cenc::Encoder e;
  e.uint(values.size());
  for (const auto& v : values) {
    e.fixed(v.id.writer);
    e.uint(v.id.seq);
    e.u64le(v.hlc.packed);
    e.uint((v.tombstone ? kFlagTombstone : 0) | (v.value ? kFlagValue : 0));
    if (v.value) e.buffer(*v.value);
  }
  return e.take();
}

Result<std::vector<Value>> decode_kv_record(ByteSpan record) {
  hypercore::cenc::Decoder d(record, "key/value view record");
  HC_TRY(n, d.array_length(42));  // writer, seq, hlc, flags
  std::vector<Value> values;
  values.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    Value v;
    HC_TRY(writer, d.fixed32());
    HC_TRY(seq, d.uint());
    HC_TRY(hlc, d.u64le());
    HC_TRY(flags, d.uint());
    if (flags & ~(kFlagTombstone | kFlagValue)) return fail(errc::corrupt, "key/value view record: unknown flags");
    v.id = OpId{writer, seq};
    v.hlc = Hlc{hlc};
    v.tombstone = flags & kFlagTombstone;
    if (flags & kFlagValue) {
      HC_TRY(value, d.buffer());
      v.value = Bytes(value.begin(), value.end());
    }
    values.push_back(std::move(v));
  }
  HC_CHECK(d.expect_end());
  return values;
}

namespace {
std::vector<Value> live(std::vector<Value> values) {
  std::erase_if(values, [](const Value& v) { return v.tombstone; });
  return values;
}
}  // namespace

Result<std::vector<Value>> kv_heads(const bee::Snapshot& view, ByteSpan key) {
  HC_TRY(entry, view.get(kv_key(key)));
  if (!entry || !entry->value) return std::vector<Value>{};
  return decode_kv_record(*entry->value);
}

Result<std::vector<Value>> kv_get(const bee::Snapshot& view, ByteSpan key) {
  HC_TRY(values, kv_heads(view, key));
  return live(std::move(values));
}

KvRangeIterator kv_range(const bee::Snapshot& view, const KvRange& range) {
  bee::Range r;
  r.gte = range.gte ? kv_key(*range.gte) : kv_key({});
  r.lt = range.lt ? kv_key(*range.lt) : bee::prefix_upper_bound(hypercore::as_bytes(kKvPrefix));
  r.reverse = range.reverse;
  return KvRangeIterator(view.range(r), range.limit);
}

Result<std::optional<KeyValues>> KvRangeIterator::next() {
  while (left_ != 0) {
    HC_TRY(entry, inner_.next());
    if (!entry) return std::nullopt;
    if (!entry->value) continue;
    HC_TRY(values, decode_kv_record(*entry->value));
    auto shown = live(std::move(values));
    if (shown.empty()) continue;
    if (left_ > 0) --left_;
    return KeyValues{Bytes(entry->key.begin() + kKvPrefix.size(), entry->key.end()), std::move(shown)};
  }
  return std::nullopt;
}

KvChangeIterator kv_changes(const bee::Snapshot& view, uint64_t since) {
  bee::Range r;
  r.gte = kv_key({});
  r.lt = bee::prefix_upper_bound(hypercore::as_bytes(kKvPrefix));
  return KvChangeIterator(view.diff(since, r));
}

Result<std::optional<KvChange>> KvChangeIterator::next() {
  auto values_of = [](const std::optional<bee::Entry>& e) -> Result<std::vector<Value>> {
    if (!e || !e->value) return std::vector<Value>{};
    HC_TRY(values, decode_kv_record(*e->value));
    return live(std::move(values));
  };
  for (;;) {
    HC_TRY(d, inner_.next());
    if (!d) return std::nullopt;
    const auto& entry = d->left ? *d->left : *d->right;
    if (!is_kv_key(entry.key)) continue;
    HC_TRY(after, values_of(d->left));
    HC_TRY(before, values_of(d->right));
    if (after == before) continue;  // a tombstone replaced by a tombstone, say
    return KvChange{Bytes(entry.key.begin() + kKvPrefix.size(), entry.key.end()), std::move(before), std::move(after)};
  }
}

Result<void> ViewWriter::put(ByteSpan key, ByteSpan value) {
  if (!key.empty() && key[0] == 0) return fail(errc::invalid_argument, "view write: keys starting with byte 0 are the driver's");
  HC_TRY(written, batch_.put(key, value));
  (void)written;
  return {};
}

Result<void> ViewWriter::del(ByteSpan key) {
  if (!key.empty() && key[0] == 0) return fail(errc::invalid_argument, "view write: keys starting with byte 0 are the driver's");
  HC_TRY(written, batch_.del(key));
  (void)written;
  return {};
}

Result<std::optional<Bytes>> ViewWriter::get(ByteSpan key) const {
  HC_TRY(entry, batch_.get(key));
  if (!entry) return std::optional<Bytes>{};
  return std::optional<Bytes>(entry->value.value_or(Bytes{}));
}

}  // namespace multi
