#include "net/replication/hypercore_messages.hpp"

#include <array>

#include "hypercore/crypto.hpp"
#include "hypercore/manifest.hpp"

namespace net {

using hypercore::errc;
using hypercore::fail;
using hypercore::Node;
using hypercore::Proof;
using hypercore::ProofRequest;
using hypercore::cenc::Decoder;
using hypercore::cenc::Encoder;

namespace {

// Smallest encoding of a tree node: uint index, uint size, fixed32 hash.
constexpr size_t kMinNodeBytes = 34;

constexpr uint64_t kFlagBlock = 1, kFlagHash = 2, kFlagSeek = 4, kFlagUpgrade = 8, kFlagManifest = 16,
                   kFlagPriority = 32;

void encode_nodes(Encoder& e, const std::vector<Node>& nodes) {
  e.uint(nodes.size());
  for (const Node& n : nodes) {
    e.uint(n.index);
    e.uint(n.size);
    e.fixed(n.hash);
  }
}

Result<std::vector<Node>> decode_nodes(Decoder& in) {
  HC_TRY(count, in.array_length(kMinNodeBytes));
  std::vector<Node> nodes(static_cast<size_t>(count));
  for (Node& n : nodes) {
    HC_TRY(index, in.uint());
    HC_TRY(size, in.uint());
    HC_TRY(hash, in.fixed32());
    n = Node{index, size, hash};
  }
  return nodes;
}

Bytes to_vec(ByteSpan s) { return Bytes(s.begin(), s.end()); }

struct EncodeVisitor {
  Encoder& e;

