// The convergence oracle: every op of every log, sorted canonically and folded, written
// apart from the indexer (no bee, no batches, no arrival order): what every peer's
// key/value view must equal once it holds every log.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "multi/group.hpp"

namespace multi_test {

using multi::Bytes;
using multi::Hash;
using multi::KeyValues;
using multi::Op;
using multi::OpId;
using multi::OpType;
using multi::Value;

struct ModelOp {
  OpId id;
  Op op;
};

// `logs`: every writer's blocks, whole. Returns the live keys in key order.
inline std::vector<KeyValues> model_view(const Hash& root, const std::map<Hash, std::vector<Bytes>>& logs,
                                         size_t max_writers = 1024) {
  std::map<Hash, std::vector<ModelOp>> ops;
  std::map<Hash, std::vector<multi::MemberOp>> member_ops;
  multi::Conflict conflict = multi::Conflict::lww;
  multi::Membership membership = multi::Membership::invited;
  for (const auto& [writer, blocks] : logs) {
    if (blocks.empty()) continue;
    auto header = multi::decode_op(blocks[0]);
    if (!header || header->type != OpType::header || !std::equal(header->key.begin(), header->key.end(), root.begin(), root.end())) continue;
    if (writer == root) {
      conflict = header->conflict;
      membership = header->membership;
    }
    auto& mine = member_ops[writer];
    for (uint64_t seq = 1; seq < blocks.size(); ++seq) {
      auto op = multi::decode_op(blocks[seq]);
      if (!op) continue;
      if (op->type == OpType::add_writer || op->type == OpType::remove_writer) {
        multi::MemberOp m{seq, op->type, {}, op->from};
        std::copy(op->key.begin(), op->key.end(), m.target.begin());
        mine.push_back(m);
      } else if (op->type == OpType::put || op->type == OpType::del) {
        ops[writer].push_back(ModelOp{OpId{writer, seq}, std::move(*op)});
      }
    }
  }
  std::set<Hash> announced;
  if (membership == multi::Membership::open) {
    for (const auto& [w, b] : logs) announced.insert(w);
  }
  auto table = multi::compute_membership(root, membership, member_ops, announced, max_writers);

  std::vector<ModelOp> valid;
  for (auto& [writer, list] : ops) {
    for (auto& op : list) {
      if (op.id.seq < table.cutoff(writer)) valid.push_back(op);
    }
  }
  auto rank = [](const ModelOp& o) { return std::tuple(o.op.hlc, o.id.writer, o.id.seq); };
  std::sort(valid.begin(), valid.end(), [&](const ModelOp& a, const ModelOp& b) { return rank(a) < rank(b); });
  auto value_of = [](const ModelOp& o) {
    return Value{o.id, o.op.hlc, o.op.type == OpType::del,
                 o.op.type == OpType::put ? o.op.value : std::nullopt};
  };

  std::map<Bytes, std::vector<Value>> result;
  if (conflict == multi::Conflict::lww) {
    std::map<Bytes, const ModelOp*> last;
    for (const auto& o : valid) last[o.op.key] = &o;  // canonical order: the last one wins
    for (const auto& [key, o] : last) {
      if (o->op.type == OpType::put) result[key] = {value_of(*o)};
    }
  } else {
    std::set<std::pair<Bytes, OpId>> linked;
    for (const auto& o : valid) {
      for (const auto& l : o.op.links) linked.insert({o.op.key, l});
    }
    for (const auto& o : valid) {
      if (linked.contains({o.op.key, o.id}) || o.op.type != OpType::put) continue;
      result[o.op.key].push_back(value_of(o));  // already in (hlc, writer, seq) order
    }
  }
  std::vector<KeyValues> out;
  for (auto& [key, values] : result) out.push_back(KeyValues{key, std::move(values)});
  return out;
}

inline hypercore::Result<std::vector<KeyValues>> read_view(const multi::Group& g) {
  HC_TRY(it, g.range());
  std::vector<KeyValues> out;
  for (;;) {
    HC_TRY(kv, it.next());
    if (!kv) break;
    out.push_back(std::move(*kv));
  }
  return out;
}

inline hypercore::Result<std::vector<Bytes>> read_log(const hypercore::Core& core) {
  std::vector<Bytes> blocks;
  for (uint64_t i = 0; i < core.length(); ++i) {
    HC_TRY(b, core.get(i));
    blocks.push_back(std::move(b));
  }
  return blocks;
}

}  // namespace multi_test
