// mDNS on a real link: two network namespaces joined by a veth pair (created and removed
// by each test), our peer (tests/net/mdns/mdns_peer.cpp) in one or both, and a private
// Avahi daemon (with its own D-Bus) in one. No DHT is involved.
//
// Needs root (ip netns), iproute2, and for the Avahi tests the Debian packages
// avahi-daemon and avahi-utils (which pull in dbus). Without them the tests FAIL with a
// message saying what is missing: a discovery test that silently skips proves nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "hypercore/crypto.hpp"
#include "net/mdns/service_names.hpp"
#include "tests/net/mdns/netns.hpp"
#include "tests/support/temp_dir.hpp"

using namespace mdns_test;

namespace {

const std::string kPeer = MDNS_PEER_PATH;

// What mdns_peer --key N uses as its public key, in hex.
std::string peer_key_hex(int key) {
  return hypercore::to_hex(hypercore::blake2b({hypercore::as_bytes("mdns-peer-" + std::to_string(key))}));
}

std::string subtype_of(const std::string& topic_text) {
  auto topic = hypercore::blake2b({hypercore::as_bytes(topic_text)});
  auto name = net::mdns::subtype_name(net::mdns::lan_id(topic));
  return name.labels[0];
}

std::vector<std::string> peer_args(const std::string& iface, const std::string& topic, int key,
                                   std::vector<std::string> extra) {
  std::vector<std::string> argv = {kPeer, "--iface", iface, "--topic", topic, "--key", std::to_string(key)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}


std::string avahi_unavailable() {
  for (const char* tool : {"avahi-daemon", "avahi-browse", "avahi-publish", "dbus-daemon"})
    if (shell(std::string("command -v ") + tool).first != 0)
      return std::string("mdns Avahi tests need `") + tool + "`: apt-get install avahi-daemon avahi-utils";
  return "";
}

// A D-Bus system bus and an avahi-daemon inside namespace A (spec §4.4 (a)); both are
// stopped on destruction. /run is a private tmpfs for the daemon (ip netns exec gives it
// its own mount namespace), so its pid file never touches the host's /run.
class PrivateAvahi {
 public:
  PrivateAvahi(const NetnsPair& net) {
    bus_ = dir_ / "bus.sock";
    std::string dbus_conf = dir_ / "dbus.conf";
    auto [code, out] = shell("sed -e 's#<listen>.*</listen>#<listen>unix:path=" + bus_ +
                             "</listen>#' -e 's#<includedir>system.d</includedir>#<includedir>/usr/share/dbus-1/"
                             "system.d</includedir>#' -e 's#<pidfile>.*</pidfile>##' -e 's#<user>.*</user>##' "
                             "/usr/share/dbus-1/system.conf > " + dbus_conf);
    if (code != 0) {
      error = "could not write dbus.conf: " + out;
      return;
    }
    std::ofstream(dir_ / "avahi.conf") << "[server]\nhost-name=avahi-a\nuse-ipv6=no\nallow-interfaces=" << net.veth_a
                                       << "\nenable-dbus=yes\n[publish]\npublish-workstation=no\npublish-hinfo=no\n";
    dbus_.emplace(NetnsPair::in(net.ns_a, {"dbus-daemon", "--config-file=" + dbus_conf, "--nofork", "--nopidfile"}));
    for (int i = 0; i < 50 && !std::filesystem::exists(bus_); i++) usleep(100000);
    if (!std::filesystem::exists(bus_)) {
      error = "private dbus-daemon did not start: " + dbus_->output();
      return;
    }
    avahi_.emplace(NetnsPair::in(net.ns_a, {"sh", "-c",
                                            "mount -t tmpfs tmpfs /run && mkdir -p /run/avahi-daemon && exec "
                                            "avahi-daemon -f " + (dir_ / "avahi.conf") +
                                                " --no-drop-root --no-chroot --no-rlimits"}),
                   env());
    if (!avahi_->wait_for("Server startup complete", 15s)) error = "avahi-daemon did not start: " + avahi_->output();
  }
  ~PrivateAvahi() {
    avahi_.reset();  // before its bus
    dbus_.reset();
  }

  std::vector<std::string> env() const { return {"DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + bus_}; }
  std::string error;

 private:
  bee_test::TempDir dir_;
  std::string bus_;
  std::optional<Child> dbus_;
  std::optional<Child> avahi_;
};

// Runs `avahi-browse -rpt <type>` in namespace A until it resolves a line containing
// `needle` (each run bounded, 20 s in all). Returns the last output.
std::string avahi_browse_until(const NetnsPair& net, const PrivateAvahi& avahi, const std::string& type,
                               const std::string& needle) {
  std::string out;
  auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline) {
    Child browse(NetnsPair::in(net.ns_a, {"timeout", "8", "avahi-browse", "-rpt", type}), avahi.env());
    browse.wait_exit(10s);
    out = browse.output();
    if (out.find(needle) != std::string::npos) break;
    usleep(500000);
  }
  return out;
}

}  // namespace

TEST(MdnsNetns, TwoOfOurPeersFindEachOther) {
  NetnsPair net;
  REQUIRE_NETNS(net);
  std::vector<std::string> opts = {"--announce", "--browse", "--expect", "1", "--timeout-ms", "15000", "--linger-ms", "2500"};
  Child a(NetnsPair::in(net.ns_a, peer_args("10.77.0.1", "netns topic", 1, opts)));
  Child b(NetnsPair::in(net.ns_b, peer_args("10.77.0.2", "netns topic", 2, opts)));
  auto code_a = a.wait_exit(25s);
  auto code_b = b.wait_exit(25s);
  EXPECT_EQ(code_a, 0) << a.output();
  EXPECT_EQ(code_b, 0) << b.output();
  EXPECT_NE(a.output().find("found " + peer_key_hex(2) + " p2pdb-" + peer_key_hex(2).substr(0, 16) + " 10.77.0.2:40002"),
            std::string::npos)
      << a.output();
  EXPECT_NE(b.output().find("found " + peer_key_hex(1) + " p2pdb-" + peer_key_hex(1).substr(0, 16) + " 10.77.0.1:40001"),
            std::string::npos)
      << b.output();
}

TEST(MdnsNetns, OtherTopicIsNotFoundAndGoodbyeIsSeen) {
  NetnsPair net;
  REQUIRE_NETNS(net);
  // A announces "t1" for 4 s then leaves with goodbyes. B browses t1 and must see it come
  // and go well before the 120 s TTL; C (also in B's namespace) browses t2 and sees nothing.
  Child a(NetnsPair::in(net.ns_a, peer_args("10.77.0.1", "t1", 1, {"--announce", "--timeout-ms", "4000"})));
  Child b(NetnsPair::in(net.ns_b, peer_args("10.77.0.2", "t1", 2, {"--browse", "--exit-on-gone", "--timeout-ms", "15000"})));
  Child c(NetnsPair::in(net.ns_b, peer_args("10.77.0.2", "t2", 3, {"--browse", "--timeout-ms", "7000"})));
  EXPECT_EQ(a.wait_exit(15s), 0) << a.output();
  auto left = Clock::now();
  EXPECT_EQ(b.wait_exit(15s), 0) << b.output();
  EXPECT_LT(Clock::now() - left, 4s) << "the goodbye should remove the peer in about 1 s";
  EXPECT_NE(b.output().find("found " + peer_key_hex(1)), std::string::npos) << b.output();
  EXPECT_NE(b.output().find("gone " + peer_key_hex(1)), std::string::npos) << b.output();
  EXPECT_EQ(c.wait_exit(15s), 0) << c.output();
  EXPECT_EQ(c.output().find("found"), std::string::npos) << c.output();
}

TEST(MdnsNetns, AvahiBrowseSeesOurService) {
  auto why = avahi_unavailable();
  ASSERT_EQ(why, "") << why;
  NetnsPair net;
  REQUIRE_NETNS(net);
  PrivateAvahi avahi(net);
  ASSERT_EQ(avahi.error, "");
  Child ours(NetnsPair::in(net.ns_b, peer_args("10.77.0.2", "avahi topic", 2, {"--announce", "--timeout-ms", "60000"})));
  ASSERT_TRUE(ours.wait_for("announced", 10s)) << ours.output();
  std::string pk = peer_key_hex(2);
  std::string expected = "=;" + net.veth_a + ";IPv4;p2pdb-" + pk.substr(0, 16) + ";_p2pdb._udp;local;p2pdb-" +
                         pk.substr(0, 8) + ".local;10.77.0.2;40002;";
  std::string out = avahi_browse_until(net, avahi, "_p2pdb._udp", expected);
  EXPECT_NE(out.find(expected), std::string::npos) << out;
  EXPECT_NE(out.find("\"pk=" + pk + "\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"v=1\""), std::string::npos) << out;
  // The per-topic subtype resolves to the same instance.
  std::string sub = subtype_of("avahi topic") + "._sub._p2pdb._udp";
  out = avahi_browse_until(net, avahi, sub, expected);
  EXPECT_NE(out.find(expected), std::string::npos) << out;
  // A subtype of another topic does not.
  Child other(NetnsPair::in(net.ns_a, {"timeout", "5", "avahi-browse", "-rpt", subtype_of("no such topic") + "._sub._p2pdb._udp"}),
              avahi.env());
  other.wait_exit(8s);
  EXPECT_EQ(other.output().find("p2pdb-"), std::string::npos) << other.output();
  // Our goodbye on exit makes Avahi drop the service at once (not after the TTL).
  std::string listed = ";" + net.veth_a + ";IPv4;p2pdb-" + pk.substr(0, 16) + ";_p2pdb._udp;local";
  Child watch(NetnsPair::in(net.ns_a, {"timeout", "30", "avahi-browse", "-p", "_p2pdb._udp"}), avahi.env());
  ASSERT_TRUE(watch.wait_for("+" + listed, 10s)) << watch.output();
  auto left = Clock::now();
  ours.terminate();
  EXPECT_TRUE(watch.wait_for("-" + listed, 5s)) << watch.output();
  EXPECT_LT(Clock::now() - left, 5s);
}

TEST(MdnsNetns, OurBrowserResolvesAnAvahiPublishedPeer) {
  auto why = avahi_unavailable();
  ASSERT_EQ(why, "") << why;
  NetnsPair net;
  REQUIRE_NETNS(net);
  PrivateAvahi avahi(net);
  ASSERT_EQ(avahi.error, "");
  std::string pk(64, 'a');
  std::string sub = subtype_of("avahi topic") + "._sub._p2pdb._udp";
  auto publish = std::make_unique<Child>(
      NetnsPair::in(net.ns_a, {"timeout", "60", "avahi-publish", "-s", "--subtype=" + sub, "avahi peer", "_p2pdb._udp",
                               "40404", "v=1", "pk=" + pk}),
      avahi.env());
  ASSERT_TRUE(publish->wait_for("Established", 15s)) << publish->output();
  Child ours(NetnsPair::in(net.ns_b, peer_args("10.77.0.2", "avahi topic", 2, {"--browse", "--exit-on-gone", "--timeout-ms", "20000"})));
  ASSERT_TRUE(ours.wait_for("found " + pk + " avahi peer 10.77.0.1:40404", 10s)) << ours.output();
  // avahi-publish withdraws the service on SIGTERM: Avahi's goodbye must reach us.
  auto withdrawn = Clock::now();
  publish.reset();
  EXPECT_EQ(ours.wait_exit(10s), 0) << ours.output();
  EXPECT_LT(Clock::now() - withdrawn, 5s);
  EXPECT_NE(ours.output().find("gone " + pk + " avahi peer"), std::string::npos) << ours.output();
}
