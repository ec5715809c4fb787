// The encrypted connection of @hyperswarm/secret-stream 6.9.2 over one reliable byte
// stream (../shared/spec/replication.md §2), sans-I/O: the caller feeds received bytes
// in, takes bytes to write out, and acts on the events returned. It owns no socket, no
// timer and no thread; net/ binds it to TCP.
//
//   feed(bytes)    -> HandshakeDone (once), MessageReceived (one per non-empty
//                     plaintext), StreamFailed (once; the connection is then dead)
//   send(bytes)    -> queues one encrypted frame (plaintexts sent before the handshake
//                     completes are queued and encrypted right after our header frame)
//   take_output()  -> everything queued for the wire since the last call
//
// Wire: uint24_le length frames reassembled across any split; three Noise XX messages;
// one 56-byte "stream id || secretstream header" frame per direction; then one
// crypto_secretstream_xchacha20poly1305 message per frame. Received empty plaintexts
// (keepalives) are dropped. Every malformed or unauthenticated frame is a named
// StreamErrc after which feed() and send() do nothing but report `closed`.
// Not thread-safe: one owner drives it.
//
// Keyed by a finished handshake (SecretStreamOptions::handshake, what hyperdht does after
// its Noise IK exchange inside PEER_HANDSHAKE): no Noise XX; each side sends its id +
// header frame at once (take_output() has ours after construction) and expects the peer's,
// the role passed to the constructor deciding which stream id is whose. The first feed()
// then reports HandshakeDone, and handshake_complete() turns true with it, so owners that
// start protocols on that event work unchanged; send() works from construction.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/crypto.hpp"
#include "net/stream/noise_handshake.hpp"
#include "net/stream/stream_error.hpp"

namespace net {

// Largest value of the 24-bit length prefix.
inline constexpr size_t kMaxFrameSize = 0xFFFFFF;
// crypto_secretstream_xchacha20poly1305_ABYTES: encrypted tag byte + 16-byte MAC.
inline constexpr size_t kStreamOverhead = 17;
// Largest plaintext one frame carries (Node refuses larger writes too).
inline constexpr size_t kMaxPlaintextSize = kMaxFrameSize - kStreamOverhead;
// Size of the id + header frame body: 32-byte stream id + 24-byte secretstream header.
inline constexpr size_t kIdHeaderSize = 56;

// The result of a handshake done elsewhere (@hyperswarm/secret-stream's `handshake`
// option: { tx, rx, hash, publicKey, remotePublicKey }).
struct EstablishedHandshake {
  Key32 tx{};                                // our send key
  Key32 rx{};                                // our receive key
  Hash64 hash{};                             // the handshake hash: keys the stream ids
  hypercore::PublicKey public_key{};         // our static key
  hypercore::PublicKey remote_public_key{};  // the peer's static key, as that handshake proved it
};

struct SecretStreamOptions {
  // Noise key pairs. Default: a random static pair per connection (as Node does unless
  // given one) and a random ephemeral pair; inject both only for deterministic tests.
  NoiseKeys keys;
  // Largest frame body accepted from the peer. Default: the 24-bit maximum, which lets
  // a peer make us buffer up to 16 MiB per connection; lower it to bound memory when
  // the application's messages are known to be small. A larger length prefix fails
  // with frame_too_large as soon as its 3 bytes arrive, before anything is buffered.
  // Handshake frames are capped at 65535 regardless. Does not limit what we send.
  size_t max_frame_size = kMaxFrameSize;
  // Skip Noise XX and key the stream with this (`keys` is then unused).
  std::optional<EstablishedHandshake> handshake;
};

struct HandshakeDone {
  hypercore::PublicKey remote_public_key{};  // the peer's static key
  Hash64 handshake_hash{};                   // equal on both ends; keys the hypercore capability
};

struct MessageReceived {
  hypercore::Bytes message;  // one plaintext, never empty
};

struct StreamFailed {
  StreamError error;
};

using StreamEvent = std::variant<HandshakeDone, MessageReceived, StreamFailed>;

class SecretStream {
 public:
  // An initiator queues msg1 at once (take_output() has it); a responder waits for it.
  SecretStream(bool is_initiator, SecretStreamOptions options = {});
  ~SecretStream();
  SecretStream(SecretStream&&) noexcept;
  SecretStream& operator=(SecretStream&&) noexcept;

