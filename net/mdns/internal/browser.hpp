// The discovering half of MdnsNode: queries the subtypes of the browsed topics (RFC 6762
// §5.2 continuous querying), caches the relevant answers with their TTLs (§10: cache
// flush, goodbye, refresh at 80-95 %), resolves instances to SRV/TXT/A and turns the
// cache into PeerFound / PeerGone events.
#pragma once

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "net/mdns/internal/outbox.hpp"
#include "net/mdns/mdns_node.hpp"

namespace net::mdns::internal {

class Browser {
 public:
  Browser(const MdnsOptions& options, std::mt19937_64& rng, Outbox& out, std::vector<MdnsEvent>& events);

  void browse(ByteSpan topic, Time now);
  void stop(ByteSpan topic);
  void stop_all();

  // A query from another host: may stand in for one of ours (§7.3).
  void on_query(const Message& query, Time now);
  void on_response(const Message& response, Time now);
  Time poll(Time now);

  std::vector<PeerInfo> peers(ByteSpan topic, Time now) const;

 private:
  struct Interest {
    Bytes topic;
    DnsName subtype;
    Time next_query{0};
    Time interval{0};
    std::map<std::string, PeerInfo> reported;  // by instance name key
  };
  struct Entry {
    ResourceRecord record;
    Time received{0};
    Time expires{0};
    int refresh_step = 0;  // how many of the 80/85/90/95 % re-queries went out
    Time next_refresh = kNever;
  };
  struct Pending {  // an unresolved name we keep asking about
    Time next{0};
    Time interval{0};
  };

  // Cached, unexpired records of one name and type.
  std::vector<const Entry*> lookup(const DnsName& name, uint16_t type, Time now) const;
  std::map<std::string, PeerInfo> resolve(const Interest& interest, Time now) const;
  // Instance and host names that matter to some interest (only their records are cached).
  std::set<std::string> wanted_instances(Time now) const;
  std::set<std::string> wanted_hosts(const std::set<std::string>& instances, Time now) const;

  void store(const ResourceRecord& record, Time now);
  Time refresh_time(const Entry& e);
  void send_queries(Time now);
  void send_refreshes(Time now);
  void schedule_resolves(Time now);
  void send_resolves(Time now);
  void update_peers(Time now);
  std::vector<ResourceRecord> known_answers(const DnsName& subtype, Time now) const;

  const MdnsOptions& options_;
  std::mt19937_64& rng_;
  Outbox& out_;
  std::vector<MdnsEvent>& events_;
  std::map<std::string, Interest> interests_;  // by subtype name key
  std::map<std::string, Entry> cache_;         // by record_key
  std::map<std::string, std::pair<Question, Pending>> resolving_;  // by rrset_key
};

}  // namespace net::mdns::internal
