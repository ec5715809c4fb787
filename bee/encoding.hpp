// Key and value encodings (spec §7): how a caller's key or value becomes the bytes that are
// stored and ordered, and back. Storage and ordering only ever see the encoded bytes.
//
// The "natural form" of a key or value, which Db (bee/db.hpp) and the CLI take and return:
//   binary  the bytes themselves
//   utf-8   UTF-8 text (stored as is)
//   json    JSON text; stored as exactly the bytes JavaScript's JSON.stringify(JSON.parse(text))
//           produces, so `{"b": 1, "a" : 2.50}` and `{"b":1,"a":2.5}` are the same key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bee/messages.hpp"

namespace bee {

enum class Encoding { binary, utf8, json };

// "binary", "utf-8" (also "utf8") or "json"; errc::invalid_argument for anything else.
Result<Encoding> parse_encoding(std::string_view name);
// The canonical name: "binary", "utf-8", "json".
std::string_view encoding_name(Encoding encoding);

// Natural form -> stored bytes. utf-8 refuses bytes that are not valid UTF-8 (use binary for
// those); json refuses text JSON.parse would refuse (the error names the byte offset).
Result<Bytes> encode(Encoding encoding, ByteSpan natural);
// Stored bytes -> natural form. utf-8 replaces invalid sequences with U+FFFD as Node's
// Buffer#toString does; json fails with errc::corrupt if the bytes are not JSON.
Result<Bytes> decode(Encoding encoding, ByteSpan stored);

// JSON.stringify(JSON.parse(text)) as UTF-8, byte for byte as V8 prints it: no whitespace,
// array-index keys first in ascending order then the rest in insertion order, a repeated
// key keeps its first position and its last value, numbers in Number#toString form,
// overflowing numbers become null, lone surrogate escapes stay escaped. Fails with
// errc::invalid_argument naming the offset of the first problem.
Result<std::string> json_canonical(std::string_view text);

// `utf8` as a JSON string literal exactly as JSON.stringify writes it (invalid UTF-8 is
// first replaced as utf8_sanitize does).
std::string json_quote(std::string_view utf8);

// Whether `data` is well-formed UTF-8 (no surrogates, no overlongs, at most U+10FFFF).
bool is_valid_utf8(ByteSpan data);
// `data` decoded as Node decodes UTF-8: each maximal invalid subpart becomes U+FFFD.
std::string utf8_sanitize(ByteSpan data);

// JavaScript's Number.prototype.toString() of a double ("1e+21", "1e-7", "0.000001";
// -0 -> "0"; NaN and infinities -> "NaN", "Infinity", "-Infinity").
std::string js_number_to_string(double value);

}  // namespace bee
