// The dht-rpc message codec (../shared/spec/dht.md §1.2): one request or response per UDP
// datagram. Decoding takes hostile bytes: every field is bounds-checked, a closerNodes array
// cannot claim more entries than the datagram holds, and any failure is errc::corrupt (the
// node then drops the datagram without answering, as the reference does).
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"
#include "net/dht/address.hpp"
#include "net/dht/constants.hpp"

namespace net::dht {

struct Request {
  uint16_t tid = 0;
  Ipv4Address to;                  // the receiver as the sender sees it
  std::optional<NodeId> id;        // claimed sender id (validated by the receiver)
  std::optional<NodeId> token;     // write token previously issued by the receiver
  bool internal = false;
  uint32_t command = 0;
  std::optional<NodeId> target;
  std::optional<hypercore::Bytes> value;  // an empty buffer decodes as absent
};

struct Response {
  uint16_t tid = 0;
  Ipv4Address to;                  // the requester as the responder sees it
  std::optional<NodeId> id;
  std::optional<NodeId> token;
  std::vector<Ipv4Address> closer_nodes;  // empty = flag absent
  uint32_t error = 0;
  std::optional<hypercore::Bytes> value;
};

using Message = std::variant<Request, Response>;

hypercore::Bytes encode_request(const Request& request);
hypercore::Bytes encode_response(const Response& response);

// Decodes one datagram. Trailing bytes after the last field are ignored, like the reference.
hypercore::Result<Message> decode_message(hypercore::ByteSpan datagram);

}  // namespace net::dht
