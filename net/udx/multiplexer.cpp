#include "net/udx/multiplexer.hpp"

#include <algorithm>

namespace net::udx {

UdxResult<Stream*> Multiplexer::create_stream(uint32_t local_id, StreamOptions options) {
  if (streams_.contains(local_id)) return udx_fail(UdxErrc::id_in_use, "stream id " + std::to_string(local_id));
  auto stream = std::make_unique<Stream>(local_id, options);
  Stream* raw = stream.get();
  streams_.emplace(local_id, std::move(stream));
  order_.push_back(local_id);
  return raw;
}

Stream* Multiplexer::find(uint32_t local_id) {
  auto it = streams_.find(local_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

Multiplexer::Routed Multiplexer::receive(hypercore::ByteSpan datagram, const Address& from, Millis now,
                                         const Firewall& firewall) {
  const auto id = receiver_id(datagram);
  if (!id) return Routed::not_udx;
  // A relaying stream forwards what libudx would (any FF 01 datagram of header size for
  // its id), without decoding it: the bytes belong to the two endpoints.
  if (Stream* relaying = find(*id); relaying != nullptr && relaying->relaying() && !relaying->finished(now)) {
    relaying->relay(datagram, from, now);
    return Routed::stream;
  }
  auto packet = decode_packet(datagram);
  if (!packet) return Routed::malformed;
  Stream* stream = find(packet->header.stream_id);
  // A closed stream still takes packets while it lingers (to re-ack a lost final ACK).
  if (stream == nullptr || stream->finished(now)) return Routed::unknown_id;
  if (firewall && stream->connected() && !stream->closed() && !stream->takes_from(from)) {
    const uint32_t id = stream->local_id();
    (void)firewall(id, from);  // may move the stream to `from`; receive() judges again
    stream = find(id);
    if (stream == nullptr) return Routed::unknown_id;
  }
  stream->receive(*packet, from, now);
  return Routed::stream;
}

std::optional<Datagram> Multiplexer::poll_transmit(Millis now) {
  for (size_t i = 0; i < order_.size(); i++) {
    const size_t at = (next_ + i) % order_.size();
    auto d = streams_.at(order_[at])->poll_transmit(now);
    if (d) {
      next_ = at + 1;
      return d;
    }
  }
  return std::nullopt;
}

std::optional<Millis> Multiplexer::next_timeout() const {
  std::optional<Millis> out;
  for (const auto& [id, s] : streams_) {
    auto t = s->next_timeout();
    if (t && (!out || *t < *out)) out = t;
  }
  return out;
}

void Multiplexer::on_timer(Millis now) {
  for (auto& [id, s] : streams_) s->on_timer(now);
}

size_t Multiplexer::collect(Millis now) { return collect(now, {}); }

size_t Multiplexer::collect(Millis now, const std::function<bool(uint32_t)>& keep) {
  size_t removed = 0;
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (it->second->finished(now) && !it->second->next_timeout() && !it->second->has_events() &&
        !(keep && keep(it->first))) {
      order_.erase(std::find(order_.begin(), order_.end(), it->first));
      it = streams_.erase(it);
      removed++;
    } else {
      ++it;
    }
  }
  if (next_ >= order_.size()) next_ = 0;
  return removed;
}

}  // namespace net::udx
