// The seam between the sans-I/O DHT and whatever carries its datagrams (UDP sockets in
// udp_dht.hpp, the simulator in tests/net/dht_sim). A dht-rpc node owns two sockets
// (../shared/spec/dht.md §1.1): the advertised server socket and an ephemeral client socket.
#pragma once

#include <functional>

#include "hypercore/bytes.hpp"
#include "net/dht/address.hpp"

namespace net::dht {

enum class Socket { server, client };

// Sends one datagram from our `from` socket. Must not call back into the node.
using SendFn = std::function<void(Socket from, const Ipv4Address& to, hypercore::ByteSpan datagram)>;

}  // namespace net::dht
