// JSON forms of proofs and requests shared with tests/interop/proof_oracle.js (format
// documented there), and proof comparison helpers for the proof interop test.
#pragma once

#include <simdjson.h>

#include <string>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/proof.hpp"

namespace proof_wire {

using namespace hypercore;

// ------------------------------------------------------------------------- JSON out

inline void put_nodes(std::string& o, const std::vector<Node>& nodes) {
  o += '[';
  for (size_t i = 0; i < nodes.size(); i++) {
    if (i) o += ',';
    o += "[" + std::to_string(nodes[i].index) + "," + std::to_string(nodes[i].size) + ",\"" + to_hex(nodes[i].hash) +
         "\"]";
  }
  o += ']';
}

inline std::string proof_json(const Proof& p) {
  std::string o = "{\"fork\":" + std::to_string(p.fork) + ",\"block\":";
  if (p.block) {
    o += "{\"index\":" + std::to_string(p.block->index) + ",\"value\":\"" + to_hex(p.block->value) + "\",\"nodes\":";
    put_nodes(o, p.block->nodes);
    o += "}";
  } else {
    o += "null";
  }
  o += ",\"hash\":";
  if (p.hash) {
    o += "{\"index\":" + std::to_string(p.hash->index) + ",\"nodes\":";
    put_nodes(o, p.hash->nodes);
    o += "}";
  } else {
    o += "null";
  }
  o += ",\"seek\":";
  if (p.seek) {
    o += "{\"bytes\":" + std::to_string(p.seek->bytes) + ",\"nodes\":";
    put_nodes(o, p.seek->nodes);
    o += "}";
  } else {
    o += "null";
  }
  o += ",\"upgrade\":";
  if (p.upgrade) {
    o += "{\"start\":" + std::to_string(p.upgrade->start) + ",\"length\":" + std::to_string(p.upgrade->length) +
         ",\"nodes\":";
    put_nodes(o, p.upgrade->nodes);
    o += ",\"additionalNodes\":";
    put_nodes(o, p.upgrade->additional_nodes);
    o += ",\"signature\":\"" + to_hex(p.upgrade->signature) + "\"}";
  } else {
    o += "null";
  }
  return o + "}";
}

inline std::string request_json(const ProofRequest& r) {
  auto pair = [](const char* a, uint64_t x, const char* b, uint64_t y) {
    return std::string("{\"") + a + "\":" + std::to_string(x) + ",\"" + b + "\":" + std::to_string(y) + "}";
  };
  std::string o = "{\"fork\":" + std::to_string(r.fork);
  o += ",\"block\":" + (r.block ? pair("index", r.block->index, "nodes", r.block->nodes) : "null");
  o += ",\"hash\":" + (r.hash ? pair("index", r.hash->index, "nodes", r.hash->nodes) : "null");
  o += ",\"seek\":" + (r.seek ? pair("bytes", r.seek->bytes, "padding", r.seek->padding) : "null");
  o += ",\"upgrade\":" + (r.upgrade ? pair("start", r.upgrade->start, "length", r.upgrade->length) : "null");
  return o + "}";
}


// -------------------------------------------------------------------------- JSON in

inline std::vector<Node> parse_nodes(simdjson::dom::array arr) {
  std::vector<Node> out;
  for (simdjson::dom::array n : arr) {
    Node node;
    node.index = uint64_t(n.at(0));
    node.size = uint64_t(n.at(1));
    node.hash = *hash_from_hex(std::string_view(n.at(2)));
    out.push_back(node);
  }
  return out;
}

inline Proof parse_proof(simdjson::dom::element e) {
  Proof p;
  p.fork = uint64_t(e["fork"]);
  simdjson::dom::element block = e["block"], hash = e["hash"], seek = e["seek"], up = e["upgrade"];
  if (!block.is_null()) {
    p.block = Proof::Block{uint64_t(block["index"]), *from_hex(std::string_view(block["value"])),
                           parse_nodes(block["nodes"])};
  }
  if (!hash.is_null()) p.hash = Proof::Hash{uint64_t(hash["index"]), parse_nodes(hash["nodes"])};
  if (!seek.is_null()) p.seek = Proof::Seek{uint64_t(seek["bytes"]), parse_nodes(seek["nodes"])};
  if (!up.is_null()) {
    p.upgrade = Proof::Upgrade{uint64_t(up["start"]), uint64_t(up["length"]), parse_nodes(up["nodes"]),
                               parse_nodes(up["additionalNodes"]), *from_hex(std::string_view(up["signature"]))};
  }
  return p;
}

// ------------------------------------------------------------------- comparisons

inline std::string describe(const std::vector<Node>& nodes) {
  std::string s = "[";
  for (const Node& n : nodes) s += (s.size() > 1 ? "," : "") + std::to_string(n.index);
  return s + "]";
}

inline std::string describe(const Proof& p) {
  std::string s = "fork " + std::to_string(p.fork);
  if (p.block) s += " block " + std::to_string(p.block->index) + " " + describe(p.block->nodes);
  if (p.hash) s += " hash " + std::to_string(p.hash->index) + " " + describe(p.hash->nodes);
  if (p.seek) s += " seek " + std::to_string(p.seek->bytes) + " " + describe(p.seek->nodes);
  if (p.upgrade) {
    s += " upgrade " + std::to_string(p.upgrade->start) + "+" + std::to_string(p.upgrade->length) + " " +
         describe(p.upgrade->nodes) + " additional " + describe(p.upgrade->additional_nodes);
  }
  return s;
}

inline bool same(const Proof& a, const Proof& b) {
  if (a.fork != b.fork || a.block.has_value() != b.block.has_value() || a.hash.has_value() != b.hash.has_value() ||
      a.seek.has_value() != b.seek.has_value() || a.upgrade.has_value() != b.upgrade.has_value()) {
    return false;
  }
  if (a.block && (a.block->index != b.block->index || a.block->value != b.block->value ||
                  a.block->nodes != b.block->nodes)) {
    return false;
  }
  if (a.hash && (a.hash->index != b.hash->index || a.hash->nodes != b.hash->nodes)) return false;
  if (a.seek && (a.seek->bytes != b.seek->bytes || a.seek->nodes != b.seek->nodes)) return false;
  if (a.upgrade && (a.upgrade->start != b.upgrade->start || a.upgrade->length != b.upgrade->length ||
                    a.upgrade->nodes != b.upgrade->nodes || a.upgrade->additional_nodes != b.upgrade->additional_nodes ||
                    a.upgrade->signature != b.upgrade->signature)) {
    return false;
  }
  return true;
}


}  // namespace proof_wire
