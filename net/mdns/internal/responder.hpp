// The publishing half of MdnsNode: probes for our instance and host names, announces,
// answers queries, defends or gives up names on conflict, and says goodbye. Timing is
// RFC 6762 §8 (probe, announce), §6 (answer delays, rate limits), §7.1 (known-answer
// suppression), §10.1 (goodbye); docs/protocol/mdns.md lists what is simplified.
#pragma once

#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "net/mdns/internal/outbox.hpp"
#include "net/mdns/mdns_node.hpp"

namespace net::mdns::internal {

class Responder {
 public:
  Responder(const MdnsOptions& options, std::mt19937_64& rng, Outbox& out, std::vector<MdnsEvent>& events);

  Result<void> announce(ByteSpan topic, Time now);
  void unannounce(ByteSpan topic, Time now);
  void leave(Time now);

  void on_query(const Message& query, const Endpoint& from, Time now);
  void on_response(const Message& response, Time now);
  Time poll(Time now);

  std::string instance() const { return instance_label(options_.public_key, attempt_); }
  DnsName host() const { return host_name(options_.public_key, attempt_); }
  bool announced() const { return phase_ == Phase::live && announcements_sent_ > 0; }

 private:
  enum class Phase { idle, probing, live };

  DnsName instance_dns_name() const { return instance_name(instance()); }
  // Everything we publish now; unique_records() is the SRV/TXT/A subset we probe for,
  // and what a browser needs to resolve the instance without asking again.
  std::vector<ResourceRecord> records() const;
  std::vector<ResourceRecord> unique_records() const;

  void start_probing(Time now, Time delay);
  void send_probe(Time now);
  void send_full_announcement(Time now);
  void send_goodbye(std::vector<ResourceRecord> records, Time now);
  // Another host answered for one of our unique names with other data.
  void on_conflict(Time now);
  // RFC 6762 §8.2 simultaneous probe tie-break: true when our proposal loses to `theirs`.
  bool loses_tie_break(const DnsName& name, const std::vector<ResourceRecord>& theirs) const;
  void send_response(std::map<std::string, ResourceRecord> answers,
                     std::map<std::string, ResourceRecord> additionals, Time now);
  Time jitter(int64_t from_ms, int64_t to_ms);

  const MdnsOptions& options_;
  std::mt19937_64& rng_;
  Outbox& out_;
  std::vector<MdnsEvent>& events_;

  Phase phase_ = Phase::idle;
  unsigned attempt_ = 1;  // 1: our base names; n: " (n)" / "-n" appended
  int probes_sent_ = 0;
  Time next_probe_ = kNever;
  int announcements_sent_ = 0;
  Time next_announcement_ = kNever;
  std::deque<Time> recent_conflicts_;  // for the 15-in-10-s probe rate limit

  std::map<std::string, LanId> topics_;  // by hex(lanid)
  struct TopicAnnouncement {
    int sent = 0;
    Time next{0};
  };
  std::map<std::string, TopicAnnouncement> new_topics_;  // topics added once live

  std::map<std::string, Time> last_multicast_;  // record_key -> when
  Time response_due_ = kNever;                  // delayed answer (shared records)
  std::map<std::string, ResourceRecord> pending_answers_;
  std::map<std::string, ResourceRecord> pending_additionals_;
};

}  // namespace net::mdns::internal
