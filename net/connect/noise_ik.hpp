// The Noise_IK_Ed25519_ChaChaPoly_BLAKE2b handshake hyperdht 6.34.0 runs inside
// PEER_HANDSHAKE messages (../shared/spec/dht.md §3.3; hyperdht/lib/noise-wrap.js over
// noise-handshake 4.2.0 + noise-curve-ed): prologue NS_PEER_HANDSHAKE, the responder's
// static key known to the initiator in advance, DH over Ed25519 points. Two messages, each
// carrying an encrypted payload (the Noise payload of messages.hpp, opaque here):
//
//   initiator (client): write_message(p1) -> msg1 ... read_message(msg2) -> p2, complete()
//   responder (server): read_message(msg1) -> p1, remote_public_key() ... write_message(p2)
//                       -> msg2, complete()
//
// Sans-I/O: the caller moves bytes. Any failure is final (failed() stays true). outcome()
// is what @hyperswarm/secret-stream's `handshake` option takes (secret_stream_handshake()),
// plus the derived holepunch secret. Not thread-safe; one object per connection attempt.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "net/connect/connect_error.hpp"
#include "net/stream/noise_symmetric_state.hpp"
#include "net/stream/secret_stream.hpp"

namespace net::connect {

using net::Hash64;
using net::Key32;

// "Noise_IK_Ed25519_ChaChaPoly_BLAKE2b" (35 bytes).
extern const char kNoiseIkProtocolName[];

struct IkOutcome {
  bool is_initiator = false;
  hypercore::PublicKey public_key{};         // our static key
  hypercore::PublicKey remote_public_key{};  // the peer's static key (authenticated by the handshake)
  Hash64 handshake_hash{};                   // the final h, equal on both ends
  Key32 tx{};                                // our send key
  Key32 rx{};                                // our receive key
  Key32 holepunch_secret{};                  // H(NS_PEER_HOLEPUNCH; key = handshake_hash)
};

class NoiseIk {
 public:
  // The client side: it must know the server's static key. `ephemeral` only for
  // deterministic tests (default: a fresh random Ed25519 pair, as noise-curve-ed makes).
  static NoiseIk initiator(const hypercore::KeyPair& static_key_pair, const hypercore::PublicKey& remote_static,
                           std::optional<hypercore::KeyPair> ephemeral = std::nullopt);
  // The server side.
  static NoiseIk responder(const hypercore::KeyPair& static_key_pair,
                           std::optional<hypercore::KeyPair> ephemeral = std::nullopt);

  ~NoiseIk();
  NoiseIk(NoiseIk&&) noexcept;
  NoiseIk& operator=(NoiseIk&&) noexcept;
  // Copyable so a client can try a reply on a copy: a forged reply from a hostile relay then
  // spends the copy, not the handshake (every copy is wiped on destruction).
  NoiseIk(const NoiseIk&);
  NoiseIk& operator=(const NoiseIk&);

  bool is_initiator() const { return is_initiator_; }
  // True when the next step is write_message() (initiator first, responder second).
  bool wants_write() const;
  bool complete() const { return step_ == kDone; }
  bool failed() const { return failed_; }

  // Our next message with `payload` encrypted into it. out_of_turn if it is not our turn,
  // handshake_failed if the peer's ephemeral key is unusable.
  ConnectResult<hypercore::Bytes> write_message(hypercore::ByteSpan payload);
  // Processes the peer's message and returns its decrypted payload. handshake_failed on a
  // short message, an authentication failure or an unusable key; out_of_turn if it is ours.
  ConnectResult<hypercore::Bytes> read_message(hypercore::ByteSpan message);

  const hypercore::PublicKey& local_public_key() const { return s_.public_key; }
  // The initiator's static key: known from the start on the initiator, after msg1 on the responder.
  const hypercore::PublicKey& remote_public_key() const { return rs_; }
  // The running h.
  const Hash64& hash() const { return state_.hash(); }
  // Valid once complete().
  const IkOutcome& outcome() const { return outcome_; }

 private:
  enum Step { kMsg1 = 0, kMsg2 = 1, kDone = 2 };
  NoiseIk(bool is_initiator, const hypercore::KeyPair& s, std::optional<hypercore::KeyPair> e);

  void split();
  std::unexpected<ConnectError> fail(ConnectErrc code, std::string why);
  void wipe();

  bool is_initiator_ = false;
  hypercore::KeyPair s_;
  hypercore::KeyPair e_;
  hypercore::PublicKey re_{};
  hypercore::PublicKey rs_{};
  net::SymmetricState state_;
  int step_ = kMsg1;
  bool failed_ = false;
  IkOutcome outcome_;
};

// H(NS_PEER_HOLEPUNCH; key = handshake_hash): the secretbox key of PEER_HOLEPUNCH payloads.
Key32 holepunch_secret(const Hash64& handshake_hash);

// What SecretStreamOptions::handshake takes to skip its own Noise XX (secret-stream's
// `{ handshake: { tx, rx, hash, publicKey, remotePublicKey } }`); the role is outcome.is_initiator.
net::EstablishedHandshake secret_stream_handshake(const IkOutcome& outcome);

}  // namespace net::connect
