#include "hypercore/compact_encoding.hpp"

#include "hypercore/internal/endian.hpp"

namespace hypercore::cenc {

void Encoder::uint(uint64_t n) {
  if (n <= 0xfc) {
    out_.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xffff) {
    out_.push_back(0xfd);
    out_.push_back(static_cast<uint8_t>(n));
    out_.push_back(static_cast<uint8_t>(n >> 8));
  } else if (n <= 0xffffffffULL) {
    out_.push_back(0xfe);
    u32le(static_cast<uint32_t>(n));
  } else {
    out_.push_back(0xff);
    u64le(n);
  }
}

void Encoder::u32le(uint32_t n) {
  uint8_t b[4];
  internal::store_u32le(b, n);
  out_.insert(out_.end(), b, b + 4);
}

void Encoder::u64le(uint64_t n) {
  uint8_t b[8];
  internal::store_u64le(b, n);
  out_.insert(out_.end(), b, b + 8);
}

void Encoder::buffer(ByteSpan bytes) {
  uint(bytes.size());
  fixed(bytes);
}

std::unexpected<Error> Decoder::error(std::string why) const {
  return fail(errc::corrupt, what_ + ": " + why + " at byte " + std::to_string(pos_));
}

Result<uint64_t> Decoder::uint() {
  if (remaining() < 1) return error("truncated varint");
  uint8_t first = in_[pos_];
  size_t width = first <= 0xfc ? 0 : first == 0xfd ? 2 : first == 0xfe ? 4 : 8;
  if (remaining() < 1 + width) return error("truncated varint");
  const uint8_t* p = in_.data() + pos_ + 1;
  uint64_t v = width == 0 ? first
               : width == 2 ? static_cast<uint64_t>(p[0] | p[1] << 8)
               : width == 4 ? internal::load_u32le(p)
                            : internal::load_u64le(p);
  pos_ += 1 + width;
  return v;
}

Result<uint8_t> Decoder::u8() {
  if (remaining() < 1) return error("truncated byte");
  return in_[pos_++];
}

Result<uint32_t> Decoder::u32le() {
  if (remaining() < 4) return error("truncated u32");
  uint32_t v = internal::load_u32le(in_.data() + pos_);
  pos_ += 4;
  return v;
}

Result<uint64_t> Decoder::u64le() {
  if (remaining() < 8) return error("truncated u64");
  uint64_t v = internal::load_u64le(in_.data() + pos_);
  pos_ += 8;
  return v;
}

Result<ByteSpan> Decoder::fixed(size_t n) {
  if (remaining() < n) return error("truncated: need " + std::to_string(n) + " bytes, have " + std::to_string(remaining()));
  ByteSpan out = in_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<Hash> Decoder::fixed32() {
  HC_TRY(bytes, fixed(32));
  Hash h{};
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

Result<ByteSpan> Decoder::buffer() {
  HC_TRY(len, uint());
  if (len > remaining()) return error("buffer length " + std::to_string(len) + " exceeds the input");
  return fixed(static_cast<size_t>(len));
}

Result<std::string> Decoder::string() {
  HC_TRY(bytes, buffer());
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Result<uint64_t> Decoder::array_length(size_t min_item_bytes) {
  HC_TRY(n, uint());
  if (n > kMaxArrayLength) return error("array length " + std::to_string(n) + " over the limit");
  if (min_item_bytes > 0 && n > remaining() / min_item_bytes) {
    return error("array length " + std::to_string(n) + " exceeds the input");
  }
  return n;
}

Result<void> Decoder::expect_end() const {
  if (!done()) return error(std::to_string(remaining()) + " trailing bytes");
  return {};
}

}  // namespace hypercore::cenc
