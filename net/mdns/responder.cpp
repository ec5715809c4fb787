#include "net/mdns/internal/responder.hpp"

#include <algorithm>
#include <tuple>

namespace net::mdns::internal {

namespace {

constexpr int kProbeCount = 3;               // RFC 6762 §8.1
constexpr Time kProbeInterval{250};
constexpr Time kTieBreakBackoff{1000};       // §8.2: the loser waits 1 s and probes again
constexpr int kAnnouncementCount = 2;        // §8.3: at least two, one second apart
constexpr Time kAnnouncementInterval{1000};
constexpr Time kMulticastInterval{1000};     // §6: a record at most once per second...
constexpr Time kProbeDefenseInterval{250};   // ...or every 250 ms when defending a probe
constexpr uint32_t kLegacyTtl = 10;          // §6.7
constexpr size_t kConflictBurst = 15;        // §8.1: 15 conflicts in 10 s -> wait 5 s
constexpr Time kConflictWindow{10000};
constexpr Time kConflictBackoff{5000};

bool is_unique_type(uint16_t type) {
  return type == rr_type::kSrv || type == rr_type::kTxt || type == rr_type::kA || type == rr_type::kAaaa;
}

}  // namespace

Responder::Responder(const MdnsOptions& options, std::mt19937_64& rng, Outbox& out, std::vector<MdnsEvent>& events)
    : options_(options), rng_(rng), out_(out), events_(events) {}

Time Responder::jitter(int64_t from_ms, int64_t to_ms) {
  return Time{std::uniform_int_distribution<int64_t>(from_ms, to_ms)(rng_)};
}

std::vector<ResourceRecord> Responder::unique_records() const {
  DnsName instance = instance_dns_name();
  std::vector<ResourceRecord> out;
  out.push_back(make_srv(instance, options_.port, host(), kTtlSrv));
  out.push_back(make_txt(instance, txt_strings(options_.public_key), kTtlTxt));
  for (const auto& a : options_.addresses) out.push_back(make_a(host(), a, kTtlHost));
  return out;
}

std::vector<ResourceRecord> Responder::records() const {
  DnsName instance = instance_dns_name();
  std::vector<ResourceRecord> out;
  out.push_back(make_ptr(services_meta_name(), service_type_name(), kTtlPtr));
  out.push_back(make_ptr(service_type_name(), instance, kTtlPtr));
  for (const auto& [key, id] : topics_) out.push_back(make_ptr(subtype_name(id), instance, kTtlPtr));
  auto unique = unique_records();
  out.insert(out.end(), unique.begin(), unique.end());
  return out;
}

Result<void> Responder::announce(ByteSpan topic, Time now) {
  if (options_.port == 0) return hypercore::fail(hypercore::errc::invalid_argument, "mdns announce: no port to advertise");
  if (options_.addresses.empty())
    return hypercore::fail(hypercore::errc::invalid_argument, "mdns announce: no IPv4 address to advertise");
  LanId id = lan_id(topic);
  std::string key = hypercore::to_hex(id);
  if (!topics_.emplace(key, id).second) return {};
  if (phase_ == Phase::idle) {
    // §8.1: a random 0-250 ms before the first probe, so hosts powered on together spread out.
    start_probing(now, jitter(0, 250));
  } else if (phase_ == Phase::live) {
    // A shared PTR needs no probing: announce it on its own, twice like any announcement.
    new_topics_[key] = TopicAnnouncement{0, now};
  }
  return {};
}

void Responder::unannounce(ByteSpan topic, Time now) {
  LanId id = lan_id(topic);
  auto it = topics_.find(hypercore::to_hex(id));
  if (it == topics_.end()) return;
  if (topics_.size() == 1) return leave(now);
  topics_.erase(it);
  new_topics_.erase(hypercore::to_hex(id));
  if (phase_ == Phase::live) send_goodbye({make_ptr(subtype_name(id), instance_dns_name(), kTtlPtr)}, now);
}

void Responder::leave(Time now) {
  if (phase_ == Phase::live) send_goodbye(records(), now);
  topics_.clear();
  new_topics_.clear();
  phase_ = Phase::idle;
  next_probe_ = next_announcement_ = response_due_ = kNever;
  pending_answers_.clear();
  pending_additionals_.clear();
  last_multicast_.clear();
}

void Responder::send_goodbye(std::vector<ResourceRecord> records, Time now) {
  Message m;
  m.flags = kFlagResponse | kFlagAuthoritative;
  for (auto& r : records) {
    r.ttl = 0;
    m.answers.push_back(std::move(r));
  }
  out_.send(m, now);
}

void Responder::start_probing(Time now, Time delay) {
  // §8.1: after 15 conflicts within 10 s, wait 5 s before probing again, so two hosts
  // stuck on one name cannot flood the link.
  while (!recent_conflicts_.empty() && recent_conflicts_.front() + kConflictWindow < now) recent_conflicts_.pop_front();
  if (recent_conflicts_.size() >= kConflictBurst) delay = std::max(delay, kConflictBackoff);
  phase_ = Phase::probing;
  probes_sent_ = 0;
  next_probe_ = now + delay;
  announcements_sent_ = 0;
  next_announcement_ = kNever;
  new_topics_.clear();
  response_due_ = kNever;
  pending_answers_.clear();
  pending_additionals_.clear();
}

void Responder::send_probe(Time now) {
  // §8.1: QU "ANY" questions for every name we want, our proposed records in Authority.
  Message m;
  m.questions.push_back({instance_dns_name(), rr_type::kAny, kClassIn, true});
  m.questions.push_back({host(), rr_type::kAny, kClassIn, true});
  m.authorities = unique_records();
  out_.send(m, now);
}

void Responder::send_full_announcement(Time now) {
  Message m;
  m.flags = kFlagResponse | kFlagAuthoritative;
  m.answers = records();
  for (const auto& r : m.answers) last_multicast_[record_key(r)] = now;
  out_.send(m, now);
}

Time Responder::poll(Time now) {
  if (phase_ == Phase::probing && now >= next_probe_) {
    if (probes_sent_ < kProbeCount) {
      send_probe(now);
      probes_sent_++;
      next_probe_ = now + kProbeInterval;
    } else {
      // 250 ms after the third probe with no conflict: the names are ours.
      phase_ = Phase::live;
      next_probe_ = kNever;
      next_announcement_ = now;
    }
  }
  if (phase_ == Phase::live && now >= next_announcement_) {
    send_full_announcement(now);
    if (++announcements_sent_ == 1) events_.push_back(Announced{instance(), host()});
    next_announcement_ = announcements_sent_ < kAnnouncementCount ? now + kAnnouncementInterval : kNever;
  }
  if (phase_ == Phase::live) {
    for (auto it = new_topics_.begin(); it != new_topics_.end();) {
      auto& [key, ann] = *it;
      if (now >= ann.next) {
        Message m;
        m.flags = kFlagResponse | kFlagAuthoritative;
        m.answers.push_back(make_ptr(subtype_name(topics_.at(key)), instance_dns_name(), kTtlPtr));
        m.additionals = unique_records();
        out_.send(m, now);
        ann.next = now + kAnnouncementInterval;
        if (++ann.sent >= kAnnouncementCount) {
          it = new_topics_.erase(it);
          continue;
        }
      }
      ++it;
    }
  }
  if (now >= response_due_) {
    response_due_ = kNever;
    auto answers = std::move(pending_answers_);
    auto additionals = std::move(pending_additionals_);
    pending_answers_.clear();
    pending_additionals_.clear();
    send_response(std::move(answers), std::move(additionals), now);
  }
  Time next = std::min({next_probe_, next_announcement_, response_due_});
  for (const auto& [key, ann] : new_topics_) next = std::min(next, ann.next);
  return next;
}

void Responder::send_response(std::map<std::string, ResourceRecord> answers,
                              std::map<std::string, ResourceRecord> additionals, Time now) {
  // Re-checked at send time: a record multicast since the query came in (an
  // announcement, another answer) need not go again.
  std::erase_if(answers, [&](const auto& kv) {
    auto it = last_multicast_.find(kv.first);
    return it != last_multicast_.end() && now - it->second < kMulticastInterval;
  });
  if (answers.empty()) return;
  Message m;
  m.flags = kFlagResponse | kFlagAuthoritative;
  for (auto& [key, r] : answers) {
    last_multicast_[key] = now;
    m.answers.push_back(std::move(r));
  }
  for (auto& [key, r] : additionals)
    if (!answers.count(key)) m.additionals.push_back(std::move(r));
  out_.send(m, now);
}

bool Responder::loses_tie_break(const DnsName& name, const std::vector<ResourceRecord>& theirs) const {
  // §8.2: sort each side's records by class, type, raw rdata; compare pairwise; the
  // lexicographically later set wins; a set that is a prefix of the other loses.
  auto sorted = [&](std::vector<ResourceRecord> rs) {
    std::erase_if(rs, [&](const ResourceRecord& r) { return !(r.name == name); });
    std::vector<std::tuple<uint16_t, uint16_t, Bytes>> out;
    for (const auto& r : rs) out.emplace_back(r.rrclass, r.type, rdata_bytes(r, false));
    std::sort(out.begin(), out.end());
    return out;
  };
  auto ours = sorted(unique_records());
  auto other = sorted(theirs);
  return std::lexicographical_compare(ours.begin(), ours.end(), other.begin(), other.end());
}

void Responder::on_query(const Message& query, const Endpoint& from, Time now) {
  if (phase_ == Phase::probing) {
    for (const DnsName& name : {instance_dns_name(), host()}) {
      bool asks = std::any_of(query.questions.begin(), query.questions.end(),
                              [&](const Question& q) { return q.name == name; });
      bool proposes = std::any_of(query.authorities.begin(), query.authorities.end(),
                                  [&](const ResourceRecord& r) { return r.name == name; });
      // Our own probe looped back compares equal and loses nothing.
      if (asks && proposes && loses_tie_break(name, query.authorities)) {
        probes_sent_ = 0;
        next_probe_ = now + kTieBreakBackoff;
        return;
      }
    }
    return;
  }
  if (phase_ != Phase::live) return;

  const bool legacy = from.port != kMdnsPort;
  bool probe_defense = false;
  std::map<std::string, ResourceRecord> answers;
  auto all = records();
  for (const auto& q : query.questions) {
    if (q.qclass != kClassIn && q.qclass != kClassAny) continue;
    for (const auto& r : all) {
      if (!(r.name == q.name) || (q.type != rr_type::kAny && q.type != r.type)) continue;
      answers.emplace(record_key(r), r);
      if (q.type == rr_type::kAny && r.cache_flush && !query.authorities.empty()) probe_defense = true;
    }
  }
  // §7.1 known-answer suppression: the querier already holds these with at least half
  // their TTL left.
  std::map<std::string, uint32_t> known;
  for (const auto& k : query.answers) known[record_key(k)] = k.ttl;
  std::erase_if(answers, [&](const auto& kv) {
    auto it = known.find(kv.first);
    return it != known.end() && it->second >= kv.second.ttl / 2;
  });
  if (answers.empty()) return;

  // §6: whatever the querier will need next goes in Additional.
  std::map<std::string, ResourceRecord> additionals;
  auto instance = instance_dns_name();
  for (const auto& [key, r] : answers) {
    bool names_instance = r.type == rr_type::kPtr && std::get<PtrData>(r.data).target == instance;
    if (names_instance || r.type == rr_type::kSrv)
      for (const auto& u : unique_records())
        if (names_instance || u.name == host()) additionals.emplace(record_key(u), u);
  }
  std::erase_if(additionals, [&](const auto& kv) { return answers.count(kv.first) || known.count(kv.first); });

  if (legacy) {
    // §6.7: one-shot resolvers get a conventional unicast DNS reply.
    Message m;
    m.id = query.id;
    m.flags = kFlagResponse | kFlagAuthoritative;
    m.questions = query.questions;
    for (auto* section : {&answers, &additionals})
      for (auto& [key, r] : *section) {
        r.ttl = std::min(r.ttl, kLegacyTtl);
        r.cache_flush = false;
        (section == &answers ? m.answers : m.additionals).push_back(r);
      }
    out_.send(m, now, from);
    return;
  }

  // §6: a record goes at most once a second (every 250 ms when defending a probe). A
  // probe defense within that is dropped (the prober probes three times); an answer to a
  // query waits for the second to pass rather than being dropped: the querier may have
  // started after our last multicast (a browser joining just after our announcement),
  // and dropping it would leave it to its next query, a second or more later.
  Time allowed = now;
  if (probe_defense) {
    std::erase_if(answers, [&](const auto& kv) {
      auto it = last_multicast_.find(kv.first);
      return it != last_multicast_.end() && now - it->second < kProbeDefenseInterval;
    });
  } else {
    for (const auto& [key, r] : answers) {
      auto it = last_multicast_.find(key);
      if (it != last_multicast_.end()) allowed = std::max(allowed, it->second + kMulticastInterval);
    }
  }
  if (answers.empty()) return;
  bool all_unique = std::all_of(answers.begin(), answers.end(), [](const auto& kv) { return kv.second.cache_flush; });
  if (all_unique && allowed == now) {
    // §6: answers made only of unique records go at once.
    for (const auto& [key, r] : answers) last_multicast_[key] = now;
    Message m;
    m.flags = kFlagResponse | kFlagAuthoritative;
    for (auto& [key, r] : answers) m.answers.push_back(r);
    for (auto& [key, r] : additionals) m.additionals.push_back(r);
    out_.send(m, now);
    return;
  }
  // Shared records: wait 20-120 ms so the answers of several responders (and several
  // queries) aggregate; a neighbour sending the same record meanwhile cancels ours.
  // A record held back by the once-a-second rule moves the whole pending response to
  // when it may go (at most a second later), so none of it is dropped at send time.
  pending_answers_.merge(answers);
  pending_additionals_.merge(additionals);
  Time due = all_unique ? allowed : std::max(allowed, now + jitter(20, 120));
  if (response_due_ == kNever) {
    response_due_ = due;
  } else if (allowed > response_due_) {
    response_due_ = allowed;  // bounded: nothing is multicast until it goes
  }
}

void Responder::on_response(const Message& response, Time now) {
  if (phase_ == Phase::idle) return;
  // §7.4 duplicate answer suppression: someone just multicast what we were about to.
  for (const auto& r : response.answers) {
    auto it = pending_answers_.find(record_key(r));
    if (it != pending_answers_.end() && r.ttl >= it->second.ttl / 2) pending_answers_.erase(it);
  }
  // §8.1/§9: a record of another host on one of our unique names with other data.
  DnsName instance = instance_dns_name();
  DnsName our_host = host();
  std::vector<std::string> ours;
  for (const auto& r : unique_records()) ours.push_back(record_key(r));
  for (const auto* section : {&response.answers, &response.additionals})
    for (const auto& r : *section) {
      if (r.ttl == 0 || !is_unique_type(r.type)) continue;
      if (!(r.name == instance) && !(r.name == our_host)) continue;
      if (std::find(ours.begin(), ours.end(), record_key(r)) != ours.end()) continue;
      on_conflict(now);
      return;
    }
}

void Responder::on_conflict(Time now) {
  recent_conflicts_.push_back(now);
  if (phase_ == Phase::probing) {
    // §8.1: someone already owns the name: pick the next one and probe again.
    attempt_++;
    events_.push_back(Renamed{instance(), host()});
    start_probing(now, jitter(0, 250));
  } else {
    // §9: after announcing, probe again with the same names; if the other host defends
    // them the probe sees the conflict and renames.
    start_probing(now, Time{0});
  }
}

}  // namespace net::mdns::internal
