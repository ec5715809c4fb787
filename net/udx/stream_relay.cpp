// Relaying streams (libudx udx_stream_relay_to / relay_packet, src/udx.c): the blind relay
// pairs two streams so that what one receives leaves from the other, header id rewritten.
// The forwarded bytes are otherwise untouched: seq, ack, SACK blocks and payload belong to
// the two endpoints, which run their own reliability end to end.
#include <algorithm>

#include "net/udx/stream.hpp"

namespace net::udx {

Stream::~Stream() {
  // Normally close() unlinked us already; a multiplexer torn down with open relays must not
  // leave a partner pointing here.
  if (relay_to_ != nullptr) std::erase(relay_to_->relayed_by_, this);
  for (Stream* s : relayed_by_) s->relay_to_ = nullptr;
}

UdxResult<void> Stream::relay_to(Stream& destination) {
  if (relayed_) return udx_fail(UdxErrc::already_relaying, "stream " + std::to_string(local_id_) + " relays already");
  if (state_ == State::closed || destination.state_ == State::closed) {
    return udx_fail(UdxErrc::destroyed, "relay between closed streams");
  }
  relayed_ = true;
  relay_to_ = &destination;
  destination.relayed_by_.push_back(this);
  return {};
}

void Stream::relay(hypercore::ByteSpan datagram, const Address& from, Millis now) {
  if (state_ == State::closed || datagram.size() < kHeaderSize) return;
  if (!admit(from, now)) return;
  stats_.packets_received++;
  Stream* to = relay_to_;
  if (to != nullptr && to->connected_ && to->state_ != State::closed && to->outbox_.size() < kMaxRelayBacklog) {
    hypercore::Bytes out(datagram.begin(), datagram.end());
    const uint32_t id = to->remote_id_;
    for (int i = 0; i < 4; i++) out[4 + i] = static_cast<uint8_t>(id >> (8 * i));
    to->outbox_.push_back({to->remote_, std::move(out)});
    stats_.relayed_packets++;
  } else {
    stats_.dropped_packets++;
  }
  if (datagram[2] & kTypeDestroy) {
    close(UdxError{UdxErrc::reset_by_peer, "relayed stream " + std::to_string(local_id_) + " destroyed by peer"}, now,
          false);
  }
}

// On close: we stop feeding our destination, and every stream that relays into us closes
// too (libudx close_stream destroys its relaying_streams; being relayed they send nothing).
void Stream::unlink_relays(Millis now) {
  if (relay_to_ != nullptr) {
    std::erase(relay_to_->relayed_by_, this);
    relay_to_ = nullptr;
  }
  std::vector<Stream*> feeding;
  feeding.swap(relayed_by_);
  for (Stream* s : feeding) {
    s->relay_to_ = nullptr;
    s->destroy(now);
  }
}

}  // namespace net::udx
