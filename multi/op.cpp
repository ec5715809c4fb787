#include "multi/op.hpp"

#include "hypercore/compact_encoding.hpp"

namespace multi {

using hypercore::errc;
using hypercore::fail;

const char* op_type_name(OpType type) {
  switch (type) {
    case OpType::header: return "header";
    case OpType::put: return "put";
    case OpType::del: return "del";
    case OpType::add_writer: return "add_writer";
    case OpType::remove_writer: return "remove_writer";
  }
  return "unknown";
}

const char* conflict_name(Conflict conflict) {
  return conflict == Conflict::lww ? "lww" : "multi_value";
}

const char* membership_name(Membership membership) {
  return membership == Membership::invited ? "invited" : "open";
}

namespace {

constexpr uint64_t kFlagValue = 1;  // put: a value follows

void encode_links(hypercore::cenc::Encoder& e, const std::vector<OpId>& links) {
  e.uint(links.size());
  for (const auto& link : links) {
    e.fixed(link.writer);
    e.uint(link.seq);
  }
}

Result<std::vector<OpId>> decode_links(hypercore::cenc::Decoder& d) {
  HC_TRY(n, d.array_length(33));
  std::vector<OpId> links;
  links.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    HC_TRY(writer, d.fixed32());
    HC_TRY(seq, d.uint());
    links.push_back(OpId{writer, seq});
  }
  return links;
}

}  // namespace

Bytes encode_op(const Op& op) {
  hypercore::cenc::Encoder e;
  e.uint(kOpVersion);
  e.uint(static_cast<uint64_t>(op.type));
  e.u64le(op.hlc.packed);
  e.buffer(op.key);
  switch (op.type) {
    case OpType::header:
      e.string(kProtocolName);
      e.uint(static_cast<uint64_t>(op.conflict));
      e.uint(static_cast<uint64_t>(op.membership));
      break;
    case OpType::put:
      e.uint(op.value ? kFlagValue : 0);
      if (op.value) e.buffer(*op.value);
      encode_links(e, op.links);
      break;
    case OpType::del:
      encode_links(e, op.links);
      break;
    case OpType::add_writer:
      break;
    case OpType::remove_writer:
      e.uint(op.from);
      break;
  }
  return e.take();
}

Result<Op> decode_op(ByteSpan block) {
  hypercore::cenc::Decoder d(block, "group op");
  HC_TRY(version, d.uint());
  if (version != kOpVersion) {
    return fail(errc::unsupported, "group op of version " + std::to_string(version) + " (this build reads version " +
                                       std::to_string(kOpVersion) + ")");
  }
  HC_TRY(type, d.uint());
  if (type > static_cast<uint64_t>(OpType::remove_writer)) {
    return fail(errc::corrupt, "group op: unknown type " + std::to_string(type));
  }
  Op op;
  op.type = static_cast<OpType>(type);
  HC_TRY(hlc, d.u64le());
  op.hlc = Hlc{hlc};
  HC_TRY(key, d.buffer());
  op.key.assign(key.begin(), key.end());
  switch (op.type) {
    case OpType::header: {
      HC_TRY(name, d.string());
      if (name != kProtocolName) return fail(errc::corrupt, "group header: protocol \"" + name + "\" is not bee-multi/1");
      HC_TRY(conflict, d.uint());
      HC_TRY(membership, d.uint());
      if (conflict > 1 || membership > 1) return fail(errc::corrupt, "group header: unknown conflict or membership rule");
      if (op.key.size() != 32) return fail(errc::corrupt, "group header: the group key is not 32 bytes");
      op.conflict = static_cast<Conflict>(conflict);
      op.membership = static_cast<Membership>(membership);
      break;
    }
    case OpType::put: {
      HC_TRY(flags, d.uint());
      if (flags & ~kFlagValue) return fail(errc::corrupt, "group put: unknown flags " + std::to_string(flags));
      if (flags & kFlagValue) {
        HC_TRY(value, d.buffer());
        op.value = Bytes(value.begin(), value.end());
      }
      HC_TRY(links, decode_links(d));
      op.links = std::move(links);
      break;
    }
    case OpType::del: {
      HC_TRY(links, decode_links(d));
      op.links = std::move(links);
      break;
    }
    case OpType::add_writer:
    case OpType::remove_writer: {
      if (op.key.size() != 32) return fail(errc::corrupt, std::string("group ") + op_type_name(op.type) + ": the writer key is not 32 bytes");
      if (op.type == OpType::remove_writer) {
        HC_TRY(from, d.uint());
        op.from = from;
      }
      break;
    }
  }
  HC_CHECK(d.expect_end());
  return op;
}

}  // namespace multi
