#include "net/dht/messages.hpp"

#include "hypercore/compact_encoding.hpp"

namespace net::dht {

namespace cenc = hypercore::cenc;
using hypercore::Bytes;
using hypercore::ByteSpan;
using hypercore::Result;

namespace {

void put_u16(cenc::Encoder& e, uint16_t v) {
  e.u8(static_cast<uint8_t>(v & 0xff));
  e.u8(static_cast<uint8_t>(v >> 8));
}

void put_address(cenc::Encoder& e, const Ipv4Address& a) {
  auto six = a.encode();
  e.fixed(ByteSpan(six.data(), six.size()));
}

void put_value(cenc::Encoder& e, const std::optional<Bytes>& v) {
  if (v && !v->empty()) e.buffer(*v);
}

Result<uint16_t> get_u16(cenc::Decoder& d) {
  HC_TRY(b, d.fixed(2));
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}

Result<Ipv4Address> get_address(cenc::Decoder& d) {
  HC_TRY(b, d.fixed(6));
  return Ipv4Address::decode(b.data());
}

Result<std::optional<Bytes>> get_value(cenc::Decoder& d) {
  HC_TRY(b, d.buffer());
  if (b.empty()) return std::optional<Bytes>();
  return std::optional<Bytes>(Bytes(b.begin(), b.end()));
}

Result<uint32_t> get_u32_uint(cenc::Decoder& d, const char* what) {
  HC_TRY(v, d.uint());
  if (v > 0xffffffffULL) return hypercore::fail(hypercore::errc::corrupt, std::string("dht message: ") + what + " out of range");
  return static_cast<uint32_t>(v);
}

// The fields requests and responses share: flags, tid, to and the optional id and token.
// Returns the flags for the caller's own fields.
template <class Message>
Result<uint64_t> decode_common(cenc::Decoder& d, Message& m) {
  HC_TRY(flags, d.uint());
  HC_TRY(tid, get_u16(d));
  m.tid = tid;
  HC_TRY(to, get_address(d));
  m.to = to;
  if (flags & 1) {
    HC_TRY(id, d.fixed32());
    m.id = id;
  }
  if (flags & 2) {
    HC_TRY(token, d.fixed32());
    m.token = token;
  }
  return flags;
}

Result<Request> decode_request(cenc::Decoder& d) {
  Request r;
  HC_TRY(flags, decode_common(d, r));
  r.internal = (flags & 4) != 0;
  HC_TRY(command, get_u32_uint(d, "command"));
  r.command = command;
  if (flags & 8) {
    HC_TRY(target, d.fixed32());
    r.target = target;
  }
  if (flags & 16) {
    HC_TRY(value, get_value(d));
    r.value = std::move(value);
  }
  return r;
}

Result<Response> decode_response(cenc::Decoder& d) {
  Response r;
  HC_TRY(flags, decode_common(d, r));
  if (flags & 4) {
    HC_TRY(count, d.array_length(6));  // bounded by kMaxArrayLength and by the bytes left
    r.closer_nodes.reserve(count);
    for (uint64_t i = 0; i < count; i++) {
      HC_TRY(node, get_address(d));
      r.closer_nodes.push_back(node);
    }
  }
  if (flags & 8) {
    HC_TRY(error, get_u32_uint(d, "error"));
    r.error = error;
  }
  if (flags & 16) {
    HC_TRY(value, get_value(d));
    r.value = std::move(value);
  }
  return r;
}

}  // namespace

Bytes encode_request(const Request& r) {
  cenc::Encoder e;
  bool has_value = r.value && !r.value->empty();
  e.u8(kRequestId);
  e.uint((r.id ? 1 : 0) | (r.token ? 2 : 0) | (r.internal ? 4 : 0) | (r.target ? 8 : 0) | (has_value ? 16 : 0));
  put_u16(e, r.tid);
  put_address(e, r.to);
  if (r.id) e.fixed(*r.id);
  if (r.token) e.fixed(*r.token);
  e.uint(r.command);
  if (r.target) e.fixed(*r.target);
  put_value(e, r.value);
  return e.take();
}

Bytes encode_response(const Response& r) {
  cenc::Encoder e;
  bool has_value = r.value && !r.value->empty();
  e.u8(kResponseId);
  e.uint((r.id ? 1 : 0) | (r.token ? 2 : 0) | (!r.closer_nodes.empty() ? 4 : 0) | (r.error > 0 ? 8 : 0) |
         (has_value ? 16 : 0));
  put_u16(e, r.tid);
  put_address(e, r.to);
  if (r.id) e.fixed(*r.id);
  if (r.token) e.fixed(*r.token);
  if (!r.closer_nodes.empty()) {
    e.uint(r.closer_nodes.size());
    for (const auto& n : r.closer_nodes) put_address(e, n);
  }
  if (r.error > 0) e.uint(r.error);
  put_value(e, r.value);
  return e.take();
}

Result<Message> decode_message(ByteSpan datagram) {
  if (datagram.size() < 2) return hypercore::fail(hypercore::errc::corrupt, "dht message: shorter than 2 bytes");
  cenc::Decoder d(datagram.subspan(1), "dht message");
  if (datagram[0] == kRequestId) {
    HC_TRY(request, decode_request(d));
    return Message(std::move(request));
  }
  if (datagram[0] == kResponseId) {
    HC_TRY(response, decode_response(d));
    return Message(std::move(response));
  }
  return hypercore::fail(hypercore::errc::corrupt, "dht message: unknown type byte");
}

}  // namespace net::dht
