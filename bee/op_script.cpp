// Parsing and replaying op scripts. See bee/op_script.hpp. simdjson's on-demand API is used
// because it can hand back the exact text of a value: a json-encoded key must be
// canonicalised from its source text (a DOM would already have turned 1e400 into an error
// and large integers into 64-bit ones).
#include "bee/op_script.hpp"

#include <simdjson.h>

namespace bee {

namespace {

namespace od = simdjson::ondemand;
using hypercore::errc;
using hypercore::fail;

std::unexpected<Error> bad(const std::string& where, const std::string& what) {
  return fail(errc::invalid_argument, where + ": " + what);
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The source text of a value (consumes it).
Result<std::string_view> raw_text(od::value value, const std::string& where) {
  od::json_type type;
  if (value.type().get(type)) return bad(where, "not valid JSON");
  std::string_view text;
  simdjson::error_code error;
  if (type == od::json_type::object) {
    od::object object;
    error = value.get_object().get(object);
    if (!error) error = object.raw_json().get(text);
  } else if (type == od::json_type::array) {
    od::array array;
    error = value.get_array().get(array);
    if (!error) error = array.raw_json().get(text);
  } else {
    text = value.raw_json_token();
    error = simdjson::SUCCESS;
  }
  if (error) return bad(where, simdjson::error_message(error));
  return trim_right(text);
}

Result<std::string> json_string(std::string_view json_text, const std::string& where) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json_text);
  simdjson::dom::element element;
  std::string_view s;
  if (parser.parse(padded).get(element) || element.get_string().get(s)) return bad(where, "expected a JSON string");
  return std::string(s);
}

bool is_json_null(std::string_view json_text) { return json_text == "null"; }

struct Field {
  std::string_view name;
  std::string_view text;  // raw JSON of the value ("ops" is parsed separately)
};

Result<ScriptOp> parse_object(od::object object, Encoding key_encoding, Encoding value_encoding,
                              const std::string& where, bool in_batch);

Result<void> parse_ops(od::value value, ScriptOp& out, Encoding key_encoding, Encoding value_encoding,
                       const std::string& where) {
  od::array array;
  if (value.get_array().get(array)) return bad(where, "batch needs an \"ops\" list");
  size_t i = 0;
  for (auto element : array) {
    std::string inner = where + "." + std::to_string(i++);
    od::object object;
    if (element.get_object().get(object)) return bad(inner, "not an object");
    HC_TRY(op, parse_object(object, key_encoding, value_encoding, inner, true));
    out.ops.push_back(std::move(op));
  }
  return {};
}

Result<ScriptOp> parse_object(od::object object, Encoding key_encoding, Encoding value_encoding,
                              const std::string& where, bool in_batch) {
  ScriptOp op;
  std::optional<std::string> kind, key_text, value_text, cas_text, sub_text, sep_text, flush_text;
  bool has_ops = false;
  for (auto field : object) {
    std::string_view name;
    if (field.unescaped_key().get(name)) return bad(where, "not valid JSON");
    std::string key(name);
    od::value value;
    if (field.value().get(value)) return bad(where, "not valid JSON");
    if (key == "ops") {
      has_ops = true;
      HC_CHECK(parse_ops(value, op, key_encoding, value_encoding, where));
      continue;
    }
    HC_TRY(text, raw_text(value, where + ": \"" + key + "\""));
    std::string t(text);
    if (key == "op") kind = t;
    else if (key == "key") key_text = t;
    else if (key == "value") value_text = t;
    else if (key == "cas") cas_text = t;
    else if (key == "sub") sub_text = t;
    else if (key == "sep") sep_text = t;
    else if (key == "flush") flush_text = t;
  }
  if (kind == "\"batch\"") {
    if (in_batch) return bad(where, "nested batch");
    if (!has_ops) return bad(where, "batch needs an \"ops\" list");
    op.kind = ScriptOp::Kind::batch;
    op.flush = flush_text != "false";
  } else if (kind == "\"put\"" || kind == "\"del\"") {
    op.kind = kind == "\"put\"" ? ScriptOp::Kind::put : ScriptOp::Kind::del;
    if (!key_text || is_json_null(*key_text)) return bad(where, "missing key");
    HC_TRY(key, natural_from_json(key_encoding, *key_text));
    op.key = std::move(key);
    if (op.kind == ScriptOp::Kind::put && value_text && !is_json_null(*value_text)) {
      HC_TRY(value, natural_from_json(value_encoding, *value_text));
      op.value = std::move(value);
    }
  } else {
    return bad(where, "\"op\" must be put, del or batch");
  }
  if (in_batch && (sub_text || sep_text)) return bad(where, "put \"sub\" on the batch, not on its ops");
  if (sub_text) {
    simdjson::dom::parser parser;
    simdjson::padded_string padded(*sub_text);
    simdjson::dom::array names;
    if (parser.parse(padded).get(names)) return bad(where, "\"sub\" must be a list of strings");
    for (auto name : names) {
      std::string_view s;
      if (name.get_string().get(s)) return bad(where, "\"sub\" must be a list of strings");
      op.sub.push_back(hypercore::to_bytes(s));
    }
  }
  if (sep_text) {
    HC_TRY(hex, json_string(*sep_text, where + ": \"sep\""));
    auto sep = hypercore::from_hex(hex);
    if (!sep) return bad(where, "\"sep\" must be hex");
    op.sep = std::move(*sep);
  }
  if (cas_text && !is_json_null(*cas_text)) {
    if (*cas_text == "\"always\"") {
      op.cas.kind = ScriptCas::Kind::always;
    } else if (*cas_text == "\"never\"") {
      op.cas.kind = ScriptCas::Kind::never;
    } else if (*cas_text == "\"diff\"") {
      op.cas.kind = ScriptCas::Kind::diff;
    } else {
      simdjson::ondemand::parser parser;
      simdjson::padded_string padded(*cas_text);
      od::document doc;
      od::object cas_object;
      od::value expect;
      if (parser.iterate(padded).get(doc) || doc.get_object().get(cas_object) ||
          cas_object.find_field("expect").get(expect)) {
        return bad(where, "unknown cas " + *cas_text);
      }
      HC_TRY(expect_text, raw_text(expect, where + ": cas"));
      op.cas.kind = ScriptCas::Kind::expect;
      if (!is_json_null(expect_text)) {
        HC_TRY(natural, natural_from_json(value_encoding, expect_text));
        HC_TRY(stored, encode(value_encoding, natural));
        // JSON null inside the expected value still means "no value".
        if (!(value_encoding == Encoding::json && stored == hypercore::to_bytes("null"))) op.cas.expect = std::move(stored);
      }
    }
  }
  return op;
}

DbCas make_cas(const ScriptCas& cas) {
  switch (cas.kind) {
    case ScriptCas::Kind::none: return {};
    case ScriptCas::Kind::always: return [](const DbEntry&, const DbEntry&) { return true; };
    case ScriptCas::Kind::never: return [](const DbEntry&, const DbEntry&) { return false; };
    case ScriptCas::Kind::diff:
      return [](const DbEntry& prev, const DbEntry& next) { return prev.value_bytes != next.value_bytes; };
    case ScriptCas::Kind::expect:
      return [want = cas.expect](const DbEntry& prev, const DbEntry&) { return prev.value_bytes == want; };
  }
  return {};
}

template <class Target>
Result<void> apply_write(Target& target, const ScriptOp& op) {
  DbCas cas = make_cas(op.cas);
  if (op.kind == ScriptOp::Kind::put) {
    std::optional<ByteSpan> value;
    if (op.value) value = ByteSpan(*op.value);
    HC_CHECK(target.put(op.key, value, cas));
  } else {
    HC_CHECK(target.del(op.key, cas));
  }
  return {};
}

}  // namespace

