// A NAT lab for connect tests: network namespaces of the test's own that put peers behind
// Linux NATs, so holepunching meets the NATs it is built for.
//
//   "public" namespace  br0 10.77.0.1/16  (the Node HyperDHT testnet binds here)
//      ├── nat namespace i: wan 10.77.1.i/16 ── bridge lan 192.168.i.1/24
//      │      iptables -t nat POSTROUTING -o wan MASQUERADE [--random-fully]
//      │      filter: inbound on wan only for ESTABLISHED,RELATED (INPUT and FORWARD)
//      │      ├── host namespace: eth0 192.168.i.2/24, default via 192.168.i.1
//      │      └── neighbours on the same LAN (add_lan_neighbour): 192.168.i.3, …
//      └── open host namespace: 10.77.2.i/16 on the bridge, no NAT
//
// A consistent NAT is plain MASQUERADE (Linux keeps the source port: one mapping per
// socket whatever the destination, i.e. endpoint-independent); a random one adds
// --random-fully (a new port per destination). The filter drops unsolicited UDP in the
// filter table, before conntrack confirms the entry, so a packet from a peer the host has
// not talked to neither arrives nor spoils the later mapping of the host's own packet.
// The NAT does not hairpin (as many home routers): a packet from its LAN to its own public
// address is not mapped back to a LAN host, so neighbours reach each other only directly.
//
// Processes run in a namespace with `ip netns exec NAME ...` (command()); in this process,
// enter() moves the calling thread into a namespace while it opens sockets (a socket stays
// in the namespace it was made in). Names are unique per lab (pid + counter); the
// destructor kills what still runs in the lab's namespaces (only processes this test
// started can be there) and deletes them. Needs root, iproute2 and iptables.
// Not thread-safe: one test thread owns a lab.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace test_support {

enum class NatKind { consistent, random };

class NatLab {
 public:
  struct Host {
    std::string ns;       // where the peer runs
    std::string address;  // its own address ("192.168.1.2", or public for an open host)
    std::string public_address;  // where others see it (the NAT's wan address)
    std::string nat;      // the NAT's namespace ("" for an open host)
    int lan = 0;          // i of its LAN 192.168.i.0/24
  };

  // "" when this machine can run the lab, else why not (for GTEST_SKIP).
  static std::string unavailable() {
    if (geteuid() != 0) return "the NAT lab needs root (ip netns, iptables)";
    if (std::system("command -v ip >/dev/null 2>&1 && command -v iptables >/dev/null 2>&1") != 0) {
      return "the NAT lab needs iproute2 and iptables (scripts/setup.sh installs them)";
    }
    return "";
  }

