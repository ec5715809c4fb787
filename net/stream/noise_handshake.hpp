// The Noise_XX_Ed25519_ChaChaPoly_BLAKE2b handshake of @hyperswarm/secret-stream 6.9.2
// (../shared/spec/replication.md §2.2-§2.3), as a sans-I/O state machine over unframed
// handshake messages: the caller moves bytes, this object only computes. Prologue and
// payloads are empty; received payload bytes are authenticated and ignored, as in Node.
//
//   initiator: write_message() -> msg1, read_message(msg2), write_message() -> msg3
//   responder: read_message(msg1), write_message() -> msg2, read_message(msg3)
//
// After the last step complete() is true and outcome() holds the transport keys, the
// handshake hash and the peer's static key. Any failure is final (failed() stays true).
// Not thread-safe; one object per connection attempt.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "net/stream/noise_symmetric_state.hpp"
#include "net/stream/stream_error.hpp"

namespace net {

// "Noise_XX_Ed25519_ChaChaPoly_BLAKE2b".
extern const char kNoiseProtocolName[];
// Noise caps every handshake message at 65535 bytes; noise-handshake enforces it on
// encrypted parts, we enforce it on whole messages.
inline constexpr size_t kMaxNoiseMessageSize = 65535;

struct NoiseKeys {
  // Long-term identity; default: a fresh random pair per connection, as Node does.
  std::optional<hypercore::KeyPair> static_key_pair;
  // Only for deterministic tests (§2.8); default: random.
  std::optional<hypercore::KeyPair> ephemeral_key_pair;
};

struct HandshakeOutcome {
  hypercore::PublicKey remote_public_key{};  // the peer's static key (rs); not authenticated by us
  Hash64 handshake_hash{};                   // the final h
  Key32 tx{};                                // our send key
  Key32 rx{};                                // our receive key
};

class NoiseHandshake {
 public:
  NoiseHandshake(bool is_initiator, NoiseKeys keys = {});
  ~NoiseHandshake();
  NoiseHandshake(const NoiseHandshake&) = delete;
  NoiseHandshake& operator=(const NoiseHandshake&) = delete;

  bool is_initiator() const { return is_initiator_; }
  // True when the next step is write_message() (initiator at msg1/msg3, responder at msg2).
  bool wants_write() const;
  bool complete() const { return step_ == kDone; }
  bool failed() const { return failed_; }

  // The next outgoing message, unframed. handshake_failed if it is not our turn.
  StreamResult<hypercore::Bytes> write_message();
  // Processes the peer's next message, unframed. handshake_failed on a short message,
  // an authentication failure or an unusable public key.
  StreamResult<void> read_message(hypercore::ByteSpan message);

  const hypercore::PublicKey& local_public_key() const { return s_.public_key; }
  const hypercore::PublicKey& local_ephemeral_public_key() const { return e_.public_key; }
  // The running handshake hash h (after construction: h after the prologue).
  const Hash64& hash() const { return state_.hash(); }
  // Valid once complete().
  const HandshakeOutcome& outcome() const { return outcome_; }

 private:
  enum Step { kMsg1 = 0, kMsg2 = 1, kMsg3 = 2, kDone = 3 };

  void split();
  std::unexpected<StreamError> fail(std::string why);

  bool is_initiator_;
  hypercore::KeyPair s_;
  hypercore::KeyPair e_;
  hypercore::PublicKey re_{};
  hypercore::PublicKey rs_{};
  SymmetricState state_;
  int step_ = kMsg1;
  bool failed_ = false;
  HandshakeOutcome outcome_;
};

}  // namespace net
