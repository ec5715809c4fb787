// compact-encoding primitives (../shared/spec/hypercore.md §0.1), used by manifests,
// signatures, stored records and the wire protocol. The decoder never reads past its
// input and never allocates more than the input could describe: a hostile length fails
// with errc::corrupt instead of exhausting memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"

namespace hypercore::cenc {

// The reference refuses arrays longer than this.
inline constexpr uint64_t kMaxArrayLength = 0x100000;

class Encoder {
 public:
  void uint(uint64_t n);
  void u8(uint8_t n) { out_.push_back(n); }
  void u32le(uint32_t n);
  void u64le(uint64_t n);
  void fixed(ByteSpan bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  void buffer(ByteSpan bytes);           // uint(len) ‖ bytes
  void null_buffer() { out_.push_back(0); }
  void string(std::string_view s) { buffer(as_bytes(s)); }

  Bytes& bytes() { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

// Reads from a span. A failed read returns errc::corrupt naming the structure and byte
// offset and consumes nothing; callers stop at the first error (HC_TRY).
class Decoder {
 public:
  // `what` names the structure being decoded, for error messages ("oplog header").
  Decoder(ByteSpan in, std::string what) : in_(in), what_(std::move(what)) {}

  Result<uint64_t> uint();
  Result<uint8_t> u8();
  Result<uint32_t> u32le();
  Result<uint64_t> u64le();
  Result<ByteSpan> fixed(size_t n);
  Result<Hash> fixed32();
  Result<ByteSpan> buffer();  // length 0 decodes as an empty span (the reference's null)
  Result<std::string> string();
  // An array count, checked against kMaxArrayLength and against the bytes left
  // (each item takes at least `min_item_bytes`).
  Result<uint64_t> array_length(size_t min_item_bytes = 1);

  size_t position() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }
  bool done() const { return pos_ == in_.size(); }
  // Fails unless every byte was consumed.
  Result<void> expect_end() const;

 private:
  std::unexpected<Error> error(std::string why) const;

  ByteSpan in_;
  size_t pos_ = 0;
  std::string what_;
};

// Size in bytes of uint(n).
constexpr size_t uint_size(uint64_t n) {
  return n <= 0xfc ? 1 : n <= 0xffff ? 3 : n <= 0xffffffffULL ? 5 : 9;
}

}  // namespace hypercore::cenc
