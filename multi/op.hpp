// The ops of a group: one op per block of a writer's log, in compact encoding, version 1.
// The byte layout is docs/format/multiwriter.md; tests/interop/multi_model.js decodes it too.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"
#include "multi/hlc.hpp"

namespace multi {

using hypercore::ByteSpan;
using hypercore::Bytes;
using hypercore::Hash;
using hypercore::Result;

// An op's address: the writer's core key and the block's index in it.
struct OpId {
  Hash writer{};
  uint64_t seq = 0;
  friend auto operator<=>(const OpId&, const OpId&) = default;
};

enum class OpType : uint8_t {
  header = 0,         // block 0 of every writer log: which group, and (in the root's) its rules
  put = 1,            // key = the key, value = the value (absent: a put without a value)
  del = 2,            // key = the key
  add_writer = 3,     // key = the new writer's core key
  remove_writer = 4,  // key = the writer's core key; its ops from `from` on are ignored
};

// How conflicting writes to one key are resolved (the group's rule, in the root's header).
enum class Conflict : uint8_t {
  lww = 0,          // the write with the largest (hlc, writer, seq) wins; deletes are tombstones
  multi_value = 1,  // every write no other write links is a value: get returns them all
};

// Who may write (the group's rule, in the root's header).
enum class Membership : uint8_t {
  invited = 0,  // the root, and writers added by add_writer ops of members
  open = 1,     // any writer a peer announces (trusted LANs, tests)
};

inline constexpr uint64_t kOpVersion = 1;
inline constexpr std::string_view kProtocolName = "bee-multi/1";

struct Op {
  OpType type = OpType::put;
  Hlc hlc{};
  Bytes key;
  std::optional<Bytes> value;  // put only
  uint64_t from = 0;           // remove_writer only
  std::vector<OpId> links;     // put and del: the values this write replaces (multi-value)
  // header only: the group's rules (read from the root's header; others must match it).
  Conflict conflict = Conflict::lww;
  Membership membership = Membership::invited;

  friend bool operator==(const Op&, const Op&) = default;
};

const char* op_type_name(OpType type);
const char* conflict_name(Conflict conflict);
const char* membership_name(Membership membership);

Bytes encode_op(const Op& op);
// errc::corrupt for bytes that are not a version-1 op (naming the field and offset);
// errc::unsupported for a later version, so a newer peer's ops are recognised as such.
Result<Op> decode_op(ByteSpan block);

}  // namespace multi
