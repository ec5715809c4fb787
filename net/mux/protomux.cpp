#include "net/mux/protomux.hpp"

#include <algorithm>
#include <utility>

#include "hypercore/compact_encoding.hpp"

namespace net {

using hypercore::errc;
using hypercore::fail;
namespace cenc = hypercore::cenc;

namespace {

Bytes to_vec(ByteSpan s) { return Bytes(s.begin(), s.end()); }
ByteSpan rest(cenc::Decoder& in) { return *in.fixed(in.remaining()); }

Bytes control_frame(uint64_t type, uint64_t value) {
  cenc::Encoder e;
  e.uint(0);
  e.uint(type);
  e.uint(value);
  return e.take();
}

}  // namespace

// ---- codec ----------------------------------------------------------------------------

Bytes encode_frame(uint64_t channel, uint64_t type, ByteSpan payload) {
  cenc::Encoder e;
  e.uint(channel);
  e.uint(type);
  e.fixed(payload);
  return e.take();
}

Bytes encode_open(const OpenMessage& m) {
  cenc::Encoder e;
  e.uint(0);
  e.uint(kControlOpen);
  e.uint(m.local_id);
  e.string(m.protocol);
  e.buffer(m.id);
  e.fixed(m.handshake);
  return e.take();
}

Bytes encode_reject(const RejectMessage& m) { return control_frame(kControlReject, m.remote_id); }
Bytes encode_close(const CloseMessage& m) { return control_frame(kControlClose, m.local_id); }

Bytes encode_batch(const std::vector<BatchItem>& items) {
  cenc::Encoder e;
  e.uint(0);
  e.uint(kControlBatch);
  if (items.empty()) return e.take();
  uint64_t current = items.front().channel;
  e.uint(current);
  for (const BatchItem& item : items) {
    if (item.channel != current) {
      current = item.channel;
      e.uint(0);
      e.uint(current);
    }
    e.uint(cenc::uint_size(item.type) + item.payload.size());
    e.uint(item.type);
    e.fixed(item.payload);
  }
  return e.take();
}

Result<FrameView> decode_frame(ByteSpan frame) {
  cenc::Decoder in(frame, "protomux frame");
  FrameView f;
  HC_TRY(channel, in.uint());
  HC_TRY(type, in.uint());
  f.channel = channel;
  f.type = type;
  f.payload = rest(in);
  return f;
}

Result<OpenMessage> decode_open(ByteSpan payload) {
  cenc::Decoder in(payload, "protomux open");
  OpenMessage m;
  HC_TRY(local_id, in.uint());
  HC_TRY(protocol, in.string());
  HC_TRY(id, in.buffer());
  m.local_id = local_id;
  m.protocol = std::move(protocol);
  m.id = to_vec(id);
  m.handshake = to_vec(rest(in));
  return m;
}

Result<RejectMessage> decode_reject(ByteSpan payload) {
  cenc::Decoder in(payload, "protomux reject");
  HC_TRY(id, in.uint());
  return RejectMessage{id};
}

Result<CloseMessage> decode_close(ByteSpan payload) {
  cenc::Decoder in(payload, "protomux close");
  HC_TRY(id, in.uint());
  return CloseMessage{id};
}

Result<std::vector<BatchItemView>> decode_batch(ByteSpan payload) {
  cenc::Decoder in(payload, "protomux batch");
  std::vector<BatchItemView> items;
  HC_TRY(first, in.uint());
  uint64_t channel = first;
  while (!in.done()) {
    HC_TRY(len, in.uint());
    if (len == 0) {
      HC_TRY(next, in.uint());
      channel = next;
      continue;
    }
    // protomux clamps an item running past the end instead of failing.
    size_t n = static_cast<size_t>(std::min<uint64_t>(len, in.remaining()));
    items.push_back({channel, *in.fixed(n)});
  }
  return items;
}

// ---- Mux ------------------------------------------------------------------------------

Mux::Local* Mux::local(uint64_t local_id) {
  if (local_id == 0 || local_id > local_.size()) return nullptr;
  Local& l = local_[local_id - 1];
  return l.state == LocalState::free ? nullptr : &l;
}

Mux::Remote* Mux::remote(uint64_t remote_id) {
  if (remote_id == 0 || remote_id > remote_.size()) return nullptr;
  Remote& r = remote_[remote_id - 1];
  return r.state == RemoteState::free ? nullptr : &r;
}

uint64_t Mux::allocate(const std::string& protocol, ByteSpan id, ChannelOptions options) {
  size_t slot = 0;
  while (slot < local_.size() && local_[slot].state != LocalState::free) slot++;
  if (slot == local_.size()) local_.emplace_back();
  Local& l = local_[slot];
  l = Local{LocalState::opening, protocol, to_vec(id), 0, ++sequence_, options};
  return slot + 1;
}

void Mux::free_local(uint64_t local_id) {
  local_[local_id - 1] = Local{};
  // Trailing free slots are forgotten so the vector never outgrows the ids in use.
  while (!local_.empty() && local_.back().state == LocalState::free) local_.pop_back();
}

size_t Mux::channels_in_use() const {
  return static_cast<size_t>(
      std::count_if(local_.begin(), local_.end(), [](const Local& l) { return l.state != LocalState::free; }));
}

bool Mux::is_open(uint64_t local_id) const {
  return local_id >= 1 && local_id <= local_.size() && local_[local_id - 1].state == LocalState::open;
}

Result<uint64_t> Mux::open(const std::string& protocol, ByteSpan id, ByteSpan handshake, ChannelOptions options) {
  if (destroyed_) return fail(errc::closed, "protomux: connection torn down");
  Bytes key_id = to_vec(id);
  for (const Local& l : local_) {
    if ((l.state == LocalState::opening || l.state == LocalState::open) && l.protocol == protocol && l.id == key_id) {
      return fail(errc::already_exists, "protomux: channel " + protocol + " already open");
    }
  }
  for (size_t i = 0; i < remote_.size(); i++) {
    const Remote& r = remote_[i];
    if (r.state == RemoteState::pending && r.open.protocol == protocol && r.open.id == key_id) {
      return pair_pending(i + 1, handshake, options);
    }
  }
  uint64_t local_id = allocate(protocol, id, options);
  output_.push_back(encode_open({local_id, protocol, key_id, to_vec(handshake)}));
  return local_id;
}

uint64_t Mux::pair_pending(uint64_t remote_id, ByteSpan handshake, ChannelOptions options) {
  Remote& r = remote_[remote_id - 1];
  RemoteOpen open = std::move(r.open);
  std::vector<Pending> buffered = std::move(r.buffered);
  buffered_ -= r.buffered_bytes;
  uint64_t local_id = allocate(open.protocol, open.id, options);
  Local& l = local_[local_id - 1];
  l.state = LocalState::open;
  l.remote_id = remote_id;
  remote_[remote_id - 1] = Remote{RemoteState::paired, local_id, {}, {}, 0};
  output_.push_back(encode_open({local_id, open.protocol, open.id, to_vec(handshake)}));
  events_.push_back({MuxEvent::Kind::opened, local_id, 0, std::move(open.handshake), open.protocol, open.id});
  for (const Pending& p : buffered) deliver(local_id, p.type, p.payload);
  return local_id;
}

void Mux::drop_pending(uint64_t remote_id) {
  Remote& r = remote_[remote_id - 1];
  buffered_ -= r.buffered_bytes;
  r = Remote{};
}

Result<uint64_t> Mux::accept(uint64_t remote_id, ByteSpan handshake, ChannelOptions options) {
  if (destroyed_) return fail(errc::closed, "protomux: connection torn down");
  Remote* r = remote(remote_id);
  if (r == nullptr || r->state != RemoteState::pending) {
    return fail(errc::not_found, "protomux: no pending open from remote channel " + std::to_string(remote_id));
  }
  for (const Local& l : local_) {
    if ((l.state == LocalState::opening || l.state == LocalState::open) && l.protocol == r->open.protocol &&
        l.id == r->open.id) {
      return fail(errc::already_exists, "protomux: channel " + l.protocol + " already open");
    }
  }
  return pair_pending(remote_id, handshake, options);
}

Result<void> Mux::reject(uint64_t remote_id) {
  if (destroyed_) return fail(errc::closed, "protomux: connection torn down");
  Remote* r = remote(remote_id);
  if (r == nullptr || r->state != RemoteState::pending) {
    return fail(errc::not_found, "protomux: no pending open from remote channel " + std::to_string(remote_id));
  }
  drop_pending(remote_id);
  output_.push_back(encode_reject({remote_id}));
  return {};
}

Result<void> Mux::send(uint64_t local_id, uint64_t type, ByteSpan payload) {
  if (destroyed_) return fail(errc::closed, "protomux: connection torn down");
  Local* l = local(local_id);
  if (l == nullptr || l->state == LocalState::reserved) {
    return fail(errc::not_found, "protomux: send on channel " + std::to_string(local_id) + " which is not open");
  }
  output_.push_back(encode_frame(local_id, type, payload));
  return {};
}

Result<void> Mux::close(uint64_t local_id) {
  if (destroyed_) return fail(errc::closed, "protomux: connection torn down");
  Local* l = local(local_id);
  if (l == nullptr || l->state == LocalState::reserved) {
    return fail(errc::not_found, "protomux: close of channel " + std::to_string(local_id) + " which is not open");
  }
  output_.push_back(encode_close({local_id}));
  if (l->state == LocalState::opening) {
    // The peer may be answering our open right now: keep the id until it does.
    l->state = LocalState::reserved;
    return {};
  }
  remote_[l->remote_id - 1] = Remote{};
  free_local(local_id);
  return {};
}

std::vector<Bytes> Mux::take_output() { return std::exchange(output_, {}); }
std::vector<MuxEvent> Mux::take_events() { return std::exchange(events_, {}); }

Result<void> Mux::teardown(std::string why) {
  destroyed_ = true;
  return fail(errc::corrupt, "protomux: " + why);
}

Result<void> Mux::receive(ByteSpan frame) {
  if (destroyed_) return fail(errc::closed, "protomux: connection torn down");
  if (frame.empty()) return {};  // keepalive-sized frames are ignored
  cenc::Decoder in(frame, "protomux frame");
  auto channel = in.uint();
  if (!channel) return teardown(channel.error().message);
  return dispatch(*channel, rest(in), 0);
}

Result<void> Mux::dispatch(uint64_t channel, ByteSpan message, int depth) {
  cenc::Decoder in(message, "protomux frame");
  auto type = in.uint();
  if (!type) return teardown(type.error().message);
  if (channel == 0) return control(*type, rest(in), depth);
  return on_channel_message(channel, *type, rest(in));
}

Result<void> Mux::control(uint64_t type, ByteSpan payload, int depth) {
  switch (type) {
    case kControlBatch: {
      if (depth >= kMaxBatchDepth) return teardown("batches nested deeper than " + std::to_string(kMaxBatchDepth));
      auto items = decode_batch(payload);
      if (!items) return teardown(items.error().message);
      for (const BatchItemView& item : *items) {
        HC_CHECK(dispatch(item.channel, item.message, depth + 1));
      }
      return {};
    }
    case kControlOpen: {
      auto m = decode_open(payload);
      if (!m) return teardown(m.error().message);
      return on_open(*m);
    }
    case kControlReject: {
      auto m = decode_reject(payload);
      if (!m) return teardown(m.error().message);
      return on_reject(m->remote_id);
    }
    case kControlClose: {
      auto m = decode_close(payload);
      if (!m) return teardown(m.error().message);
      on_close(m->local_id);
      return {};
    }
    default:
      return {};  // unknown control types are ignored
  }
}

Result<void> Mux::on_open(const OpenMessage& m) {
  uint64_t remote_id = m.local_id;
  if (remote_id == 0) return teardown("invalid open message: channel id 0");
  // The peer may grow its ids by one at a time, and never reuse one still in use.
  if (remote_id == remote_.size() + 1) remote_.emplace_back();
  if (remote_id > remote_.size()) {
    return teardown("invalid open message: channel id " + std::to_string(remote_id) + " skips ids (highest seen " +
                    std::to_string(remote_.size()) + ")");
  }
  if (remote_[remote_id - 1].state != RemoteState::free) {
    return teardown("invalid open message: channel id " + std::to_string(remote_id) + " is still in use");
  }

  // Our oldest unanswered open of the same (protocol, id) pairs with it.
  Local* ours = nullptr;
  for (Local& l : local_) {
    if ((l.state == LocalState::opening || l.state == LocalState::reserved) && l.protocol == m.protocol &&
        l.id == m.id && (ours == nullptr || l.sequence < ours->sequence)) {
      ours = &l;
    }
  }
  if (ours != nullptr) {
    uint64_t local_id = static_cast<uint64_t>(ours - local_.data()) + 1;
    if (ours->state == LocalState::reserved) {
      free_local(local_id);  // we closed it already; the answer only frees the id
      return {};
    }
    ours->state = LocalState::open;
    ours->remote_id = remote_id;
    remote_[remote_id - 1] = Remote{RemoteState::paired, local_id, {}, {}, 0};
    events_.push_back({MuxEvent::Kind::opened, local_id, 0, m.handshake, m.protocol, m.id});
    return {};
  }

  // A second open of a channel that is open (or already offered) is refused.
  bool duplicate = std::any_of(local_.begin(), local_.end(), [&](const Local& l) {
    return l.state == LocalState::open && l.protocol == m.protocol && l.id == m.id;
  });
  for (const Remote& r : remote_) {
    duplicate = duplicate || (r.state == RemoteState::pending && r.open.protocol == m.protocol && r.open.id == m.id);
  }
  if (duplicate || !handler_) {
    output_.push_back(encode_reject({remote_id}));
    return {};
  }

  Remote& r = remote_[remote_id - 1];
  r.state = RemoteState::pending;
  r.open = RemoteOpen{remote_id, m.protocol, m.id, m.handshake};
  RemoteOpen shown = r.open;  // a copy: the handler may accept (and move r.open) itself
  OpenDecision decision = handler_(shown);
  // The handler may have answered through open()/accept()/reject() itself.
  Remote* still = remote(remote_id);
  if (destroyed_ || still == nullptr || still->state != RemoteState::pending) return {};
  switch (decision.kind) {
    case OpenDecision::Kind::accept:
      pair_pending(remote_id, decision.handshake, decision.options);
      break;
    case OpenDecision::Kind::reject:
      drop_pending(remote_id);
      output_.push_back(encode_reject({remote_id}));
      break;
    case OpenDecision::Kind::defer:
      break;
  }
  return {};
}

Result<void> Mux::on_reject(uint64_t local_id) {
  Local* l = local(local_id);
  if (l == nullptr || (l->state != LocalState::opening && l->state != LocalState::reserved)) {
    return teardown("invalid reject message: channel " + std::to_string(local_id) + " was not being opened");
  }
  bool tell = l->state == LocalState::opening;
  MuxEvent e{MuxEvent::Kind::rejected, local_id, 0, {}, l->protocol, l->id};
  free_local(local_id);
  if (tell) events_.push_back(std::move(e));
  return {};
}

void Mux::on_close(uint64_t remote_id) {
  Remote* r = remote(remote_id);
  if (r == nullptr) return;  // unknown or already closed: nothing to do
  if (r->state == RemoteState::pending) {
    // Withdrawn before we answered: refuse it so the peer can reuse its id.
    MuxEvent e{MuxEvent::Kind::withdrawn, remote_id, 0, {}, r->open.protocol, r->open.id};
    drop_pending(remote_id);
    output_.push_back(encode_reject({remote_id}));
    events_.push_back(std::move(e));
    return;
  }
  uint64_t local_id = r->local_id;
  Local& l = local_[local_id - 1];
  MuxEvent e{MuxEvent::Kind::closed, local_id, 0, {}, l.protocol, l.id};
  *r = Remote{};
  free_local(local_id);
  events_.push_back(std::move(e));
}

Result<void> Mux::on_channel_message(uint64_t remote_id, uint64_t type, ByteSpan payload) {
  Remote* r = remote(remote_id);
  if (r == nullptr) return {};  // unknown or closed channel: dropped (may be in flight)
  if (r->state == RemoteState::paired) {
    deliver(r->local_id, type, payload);
    return {};
  }
  size_t cost = payload.size() + sizeof(Pending);
  if (buffered_ + cost > max_buffered_) {
    return teardown("remote channel " + std::to_string(remote_id) + " exceeded the buffer for unanswered opens");
  }
  r->buffered.push_back({type, to_vec(payload)});
  r->buffered_bytes += cost;
  buffered_ += cost;
  return {};
}

void Mux::deliver(uint64_t local_id, uint64_t type, ByteSpan payload) {
  const Local& l = local_[local_id - 1];
  if (type >= l.options.message_types) return;  // beyond the protocol's table: dropped
  events_.push_back({MuxEvent::Kind::message, local_id, type, to_vec(payload), {}, {}});
}

}  // namespace net
