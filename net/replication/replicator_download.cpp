// Replicator, downloading side: what the peer holds (range / bitfield), the requests we
// send (upgrades, on-demand blocks, whole-core download within the in-flight window), and
// the replies: each data message is verified with Core::verify_proof before Core::apply
// stores it (replication.md §6); a reply that fails verification is fatal.
#include <algorithm>

#include "net/replication/replicator.hpp"
#include "net/replication/internal/range_set.hpp"

namespace net {

namespace {
// Node asks for holdings in segments of 2^21 blocks, aligned (§4.3 want).
constexpr uint64_t kWantSegment = uint64_t{1} << 21;
// Intervals of the peer's holdings we track; a bitfield that would fragment the set
// further is taken only as far as this (the rest is asked for again with want).
constexpr size_t kMaxRemoteIntervals = 1 << 16;

uint64_t saturating_end(uint64_t start, uint64_t length) {
  return length > UINT64_MAX - start ? UINT64_MAX : start + length;
}
}  // namespace

void Replicator::on_range(const Range& m, TimePoint now) {
  uint64_t end = saturating_end(m.start, m.length);
  if (m.drop) {
    remote_has_->remove(m.start, end);
  } else if (remote_has_->intervals() < kMaxRemoteIntervals) {
    remote_has_->add(m.start, end);
  }
  download_cursor_ = std::min(download_cursor_, m.start);
  pump(now);
}

void Replicator::on_bitfield(const Bitfield& m, TimePoint now) {
  if (m.start % 32 != 0) return;  // as Node: ignored
  uint64_t bits = static_cast<uint64_t>(m.words.size()) * 32;
  remote_has_->remove(m.start, saturating_end(m.start, bits));  // authoritative for its span
  uint64_t run_start = 0;
  bool in_run = false;
  for (uint64_t j = 0; j <= bits; j++) {
    bool set = j < bits && (m.words[j >> 5] >> (j & 31)) & 1;
    if (set && !in_run) {
      run_start = j;
      in_run = true;
    } else if (!set && in_run) {
      in_run = false;
      if (remote_has_->intervals() >= kMaxRemoteIntervals) break;
      remote_has_->add(m.start + run_start, m.start + j);
    }
  }
  download_cursor_ = std::min(download_cursor_, m.start);
  pump(now);
}

bool Replicator::block_inflight(uint64_t index) const { return inflight_blocks_.contains(index); }

void Replicator::send_want(uint64_t index) {
  uint64_t segment = index / kWantSegment * kWantSegment;
  if (!wanted_segments_.insert(segment).second) return;
  send(Want{segment, kWantSegment});
}

bool Replicator::try_upgrade(TimePoint now) {
  if (!options_.download || !remote_sync_ || upgrade_inflight_ || inflight_.size() >= options_.max_inflight) return false;
  const Sync& rs = *remote_sync_;
  uint64_t length = core_.length();
  if (rs.length <= length) return false;
  if (rs.fork != core_.fork() && length > 0) return false;  // a fork: reported, not followed
  if (!options_.live && upgrades_done_ > 0) return false;
  if (rs.length == upgrade_refused_at_) return false;
  hypercore::ProofRequest r;
  r.fork = rs.fork;
  r.upgrade = hypercore::ProofRequest::Upgrade{length, rs.length - length};
  r.manifest = rs.has_manifest && !core_.identity().manifest();
  uint64_t id = next_request_id_++;
  send(Request{id, 0, r});
  inflight_[id] = Inflight{r, now + options_.request_timeout};
  upgrade_inflight_ = true;
  return true;
}

bool Replicator::try_block(uint64_t index, TimePoint now, bool probe) {
  if (inflight_.size() >= options_.max_inflight) return false;
  if (index >= core_.length() || core_.has(index) || block_inflight(index)) return false;
  if (!probe && !remote_has_->contains(index)) return false;
  auto nodes = hypercore::missing_nodes(core_.nodes(), core_.length(), 2 * index);
  if (!nodes) return false;
  hypercore::ProofRequest r;
  r.fork = core_.fork();
  r.block = hypercore::ProofRequest::Block{index, *nodes};
  uint64_t id = next_request_id_++;
  send(Request{id, pending_blocks_.contains(index) ? 1u : 0u, r});
  inflight_[id] = Inflight{r, now + options_.request_timeout};
  inflight_blocks_.insert(index);
  return true;
}

void Replicator::pump(TimePoint now) {
  if (state_ != State::open || !remote_sync_ || !options_.download) return;
  try_upgrade(now);
  const Sync& rs = *remote_sync_;
  bool same_fork = rs.fork == core_.fork();

  // On-demand blocks first.
  std::vector<uint64_t> done, unavailable;
  for (auto& [index, deadline] : pending_blocks_) {
    if (state_ != State::open) return;
    if (core_.has(index)) {
      done.push_back(index);
      continue;
    }
    if (same_fork && index >= rs.length && index >= core_.length()) {
      unavailable.push_back(index);
      continue;
    }
    if (block_inflight(index)) continue;
    if (!remote_has_->contains(index)) {
      send_want(index);
      // Ask once anyway: a peer answers a block it lacks with noData at once, while it
      // answers a want for a segment it holds nothing of with silence (the want timeout).
      if (same_fork && !probed_blocks_.contains(index) && try_block(index, now, true)) probed_blocks_.insert(index);
      continue;
    }
    if (inflight_.size() >= options_.max_inflight) break;
    try_block(index, now);  // waits for the upgrade when index >= our length
  }
  for (uint64_t index : done) {
    pending_blocks_.erase(index);
    probed_blocks_.erase(index);
    emit(ReplicatorEvent::Kind::block_downloaded, index);
  }
  for (uint64_t index : unavailable) {
    fail_block(index, ReplicationErrc::block_not_available,
               "block " + std::to_string(index) + ": the peer's length is " + std::to_string(rs.length));
  }

  if (!options_.download_all || !same_fork) return;
  uint64_t length = core_.length();
  while (inflight_.size() < options_.max_inflight && download_cursor_ < length && state_ == State::open) {
    uint64_t i = download_cursor_;
    if (core_.has(i) || block_inflight(i)) {
      download_cursor_++;
      continue;
    }
    if (!remote_has_->contains(i)) {
      send_want(i);
      download_cursor_ = std::min(remote_has_->next(i, length), length);
      continue;
    }
    try_block(i, now);
    download_cursor_++;
  }
}

void Replicator::on_data(Data& m, TimePoint now) {
  auto it = inflight_.find(m.request);
  if (it == inflight_.end()) return;  // late reply to a cancelled or timed-out request
  hypercore::ProofRequest req = std::move(it->second.request);
  inflight_.erase(it);
  if (req.block) inflight_blocks_.erase(req.block->index);
  if (req.upgrade) upgrade_inflight_ = false;

  const hypercore::Proof& p = m.proof;
  bool matches = p.fork == req.fork && p.block.has_value() == req.block.has_value() &&
                 (!p.block || p.block->index == req.block->index) && (!p.upgrade || req.upgrade) &&
                 (!req.upgrade || p.upgrade) && !p.hash && !p.seek;
  if (!matches) {
    // Node counts a reply with the wrong fields as noData (§6).
    if (req.block) {
      remote_has_->remove(req.block->index, req.block->index + 1);
      if (pending_blocks_.contains(req.block->index)) {
        fail_block(req.block->index, ReplicationErrc::block_not_available,
                   "block " + std::to_string(req.block->index) + ": the peer's reply did not match the request");
      }
    }
    if (req.upgrade) upgrade_refused_at_ = req.upgrade->start + req.upgrade->length;
    return pump(now);
  }

  auto verified = core_.verify_proof(p);
  if (!verified) {
    std::string what = req.block ? "block " + std::to_string(req.block->index) : std::string("upgrade");
    bool bad_signature = verified.error().code == hypercore::errc::invalid_signature;
    return fatal(bad_signature ? ReplicationErrc::invalid_signature : ReplicationErrc::invalid_proof,
                 what + ": " + verified.error().message);
  }
  uint64_t before = core_.length();
  auto applied = core_.apply(*verified);
  if (!applied) {
    if (req.block && pending_blocks_.contains(req.block->index)) {
      fail_block(req.block->index, ReplicationErrc::storage_failed, applied.error().to_string());
    }
    return pump(now);
  }
  if (req.upgrade) upgrades_done_++;
  if (core_.length() > before) {
    counters_.upgrades++;
    emit(ReplicatorEvent::Kind::upgraded, core_.length());
  }
  if (req.block) {
    counters_.blocks_down++;
    counters_.block_bytes_down += p.block->value.size();
    pending_blocks_.erase(req.block->index);
    probed_blocks_.erase(req.block->index);
    emit(ReplicatorEvent::Kind::block_downloaded, req.block->index);
    announce_contiguous();
  }
  pump(now);
}

void Replicator::on_no_data(const NoData& m, TimePoint now) {
  auto it = inflight_.find(m.request);
  if (it == inflight_.end()) return;
  hypercore::ProofRequest req = std::move(it->second.request);
  inflight_.erase(it);
  if (req.upgrade) {
    upgrade_inflight_ = false;
    upgrade_refused_at_ = req.upgrade->start + req.upgrade->length;
  }
  if (req.block) {
    uint64_t index = req.block->index;
    inflight_blocks_.erase(index);
    remote_has_->remove(index, index + 1);  // not asked again until announced again
    if (pending_blocks_.contains(index)) {
      bool refused = m.reason == static_cast<uint64_t>(NoDataReason::invalid_request);
      std::string why = refused ? ": the peer refused the request" : ": the peer does not have it";
      fail_block(index, ReplicationErrc::block_not_available, "block " + std::to_string(index) + why + " (noData)");
    }
  }
  pump(now);
}

void Replicator::tick(TimePoint now) {
  if (state_ != State::open && state_ != State::opening) return;
  for (auto it = inflight_.begin(); it != inflight_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    uint64_t id = it->first;
    hypercore::ProofRequest req = std::move(it->second.request);
    it = inflight_.erase(it);
    send(Cancel{id});
    if (req.upgrade) upgrade_inflight_ = false;
    if (req.block) {
      uint64_t index = req.block->index;
      inflight_blocks_.erase(index);
      download_cursor_ = std::min(download_cursor_, index);
      if (pending_blocks_.contains(index)) {
        fail_block(index, ReplicationErrc::request_timeout, "block " + std::to_string(index) + ": no answer in time");
      }
    }
  }
  std::vector<uint64_t> expired;
  for (auto& [index, deadline] : pending_blocks_) {
    if (deadline <= now && !block_inflight(index)) expired.push_back(index);
  }
  for (uint64_t index : expired) {
    fail_block(index, ReplicationErrc::block_not_available,
               "block " + std::to_string(index) + ": the peer did not announce it in time");
  }
  // Blocks that became contiguous here without a change of the head (downloaded from
  // another peer) are announced as Node announces its downloads, so a peer relaying a log
  // it is still receiving passes it on.
  if (state_ == State::open) announce_contiguous();
  pump(now);
}

std::expected<void, ReplicationError> Replicator::request_block(uint64_t index, TimePoint now) {
  if (state_ == State::closed || state_ == State::failed) {
    return std::unexpected(ReplicationError{ReplicationErrc::channel_closed, "the channel has ended"});
  }
  if (core_.has(index)) {
    emit(ReplicatorEvent::Kind::block_downloaded, index);
    return {};
  }
  if (!pending_blocks_.contains(index) && pending_blocks_.size() >= options_.max_pending) {
    return std::unexpected(ReplicationError{ReplicationErrc::queue_full, "too many blocks queued"});
  }
  pending_blocks_.emplace(index, now + options_.want_timeout);
  pump(now);
  return {};
}

void Replicator::set_download_all(bool on, TimePoint now) {
  options_.download_all = on;
  download_cursor_ = 0;
  pump(now);
}

void Replicator::fail_block(uint64_t index, ReplicationErrc code, std::string message) {
  pending_blocks_.erase(index);
  probed_blocks_.erase(index);
  emit(ReplicatorEvent::Kind::block_failed, index, ReplicationError{code, std::move(message)});
}

void Replicator::fail_all_pending(ReplicationErrc code, const std::string& message) {
  for (auto& [index, deadline] : pending_blocks_) {
    emit(ReplicatorEvent::Kind::block_failed, index, ReplicationError{code, message});
  }
  pending_blocks_.clear();
  probed_blocks_.clear();
}

}  // namespace net
