#include "net/mdns/internal/browser.hpp"

#include <algorithm>

namespace net::mdns::internal {

namespace {

constexpr Time kFirstInterval{1000};          // §5.2: 1 s, then doubling...
constexpr Time kMaxQueryInterval{3600000};    // ...to a 60 min cap
constexpr Time kGoodbyeDelay{1000};           // §10.1: TTL 0 means "delete in 1 s"
constexpr Time kFlushGrace{1000};             // §10.2: flush records older than 1 s
constexpr Time kResolveCap{60000};            // unresolved names: back off to once a minute
constexpr int kRefreshSteps = 4;              // §5.2: 80, 85, 90, 95 % of the TTL

Time ttl_ms(uint32_t ttl) { return Time{int64_t{ttl} * 1000}; }

}  // namespace

Browser::Browser(const MdnsOptions& options, std::mt19937_64& rng, Outbox& out, std::vector<MdnsEvent>& events)
    : options_(options), rng_(rng), out_(out), events_(events) {}

void Browser::browse(ByteSpan topic, Time now) {
  DnsName subtype = subtype_name(lan_id(topic));
  auto [it, added] = interests_.try_emplace(subtype.key());
  if (!added) return;
  it->second.topic.assign(topic.begin(), topic.end());
  it->second.subtype = subtype;
  // §5.2: the first query after 20-120 ms, so that hosts started together do not collide.
  it->second.next_query = now + Time{std::uniform_int_distribution<int64_t>(20, 120)(rng_)};
  it->second.interval = kFirstInterval;
}

void Browser::stop(ByteSpan topic) { interests_.erase(subtype_name(lan_id(topic)).key()); }

void Browser::stop_all() {
  interests_.clear();
  cache_.clear();
  resolving_.clear();
}

std::vector<const Browser::Entry*> Browser::lookup(const DnsName& name, uint16_t type, Time now) const {
  std::vector<const Entry*> out;
  std::string prefix = rrset_key(name, type);
  for (auto it = cache_.lower_bound(prefix); it != cache_.end() && it->first.starts_with(prefix); ++it)
    if (it->second.expires > now) out.push_back(&it->second);
  return out;
}

std::set<std::string> Browser::wanted_instances(Time now) const {
  std::set<std::string> out;
  for (const auto& [key, interest] : interests_)
    for (const Entry* e : lookup(interest.subtype, rr_type::kPtr, now)) out.insert(std::get<PtrData>(e->record.data).target.key());
  return out;
}

std::set<std::string> Browser::wanted_hosts(const std::set<std::string>& instances, Time now) const {
  std::set<std::string> out;
  for (const auto& [key, e] : cache_)
    if (e.record.type == rr_type::kSrv && e.expires > now && instances.count(e.record.name.key()))
      out.insert(std::get<SrvData>(e.record.data).target.key());
  return out;
}

Time Browser::refresh_time(const Entry& e) {
  // 80 %, 85 %, 90 %, 95 % of the TTL, each plus 0-2 % so caches across the link do not
  // all ask at the same instant.
  if (e.refresh_step >= kRefreshSteps || e.record.ttl == 0) return kNever;
  int64_t permille = 800 + 50 * e.refresh_step + std::uniform_int_distribution<int64_t>(0, 20)(rng_);
  return e.received + Time{int64_t{e.record.ttl} * permille};
}

void Browser::store(const ResourceRecord& record, Time now) {
  std::string key = record_key(record);
  auto it = cache_.find(key);
  if (record.ttl == 0) {
    if (it != cache_.end()) {
      it->second.expires = std::min(it->second.expires, now + kGoodbyeDelay);
      it->second.next_refresh = kNever;
    }
    return;
  }
  if (it == cache_.end()) {
    if (cache_.size() >= options_.max_cache_records) return;
    it = cache_.emplace(key, Entry{}).first;
  }
  Entry& e = it->second;
  e.record = record;
  e.received = now;
  e.expires = now + ttl_ms(record.ttl);
  e.refresh_step = 0;
  e.next_refresh = refresh_time(e);
}

void Browser::on_response(const Message& response, Time now) {
  if (interests_.empty()) return;
  std::vector<const ResourceRecord*> incoming;
  for (const auto* section : {&response.answers, &response.additionals})
    for (const auto& r : *section) incoming.push_back(&r);

  // Keep only what leads to a browsed topic's peer: subtype PTRs, then SRV/TXT of the
  // instances they name, then A/AAAA of the hosts those SRVs name. The rest of the
  // link's chatter never reaches the cache.
  std::set<std::string> instances = wanted_instances(now);
  std::vector<const ResourceRecord*> keep;
  for (const auto* r : incoming)
    if (r->type == rr_type::kPtr && interests_.count(r->name.key())) {
      keep.push_back(r);
      instances.insert(std::get<PtrData>(r->data).target.key());
    }
  std::set<std::string> hosts = wanted_hosts(instances, now);
  for (const auto* r : incoming)
    if ((r->type == rr_type::kSrv || r->type == rr_type::kTxt) && instances.count(r->name.key())) {
      keep.push_back(r);
      if (r->type == rr_type::kSrv) hosts.insert(std::get<SrvData>(r->data).target.key());
    }
  for (const auto* r : incoming)
    if ((r->type == rr_type::kA || r->type == rr_type::kAaaa) && hosts.count(r->name.key())) keep.push_back(r);

  // §10.2 cache flush: a unique record replaces the rrset, except for what arrived in the
  // last second (the rest of a multi-packet announcement).
  std::set<std::string> fresh;
  for (const auto* r : keep) fresh.insert(record_key(*r));
  for (const auto* r : keep) {
    if (!r->cache_flush) continue;
    std::string prefix = rrset_key(r->name, r->type);
    for (auto it = cache_.lower_bound(prefix); it != cache_.end() && it->first.starts_with(prefix); ++it)
      if (!fresh.count(it->first) && it->second.received + kFlushGrace <= now)
        it->second.expires = std::min(it->second.expires, now + kGoodbyeDelay);
  }
  for (const auto* r : keep) store(*r, now);
  schedule_resolves(now);
  update_peers(now);
}

std::vector<ResourceRecord> Browser::known_answers(const DnsName& subtype, Time now) const {
  // §7.1: list what we hold with more than half its TTL left, with the TTL remaining.
  std::vector<ResourceRecord> out;
  for (const Entry* e : lookup(subtype, rr_type::kPtr, now)) {
    Time left = e->expires - now;
    if (left * 2 <= ttl_ms(e->record.ttl)) continue;
    ResourceRecord r = e->record;
    r.ttl = static_cast<uint32_t>(left.count() / 1000);
    out.push_back(std::move(r));
  }
  return out;
}

void Browser::on_query(const Message& query, Time now) {
  // §7.3 duplicate question suppression: another host asked our QM question and listed no
  // known answer we would not list ourselves, so its answers will serve us too.
  for (const auto& q : query.questions) {
    if (q.type != rr_type::kPtr || q.unicast_response) continue;
    auto it = interests_.find(q.name.key());
    if (it == interests_.end() || it->second.next_query <= now) continue;
    std::set<std::string> ours;
    for (const auto& r : known_answers(q.name, now)) ours.insert(record_key(r));
    bool subset = std::all_of(query.answers.begin(), query.answers.end(), [&](const ResourceRecord& r) {
      return !(r.name == q.name) || r.type != rr_type::kPtr || ours.count(record_key(r));
    });
    if (!subset) continue;
    Interest& in = it->second;
    in.next_query = now + in.interval;
    in.interval = std::min(in.interval * 2, kMaxQueryInterval);
  }
}

void Browser::send_queries(Time now) {
  Message m;
  for (auto& [key, in] : interests_) {
    if (in.next_query > now) continue;
    m.questions.push_back({in.subtype, rr_type::kPtr, kClassIn, false});
    auto known = known_answers(in.subtype, now);
    m.answers.insert(m.answers.end(), known.begin(), known.end());
    in.next_query = now + in.interval;
    in.interval = std::min(in.interval * 2, kMaxQueryInterval);
  }
  if (!m.questions.empty()) out_.send(m, now);
}

void Browser::send_refreshes(Time now) {
  std::set<std::string> instances = wanted_instances(now);
  std::set<std::string> hosts = wanted_hosts(instances, now);
  std::map<std::string, Question> questions;
  for (auto& [key, e] : cache_) {
    if (e.next_refresh > now) continue;
    const auto& r = e.record;
    bool wanted = (r.type == rr_type::kPtr && interests_.count(r.name.key())) ||
                  ((r.type == rr_type::kSrv || r.type == rr_type::kTxt) && instances.count(r.name.key())) ||
                  ((r.type == rr_type::kA || r.type == rr_type::kAaaa) && hosts.count(r.name.key()));
    if (!wanted) {
      e.next_refresh = kNever;  // let it expire
      continue;
    }
    questions.try_emplace(rrset_key(r.name, r.type), Question{r.name, r.type, kClassIn, false});
    e.refresh_step++;
    e.next_refresh = refresh_time(e);
  }
  if (questions.empty()) return;
  Message m;
  for (auto& [key, q] : questions) m.questions.push_back(std::move(q));
  out_.send(m, now);
}

void Browser::schedule_resolves(Time now) {
  // An instance without SRV or TXT, or a host without any address, is asked for
  // directly, the first time 20-120 ms later (the rest of a split answer may be on its
  // way), then with doubling intervals.
  std::map<std::string, Question> needed;
  std::set<std::string> instances;
  for (const auto& [key, interest] : interests_)
    for (const Entry* e : lookup(interest.subtype, rr_type::kPtr, now)) {
      const DnsName& instance = std::get<PtrData>(e->record.data).target;
      instances.insert(instance.key());
      for (uint16_t type : {rr_type::kSrv, rr_type::kTxt})
        if (lookup(instance, type, now).empty()) needed.emplace(rrset_key(instance, type), Question{instance, type, kClassIn, false});
      for (const Entry* srv : lookup(instance, rr_type::kSrv, now)) {
        const DnsName& host = std::get<SrvData>(srv->record.data).target;
        if (lookup(host, rr_type::kA, now).empty() && lookup(host, rr_type::kAaaa, now).empty())
          needed.emplace(rrset_key(host, rr_type::kA), Question{host, rr_type::kA, kClassIn, false});
      }
    }
  std::erase_if(resolving_, [&](const auto& kv) { return !needed.count(kv.first); });
  for (auto& [key, q] : needed)
    if (!resolving_.count(key))
      resolving_.emplace(key, std::pair{q, Pending{now + Time{std::uniform_int_distribution<int64_t>(20, 120)(rng_)}, kFirstInterval}});
}

void Browser::send_resolves(Time now) {
  Message m;
  for (auto& [key, entry] : resolving_) {
    auto& [q, pending] = entry;
    if (pending.next > now) continue;
    m.questions.push_back(q);
    pending.next = now + pending.interval;
    pending.interval = std::min(pending.interval * 2, kResolveCap);
  }
  if (!m.questions.empty()) out_.send(m, now);
}

std::map<std::string, PeerInfo> Browser::resolve(const Interest& interest, Time now) const {
  std::map<std::string, PeerInfo> out;
  for (const Entry* ptr : lookup(interest.subtype, rr_type::kPtr, now)) {
    const DnsName& instance = std::get<PtrData>(ptr->record.data).target;
    auto srvs = lookup(instance, rr_type::kSrv, now);
    if (srvs.empty() || instance.labels.empty()) continue;
    std::optional<PublicKey> pk;
    for (const Entry* txt : lookup(instance, rr_type::kTxt, now))
      if ((pk = parse_txt(std::get<TxtData>(txt->record.data)))) break;
    if (!pk || (!options_.report_self && *pk == options_.public_key)) continue;
    // Several SRVs for one instance only happen mid-flush; the newest is the current one.
    const Entry* srv = *std::max_element(srvs.begin(), srvs.end(),
                                         [](const Entry* a, const Entry* b) { return a->received < b->received; });
    const auto& srv_data = std::get<SrvData>(srv->record.data);
    PeerInfo peer;
    peer.public_key = *pk;
    peer.instance = instance.labels[0];
    peer.host = srv_data.target;
    peer.port = srv_data.port;
    for (const Entry* a : lookup(srv_data.target, rr_type::kA, now)) peer.ipv4.push_back(std::get<AData>(a->record.data).address);
    for (const Entry* a : lookup(srv_data.target, rr_type::kAaaa, now))
      peer.ipv6.push_back(std::get<AaaaData>(a->record.data).address);
    if (peer.ipv4.empty() && peer.ipv6.empty()) continue;
    std::sort(peer.ipv4.begin(), peer.ipv4.end());
    std::sort(peer.ipv6.begin(), peer.ipv6.end());
    out.emplace(instance.key(), std::move(peer));
  }
  return out;
}

void Browser::update_peers(Time now) {
  for (auto& [key, interest] : interests_) {
    auto current = resolve(interest, now);
    for (const auto& [instance, peer] : interest.reported)
      if (!current.count(instance)) events_.push_back(PeerGone{interest.topic, peer});
    for (const auto& [instance, peer] : current) {
      auto it = interest.reported.find(instance);
      if (it == interest.reported.end() || !(it->second == peer)) events_.push_back(PeerFound{interest.topic, peer});
    }
    interest.reported = std::move(current);
  }
}

Time Browser::poll(Time now) {
  std::erase_if(cache_, [&](const auto& kv) { return kv.second.expires <= now; });
  send_queries(now);
  send_refreshes(now);
  schedule_resolves(now);
  send_resolves(now);
  update_peers(now);
  Time next = kNever;
  for (const auto& [key, in] : interests_) next = std::min(next, in.next_query);
  for (const auto& [key, e] : cache_) next = std::min({next, e.expires, e.next_refresh});
  for (const auto& [key, r] : resolving_) next = std::min(next, r.second.next);
  return next;
}

std::vector<PeerInfo> Browser::peers(ByteSpan topic, Time now) const {
  std::vector<PeerInfo> out;
  auto it = interests_.find(subtype_name(lan_id(topic)).key());
  if (it == interests_.end()) return out;
  for (auto& [key, peer] : resolve(it->second, now)) out.push_back(std::move(peer));
  return out;
}

}  // namespace net::mdns::internal
