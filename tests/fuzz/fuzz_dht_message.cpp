// Hostile datagrams into the dht-rpc codec and a live node: decoding must fail cleanly or
// round-trip, and a node fed anything must neither crash nor answer undecodable input.
#include <cstdint>
#include <cstdlib>

#include "net/dht/dht_node.hpp"
#include "net/dht/messages.hpp"

using namespace net::dht;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hypercore::ByteSpan in(data, size);
  auto m = decode_message(in);
  if (m) {
    auto bytes = std::holds_alternative<Request>(*m) ? encode_request(std::get<Request>(*m))
                                                      : encode_response(std::get<Response>(*m));
    auto again = decode_message(bytes);
    if (!again) abort();
    auto bytes2 = std::holds_alternative<Request>(*again) ? encode_request(std::get<Request>(*again))
                                                           : encode_response(std::get<Response>(*again));
    if (bytes != bytes2) abort();
  }

  static size_t sent = 0;
  static DhtNode* node = [] {
    DhtNodeOptions o;
    o.ephemeral = false;
    o.known_address = Ipv4Address{{127, 0, 0, 1}, 49738};
    o.seed = 1;
    o.bootstrap = {Ipv4Address{{127, 0, 0, 1}, 49737}};
    auto* n = new DhtNode(o, [](Socket, const Ipv4Address&, hypercore::ByteSpan) { sent++; }, 0);
    return n;
  }();
  static Millis now = 0;
  size_t before = sent;
  node->receive(Socket::server, Ipv4Address{{127, 0, 0, 2}, 1000}, in, now);
  if (!m && sent != before) abort();  // undecodable input must never be answered
  now += 10;
  node->advance(now);
  return 0;
}
