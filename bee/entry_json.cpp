// See bee/entry_json.hpp.
#include "bee/entry_json.hpp"

namespace bee {

std::string natural_to_json(Encoding encoding, ByteSpan natural) {
  std::string_view text(reinterpret_cast<const char*>(natural.data()), natural.size());
  switch (encoding) {
    case Encoding::binary: {
      // Appended rather than "\"" + ... chained: g++ 12 warns -Wrestrict on that (GCC bug 105329).
      std::string out = "\"";
      out += hypercore::to_hex(natural);
      out += '"';
      return out;
    }
    case Encoding::utf8: return json_quote(text);
    case Encoding::json: return std::string(text);  // already JSON.stringify output
  }
  return "null";
}

std::string entry_json(const DbEntry& entry, Encoding key_encoding, Encoding value_encoding,
                       std::optional<HistoryEntry::Type> type) {
  std::string out = "{\"seq\":" + std::to_string(entry.seq);
  if (type) out += *type == HistoryEntry::Type::put ? ",\"type\":\"put\"" : ",\"type\":\"del\"";
  out += ",\"key\":";
  out += natural_to_json(key_encoding, entry.key);
  out += ",\"value\":";
  out += entry.value ? natural_to_json(value_encoding, *entry.value) : "null";
  out += ",\"keyHex\":\"";
  out += hypercore::to_hex(entry.key_bytes);
  out += "\",\"valueHex\":";
  if (entry.value_bytes) {
    out += '"';
    out += hypercore::to_hex(*entry.value_bytes);
    out += '"';
  } else {
    out += "null";
  }
  return out + "}";
}

std::string entry_json(const std::optional<DbEntry>& entry, Encoding key_encoding, Encoding value_encoding) {
  return entry ? entry_json(*entry, key_encoding, value_encoding) : "null";
}

}  // namespace bee
