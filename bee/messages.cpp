#include "bee/messages.hpp"

#include <cstring>

namespace bee {

namespace {

using hypercore::errc;
using hypercore::fail;

void put_varint(Bytes& out, uint64_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<uint8_t>(n | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<uint8_t>(n));
}

void put_bytes_field(Bytes& out, uint8_t tag, ByteSpan bytes) {
  out.push_back(tag);
  put_varint(out, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// A protobuf reader over untrusted bytes.
class Reader {
 public:
  Reader(ByteSpan in, const char* what) : in_(in), what_(what) {}
  bool done() const { return pos_ >= in_.size(); }

  Result<uint64_t> varint() {
    uint64_t n = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return bad("truncated varint");
      uint8_t b = in_[pos_++];
      n |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return n;
    }
    return bad("varint longer than 10 bytes");
  }

  struct Field {
    uint64_t number;
    uint64_t wire;
    ByteSpan bytes;      // wire type 2 only
    uint64_t value = 0;  // wire type 0 only
  };

  Result<Field> field() {
    HC_TRY(tag, varint());
    Field f{tag >> 3, tag & 7, {}};
    switch (f.wire) {
      case 0: {
        HC_TRY(value, varint());
        f.value = value;
        break;
      }
      case 1: HC_CHECK(skip(8)); break;
      case 5: HC_CHECK(skip(4)); break;
      case 2: {
        HC_TRY(len, varint());
        if (len > in_.size() - pos_) return bad("field length " + std::to_string(len) + " exceeds the block");
        f.bytes = in_.subspan(pos_, len);
        pos_ += len;
        break;
      }
      default: return bad("unsupported wire type " + std::to_string(f.wire));
    }
    return f;
  }

  std::unexpected<Error> bad(const std::string& why) const {
    return fail(errc::corrupt, std::string(what_) + ": " + why + " at byte " + std::to_string(pos_));
  }

 private:
  Result<void> skip(size_t n) {
    if (n > in_.size() - pos_) return bad("truncated fixed field");
    pos_ += n;
    return {};
  }

  ByteSpan in_;
  size_t pos_ = 0;
  const char* what_;
};

Result<void> read_packed(ByteSpan bytes, std::vector<uint64_t>& out, const char* what = "hyperbee level",
                         size_t max = 2 * kMaxKeysPerLevel) {
  Reader r(bytes, what);
  while (!r.done()) {
    if (out.size() >= max) return r.bad("too many packed values");
    HC_TRY(n, r.varint());
    out.push_back(n);
  }
  return {};
}

}  // namespace

Bytes encode_header(const Header& header) {
  Bytes out;
  put_bytes_field(out, 0x0a, hypercore::as_bytes(header.protocol));
  if (header.metadata) {
    Bytes m;
    if (header.metadata->content_feed) put_bytes_field(m, 0x0a, *header.metadata->content_feed);
    if (header.metadata->user_data) put_bytes_field(m, 0x12, *header.metadata->user_data);
    put_bytes_field(out, 0x12, m);
  }
  return out;
}

Result<Header> decode_header(ByteSpan block) {
  Header h;
  bool has_protocol = false;
  Reader r(block, "hyperbee header");
  while (!r.done()) {
    HC_TRY(f, r.field());
    if (f.wire != 2) continue;
    if (f.number == 1) {
      h.protocol.assign(f.bytes.begin(), f.bytes.end());
      has_protocol = true;
    } else if (f.number == 2) {
      Metadata m;
      Reader mr(f.bytes, "hyperbee header metadata");
      while (!mr.done()) {
        HC_TRY(mf, mr.field());
        if (mf.wire != 2) continue;
        if (mf.number == 1) m.content_feed = Bytes(mf.bytes.begin(), mf.bytes.end());
        if (mf.number == 2) m.user_data = Bytes(mf.bytes.begin(), mf.bytes.end());
      }
      h.metadata = std::move(m);
    }
  }
  if (!has_protocol) return r.bad("no protocol field");
  return h;
}

// Sizes first, then one pass into one buffer: a block is encoded per write, and the
// nested length-prefixed fields would otherwise cost a buffer each.
namespace {
size_t varint_size(uint64_t n) {
  size_t s = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++s;
  }
  return s;
}
size_t field_size(size_t body) { return 1 + varint_size(body) + body; }
size_t packed_size(const std::vector<uint64_t>& nums) {
  size_t s = 0;
  for (uint64_t n : nums) s += varint_size(n);
  return s;
}
uint8_t* write_varint(uint8_t* at, uint64_t n) {
  while (n >= 0x80) {
    *at++ = static_cast<uint8_t>(n | 0x80);
    n >>= 7;
  }
  *at++ = static_cast<uint8_t>(n);
  return at;
}
uint8_t* write_header(uint8_t* at, uint8_t tag, size_t len) {
  *at++ = tag;
  return write_varint(at, len);
}
uint8_t* write_bytes(uint8_t* at, uint8_t tag, ByteSpan bytes) {
  at = write_header(at, tag, bytes.size());
  if (!bytes.empty()) std::memcpy(at, bytes.data(), bytes.size());
  return at + bytes.size();
}
// Empty packed lists are omitted entirely, as the reference does.
uint8_t* write_packed(uint8_t* at, uint8_t tag, const std::vector<uint64_t>& nums, size_t body) {
  if (nums.empty()) return at;
  at = write_header(at, tag, body);
  for (uint64_t n : nums) at = write_varint(at, n);
  return at;
}
}  // namespace

Bytes encode_node(const NodeBlock& node) {
  // Each list's encoded size once (a block is encoded per write: this is on the hot path).
  struct LevelSizes {
    size_t keys, children, body;
  };
  constexpr size_t kInline = 16;  // deeper trees than this do not occur in practice
  LevelSizes inline_sizes[kInline];
  std::vector<LevelSizes> heap_sizes;
  LevelSizes* sizes = inline_sizes;
  if (node.levels.size() > kInline) {
    heap_sizes.resize(node.levels.size());
    sizes = heap_sizes.data();
  }
  size_t index = 0;
  for (size_t i = 0; i < node.levels.size(); i++) {
    const Level& l = node.levels[i];
    LevelSizes& z = sizes[i];
    z.keys = packed_size(l.keys);
    z.children = packed_size(l.children);
    z.body = (l.keys.empty() ? 0 : field_size(z.keys)) + (l.children.empty() ? 0 : field_size(z.children));
    index += field_size(z.body);  // always emitted, even when empty
  }
  size_t total = field_size(index) + field_size(node.key.size()) + (node.value ? field_size(node.value->size()) : 0);
  Bytes out(total);
  uint8_t* at = write_header(out.data(), 0x0a, index);
  for (size_t i = 0; i < node.levels.size(); i++) {
    const Level& l = node.levels[i];
    at = write_header(at, 0x0a, sizes[i].body);
    at = write_packed(at, 0x0a, l.keys, sizes[i].keys);
    at = write_packed(at, 0x12, l.children, sizes[i].children);
  }
  at = write_bytes(at, 0x12, node.key);
  if (node.value) at = write_bytes(at, 0x1a, *node.value);
  return out;
}

Result<NodeBlock> decode_node(ByteSpan block) {
  NodeBlock node;
  HC_CHECK(decode_node_into(block, node));
  return node;
}

namespace {

// A level's packed key and child lists, with the checks every decoder applies:
// on_key(v) and on_child(v) for each value, at most 2 * kMaxKeysPerLevel of each kind (as
// read_packed), at most kMaxKeysPerLevel keys, and an even number of child values.
template <class OnKey, class OnChild>
Result<void> walk_level(ByteSpan bytes, OnKey on_key, OnChild on_child) {
  size_t keys = 0, children = 0;
  auto packed = [](ByteSpan list, size_t& count, auto on_value) -> Result<void> {
    Reader r(list, "hyperbee level");
    while (!r.done()) {
      if (count >= 2 * kMaxKeysPerLevel) return r.bad("too many packed values");
      HC_TRY(v, r.varint());
      on_value(v);
      ++count;
    }
    return {};
  };
  Reader r(bytes, "hyperbee level");
  while (!r.done()) {
    HC_TRY(f, r.field());
    if (f.wire != 2) continue;  // the reference only understands the packed form
    if (f.number == 1) HC_CHECK(packed(f.bytes, keys, on_key));
    if (f.number == 2) HC_CHECK(packed(f.bytes, children, on_child));
  }
  if (keys > kMaxKeysPerLevel) return r.bad("too many keys in a level");
  if (children % 2 != 0) return r.bad("odd number of child pointer values");
  return {};
}

// One level, decoded into `level`, whose vectors keep their capacity.
Result<void> decode_level_into(ByteSpan bytes, Level& level) {
  level.keys.clear();
  level.children.clear();
  return walk_level(
      bytes, [&](uint64_t v) { level.keys.push_back(v); }, [&](uint64_t v) { level.children.push_back(v); });
}


// A node block's fields, checked the same way for every decoder: on_index() at the start of
// each index field (a repeated field: the last one wins), on_level(i, bytes) for each of
// its levels; the key and value are views of their last occurrence.
struct NodeFields {
  ByteSpan key;
  std::optional<ByteSpan> value;
};
template <class OnIndex, class OnLevel>
Result<NodeFields> walk_node(ByteSpan block, OnIndex on_index, OnLevel on_level) {
  NodeFields out;
  bool has_index = false, has_key = false;
  Reader r(block, "hyperbee node");
  while (!r.done()) {
    HC_TRY(f, r.field());
    if (f.wire != 2) continue;
    if (f.number == 1) {
      has_index = true;
      on_index();
      size_t levels = 0;
      Reader ir(f.bytes, "hyperbee index");
      while (!ir.done()) {
        HC_TRY(lf, ir.field());
        if (lf.wire != 2 || lf.number != 1) continue;
        if (levels >= kMaxLevelsPerBlock) return ir.bad("too many levels");
        HC_CHECK(on_level(levels++, lf.bytes));
      }
    } else if (f.number == 2) {
      has_key = true;
      out.key = f.bytes;
    } else if (f.number == 3) {
      out.value = f.bytes;
    }
  }
  if (!has_index) return r.bad("no index field");
  if (!has_key) return r.bad("no key field");
  return out;
}

}  // namespace

Result<void> decode_node_into(ByteSpan block, NodeBlock& node) {
  size_t levels = 0;
  HC_TRY(fields, walk_node(
                     block, [&] { levels = 0; },
                     [&](size_t i, ByteSpan bytes) -> Result<void> {
                       if (node.levels.size() <= i) node.levels.emplace_back();
                       HC_CHECK(decode_level_into(bytes, node.levels[i]));
                       levels = i + 1;
                       return {};
                     }));
  node.key.assign(fields.key.begin(), fields.key.end());
  if (fields.value) {
    if (!node.value) node.value.emplace();
    node.value->assign(fields.value->begin(), fields.value->end());
  } else {
    node.value.reset();
  }
  node.levels.resize(levels);
  return {};
}

Result<EntryView> decode_entry(ByteSpan block, uint64_t seq) {
  bool own_key_listed = false;
  HC_TRY(fields, walk_node(
                     block, [&] { own_key_listed = false; },
                     [&](size_t, ByteSpan bytes) {
                       return walk_level(
                           bytes, [&](uint64_t v) { own_key_listed = own_key_listed || v == seq; }, [](uint64_t) {});
                     }));
  return EntryView{fields.key, fields.value, !fields.value && !own_key_listed};
}

// ---------------------------------------------------------------- the extension

namespace {
void put_varint_field(Bytes& out, uint8_t tag, uint64_t n) {
  out.push_back(tag);
  put_varint(out, n);
}
void put_packed_field(Bytes& out, uint8_t tag, const std::vector<uint64_t>& nums) {
  if (nums.empty()) return;  // as the reference: an empty packed list is omitted
  Bytes body;
  for (uint64_t n : nums) put_varint(body, n);
  put_bytes_field(out, tag, body);
}
void put_optional_bytes(Bytes& out, uint8_t tag, const std::optional<Bytes>& b) {
  if (b) put_bytes_field(out, tag, *b);
}
}  // namespace

Bytes encode_extension(const ExtensionMessage& m) {
  Bytes out;
  if (m.cache) {
    Bytes c;
    put_varint_field(c, 0x08, m.cache->start);
    put_varint_field(c, 0x10, m.cache->end);
    put_packed_field(c, 0x1a, m.cache->blocks);
    put_bytes_field(out, 0x0a, c);
  }
  if (m.get) {
    Bytes g;
    put_varint_field(g, 0x08, m.get->version);
    put_bytes_field(g, 0x12, m.get->key);
    put_bytes_field(out, 0x12, g);
  }
  if (m.iterator) {
    const ExtensionMessage::Iterator& it = *m.iterator;
    Bytes b;
    put_varint_field(b, 0x08, it.version);
    put_optional_bytes(b, 0x12, it.gte);
    put_optional_bytes(b, 0x1a, it.gt);
    put_optional_bytes(b, 0x22, it.lte);
    put_optional_bytes(b, 0x2a, it.lt);
    put_varint_field(b, 0x30, it.limit);
    put_varint_field(b, 0x38, it.reverse ? 1 : 0);
    put_packed_field(b, 0x42, it.checkpoint);
    put_bytes_field(out, 0x1a, b);
  }
  return out;
}

Result<ExtensionMessage> decode_extension(ByteSpan payload) {
  ExtensionMessage m;
  Reader r(payload, "hyperbee extension");
  auto bytes_of = [](const Reader::Field& f) { return Bytes(f.bytes.begin(), f.bytes.end()); };
  while (!r.done()) {
    HC_TRY(f, r.field());
    if (f.wire != 2) continue;
    if (f.number == 1) {
      ExtensionMessage::Cache c;
      bool has_start = false, has_end = false;
      Reader cr(f.bytes, "hyperbee extension cache");
      while (!cr.done()) {
        HC_TRY(cf, cr.field());
        if (cf.number == 1 && cf.wire == 0) c.start = cf.value, has_start = true;
        if (cf.number == 2 && cf.wire == 0) c.end = cf.value, has_end = true;
        if (cf.number == 3 && cf.wire == 0) {
          if (c.blocks.size() >= kMaxExtensionBlocks) return cr.bad("too many blocks");
          c.blocks.push_back(cf.value);
        }
        if (cf.number == 3 && cf.wire == 2) {
          HC_CHECK(read_packed(cf.bytes, c.blocks, "hyperbee extension cache", kMaxExtensionBlocks));
        }
      }
      if (!has_start || !has_end) return cr.bad("cache without its required start and end");
      m.cache = std::move(c);
    } else if (f.number == 2) {
      ExtensionMessage::Get g;
      Reader gr(f.bytes, "hyperbee extension get");
      while (!gr.done()) {
        HC_TRY(gf, gr.field());
        if (gf.number == 1 && gf.wire == 0) g.version = gf.value;
        if (gf.number == 2 && gf.wire == 2) g.key = bytes_of(gf);
      }
      m.get = std::move(g);
    } else if (f.number == 3) {
      ExtensionMessage::Iterator it;
      Reader ir(f.bytes, "hyperbee extension iterator");
      while (!ir.done()) {
        HC_TRY(x, ir.field());
        if (x.wire == 0) {
          if (x.number == 1) it.version = x.value;
          if (x.number == 6) it.limit = x.value;
          if (x.number == 7) it.reverse = x.value != 0;
          if (x.number == 8) {
            if (it.checkpoint.size() >= kMaxExtensionBlocks) return ir.bad("checkpoint too long");
            it.checkpoint.push_back(x.value);
          }
        } else if (x.wire == 2) {
          if (x.number == 2) it.gte = bytes_of(x);
          if (x.number == 3) it.gt = bytes_of(x);
          if (x.number == 4) it.lte = bytes_of(x);
          if (x.number == 5) it.lt = bytes_of(x);
          if (x.number == 8) {
            HC_CHECK(read_packed(x.bytes, it.checkpoint, "hyperbee extension iterator", kMaxExtensionBlocks));
          }
        }
      }
      m.iterator = std::move(it);
    }
  }
  return m;
}

}  // namespace bee
