#include "net/dht/tokens.hpp"

#include <algorithm>

#include "hypercore/crypto.hpp"

namespace net::dht {

TokenStore::TokenStore(const std::array<uint8_t, 64>& seed) {
  std::copy(seed.begin(), seed.begin() + 32, secrets_[0].begin());
  std::copy(seed.begin() + 32, seed.end(), secrets_[1].begin());
}

NodeId TokenStore::token_with(const Ipv4Address& address, int secret) const {
  // Host only: a NAT may pick another source port for the commit than for the query.
  auto host = address.host_string();
  return hypercore::blake2b_keyed(secrets_[static_cast<size_t>(secret)], hypercore::as_bytes(host));
}

bool TokenStore::verify(const Ipv4Address& address, const NodeId& token) const {
  return token == token_with(address, 1) || token == token_with(address, 0);
}

void TokenStore::rotate() {
  NodeId old = secrets_[0];
  secrets_[0] = secrets_[1];
  secrets_[1] = hypercore::blake2b({old});
}

}  // namespace net::dht
