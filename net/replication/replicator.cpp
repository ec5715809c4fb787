// Replicator: the channel (open, capability check, close), sync exchange, message
// dispatch and events. Serving lives in replicator_upload.cpp, downloading in
// replicator_download.cpp.
#include "net/replication/replicator.hpp"

#include <sodium.h>

#include <utility>

#include "net/replication/internal/range_set.hpp"

namespace net {

const char* errc_name(ReplicationErrc e) {
  switch (e) {
    case ReplicationErrc::invalid_capability: return "invalid_capability";
    case ReplicationErrc::invalid_proof: return "invalid_proof";
    case ReplicationErrc::invalid_signature: return "invalid_signature";
    case ReplicationErrc::invalid_request: return "invalid_request";
    case ReplicationErrc::invalid_message: return "invalid_message";
    case ReplicationErrc::stream_failed: return "stream_failed";
    case ReplicationErrc::channel_closed: return "channel_closed";
    case ReplicationErrc::block_not_available: return "block_not_available";
    case ReplicationErrc::request_timeout: return "request_timeout";
    case ReplicationErrc::queue_full: return "queue_full";
    case ReplicationErrc::storage_failed: return "storage_failed";
  }
  return "unknown";
}

const std::error_category& replication_category() {
  static const hypercore::ErrcCategory<ReplicationErrc> category("replication");
  return category;
}

Replicator::Replicator(hypercore::Core& core, Mux& mux, NoiseRole noise_role, ReplicatorOptions options)
    : core_(core), mux_(mux), role_(noise_role), options_(options), remote_has_(std::make_unique<internal::RangeSet>()) {
  if (options_.max_inflight == 0) options_.max_inflight = 1;
}

Replicator::~Replicator() = default;

Result<void> Replicator::start(ByteSpan handshake_hash, TimePoint now) {
  (void)now;
  if (state_ != State::idle) return hypercore::fail(hypercore::errc::invalid_argument, "replicator already started");
  handshake_hash_.assign(handshake_hash.begin(), handshake_hash.end());
  Handshake h;
  // We do not serve seek requests (§7: open flags 0 makes Node never send them).
  h.seeks = false;
  h.capability = capability(role_, handshake_hash_, core_.key());
  Hash dk = core_.discovery_key();
  HC_TRY(id, mux_.open(std::string(kHypercoreProtocol), dk, encode_handshake(h),
                       ChannelOptions{kHypercoreMessageTypes}));
  channel_ = id;
  state_ = State::opening;
  watch_ = core_.watch([this](const hypercore::CoreEvent& e) { on_core_event(e); });
  return {};
}

bool Replicator::owns(const MuxEvent& e) const {
  if (e.kind == MuxEvent::Kind::withdrawn) return false;
  return channel_ != 0 && e.channel == channel_ && (state_ == State::opening || state_ == State::open);
}

void Replicator::on_mux_event(const MuxEvent& e, TimePoint now) {
  if (!owns(e)) return;
  switch (e.kind) {
    case MuxEvent::Kind::opened: on_opened(e, now); break;
    case MuxEvent::Kind::message:
      if (state_ == State::open) on_message(e.type, e.payload, now);
      break;
    case MuxEvent::Kind::closed: end_channel(ReplicationErrc::channel_closed, "the peer closed the channel"); break;
    case MuxEvent::Kind::rejected: end_channel(ReplicationErrc::channel_closed, "the peer rejected the channel"); break;
    case MuxEvent::Kind::withdrawn: break;
  }
}

void Replicator::on_opened(const MuxEvent& e, TimePoint now) {
  auto hs = decode_handshake(e.payload);
  if (!hs) return fatal(ReplicationErrc::invalid_message, "open handshake: " + hs.error().message);
  NoiseRole remote = role_ == NoiseRole::initiator ? NoiseRole::responder : NoiseRole::initiator;
  Hash expected = capability(remote, handshake_hash_, core_.key());
  if (sodium_memcmp(expected.data(), hs->capability.data(), expected.size()) != 0) {
    return fatal(ReplicationErrc::invalid_capability, "the peer's capability does not match the core key");
  }
  state_ = State::open;
  emit(ReplicatorEvent::Kind::opened, 0);
  send_sync();
  announce_contiguous();
  pump(now);
}

void Replicator::on_message(uint64_t type, ByteSpan payload, TimePoint now) {
  auto decoded = decode_message(type, payload);
  if (!decoded) {
    if (decoded.error().code == hypercore::errc::unsupported) return;  // unknown type: dropped
    return fatal(ReplicationErrc::invalid_message, decoded.error().message);
  }
  Message& m = *decoded;
  if (auto* s = std::get_if<Sync>(&m)) return on_sync(*s, now);
  if (auto* r = std::get_if<Request>(&m)) return on_request(*r);
  if (auto* d = std::get_if<Data>(&m)) return on_data(*d, now);
  if (auto* n = std::get_if<NoData>(&m)) return on_no_data(*n, now);
  if (auto* w = std::get_if<Want>(&m)) return on_want(*w);
  if (auto* b = std::get_if<Bitfield>(&m)) return on_bitfield(*b, now);
  if (auto* g = std::get_if<Range>(&m)) return on_range(*g, now);
  if (auto* x = std::get_if<Extension>(&m)) return on_extension(*x);
  // cancel: we answer requests as they arrive, so nothing is pending to drop.
  // unwant: ignored (§7).
}

void Replicator::on_extension(Extension& m) {
  // An empty name repeats the previous one in this direction; with none before, the
  // message cannot be attributed and is dropped, as Node drops unknown names.
  if (m.name.empty()) {
    if (extension_in_name_.empty()) return;
  } else {
    extension_in_name_ = std::move(m.name);
  }
  counters_.extensions_in++;
  ReplicatorEvent e;
  e.kind = ReplicatorEvent::Kind::extension;
  e.extension_name = extension_in_name_;
  e.extension_payload = std::move(m.message);
  events_.push_back(std::move(e));
}

std::expected<void, ReplicationError> Replicator::send_extension(std::string_view name, ByteSpan payload) {
  constexpr size_t kMaxName = 256;
  constexpr size_t kMaxPayload = size_t{1} << 20;
  if (name.empty() || name.size() > kMaxName || payload.size() > kMaxPayload) {
    return std::unexpected(ReplicationError{ReplicationErrc::invalid_message,
                                            "extension '" + std::string(name.substr(0, 64)) + "': name of " +
                                                std::to_string(name.size()) + " bytes or payload of " +
                                                std::to_string(payload.size()) + " bytes out of bounds"});
  }
  if (state_ != State::open) {
    return std::unexpected(ReplicationError{ReplicationErrc::channel_closed, "extension: the channel is not open"});
  }
  counters_.extensions_out++;
  extension_out_name_ = std::string(name);
  send(Extension{extension_out_name_, Bytes(payload.begin(), payload.end())});
  return {};
}

void Replicator::set_uploading(bool on, TimePoint now) {
  (void)now;
  if (options_.upload == on) return;
  options_.upload = on;
  send_sync();
}

void Replicator::set_downloading(bool on, TimePoint now) {
  if (options_.download == on) return;
  options_.download = on;
  send_sync();
  pump(now);
}

void Replicator::on_sync(const Sync& m, TimePoint now) {
  remote_sync_ = m;
  emit(ReplicatorEvent::Kind::synced, m.length);
  if (m.fork != core_.fork() && core_.length() > 0 && !fork_reported_) {
    fork_reported_ = true;
    emit(ReplicatorEvent::Kind::remote_fork, m.fork);
  }
  // Answer each new (fork, length) of the peer once: it acknowledges what we heard and
  // tells a shorter peer it may ask for an upgrade (§7 (i)). Answering only changes keeps
  // two of us from echoing syncs forever.
  std::pair<uint64_t, uint64_t> state{m.fork, m.length};
  if (!replied_to_ || *replied_to_ != state) {
    replied_to_ = state;
    send_sync();
  }
  pump(now);
}

void Replicator::on_core_event(const hypercore::CoreEvent& e) {
  if (state_ != State::open) return;
  // As Node after an append: range for the new blocks, then a sync with the new length.
  if (e.kind == hypercore::CoreEvent::Kind::append) announce_contiguous();
  send_sync();
}

void Replicator::send_sync() {
  Sync s;
  s.fork = core_.fork();
  s.length = core_.length();
  bool same_fork = remote_sync_ && remote_sync_->fork == s.fork;
  s.remote_length = same_fork ? remote_sync_->length : 0;
  // canUpgrade: our signed tree extends the peer's. Before the peer's sync, Node says 1.
  s.can_upgrade = !remote_sync_ ? true : (same_fork && remote_sync_->length < s.length);
  s.uploading = options_.upload;
  s.downloading = options_.download;
  s.has_manifest = !core_.identity().compat();
  send(s);
}

void Replicator::send(const Message& m) {
  if (state_ != State::open) return;
  auto sent = mux_.send(channel_, static_cast<uint64_t>(message_type(m)), encode_message(m));
  if (!sent) {
    // The connection is gone. Only mark the failure: send() runs inside loops over our
    // containers (pump), which fatal() would clear under them.
    state_ = State::failed;
    error_ = ReplicationError{ReplicationErrc::stream_failed, "mux refused a message: " + sent.error().message};
    emit(ReplicatorEvent::Kind::peer_error, 0, error_);
  }
}

void Replicator::emit(ReplicatorEvent::Kind kind, uint64_t value, std::optional<ReplicationError> error) {
  ReplicatorEvent e;
  e.kind = kind;
  e.value = value;
  e.error = std::move(error);
  events_.push_back(std::move(e));
}

void Replicator::fatal(ReplicationErrc code, std::string message) {
  if (state_ == State::failed) return;
  bool was_active = state_ == State::open || state_ == State::opening;
  state_ = State::failed;
  error_ = ReplicationError{code, message};
  inflight_.clear();
  inflight_blocks_.clear();
  upgrade_inflight_ = false;
  fail_all_pending(code, message);
  if (was_active) (void)mux_.close(channel_);
  emit(ReplicatorEvent::Kind::peer_error, 0, error_);
}

void Replicator::end_channel(ReplicationErrc code, std::string message) {
  state_ = State::closed;
  inflight_.clear();
  inflight_blocks_.clear();
  upgrade_inflight_ = false;
  fail_all_pending(code, message);
  emit(ReplicatorEvent::Kind::closed, 0, ReplicationError{code, std::move(message)});
}

void Replicator::close() {
  if (state_ != State::open && state_ != State::opening) return;
  (void)mux_.close(channel_);
  end_channel(ReplicationErrc::channel_closed, "closed locally");
}

std::vector<ReplicatorEvent> Replicator::take_events() { return std::exchange(events_, {}); }

}  // namespace net
