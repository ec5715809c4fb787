#include "net/stream/secret_stream.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace net {

using hypercore::ByteSpan;
using hypercore::Bytes;

static_assert(kStreamOverhead == crypto_secretstream_xchacha20poly1305_ABYTES);
static_assert(kIdHeaderSize == 32 + crypto_secretstream_xchacha20poly1305_HEADERBYTES);

struct SecretStream::Sodium {
  crypto_secretstream_xchacha20poly1305_state tx;
  crypto_secretstream_xchacha20poly1305_state rx;
  Key32 rx_key{};  // kept until the peer's header arrives

  ~Sodium() {
    sodium_memzero(&tx, sizeof tx);
    sodium_memzero(&rx, sizeof rx);
    sodium_memzero(rx_key.data(), rx_key.size());
  }
};

Key32 secret_stream_id(const Hash64& handshake_hash, bool initiator) {
  static const hypercore::Hash kNamespace = hypercore::blake2b({hypercore::as_bytes("hyperswarm/secret-stream")});
  const uint8_t role[1] = {static_cast<uint8_t>(initiator ? 0 : 1)};
  hypercore::Hash ns = hypercore::blake2b({kNamespace, role});
  return hypercore::blake2b_keyed(handshake_hash, ns);
}

SecretStream::SecretStream(bool is_initiator, SecretStreamOptions options)
    : is_initiator_(is_initiator),
      max_frame_size_(std::min(options.max_frame_size, kMaxFrameSize)),
      sodium_(std::make_unique<Sodium>()) {
  if (options.handshake) {
    const EstablishedHandshake& h = *options.handshake;
    public_key_ = h.public_key;
    start_transport(nullptr, h.tx, h.rx, h.hash, h.remote_public_key);
    handshake_event_pending_ = true;
    return;
  }
  handshake_ = std::make_unique<NoiseHandshake>(is_initiator, std::move(options.keys));
  public_key_ = handshake_->local_public_key();
  if (is_initiator_) {
    // Cannot fail: it is the initiator's turn and msg1 involves no peer input.
    if (auto msg1 = handshake_->write_message()) write_frame(*msg1);
  }
}

SecretStream::~SecretStream() = default;
SecretStream::SecretStream(SecretStream&&) noexcept = default;
SecretStream& SecretStream::operator=(SecretStream&&) noexcept = default;

Bytes SecretStream::take_output() { return std::exchange(output_, {}); }

void SecretStream::write_frame(ByteSpan body) {
  size_t n = body.size();
  output_.push_back(static_cast<uint8_t>(n));
  output_.push_back(static_cast<uint8_t>(n >> 8));
  output_.push_back(static_cast<uint8_t>(n >> 16));
  output_.insert(output_.end(), body.begin(), body.end());
}

void SecretStream::die(std::vector<StreamEvent>& events, StreamErrc code, std::string message) {
  phase_ = Phase::dead;
  error_ = StreamError{code, std::move(message)};
  handshake_.reset();
  pending_sends_.clear();
  partial_.clear();
  events.push_back(StreamFailed{*error_});
}

size_t SecretStream::frame_limit() const {
  switch (phase_) {
    case Phase::handshake: return std::min(max_frame_size_, kMaxNoiseMessageSize);
    case Phase::header: return kIdHeaderSize;
    default: return max_frame_size_;
  }
}

