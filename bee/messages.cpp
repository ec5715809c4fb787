#include "bee/messages.hpp"

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

// Empty packed lists are omitted entirely, as the reference does.
void put_packed(Bytes& out, uint8_t tag, const std::vector<uint64_t>& nums) {
  if (nums.empty()) return;
  Bytes body;
  for (uint64_t n : nums) put_varint(body, n);
  put_bytes_field(out, tag, body);
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
    ByteSpan bytes;  // wire type 2 only
  };

  Result<Field> field() {
    HC_TRY(tag, varint());
    Field f{tag >> 3, tag & 7, {}};
    switch (f.wire) {
      case 0: {
        HC_TRY(ignored, varint());
        (void)ignored;
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

Result<void> read_packed(ByteSpan bytes, std::vector<uint64_t>& out) {
  Reader r(bytes, "hyperbee level");
  while (!r.done()) {
    if (out.size() >= 2 * kMaxKeysPerLevel) return r.bad("too many entries in a level");
    HC_TRY(n, r.varint());
    out.push_back(n);
  }
  return {};
}

Result<Level> decode_level(ByteSpan bytes) {
  Level level;
  Reader r(bytes, "hyperbee level");
  while (!r.done()) {
    HC_TRY(f, r.field());
    if (f.wire != 2) continue;  // the reference only understands the packed form
    if (f.number == 1) HC_CHECK(read_packed(f.bytes, level.keys));
    if (f.number == 2) HC_CHECK(read_packed(f.bytes, level.children));
  }
  if (level.keys.size() > kMaxKeysPerLevel) return r.bad("too many keys in a level");
  if (level.children.size() % 2 != 0) return r.bad("odd number of child pointer values");
  return level;
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

Bytes encode_node(const NodeBlock& node) {
  Bytes index;
  for (const Level& l : node.levels) {
    Bytes level;
    put_packed(level, 0x0a, l.keys);
    put_packed(level, 0x12, l.children);
    put_bytes_field(index, 0x0a, level);  // always emitted, even when empty
  }
  Bytes out;
  out.reserve(index.size() + node.key.size() + (node.value ? node.value->size() : 0) + 16);
  put_bytes_field(out, 0x0a, index);
  put_bytes_field(out, 0x12, node.key);
  if (node.value) put_bytes_field(out, 0x1a, *node.value);
  return out;
}

Result<NodeBlock> decode_node(ByteSpan block) {
  NodeBlock node;
  bool has_index = false, has_key = false;
  Reader r(block, "hyperbee node");
  while (!r.done()) {
    HC_TRY(f, r.field());
    if (f.wire != 2) continue;
    if (f.number == 1) {
      has_index = true;
      node.levels.clear();  // a repeated scalar field: the last occurrence wins
      Reader ir(f.bytes, "hyperbee index");
      while (!ir.done()) {
        HC_TRY(lf, ir.field());
        if (lf.wire != 2 || lf.number != 1) continue;
        if (node.levels.size() >= kMaxLevelsPerBlock) return ir.bad("too many levels");
        HC_TRY(level, decode_level(lf.bytes));
        node.levels.push_back(std::move(level));
      }
    } else if (f.number == 2) {
      has_key = true;
      node.key.assign(f.bytes.begin(), f.bytes.end());
    } else if (f.number == 3) {
      node.value = Bytes(f.bytes.begin(), f.bytes.end());
    }
  }
  if (!has_index) return r.bad("no index field");
  if (!has_key) return r.bad("no key field");
  return node;
}

}  // namespace bee