  // Consumes every byte of `data` (unless the connection fails part-way) and returns
  // what happened, in order. After a StreamFailed, further calls return nothing.
  std::vector<StreamEvent> feed(hypercore::ByteSpan data);

  // Encrypts one message into one frame. An empty plaintext is a keepalive. Fails with
  // message_too_large over kMaxPlaintextSize (the connection stays usable) and with
  // `closed` once the connection has failed.
  StreamResult<void> send(hypercore::ByteSpan plaintext);

  // The bytes to write to the peer, in order; empties the queue.
  hypercore::Bytes take_output();
  bool has_output() const { return !output_.empty(); }

  bool is_initiator() const { return is_initiator_; }
  bool handshake_complete() const { return tx_ready_ && !handshake_event_pending_; }
  // The peer's header arrived: messages can flow both ways.
  bool is_open() const { return phase_ == Phase::open; }
  bool is_dead() const { return phase_ == Phase::dead; }
  // The first failure, once is_dead().
  const std::optional<StreamError>& error() const { return error_; }

  const hypercore::PublicKey& public_key() const { return public_key_; }
  // Valid once handshake_complete().
  const hypercore::PublicKey& remote_public_key() const { return remote_public_key_; }
  const Hash64& handshake_hash() const { return handshake_hash_; }

 private:
  enum class Phase { handshake, header, open, dead };
  struct Sodium;  // libsodium secretstream states, kept out of this header

  void process_frame(hypercore::ByteSpan frame, std::vector<StreamEvent>& events);
  void on_handshake_frame(hypercore::ByteSpan frame, std::vector<StreamEvent>& events);
  void on_header_frame(hypercore::ByteSpan frame, std::vector<StreamEvent>& events);
  void on_transport_frame(hypercore::ByteSpan frame, std::vector<StreamEvent>& events);
  void write_frame(hypercore::ByteSpan body);
  void start_transport(std::vector<StreamEvent>* events, const Key32& tx, const Key32& rx, const Hash64& hash,
                       const hypercore::PublicKey& remote_public_key);
  void encrypt_into_output(hypercore::ByteSpan plaintext);
  void die(std::vector<StreamEvent>& events, StreamErrc code, std::string message);
  size_t frame_limit() const;

  bool is_initiator_;
  size_t max_frame_size_;
  Phase phase_ = Phase::handshake;
  std::unique_ptr<NoiseHandshake> handshake_;
  std::unique_ptr<Sodium> sodium_;
  bool tx_ready_ = false;
  bool handshake_event_pending_ = false;  // keyed by options.handshake: the first feed() reports it
  hypercore::PublicKey public_key_{};
  hypercore::PublicKey remote_public_key_{};
  Hash64 handshake_hash_{};
  std::optional<StreamError> error_;

  // Frame reassembly: the 3 length bytes, then the body (copied only when split).
  uint8_t length_bytes_[3] = {0, 0, 0};
  size_t length_have_ = 0;
  size_t frame_length_ = 0;
  hypercore::Bytes partial_;
  uint64_t frames_received_ = 0;  // transport frames, for error messages

  std::deque<hypercore::Bytes> pending_sends_;  // send() before our header went out
  hypercore::Bytes output_;
};

// streamId(role) = B2b256(NS("hyperswarm/secret-stream", role ? 0 : 1); key = hash):
// the id the initiator (true) or the responder (false) puts in front of its header.
Key32 secret_stream_id(const Hash64& handshake_hash, bool initiator);

}  // namespace net