std::vector<StreamEvent> SecretStream::feed(ByteSpan data) {
  std::vector<StreamEvent> events;
  if (handshake_event_pending_ && phase_ != Phase::dead) {
    handshake_event_pending_ = false;
    events.push_back(HandshakeDone{remote_public_key_, handshake_hash_});
  }
  while (!data.empty() && phase_ != Phase::dead) {
    if (length_have_ < 3) {
      length_bytes_[length_have_++] = data[0];
      data = data.subspan(1);
      if (length_have_ < 3) continue;
      frame_length_ = length_bytes_[0] | (size_t{length_bytes_[1]} << 8) | (size_t{length_bytes_[2]} << 16);
      if (phase_ == Phase::header && frame_length_ != kIdHeaderSize) {
        die(events, StreamErrc::invalid_header,
            "header frame of " + std::to_string(frame_length_) + " bytes, expected 56");
        break;
      }
      if (frame_length_ > frame_limit()) {
        die(events, StreamErrc::frame_too_large,
            "frame of " + std::to_string(frame_length_) + " bytes exceeds the limit of " +
                std::to_string(frame_limit()));
        break;
      }
      if (frame_length_ == 0) {
        length_have_ = 0;
        process_frame({}, events);
      }
      continue;
    }
    size_t missing = frame_length_ - partial_.size();
    if (partial_.empty() && data.size() >= missing) {
      // Whole frame in this chunk: process it in place, no copy.
      ByteSpan frame = data.first(missing);
      data = data.subspan(missing);
      length_have_ = 0;
      process_frame(frame, events);
      continue;
    }
    size_t take = std::min(missing, data.size());
    partial_.insert(partial_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (partial_.size() == frame_length_) {
      Bytes frame = std::exchange(partial_, {});
      length_have_ = 0;
      process_frame(frame, events);
    }
  }
  return events;
}

void SecretStream::process_frame(ByteSpan frame, std::vector<StreamEvent>& events) {
  switch (phase_) {
    case Phase::handshake: return on_handshake_frame(frame, events);
    case Phase::header: return on_header_frame(frame, events);
    case Phase::open: return on_transport_frame(frame, events);
    case Phase::dead: return;
  }
}

void SecretStream::on_handshake_frame(ByteSpan frame, std::vector<StreamEvent>& events) {
  if (auto r = handshake_->read_message(frame); !r) {
    return die(events, r.error().code, r.error().message);
  }
  if (handshake_->wants_write()) {
    auto reply = handshake_->write_message();
    if (!reply) return die(events, reply.error().code, reply.error().message);
    write_frame(*reply);
  }
  if (handshake_->complete()) {
    const HandshakeOutcome& out = handshake_->outcome();
    start_transport(&events, out.tx, out.rx, out.handshake_hash, out.remote_public_key);
  }
}

void SecretStream::start_transport(std::vector<StreamEvent>* events, const Key32& tx, const Key32& rx,
                                   const Hash64& hash, const hypercore::PublicKey& remote_public_key) {
  remote_public_key_ = remote_public_key;
  handshake_hash_ = hash;

  // Our id + header frame goes out right after the last handshake message (§2.4).
  uint8_t body[kIdHeaderSize];
  Key32 id = secret_stream_id(handshake_hash_, is_initiator_);
  std::memcpy(body, id.data(), id.size());
  crypto_secretstream_xchacha20poly1305_init_push(&sodium_->tx, body + 32, tx.data());
  sodium_->rx_key = rx;
  write_frame(body);
  tx_ready_ = true;
  phase_ = Phase::header;
  handshake_.reset();  // wipes the Noise secrets

  if (events) events->push_back(HandshakeDone{remote_public_key_, handshake_hash_});
  while (!pending_sends_.empty()) {
    encrypt_into_output(pending_sends_.front());
    pending_sends_.pop_front();
  }
}

void SecretStream::on_header_frame(ByteSpan frame, std::vector<StreamEvent>& events) {
  if (frame.size() != kIdHeaderSize) {  // feed() checks the length first; kept for safety
    return die(events, StreamErrc::invalid_header,
               "header frame of " + std::to_string(frame.size()) + " bytes, expected 56");
  }
  Key32 expected = secret_stream_id(handshake_hash_, !is_initiator_);
  if (sodium_memcmp(frame.data(), expected.data(), expected.size()) != 0) {
    return die(events, StreamErrc::invalid_stream_id, "header frame does not carry the peer's stream id");
  }
  crypto_secretstream_xchacha20poly1305_init_pull(&sodium_->rx, frame.data() + 32, sodium_->rx_key.data());
  sodium_memzero(sodium_->rx_key.data(), sodium_->rx_key.size());
  phase_ = Phase::open;
}

void SecretStream::on_transport_frame(ByteSpan frame, std::vector<StreamEvent>& events) {
  uint64_t index = frames_received_++;
  if (frame.size() < kStreamOverhead) {
    return die(events, StreamErrc::invalid_message,
               "transport frame " + std::to_string(index) + " of " + std::to_string(frame.size()) +
                   " bytes, shorter than 17");
  }
  Bytes plain(frame.size() - kStreamOverhead);
  unsigned long long plain_len = 0;
  unsigned char tag = 0;
  // Node ignores the tag (it only ever sends TAG_MESSAGE); so do we.
  if (crypto_secretstream_xchacha20poly1305_pull(&sodium_->rx, plain.data(), &plain_len, &tag, frame.data(),
                                                 frame.size(), nullptr, 0) != 0) {
    return die(events, StreamErrc::decryption_failed,
               "transport frame " + std::to_string(index) + ": authentication failed");
  }
  plain.resize(plain_len);
  if (plain.empty()) return;  // keepalive
  events.push_back(MessageReceived{std::move(plain)});
}

void SecretStream::encrypt_into_output(ByteSpan plaintext) {
  size_t body = plaintext.size() + kStreamOverhead;
  size_t start = output_.size();
  output_.resize(start + 3 + body);
  uint8_t* p = output_.data() + start;
  p[0] = static_cast<uint8_t>(body);
  p[1] = static_cast<uint8_t>(body >> 8);
  p[2] = static_cast<uint8_t>(body >> 16);
  unsigned long long out_len = 0;
  crypto_secretstream_xchacha20poly1305_push(&sodium_->tx, p + 3, &out_len, plaintext.data(), plaintext.size(),
                                             nullptr, 0, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
}

StreamResult<void> SecretStream::send(ByteSpan plaintext) {
  if (phase_ == Phase::dead) return stream_fail(StreamErrc::closed, "send() on a failed connection");
  if (plaintext.size() > kMaxPlaintextSize) {
    return stream_fail(StreamErrc::message_too_large, "message of " + std::to_string(plaintext.size()) +
                                                          " bytes exceeds " + std::to_string(kMaxPlaintextSize));
  }
  if (!tx_ready_) {
    pending_sends_.emplace_back(plaintext.begin(), plaintext.end());
  } else {
    encrypt_into_output(plaintext);
  }
  return {};
}

}  // namespace net
