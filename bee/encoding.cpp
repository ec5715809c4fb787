// The binary, utf-8 and json encodings (spec §7). See bee/encoding.hpp.
#include "bee/encoding.hpp"

#include "bee/internal/utf8.hpp"

namespace bee {

using hypercore::errc;
using hypercore::fail;

Result<Encoding> parse_encoding(std::string_view name) {
  if (name == "binary") return Encoding::binary;
  if (name == "utf-8" || name == "utf8") return Encoding::utf8;
  if (name == "json") return Encoding::json;
  return fail(errc::invalid_argument, "unknown encoding '" + std::string(name) + "' (binary, utf-8 or json)");
}

std::string_view encoding_name(Encoding encoding) {
  switch (encoding) {
    case Encoding::binary: return "binary";
    case Encoding::utf8: return "utf-8";
    case Encoding::json: return "json";
  }
  return "binary";
}

bool is_valid_utf8(ByteSpan data) {
  size_t i = 0;
  while (i < data.size()) {
    size_t len = internal::utf8_sequence_length(data.data() + i, data.size() - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string utf8_sanitize(ByteSpan data) {
  std::string out;
  out.reserve(data.size());
  size_t i = 0;
  while (i < data.size()) {
    size_t bad = 0;
    size_t len = internal::utf8_sequence_length(data.data() + i, data.size() - i, &bad);
    if (len == 0) {
      out += "\xef\xbf\xbd";
      i += bad;
    } else {
      out.append(reinterpret_cast<const char*>(data.data() + i), len);
      i += len;
    }
  }
  return out;
}

namespace {

std::string_view as_text(ByteSpan data) { return {reinterpret_cast<const char*>(data.data()), data.size()}; }

}  // namespace

Result<Bytes> encode(Encoding encoding, ByteSpan natural) {
  switch (encoding) {
    case Encoding::binary:
      return Bytes(natural.begin(), natural.end());
    case Encoding::utf8:
      if (!is_valid_utf8(natural)) return fail(errc::invalid_argument, "utf-8 encoding: text is not valid UTF-8");
      return Bytes(natural.begin(), natural.end());
    case Encoding::json: {
      HC_TRY(text, json_canonical(as_text(natural)));
      return hypercore::to_bytes(text);
    }
  }
  return fail(errc::invalid_argument, "unknown encoding");
}

Result<Bytes> decode(Encoding encoding, ByteSpan stored) {
  switch (encoding) {
    case Encoding::binary:
      return Bytes(stored.begin(), stored.end());
    case Encoding::utf8:
      return hypercore::to_bytes(utf8_sanitize(stored));
    case Encoding::json: {
      auto text = json_canonical(as_text(stored));
      if (!text) return fail(errc::corrupt, "stored json: " + text.error().message);
      return hypercore::to_bytes(*text);
    }
  }
  return fail(errc::invalid_argument, "unknown encoding");
}

}  // namespace bee
