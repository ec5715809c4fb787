// The NAT lab (tests/support/nat_lab.hpp) with a Node HyperDHT testnet in its public
// namespace and stock Node peers (tests/interop/hyperswarm_peer.js) behind its NATs, for
// the holepunch tests. Each NodeChild dies with its owner; the lab outlives them.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "tests/net/node_child.hpp"
#include "tests/support/nat_lab.hpp"
#include "tests/support/oracle.hpp"

namespace nat_test {

using namespace std::chrono_literals;
using repl_test::Clock;
using repl_test::NodeChild;
using test_support::NatKind;
using test_support::NatLab;

inline std::string json_field(const std::string& line, const std::string& name) {
  auto at = line.find("\"" + name + "\":");
  if (at == std::string::npos) return "";
  at += name.size() + 3;
  if (line[at] == '"') {
    auto end = line.find('"', at + 1);
    return line.substr(at + 1, end - at - 1);
  }
  auto end = line.find_first_of(",}", at);
  return line.substr(at, end - at);
}

// Declared first in a fixture so it is torn down last.
struct LabNet {
  std::string skip;
  std::unique_ptr<NatLab> lab;
  std::unique_ptr<NodeChild> testnet;
  std::string bootstrap;

  // "" when the testnet is up; failures are test failures, only a missing root skips.
  std::string start(int seconds = 120) {
    if (skip = NatLab::unavailable(); !skip.empty()) return "";
    lab = std::make_unique<NatLab>();
    if (!lab->ok()) return "lab: " + lab->error();
    testnet = std::make_unique<NodeChild>(NatLab::command(
        lab->public_ns(), {"node", bee_test::interop_script("nat_lab_testnet.js"), "--host", NatLab::kPublicHost,
                           "--nodes", "5", "--seconds", std::to_string(seconds)}));
    if (!testnet->read_line(Clock::now() + 30s)) return "the Node testnet did not start: " + testnet->buffer;
    bootstrap = json_field(testnet->line(), "bootstrap");
    return bootstrap.empty() ? "no bootstrap in " + testnet->line() : "";
  }

  // A Node echo server (dht-listen) in `ns`; its public key hex once it announced, or "".
  std::string node_listen(std::unique_ptr<NodeChild>& child, const std::string& ns, const std::string& seed_hex,
                          int seconds = 90) {
    child = std::make_unique<NodeChild>(NatLab::command(
        ns, {"node", bee_test::interop_script("hyperswarm_peer.js"), "dht-listen", "--bootstrap", bootstrap, "--seed",
             seed_hex, "--host", "0.0.0.0", "--seconds", std::to_string(seconds)}));
    if (!child->read_line(Clock::now() + 30s)) return "";
    return json_field(child->line(), "publicKey");
  }

  // A Node client (dht-connect) in `ns`: its one JSON line ({"echo":...} on success), or
  // what it printed when it failed.
  std::unique_ptr<NodeChild> node_connect(const std::string& ns, const std::string& public_key_hex, int seconds = 60) {
    return std::make_unique<NodeChild>(NatLab::command(
        ns, {"node", bee_test::interop_script("hyperswarm_peer.js"), "dht-connect", "--bootstrap", bootstrap,
             "--public-key", public_key_hex, "--host", "0.0.0.0", "--seconds", std::to_string(seconds)}));
  }
};

#ifdef BEE_CLI_PATH
// Runs the bee tool in `ns` to its end: its stdout and stderr, then "exit=N".
inline std::string bee_in(const std::string& ns, const std::string& args, std::chrono::seconds limit = 60s) {
  NodeChild child(NatLab::command(ns, {"sh", "-c", std::string(BEE_CLI_PATH) + " " + args + " 2>&1; echo exit=$?"}));
  child.wait_for("exit=", limit);
  child.read_line(Clock::now() + 1s);  // the rest of the exit line
  return child.buffer;
}

// `bee create DB` in `ns`: the new database's key (hex), or what the command printed.
inline std::string bee_create(const std::string& ns, const std::string& db) {
  auto created = bee_in(ns, "create " + db);
  return created.find("exit=0") != std::string::npos ? created.substr(0, 64) : created;
}

// A long-running bee command in `ns`, its stderr read with its stdout.
inline std::unique_ptr<NodeChild> bee_running(const std::string& ns, const std::string& args) {
  return std::make_unique<NodeChild>(
      NatLab::command(ns, {"sh", "-c", "exec " + std::string(BEE_CLI_PATH) + " " + args + " 2>&1"}));
}
#endif

}  // namespace nat_test
