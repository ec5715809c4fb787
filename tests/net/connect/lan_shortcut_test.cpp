// The LAN shortcut's choices (net/connect/lan_shortcut.hpp), pinned to holepuncher.js
// matchAddress and connect.js's conditions (hyperdht 6.34.0).
#include <gtest/gtest.h>

#include <vector>

#include "net/connect/lan_shortcut.hpp"

using net::connect::Ipv4Address;
using net::connect::lan_shortcut_target;
using net::connect::match_address;

namespace {
Ipv4Address a(const char* text) { return *Ipv4Address::parse(text); }
}  // namespace

TEST(LanShortcut, MatchPrefersTheLongestSharedPrefix) {
  std::vector<Ipv4Address> ours{a("192.168.122.238:1")};
  // Three octets win at once, whatever comes first.
  EXPECT_EQ(match_address(ours, std::vector{a("10.0.0.5:9"), a("192.168.0.23:9"), a("192.168.122.1:9")}),
            a("192.168.122.1:9"));
  // Two octets beat one; the first of equals is kept.
  EXPECT_EQ(match_address(ours, std::vector{a("192.1.1.1:9"), a("192.168.7.7:9"), a("192.168.8.8:9")}),
            a("192.168.7.7:9"));
  EXPECT_EQ(match_address(ours, std::vector{a("10.1.1.1:9"), a("192.1.1.1:9")}), a("192.1.1.1:9"));
  EXPECT_EQ(match_address(ours, std::vector{a("10.1.1.1:9")}), std::nullopt);
  EXPECT_EQ(match_address(ours, std::vector<Ipv4Address>{}), std::nullopt);
  // Every one of our addresses is tried against every one of theirs.
  std::vector<Ipv4Address> two{a("10.9.9.9:1"), a("172.16.4.2:1")};
  EXPECT_EQ(match_address(two, std::vector{a("192.168.1.1:9"), a("172.16.4.77:9")}), a("172.16.4.77:9"));
}

TEST(LanShortcut, OnlyWhenTheRelaySawBothAtOneHost) {
  std::vector<Ipv4Address> server{a("192.168.1.2:4000")};
  std::vector<Ipv4Address> ours{a("192.168.1.3:5000")};
  EXPECT_EQ(lan_shortcut_target(a("10.77.1.1:6000"), a("10.77.1.1:4000"), server, ours), a("192.168.1.2:4000"));
  // Ports do not matter (a random NAT maps each socket anew); hosts do.
  EXPECT_EQ(lan_shortcut_target(a("10.77.1.1:6000"), a("10.77.1.2:4000"), server, ours), std::nullopt);
}

TEST(LanShortcut, SkipsReservedAddressesAndFallsBackToTheFirst) {
  std::vector<Ipv4Address> ours{a("10.0.0.3:1")};
  // 0.0.0.0/8 and the TEST-NETs are reserved (bogon isReserved); private ones are not.
  std::vector<Ipv4Address> server{a("0.1.2.3:9"), a("192.0.2.1:9"), a("172.20.0.4:9"), a("192.168.5.5:9")};
  EXPECT_EQ(lan_shortcut_target(a("1.2.3.4:1"), a("1.2.3.4:2"), server, ours), a("172.20.0.4:9"));
  std::vector<Ipv4Address> only_reserved{a("0.1.2.3:9"), a("198.51.100.7:9")};
  EXPECT_EQ(lan_shortcut_target(a("1.2.3.4:1"), a("1.2.3.4:2"), only_reserved, ours), std::nullopt);
}
