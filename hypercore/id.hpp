// Textual ids of cores (../shared/spec/hypercore.md §3.6): z-base-32 as the reference's
// z32 and hypercore-id-encoding write it, and parsing of the key forms users paste.
#pragma once

#include <string>
#include <string_view>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"

namespace hypercore {

// z-base-32 (alphabet ybndrfg8ejkmcpqxot1uwisza345h769), bits MSB-first in 5-bit groups,
// the last group zero-padded, no padding characters: 32 bytes -> 52 characters.
std::string z32_encode(ByteSpan data);
// Inverse of z32_encode; yields floor(5·len/8) bytes. Fails with errc::invalid_argument on
// a character outside the alphabet (lower case only, as the reference) or a length no
// encoding produces. Unused low bits of the last character are ignored, as the reference does.
Result<Bytes> z32_decode(std::string_view text);

// The id of a core: z32 of its 32-byte key.
std::string key_to_id(const Hash& key);

// A core key from text: 52 z32 characters or 64 hex digits (either case), optionally after
// "pear://" (then anything from the first '/' on is ignored). errc::invalid_argument otherwise.
Result<Hash> parse_key(std::string_view text);

}  // namespace hypercore
