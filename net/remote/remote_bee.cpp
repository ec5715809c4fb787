#include "net/remote/remote_bee.hpp"

// The engine of remote reads: what is pending, failed and decoded on one connection, and
// the hyperbee extension's answers. The queries themselves: remote_query.cpp (running a
// read and waiting for its blocks) and remote_query_plan.cpp (which blocks go with one).
#include <algorithm>
#include <utility>

#include "bee/messages.hpp"
#include "bee/read_trace.hpp"
#include "net/remote/bee_extension.hpp"

namespace net {

const char* errc_name(RemoteQueryErrc e) {
  switch (e) {
    case RemoteQueryErrc::block_not_available: return "block_not_available";
    case RemoteQueryErrc::request_timeout: return "request_timeout";
    case RemoteQueryErrc::request_failed: return "request_failed";
    case RemoteQueryErrc::read_failed: return "read_failed";
  }
  return "unknown";
}

const std::error_category& remote_query_category() {
  static const hypercore::ErrcCategory<RemoteQueryErrc> category("remote_query");
  return category;
}

hypercore::Error to_hypercore_error(const RemoteQueryError& error) {
  hypercore::errc code = hypercore::errc::io_error;
  switch (error.code) {
    case RemoteQueryErrc::block_not_available: code = hypercore::errc::block_not_available; break;
    case RemoteQueryErrc::request_timeout: code = hypercore::errc::timeout; break;
    case RemoteQueryErrc::request_failed: code = hypercore::errc::io_error; break;
    case RemoteQueryErrc::read_failed: code = hypercore::errc::corrupt; break;
  }
  if (error.cause && error.cause.category() == hypercore::hypercore_category()) {
    code = static_cast<hypercore::errc>(error.cause.value());
  }
  return hypercore::Error{code, error.to_string(), error.block};
}

// ---------------------------------------------------------------------------------------
// RemoteBee

RemoteBee::RemoteBee(bee::Bee& bee, Replicator& replicator) : bee_(bee), replicator_(replicator) {}
RemoteBee::~RemoteBee() = default;

void RemoteBee::on_event(const ReplicatorEvent& e) {
  if (e.kind == ReplicatorEvent::Kind::extension) {
    if (e.extension_name != kBeeExtensionName || askers_.empty() || extension_budget_ == 0) return;
    auto m = parse_bee_extension(e.extension_payload);
    if (!m || !m->cache) return;
    for (uint64_t seq : m->cache->blocks) {
      if (extension_budget_ == 0) break;
      extension_budget_--;
      offered_.push_back(seq);
    }
    return;
  }
  if (e.kind == ReplicatorEvent::Kind::block_downloaded) {
    pending_.erase(e.value);
  } else if (e.kind == ReplicatorEvent::Kind::block_failed) {
    if (pending_.erase(e.value)) {
      failed_[e.value] = e.error.value_or(ReplicationError{ReplicationErrc::block_not_available, "block failed"});
    }
  }
}

const std::vector<bee::Level>* RemoteBee::levels_of(uint64_t seq) {
  if (auto it = decoded_.find(seq); it != decoded_.end()) return &it->second;
  if (seq == 0 || !bee_.core().has(seq)) return nullptr;
  auto bytes = bee_.core().get(seq);
  if (!bytes) return nullptr;
  auto node = bee::decode_node(*bytes);
  if (!node) return nullptr;
  keys_[seq] = std::move(node->key);
  return &decoded_.emplace(seq, std::move(node->levels)).first->second;
}

void RemoteBee::trim_decoded() {
  // Seqs and keys of decoded blocks: a few dozen bytes each; a bound keeps a long-lived
  // engine over a large bee from growing without end. Only called between reads (callers
  // hold pointers into decoded_ while a read is being planned).
  constexpr size_t kMaxDecoded = 1 << 16;
  if (decoded_.size() <= kMaxDecoded) return;
  decoded_.clear();
  keys_.clear();
}

std::optional<Bytes> RemoteBee::key_of(uint64_t seq) {
  if (!levels_of(seq)) return std::nullopt;
  return keys_[seq];
}

std::unique_ptr<RemoteQuery> RemoteBee::get(ByteSpan key, RemoteQueryOptions options) {
  std::unique_ptr<RemoteQuery> q(new RemoteQuery(*this, RemoteQuery::Kind::get, bee_.snapshot(), options));
  q->key_.assign(key.begin(), key.end());
  q->result_ = std::optional<bee::Entry>();
  return q;
}

std::unique_ptr<RemoteQuery> RemoteBee::range(const bee::Range& range, RemoteQueryOptions options) {
  std::unique_ptr<RemoteQuery> q(new RemoteQuery(*this, RemoteQuery::Kind::range, bee_.snapshot(), options));
  q->range_ = range;
  q->result_ = std::vector<bee::Entry>();
  return q;
}

std::unique_ptr<RemoteQuery> RemoteBee::history(const bee::HistoryRange& range, RemoteQueryOptions options) {
  std::unique_ptr<RemoteQuery> q(new RemoteQuery(*this, RemoteQuery::Kind::history, bee_.snapshot(), options));
  q->history_range_ = range;
  q->result_ = std::vector<bee::HistoryEntry>();
  return q;
}

// Requests what extension answers named, for the oldest query asking (as prefetch: the
// query's reads decide what it waits for). Seqs the answer's version cannot have, held or
// pending ones are skipped; a refused request ends the batch (the reads will ask again).
void RemoteBee::request_offered(TimePoint now) {
  if (offered_.empty()) return;
  std::vector<uint64_t> seqs = std::exchange(offered_, {});
  if (askers_.empty()) return;
  RemoteQuery* owner = askers_.front();
  for (uint64_t seq : seqs) {
    if (seq == 0 || seq >= owner->version() || held(seq) || pending_.count(seq)) continue;
    auto requested = fetch(seq, now);
    if (!requested) break;
    extension_blocks_++;
    owner->stats_.blocks_fetched++;
  }
}

const ReplicationError* RemoteBee::failure(uint64_t seq) const {
  auto it = failed_.find(seq);
  return it == failed_.end() ? nullptr : &it->second;
}

std::expected<bool, ReplicationError> RemoteBee::fetch(uint64_t seq, TimePoint now) {
  if (pending_.count(seq)) return false;
  failed_.erase(seq);
  if (auto r = replicator_.request_block(seq, now); !r) return std::unexpected(r.error());
  pending_.insert(seq);
  blocks_requested_++;
  return true;
}

void RemoteBee::remember_entered(KnownLevel level) {
  // Nodes reads walked into, newest last; old ones are dropped (a read looks at the newest).
  constexpr size_t kKeep = 256;
  if (entered_.size() >= kKeep) entered_.erase(entered_.begin(), entered_.begin() + kKeep / 2);
  entered_.push_back(level);
}

bool RemoteBee::ask_extension(RemoteQuery* asker, ByteSpan message) {
  if (!replicator_.send_extension(kBeeExtensionName, message)) return false;
  askers_.push_back(asker);
  extension_budget_ += bee::kMaxTracedBlocks;
  return true;
}

void RemoteBee::forget_asker(RemoteQuery* query) {
  auto it = std::find(askers_.begin(), askers_.end(), query);
  if (it == askers_.end()) return;
  askers_.erase(it);
  if (askers_.empty()) {
    extension_budget_ = 0;
    offered_.clear();
  }
}

}  // namespace net