  void operator()(const Sync& m) {
    e.uint((m.can_upgrade ? 1 : 0) | (m.uploading ? 2 : 0) | (m.downloading ? 4 : 0) | (m.has_manifest ? 8 : 0) |
           (m.allow_push ? 16 : 0));
    e.uint(m.fork);
    e.uint(m.length);
    e.uint(m.remote_length);
  }
  void operator()(const Request& m) {
    const ProofRequest& p = m.proof;
    e.uint((p.block ? kFlagBlock : 0) | (p.hash ? kFlagHash : 0) | (p.seek ? kFlagSeek : 0) |
           (p.upgrade ? kFlagUpgrade : 0) | (p.manifest ? kFlagManifest : 0) | (m.priority ? kFlagPriority : 0));
    e.uint(m.id);
    e.uint(p.fork);
    if (p.block) e.uint(p.block->index), e.uint(p.block->nodes);
    if (p.hash) e.uint(p.hash->index), e.uint(p.hash->nodes);
    if (p.seek) e.uint(p.seek->bytes), e.uint(p.seek->padding);
    if (p.upgrade) e.uint(p.upgrade->start), e.uint(p.upgrade->length);
    if (m.priority) e.uint(m.priority);
  }
  void operator()(const Cancel& m) { e.uint(m.request); }
  void operator()(const Data& m) {
    const Proof& p = m.proof;
    e.uint((p.block ? kFlagBlock : 0) | (p.hash ? kFlagHash : 0) | (p.seek ? kFlagSeek : 0) |
           (p.upgrade ? kFlagUpgrade : 0) | (p.manifest ? kFlagManifest : 0));
    e.uint(m.request);
    e.uint(p.fork);
    if (p.block) {
      e.uint(p.block->index);
      e.buffer(p.block->value);
      encode_nodes(e, p.block->nodes);
    }
    if (p.hash) {
      e.uint(p.hash->index);
      encode_nodes(e, p.hash->nodes);
    }
    if (p.seek) {
      e.uint(p.seek->bytes);
      encode_nodes(e, p.seek->nodes);
    }
    if (p.upgrade) {
      e.uint(p.upgrade->start);
      e.uint(p.upgrade->length);
      encode_nodes(e, p.upgrade->nodes);
      encode_nodes(e, p.upgrade->additional_nodes);
      e.buffer(p.upgrade->signature);
    }
    if (p.manifest) p.manifest->encode_to(e);
  }
  void operator()(const NoData& m) {
    e.uint(m.request);
    if (m.reason != 0) e.uint(1), e.uint(m.reason);
  }
  void operator()(const Want& m) {
    e.uint(m.start), e.uint(m.length);
    if (m.any) e.uint(1);
  }
  void operator()(const Unwant& m) {
    e.uint(m.start), e.uint(m.length);
    if (m.any) e.uint(1);
  }
  void operator()(const Bitfield& m) {
    e.uint(m.start);
    encode_uint32array(e, m.words);
  }
  void operator()(const Range& m) {
    e.uint((m.drop ? 1 : 0) | (m.length == 1 ? 2 : 0));
    e.uint(m.start);
    if (m.length != 1) e.uint(m.length);
  }
  void operator()(const Extension& m) {
    e.string(m.name);
    e.fixed(m.message);
  }
};

// A trailing flags field hypercore 11 added: 0 when the sender (10.38.2) left it out.
Result<uint64_t> optional_flags(Decoder& in) {
  if (in.remaining() == 0) return uint64_t{0};
  return in.uint();
}

Result<Message> decode_request(Decoder& in) {
  Request m;
  ProofRequest& p = m.proof;
  HC_TRY(flags, in.uint());
  HC_TRY(id, in.uint());
  HC_TRY(fork, in.uint());
  m.id = id;
  p.fork = fork;
  if (flags & kFlagBlock) {
    HC_TRY(index, in.uint());
    HC_TRY(nodes, in.uint());
    p.block = ProofRequest::Block{index, nodes};
  }
  if (flags & kFlagHash) {
    HC_TRY(index, in.uint());
    HC_TRY(nodes, in.uint());
    p.hash = ProofRequest::Hash{index, nodes};
  }
  if (flags & kFlagSeek) {
    HC_TRY(bytes, in.uint());
    HC_TRY(padding, in.uint());
    p.seek = ProofRequest::Seek{bytes, padding};
  }
  if (flags & kFlagUpgrade) {
    HC_TRY(start, in.uint());
    HC_TRY(length, in.uint());
    p.upgrade = ProofRequest::Upgrade{start, length};
  }
  p.manifest = (flags & kFlagManifest) != 0;
  if (flags & kFlagPriority) {
    HC_TRY(priority, in.uint());
    m.priority = priority;
  }
  return m;
}

Result<Message> decode_data(Decoder& in) {
  Data m;
  Proof& p = m.proof;
  HC_TRY(flags, in.uint());
  HC_TRY(request, in.uint());
  HC_TRY(fork, in.uint());
  m.request = request;
  p.fork = fork;
  if (flags & kFlagBlock) {
    HC_TRY(index, in.uint());
    HC_TRY(value, in.buffer());
    HC_TRY(nodes, decode_nodes(in));
    p.block = Proof::Block{index, to_vec(value), std::move(nodes)};
  }
  if (flags & kFlagHash) {
    HC_TRY(index, in.uint());
    HC_TRY(nodes, decode_nodes(in));
    p.hash = Proof::Hash{index, std::move(nodes)};
  }
  if (flags & kFlagSeek) {
    HC_TRY(bytes, in.uint());
    HC_TRY(nodes, decode_nodes(in));
    p.seek = Proof::Seek{bytes, std::move(nodes)};
  }
  if (flags & kFlagUpgrade) {
    HC_TRY(start, in.uint());
    HC_TRY(length, in.uint());
    HC_TRY(nodes, decode_nodes(in));
    HC_TRY(additional, decode_nodes(in));
    HC_TRY(signature, in.buffer());
    p.upgrade = Proof::Upgrade{start, length, std::move(nodes), std::move(additional), to_vec(signature)};
  }
  if (flags & kFlagManifest) {
    // In place: moving a Manifest out of the Result first makes g++ 12 -O2 warn falsely.
    auto manifest = hypercore::Manifest::decode_from(in);
    if (!manifest) return std::unexpected(manifest.error());
    p.manifest.emplace(std::move(*manifest));
  }
  return m;
}

Result<Message> decode_payload(uint64_t type, Decoder& in) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::sync: {
      HC_TRY(flags, in.uint());
      HC_TRY(fork, in.uint());
      HC_TRY(length, in.uint());
      HC_TRY(remote_length, in.uint());
      return Sync{(flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0,
                  fork,             length,           remote_length,    (flags & 16) != 0};
    }
    case MessageType::request:
      return decode_request(in);
    case MessageType::cancel: {
      HC_TRY(request, in.uint());
      return Cancel{request};
    }
    case MessageType::data:
      return decode_data(in);
    case MessageType::no_data: {
      HC_TRY(request, in.uint());
      NoData m{request, 0};
      // hypercore 11: optional flags, then the reason when flag 1 is set.
      HC_TRY(flags, optional_flags(in));
      if (flags & 1) {
        HC_TRY(reason, in.uint());
        m.reason = reason;
      }
      return m;
    }
    case MessageType::want: {
      HC_TRY(start, in.uint());
      HC_TRY(length, in.uint());
      HC_TRY(flags, optional_flags(in));
      return Want{start, length, (flags & 1) != 0};
    }
    case MessageType::unwant: {
      HC_TRY(start, in.uint());
      HC_TRY(length, in.uint());
      HC_TRY(flags, optional_flags(in));
      return Unwant{start, length, (flags & 1) != 0};
    }
    case MessageType::bitfield: {
      HC_TRY(start, in.uint());
      HC_TRY(words, decode_uint32array(in));
      return Bitfield{start, std::move(words)};
    }
    case MessageType::range: {
      HC_TRY(flags, in.uint());
      HC_TRY(start, in.uint());
      Range m{(flags & 1) != 0, start, 1};
      if ((flags & 2) == 0) {
        HC_TRY(length, in.uint());
        m.length = length;
      }
      return m;
    }
    case MessageType::extension: {
      HC_TRY(name, in.string());
      HC_TRY(message, in.fixed(in.remaining()));
      return Extension{std::move(name), to_vec(message)};
    }
  }
  return fail(errc::unsupported, "hypercore message type " + std::to_string(type) + " is unknown");
}

const char* const kMessageNames[] = {"sync", "request", "cancel", "data", "noData",
                                     "want", "unwant",  "bitfield", "range", "extension"};

}  // namespace

