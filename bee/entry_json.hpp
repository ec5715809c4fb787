// Entries as JSON text in the shape the reference's tools print (oracle README):
// {"seq","type"?,"key","value","keyHex","valueHex"}, where key/value are in the JSON form of
// their encoding (binary: a hex string, utf-8: a string, json: the value itself) and the
// ...Hex fields the stored bytes (the key without its sub prefix). Used by the `bee` tool's
// --json output and by the interop tests that compare with the reference.
#pragma once

#include <optional>
#include <string>

#include "bee/db.hpp"

namespace bee {

// The JSON form of a natural-form key or value (see bee/encoding.hpp).
std::string natural_to_json(Encoding encoding, ByteSpan natural);

std::string entry_json(const DbEntry& entry, Encoding key_encoding, Encoding value_encoding,
                       std::optional<HistoryEntry::Type> type = std::nullopt);
// "null" for an absent entry.
std::string entry_json(const std::optional<DbEntry>& entry, Encoding key_encoding, Encoding value_encoding);

}  // namespace bee
