// Moves the calling process into a network namespace of its own whose loopback carries
// multicast (MULTICAST flag and a 224.0.0.0/4 route), so mDNS peers in one process hear
// each other through IP_MULTICAST_LOOP on 127.0.0.1, on the real port 5353, away from any
// responder of the host. The kernel removes the namespace when the process exits, whatever
// the exit path. Needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN) and iproute2.
#pragma once

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace test_support {

// "" when done, else why not.
inline std::string enter_private_netns() {
  if (geteuid() != 0) return "needs root (unshare(CLONE_NEWNET), ip link): run as root";
  if (unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET) failed: ") + std::strerror(errno);
  for (const char* command : {"timeout 10 ip link set lo up multicast on", "timeout 10 ip route add 224.0.0.0/4 dev lo"}) {
    if (std::system(command) != 0) return std::string("`") + command + "` failed (is iproute2 installed?)";
  }
  return "";
}

}  // namespace test_support
