#include "net/connect/lan_shortcut.hpp"

#include <vector>

#include "net/connect/address_class.hpp"

namespace net::connect {

std::optional<Ipv4Address> match_address(std::span<const Ipv4Address> ours, std::span<const Ipv4Address> theirs) {
  std::optional<Ipv4Address> best;
  int best_octets = 0;
  for (const auto& mine : ours) {
    for (const auto& other : theirs) {
      int same = 0;
      while (same < 3 && mine.host[same] == other.host[same]) same++;
      if (same == 3) return other;
      if (same > best_octets) {
        best_octets = same;
        best = other;
      }
    }
  }
  return best;
}

std::optional<Ipv4Address> lan_shortcut_target(const Ipv4Address& us_seen, const Ipv4Address& server_seen,
                                               std::span<const Ipv4Address> server_addresses4,
                                               std::span<const Ipv4Address> ours) {
  if (us_seen.host != server_seen.host) return std::nullopt;
  std::vector<Ipv4Address> candidates;
  for (const auto& a : server_addresses4) {
    if (!is_reserved(a.host)) candidates.push_back(a);
  }
  if (candidates.empty()) return std::nullopt;
  if (auto m = match_address(ours, candidates)) return m;
  return candidates.front();
}

}  // namespace net::connect
