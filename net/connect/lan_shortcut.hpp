// The LAN shortcut of HyperDHT's client (connect.js holepunch(), hyperdht 6.34.0): when the
// relay saw us and the server at one public IP, both are likely behind the same NAT, which
// may not hairpin; the server's own interface addresses (its payload's addresses4) may then
// be reachable directly. The client PINGs the best candidate and, on an answer, dials it,
// racing the holepunch. Pure functions; the PING and the dial are DhtPeer's.
#pragma once

#include <optional>
#include <span>

#include "net/dht/address.hpp"

namespace net::connect {

using dht::Ipv4Address;

// holepuncher.js matchAddress: the first of `theirs` sharing three leading octets with one
// of `ours`, else the first sharing two, else the first sharing one; nullopt if none.
std::optional<Ipv4Address> match_address(std::span<const Ipv4Address> ours, std::span<const Ipv4Address> theirs);

// Where to try the shortcut, or nullopt when it does not apply: the relay saw us
// (`us_seen`) and the server (`server_seen`) at different hosts, or the server listed no
// address that is not reserved. Otherwise the match among those addresses for `ours`
// (our interface addresses), else the first of them.
std::optional<Ipv4Address> lan_shortcut_target(const Ipv4Address& us_seen, const Ipv4Address& server_seen,
                                               std::span<const Ipv4Address> server_addresses4,
                                               std::span<const Ipv4Address> ours);

}  // namespace net::connect
