#include "net/blind_relay/pairing_table.hpp"

#include <limits>
#include <string>

namespace net::blind_relay {

using hypercore::errc;

size_t PairingTable::pending_of(SessionId session) const {
  size_t n = 0;
  for (const auto& [token, p] : pending_) {
    for (const auto& h : p.halves) n += h && h->session == session;
  }
  return n;
}

size_t PairingTable::links_of(SessionId session) const {
  size_t n = 0;
  for (const auto& [token, sessions] : active_) n += sessions[0] == session || sessions[1] == session;
  return n;
}

hypercore::Result<std::optional<Match>> PairingTable::on_pair(SessionId session, const PairMessage& m, Millis now) {
  expire(now);
  if (m.id > std::numeric_limits<uint32_t>::max()) {
    stats_.refused++;
    return hypercore::fail(errc::invalid_argument, "pair: stream id " + std::to_string(m.id) + " exceeds 32 bits");
  }
  // A token already relaying is not paired again (the reference would start a second
  // pairing under it; its streams would then shadow the live link's bookkeeping).
  if (active_.contains(m.token)) {
    stats_.refused++;
    return hypercore::fail(errc::out_of_range, "pair: the token is relaying already");
  }
  const size_t side = m.is_initiator ? 1 : 0;
  auto it = pending_.find(m.token);
  if (it != pending_.end() && it->second.halves[side]) return std::optional<Match>{};  // a repeat: ignored
  if (it == pending_.end()) {
    if (pending_.size() >= limits_.max_pending) {
      stats_.refused++;
      return hypercore::fail(errc::out_of_range, "pair: too many pairings waiting");
    }
  }
  if (pending_of(session) >= limits_.max_pending_per_session) {
    stats_.refused++;
    return hypercore::fail(errc::out_of_range, "pair: this connection has too many pairings waiting");
  }
  if (links_of(session) >= limits_.max_links_per_session) {
    stats_.refused++;
    return hypercore::fail(errc::out_of_range, "pair: this connection relays too many links");
  }
  stats_.requested++;
  if (it == pending_.end()) it = pending_.emplace(m.token, Pending{{}, now}).first;
  it->second.halves[side] = LinkHalf{session, m.is_initiator, static_cast<uint32_t>(m.id)};
  if (!it->second.halves[0] || !it->second.halves[1]) return std::optional<Match>{};
  Match match{m.token, {*it->second.halves[0], *it->second.halves[1]}};
  pending_.erase(it);
  if (links_of(match.halves[0].session) >= limits_.max_links_per_session ||
      links_of(match.halves[1].session) >= limits_.max_links_per_session) {
    stats_.refused++;
    return hypercore::fail(errc::out_of_range, "pair: the other connection relays too many links");
  }
  active_[m.token] = {match.halves[0].session, match.halves[1].session};
  stats_.matched++;
  return std::optional<Match>{match};
}

void PairingTable::drop_pending(std::map<Token, Pending>::iterator it) {
  stats_.cancelled++;
  pending_.erase(it);
}

bool PairingTable::on_unpair(SessionId session, const Token& token) {
  // The reference cancels a waiting pairing whoever asks (the token is the secret).
  if (auto it = pending_.find(token); it != pending_.end()) {
    drop_pending(it);
    return false;
  }
  auto it = active_.find(token);
  if (it == active_.end() || (it->second[0] != session && it->second[1] != session)) return false;
  stats_.cancelled++;
  return true;
}

std::vector<Token> PairingTable::remove_session(SessionId session) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto& halves = it->second.halves;
    for (auto& h : halves) {
      if (h && h->session == session) h.reset();
    }
    if (!halves[0] && !halves[1]) {
      auto gone = it++;
      drop_pending(gone);
    } else {
      ++it;
    }
  }
  std::vector<Token> links;
  for (const auto& [token, sessions] : active_) {
    if (sessions[0] == session || sessions[1] == session) links.push_back(token);
  }
  return links;
}

void PairingTable::link_closed(const Token& token) { active_.erase(token); }

void PairingTable::expire(Millis now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second.since >= limits_.pending_timeout) {
      stats_.expired++;
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<Millis> PairingTable::next_timeout() const {
  std::optional<Millis> out;
  for (const auto& [token, p] : pending_) {
    Millis at = p.since + limits_.pending_timeout;
    if (!out || at < *out) out = at;
  }
  return out;
}

PairingStats PairingTable::stats() const {
  PairingStats s = stats_;
  s.pending = pending_.size();
  s.active = active_.size();
  return s;
}

}  // namespace net::blind_relay
