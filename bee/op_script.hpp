// Write scripts in the reference toolkit's op format (oracle README, "Op format"): one JSON
// object per line, e.g.
//   {"op":"put","key":"a","value":"1","cas":"diff","sub":["users"],"sep":"3a"}
//   {"op":"batch","ops":[{"op":"put","key":"c"},{"op":"del","key":"b"}]}
// Keys and values are in the JSON form of their encoding: a hex string for binary, a string
// for utf-8, any JSON value for json. `bee batch` and the interop tests replay such scripts
// so that our blocks can be compared with `node vectors.js bee` on the same file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bee/db.hpp"

namespace bee {

struct ScriptCas {
  enum class Kind { none, always, never, diff, expect };
  Kind kind = Kind::none;
  std::optional<Bytes> expect;  // stored form of the expected value (absent = no value)
};

struct ScriptOp {
  enum class Kind { put, del, batch };
  Kind kind = Kind::put;
  Bytes key;                   // natural form
  std::optional<Bytes> value;  // natural form; absent = a put without a value
  ScriptCas cas;
  std::vector<Bytes> sub;      // sub-database names, applied in order
  std::optional<Bytes> sep;    // separator of every sub level (default: the Db's)
  std::vector<ScriptOp> ops;   // a batch's operations
  bool flush = true;           // false: the batch is discarded instead of flushed
};

// Parses one line. Errors (errc::invalid_argument) name the field at fault.
Result<ScriptOp> parse_script_op(std::string_view line, Encoding key_encoding, Encoding value_encoding);

// Runs one op on `root` (through root.sub(...) if it names subs). Returns how many blocks
// the op appended.
Result<uint64_t> apply_script_op(Db& root, const ScriptOp& op);
// The sub-database of `root` a (put or del) op names.
Db script_target(const Db& root, const ScriptOp& op);
// Adds a put or del op to a batch of its script_target (errc::invalid_argument for a batch op).
Result<void> add_script_op(DbBatch& batch, const ScriptOp& op);

// The JSON form of a key/value (as in a script) to its natural form: hex-decoded for binary,
// the string for utf-8, the canonical text for json. `json_text` is the value's JSON text.
Result<Bytes> natural_from_json(Encoding encoding, std::string_view json_text);

}  // namespace bee