bool operator==(const Request& a, const Request& b) { return encode_message(a) == encode_message(b); }
bool operator==(const Data& a, const Data& b) { return encode_message(a) == encode_message(b); }

Bytes encode_handshake(const Handshake& h) {
  Encoder e;
  e.uint(h.seeks ? 1 : 0);
  e.fixed(h.capability);
  return e.take();
}

Result<Handshake> decode_handshake(ByteSpan bytes) {
  Decoder in(bytes, "hypercore channel handshake");
  HC_TRY(flags, in.uint());
  HC_TRY(capability, in.fixed32());
  return Handshake{(flags & 1) != 0, capability};
}

Hash capability(NoiseRole role, ByteSpan handshake_hash, const Hash& core_key) {
  const Hash& ns = role == NoiseRole::initiator ? hypercore::caps::replicate_initiator()
                                                : hypercore::caps::replicate_responder();
  std::array<uint8_t, 64> message{};
  std::copy(ns.begin(), ns.end(), message.begin());
  std::copy(core_key.begin(), core_key.end(), message.begin() + 32);
  return hypercore::blake2b_keyed(handshake_hash, message);
}

MessageType message_type(const Message& m) { return static_cast<MessageType>(m.index()); }

void encode_to(Encoder& out, const Message& m) { std::visit(EncodeVisitor{out}, m); }

Bytes encode_message(const Message& m) {
  Encoder e;
  encode_to(e, m);
  return e.take();
}

Result<Message> decode_message(uint64_t type, ByteSpan payload) {
  if (type >= kHypercoreMessageTypes) {
    return fail(errc::unsupported, "hypercore message type " + std::to_string(type) + " is unknown");
  }
  Decoder in(payload, std::string("hypercore ") + kMessageNames[type] + " message");
  return decode_payload(type, in);
}

void encode_uint32array(Encoder& out, const std::vector<uint32_t>& words) {
  out.uint(words.size());
  for (uint32_t w : words) out.u32le(w);
}

Result<std::vector<uint32_t>> decode_uint32array(Decoder& in) {
  HC_TRY(count, in.uint());
  if (count > in.remaining() / 4) {
    return fail(errc::corrupt, "uint32array of " + std::to_string(count) + " words exceeds the input (" +
                                   std::to_string(in.remaining()) + " bytes left)");
  }
  std::vector<uint32_t> words(static_cast<size_t>(count));
  for (uint32_t& w : words) {
    HC_TRY(v, in.u32le());
    w = v;
  }
  return words;
}

}  // namespace net