Result<Bytes> natural_from_json(Encoding encoding, std::string_view json_text) {
  switch (encoding) {
    case Encoding::binary: {
      HC_TRY(hex, json_string(json_text, "binary key or value"));
      auto bytes = hypercore::from_hex(hex);
      if (!bytes) return fail(errc::invalid_argument, "binary key or value must be a hex string, got " + std::string(json_text));
      return std::move(*bytes);
    }
    case Encoding::utf8: {
      HC_TRY(text, json_string(json_text, "utf-8 key or value"));
      return hypercore::to_bytes(text);
    }
    case Encoding::json: {
      HC_TRY(text, json_canonical(json_text));
      return hypercore::to_bytes(text);
    }
  }
  return fail(errc::invalid_argument, "unknown encoding");
}

Result<ScriptOp> parse_script_op(std::string_view line, Encoding key_encoding, Encoding value_encoding) {
  // On-demand parsing checks only what it visits: validate the whole line first, by
  // JSON.parse's rules (simdjson's DOM would refuse integers above 2^64).
  auto valid = json_canonical(line);
  if (!valid) return bad("op", valid.error().message);
  if (!valid->starts_with("{")) return bad("op", "not a JSON object");
  simdjson::padded_string padded(line);
  simdjson::ondemand::parser parser;
  od::document doc;
  od::object object;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(object)) return bad("op", "not a JSON object");
  return parse_object(object, key_encoding, value_encoding, "op", false);
}

Db script_target(const Db& root, const ScriptOp& op) {
  Db target = root;
  for (const auto& name : op.sub) {
    std::optional<ByteSpan> sep;
    if (op.sep) sep = ByteSpan(*op.sep);
    target = target.sub(ByteSpan(name), sep);
  }
  return target;
}

Result<void> add_script_op(DbBatch& batch, const ScriptOp& op) {
  if (op.kind == ScriptOp::Kind::batch) return fail(errc::invalid_argument, "a batch op cannot join another batch");
  return apply_write(batch, op);
}

Result<uint64_t> apply_script_op(Db& root, const ScriptOp& op) {
  uint64_t before = root.bee().core().length();
  Db target = script_target(root, op);
  if (op.kind == ScriptOp::Kind::batch) {
    HC_TRY(batch, target.batch());
    for (const auto& inner : op.ops) HC_CHECK(apply_write(batch, inner));
    if (op.flush) {
      HC_CHECK(batch.flush());
    } else {
      batch.discard();
    }
  } else {
    HC_CHECK(apply_write(target, op));
  }
  return root.bee().core().length() - before;
}

}  // namespace bee