  NatLab() {
    static std::atomic<int> counter{0};
    prefix_ = "beenat" + std::to_string(getpid()) + "x" + std::to_string(counter++);
    public_ns_ = add_ns("pub");
    ok_ = run("ip -n " + public_ns_ + " link set lo up") &&
          run("ip -n " + public_ns_ + " link add br0 type bridge") &&
          run("ip -n " + public_ns_ + " addr add " + std::string(kPublicHost) + "/16 dev br0") &&
          run("ip -n " + public_ns_ + " link set br0 up");
  }
  ~NatLab() {
    for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) {
      kill_processes(*it);
      run("ip netns del " + *it);
    }
  }
  NatLab(const NatLab&) = delete;
  NatLab& operator=(const NatLab&) = delete;

  // False if a command failed (error() says which).
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

  static constexpr const char* kPublicHost = "10.77.0.1";
  const std::string& public_ns() const { return public_ns_; }

  // A host behind a NAT of its own.
  Host add_nat_host(NatKind kind) {
    int i = ++hosts_;
    std::string nat = add_ns("n" + std::to_string(i));
    std::string wan = "10.77.1." + std::to_string(i);
    std::string lan = "192.168." + std::to_string(i);
    std::string port = "p" + std::to_string(i);
    ok_ = ok_ && run("ip -n " + nat + " link set lo up") &&
          run("ip -n " + nat + " link add wan type veth peer name " + port + " netns " + public_ns_) &&
          run("ip -n " + public_ns_ + " link set " + port + " master br0 up") &&
          run("ip -n " + nat + " addr add " + wan + "/16 dev wan") && run("ip -n " + nat + " link set wan up") &&
          run("ip -n " + nat + " link add lan type bridge") &&
          run("ip -n " + nat + " addr add " + lan + ".1/24 dev lan") && run("ip -n " + nat + " link set lan up") &&
          run("ip netns exec " + nat + " sysctl -qw net.ipv4.ip_forward=1");
    std::string ipt = "ip netns exec " + nat + " iptables -w ";
    ok_ = ok_ &&
          run(ipt + "-t nat -A POSTROUTING -o wan -j MASQUERADE" +
              (kind == NatKind::random ? " --random-fully" : "")) &&
          run(ipt + "-A FORWARD -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT") &&
          run(ipt + "-A FORWARD -i wan -j DROP") &&
          run(ipt + "-A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT") &&
          run(ipt + "-A INPUT -i wan -j DROP");
    Host nat_side;
    nat_side.public_address = wan;
    nat_side.nat = nat;
    nat_side.lan = i;
    return add_lan_neighbour(nat_side);
  }

  // Another host on `neighbour`'s LAN, behind the same NAT (192.168.i.2, .3, … in order).
  Host add_lan_neighbour(const Host& neighbour) {
    const int k = ++lan_hosts_[neighbour.nat];
    std::string lan = "192.168." + std::to_string(neighbour.lan);
    Host h;
    h.ns = add_ns("h" + std::to_string(neighbour.lan) + "x" + std::to_string(k));
    h.address = lan + "." + std::to_string(k + 1);
    h.public_address = neighbour.public_address;
    h.nat = neighbour.nat;
    h.lan = neighbour.lan;
    std::string port = "l" + std::to_string(k);
    ok_ = ok_ && run("ip -n " + h.ns + " link set lo up") &&
          run("ip -n " + h.nat + " link add " + port + " type veth peer name eth0 netns " + h.ns) &&
          run("ip -n " + h.nat + " link set " + port + " master lan up") &&
          run("ip -n " + h.ns + " addr add " + h.address + "/24 dev eth0") && run("ip -n " + h.ns + " link set eth0 up") &&
          run("ip -n " + h.ns + " route add default via " + lan + ".1");
    return h;
  }

  // A host on the public segment, reachable by anyone.
  Host add_open_host() {
    int i = ++hosts_;
    std::string host = add_ns("o" + std::to_string(i));
    std::string address = "10.77.2." + std::to_string(i);
    std::string port = "p" + std::to_string(i);
    ok_ = ok_ && run("ip -n " + host + " link set lo up") &&
          run("ip -n " + host + " link add eth0 type veth peer name " + port + " netns " + public_ns_) &&
          run("ip -n " + public_ns_ + " link set " + port + " master br0 up") &&
          run("ip -n " + host + " addr add " + address + "/16 dev eth0") && run("ip -n " + host + " link set eth0 up");
    Host h;
    h.ns = host;
    h.address = address;
    h.public_address = address;
    return h;
  }

  // Moves an open host to another public address (a laptop joining another network): the
  // old one is removed, then the new one added (added first, in the same subnet, the new one
  // would be a secondary address, which Linux removes with the primary). False if a command
  // failed.
  bool change_address(Host& h, const std::string& address) {
    bool done = run("ip -n " + h.ns + " addr del " + h.address + "/16 dev eth0") &&
                run("ip -n " + h.ns + " addr add " + address + "/16 dev eth0");
    if (done) h.address = h.public_address = address;
    return done;
  }

  // argv prefix that runs a command inside `ns`.
  static std::vector<std::string> command(const std::string& ns, std::vector<std::string> argv) {
    std::vector<std::string> out{"ip", "netns", "exec", ns};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  }

  // Moves the calling thread into `ns` until the guard dies (then back where it was).
  class Entered {
   public:
    explicit Entered(const std::string& ns) {
      back_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
      int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
      ok_ = back_ >= 0 && fd >= 0 && setns(fd, CLONE_NEWNET) == 0;
      if (fd >= 0) close(fd);
    }
    ~Entered() {
      if (back_ >= 0) {
        if (setns(back_, CLONE_NEWNET) != 0) std::abort();  // a thread left in a lab namespace would lie
        close(back_);
      }
    }
    Entered(const Entered&) = delete;
    Entered& operator=(const Entered&) = delete;
    bool ok() const { return ok_; }

   private:
    int back_ = -1;
    bool ok_ = false;
  };

 private:
  std::string add_ns(const std::string& suffix) {
    std::string name = prefix_ + suffix;
    if (run("ip netns add " + name)) namespaces_.push_back(name);
    else ok_ = false;
    return name;
  }

  bool run(const std::string& command) {
    std::string full = "timeout 10 " + command + " >/dev/null 2>&1";
    if (std::system(full.c_str()) == 0) return true;
    if (error_.empty()) error_ = "`" + command + "` failed";
    return false;
  }

  static void kill_processes(const std::string& ns) {
    std::string command = "ip netns pids " + ns + " 2>/dev/null";
    FILE* p = popen(command.c_str(), "r");
    if (!p) return;
    int pid = 0;
    while (std::fscanf(p, "%d", &pid) == 1) {
      if (pid > 1 && pid != getpid()) kill(pid, SIGKILL);
    }
    pclose(p);
  }

  std::string prefix_;
  std::string public_ns_;
  std::vector<std::string> namespaces_;
  int hosts_ = 0;
  std::map<std::string, int> lan_hosts_;  // hosts on each NAT's LAN
  bool ok_ = true;
  std::string error_;
};

}  // namespace test_support
