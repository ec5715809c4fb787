// Write tokens (../shared/spec/dht.md §1.5): proof that a requester receives at the IP it
// claims. Only this node verifies its own tokens, so the scheme is ours; it follows the
// reference (keyed BLAKE2b of the host string, two rotating secrets) so a token stays valid
// 7.5–15 s, above the ≥ 10 s a client needs between its query and its commit.
#pragma once

#include <array>

#include "hypercore/bytes.hpp"
#include "net/dht/address.hpp"

namespace net::dht {

class TokenStore {
 public:
  // `secret_seed`: 64 random bytes (seeded by the caller so simulations are reproducible).
  explicit TokenStore(const std::array<uint8_t, 64>& secret_seed);

  // The token to hand to `host` now.
  NodeId token(const Ipv4Address& address) const { return token_with(address, 1); }
  // True when `token` was issued to `address`'s host with the current or previous secret.
  bool verify(const Ipv4Address& address, const NodeId& token) const;
  // previous ← current, current ← H(old previous). Called every kRotateSecretsDrains drains.
  void rotate();

 private:
  NodeId token_with(const Ipv4Address& address, int secret) const;

  std::array<NodeId, 2> secrets_{};
};

}  // namespace net::dht
