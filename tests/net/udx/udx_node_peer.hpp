// tests/interop/udx_peer.js (a udx-native peer) as a child process driven over stdin/stdout
// JSON lines, for the UDX interop tests and the bench. The child is killed and reaped on
// destruction and dies with the test. `available()` says why it cannot run here.
#pragma once

#include <unistd.h>

#include <simdjson.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/oracle.hpp"

namespace udx_test {

// "" when node and udx-native (in the reference's node_modules) are there, else why not.
inline std::string node_unavailable() {
  if (std::system("command -v node >/dev/null 2>&1") != 0) return "node is not installed";
  const auto dir = std::filesystem::path(bee_test::oracle_dir()) / "node_modules" / "udx-native";
  if (!std::filesystem::exists(dir)) return "no udx-native in " + dir.parent_path().string() + " (scripts/setup.sh)";
  return "";
}

// What udx_peer.js reported about one of its streams.
struct NodeStream {
  bool connected = false;  // created and connected: our packets for it are no longer dropped
  bool ended = false;  // the peer's END (ours) arrived, with everything before it
  uint64_t end_bytes = 0;
  std::string end_sha256;
  bool finished = false;  // its own END went out
  bool closed = false;
  uint64_t bytes = 0;  // at close, or the last progress report
  std::string sha256;
  std::string error;  // at close: "" or the error code ("ECONNRESET", ...)
};

class NodePeer {
 public:
  // `prefix` runs it through another program (ip netns exec NS ...).
  explicit NodePeer(const std::vector<std::string>& extra_args = {}, const std::vector<std::string>& prefix = {})
      : child_(argv(extra_args, prefix), options()) {}
  NodePeer(const NodePeer&) = delete;
  NodePeer& operator=(const NodePeer&) = delete;

  void send(const std::string& json_line) {
    std::string line = json_line + "\n";
    size_t off = 0;
    while (off < line.size()) {
      ssize_t n = write(child_.in, line.data() + off, line.size() - off);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  // Reads what is there and applies every complete line; returns how many.
  size_t poll() {
    char buf[65536];
    for (;;) {
      ssize_t n = read(child_.out, buf, sizeof buf);
      if (n <= 0) break;
      pending_.append(buf, static_cast<size_t>(n));
    }
    size_t lines = 0;
    for (size_t nl; (nl = pending_.find('\n')) != std::string::npos;) {
      std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      apply(line);
      log += line + "\n";
      lines++;
    }
    return lines;
  }

  uint16_t port = 0;  // from the ready line
  std::map<uint32_t, NodeStream> streams;
  std::vector<std::pair<uint16_t, std::string>> messages;  // plain datagrams it received
  std::vector<std::string> bench;                           // --bench result lines
  std::string log;

 private:
  static std::vector<std::string> argv(const std::vector<std::string>& extra_args,
                                       const std::vector<std::string>& prefix) {
    std::vector<std::string> v = prefix;
    v.insert(v.end(), {"node", bee_test::interop_script("udx_peer.js")});
    v.insert(v.end(), extra_args.begin(), extra_args.end());
    return v;
  }
  static bee_test::ChildProcess::Options options() {
    bee_test::ChildProcess::Options o;
    o.env.push_back("NODE_PATH=" + bee_test::oracle_dir() + "/node_modules");
    o.pipe_stdin = true;
    o.nonblocking_stdout = true;
    return o;
  }

  void apply(const std::string& line) {
    simdjson::dom::element e;
    if (parser_.parse(line).get(e) != simdjson::SUCCESS) return;
    std::string_view event;
    if (e["event"].get(event) != simdjson::SUCCESS) return;
    auto u64 = [&](const char* k) {
      int64_t v = 0;
      if (e[k].get(v) != simdjson::SUCCESS) v = 0;
      return static_cast<uint64_t>(v);
    };
    auto str = [&](const char* k) {
      std::string_view v;
      return e[k].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
    };
    if (event == "ready") {
      port = static_cast<uint16_t>(u64("port"));
      return;
    }
    if (event == "message") {
      messages.emplace_back(static_cast<uint16_t>(u64("from")), str("hex"));
      return;
    }
    if (event == "bench") {
      bench.push_back(line);
      return;
    }
    auto& s = streams[static_cast<uint32_t>(u64("id"))];
    if (event == "connected") {
      s.connected = true;
    } else if (event == "end") {
      s.ended = true;
      s.end_bytes = u64("bytes");
      s.end_sha256 = str("sha256");
    } else if (event == "finish") {
      s.finished = true;
    } else if (event == "bytes") {
      s.bytes = u64("bytes");
    } else if (event == "close") {
      s.closed = true;
      s.bytes = u64("bytes");
      s.sha256 = str("sha256");
      s.error = str("error");
    }
  }

  bee_test::ChildProcess child_;
  std::string pending_;
  simdjson::dom::parser parser_;
};

}  // namespace udx_test
