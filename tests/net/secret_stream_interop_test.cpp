// Our SecretStream against the real @hyperswarm/secret-stream 6.9.2 (Node), in both Noise
// roles, over the child's stdin/stdout. The blocking pump lives here, in the test: the
// library stays sans-I/O. Every wait is bounded and the child is always killed.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>

#include "net/stream/secret_stream.hpp"
#include "tests/net/stream_test_util.hpp"
#include "tests/support/oracle.hpp"

using namespace net;
using hypercore::Bytes;
using hypercore::to_hex;

namespace {

using Clock = std::chrono::steady_clock;

// One `node secret_stream_peer.js` child with piped stdin/stdout/stderr.
class NodePeer {
 public:
  explicit NodePeer(const std::vector<std::string>& args) {
    std::string dir = bee_test::oracle_dir();
    if (!std::filesystem::exists(dir + "/node_modules")) {
      error_ = "the Node reference is not installed in " + dir;
      return;
    }
    int in[2], out[2], err[2];
    if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) {
      error_ = "pipe failed";
      return;
    }
    std::string node_path = "NODE_PATH=" + dir + "/node_modules";
    std::vector<std::string> argv = {"node", bee_test::interop_script("secret_stream_peer.js")};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = fork();
    if (pid_ == 0) {
      // Dies with the test: a crashed test must not leave it holding ctest's output pipe.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
      putenv(node_path.data());
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execvp("node", cargv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    to_child_ = in[1];
    from_child_ = out[0];
    child_err_ = err[0];
    for (int fd : {to_child_, from_child_, child_err_}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    signal(SIGPIPE, SIG_IGN);
  }

  ~NodePeer() {
    for (int fd : {to_child_, from_child_, child_err_})
      if (fd >= 0) close(fd);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  const std::string& error() const { return error_; }
  const std::string& stderr_text() const { return stderr_; }

  // Writes what `stream` has queued and feeds it what the child sends, until `done`
  // returns true (then true) or the deadline passes / the child fails (then false).
  bool pump(SecretStream& stream, const std::function<void(StreamEvent&)>& on_event,
            const std::function<bool()>& done, std::chrono::seconds timeout) {
    auto deadline = Clock::now() + timeout;
    Bytes pending;
    size_t pending_pos = 0;
    char buf[1 << 16];
    while (!done()) {
      if (stream.is_dead()) return false;
      if (pending_pos == pending.size() && stream.has_output()) {
        pending = stream.take_output();
        pending_pos = 0;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd fds[3] = {{from_child_, POLLIN, 0}, {child_err_, POLLIN, 0}, {to_child_, 0, 0}};
      if (pending_pos < pending.size()) fds[2].events = POLLOUT;
      if (poll(fds, 3, static_cast<int>(std::min<long long>(left, 1000))) < 0 && errno != EINTR) return false;
      if (fds[2].revents & (POLLOUT | POLLERR)) {
        ssize_t w = write(to_child_, pending.data() + pending_pos, pending.size() - pending_pos);
        if (w < 0 && errno != EAGAIN) return false;
        if (w > 0) pending_pos += static_cast<size_t>(w);
      }
      if (fds[1].revents) {
        ssize_t r = read(child_err_, buf, sizeof buf);
        if (r > 0) stderr_.append(buf, static_cast<size_t>(r));
      }
      if (fds[0].revents) {
        ssize_t r = read(from_child_, buf, sizeof buf);
        if (r == 0) return false;  // the child closed its end
        if (r > 0) {
          auto events = stream.feed(hypercore::ByteSpan(reinterpret_cast<uint8_t*>(buf), static_cast<size_t>(r)));
          for (auto& e : events) on_event(e);
        }
      }
    }
    // Flush what is still queued so the child sees everything we sent.
    while (pending_pos < pending.size() || stream.has_output()) {
      if (pending_pos == pending.size()) {
        pending = stream.take_output();
        pending_pos = 0;
      }
      if (Clock::now() > deadline) return false;
      pollfd fd{to_child_, POLLOUT, 0};
      poll(&fd, 1, 100);
      ssize_t w = write(to_child_, pending.data() + pending_pos, pending.size() - pending_pos);
      if (w > 0) pending_pos += static_cast<size_t>(w);
    }
    return true;
  }

 private:
  pid_t pid_ = -1;
  int to_child_ = -1, from_child_ = -1, child_err_ = -1;
  std::string error_;
  std::string stderr_;
};

std::string json_field(const std::string& json, const std::string& name) {
  std::string key = "\"" + name + "\":\"";
  size_t at = json.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  return json.substr(at, json.find('"', at) - at);
}

Bytes inverted(const Bytes& b) {
  Bytes out(b);
  for (auto& x : out) x ^= 0xff;
  return out;
}

void run_against_node(bool we_initiate) {
  hypercore::Seed node_seed;
  node_seed.fill(0x07);
  NodePeer node({we_initiate ? "responder" : "initiator", to_hex(node_seed)});
  ASSERT_EQ(node.error(), "");

  SecretStreamOptions options;
  options.keys.static_key_pair = net_test::seeded(0x08);
  SecretStream stream(we_initiate, options);

  std::optional<HandshakeDone> handshake;
  std::vector<Bytes> received;
  auto on_event = [&](StreamEvent& e) {
    if (auto* h = std::get_if<HandshakeDone>(&e)) handshake = *h;
    if (auto* m = std::get_if<MessageReceived>(&e)) received.push_back(std::move(m->message));
    if (auto* f = std::get_if<StreamFailed>(&e)) ADD_FAILURE() << f->error.to_string();
  };

  // Handshake, then Node's report of what it saw.
  ASSERT_TRUE(node.pump(stream, on_event, [&] { return !received.empty(); }, std::chrono::seconds(30)))
      << "node stderr: " << node.stderr_text();
  ASSERT_TRUE(handshake);
  std::string info(received[0].begin(), received[0].end());
  EXPECT_EQ(json_field(info, "publicKey"), to_hex(hypercore::KeyPair::from_seed(node_seed).public_key));
  EXPECT_EQ(json_field(info, "publicKey"), to_hex(handshake->remote_public_key));
  EXPECT_EQ(json_field(info, "remotePublicKey"), to_hex(stream.public_key()));
  EXPECT_EQ(json_field(info, "handshakeHash"), to_hex(handshake->handshake_hash));
  EXPECT_EQ(to_hex(stream.handshake_hash()), to_hex(handshake->handshake_hash));
  received.clear();

  // Many messages of varied sizes, empty ones (keepalives) and the largest one allowed.
  std::mt19937 rng(we_initiate ? 11 : 12);
  std::vector<Bytes> sent;
  for (int k = 0; k < 200; k++) {
    size_t size = k % 10 == 3 ? 0 : std::uniform_int_distribution<size_t>(1, k % 25 == 0 ? 200000 : 500)(rng);
    Bytes m(size);
    for (auto& x : m) x = static_cast<uint8_t>(rng());
    ASSERT_TRUE(stream.send(m));
    if (!m.empty()) sent.push_back(std::move(m));
  }
  Bytes biggest(kMaxPlaintextSize);
  for (size_t i = 0; i < biggest.size(); i += 4096) biggest[i] = static_cast<uint8_t>(i >> 12);
  ASSERT_TRUE(stream.send(biggest));
  sent.push_back(std::move(biggest));
  ASSERT_TRUE(stream.send(hypercore::to_bytes("last")));
  sent.push_back(hypercore::to_bytes("last"));

  auto echoed = [&] {
    size_t non_empty = 0;
    for (auto& r : received) non_empty += !r.empty();
    return non_empty >= sent.size();
  };
  ASSERT_TRUE(node.pump(stream, on_event, echoed, std::chrono::seconds(60))) << "node stderr: " << node.stderr_text();
  ASSERT_EQ(received.size(), sent.size());  // Node's empty echoes were dropped as keepalives
  for (size_t i = 0; i < sent.size(); i++) {
    ASSERT_EQ(received[i].size(), sent[i].size()) << i;
    EXPECT_TRUE(received[i] == inverted(sent[i])) << "message " << i;
  }
  EXPECT_FALSE(stream.is_dead());
}

// Keyed by a handshake done elsewhere (SecretStreamOptions::handshake; Node's `handshake`
// option, what hyperdht uses after Noise IK): both ends get the two halves of one
// handshake's keys, no Noise XX runs.
void run_keyed_against_node(bool we_initiate) {
  auto a = hypercore::KeyPair::random();
  auto b = hypercore::KeyPair::random();
  EstablishedHandshake ours, theirs;
  randombytes_buf(ours.tx.data(), ours.tx.size());
  randombytes_buf(ours.rx.data(), ours.rx.size());
  randombytes_buf(ours.hash.data(), ours.hash.size());
  ours.public_key = a.public_key;
  ours.remote_public_key = b.public_key;
  theirs = {ours.rx, ours.tx, ours.hash, b.public_key, a.public_key};
  std::string spec = to_hex(theirs.tx) + ":" + to_hex(theirs.rx) + ":" + to_hex(theirs.hash) + ":" +
                     to_hex(theirs.public_key) + ":" + to_hex(theirs.remote_public_key);
  NodePeer node({we_initiate ? "responder" : "initiator", "--handshake", spec});
  ASSERT_EQ(node.error(), "");

  SecretStreamOptions options;
  options.handshake = ours;
  SecretStream stream(we_initiate, options);
  std::optional<HandshakeDone> handshake;
  std::vector<Bytes> received;
  auto on_event = [&](StreamEvent& e) {
    if (auto* h = std::get_if<HandshakeDone>(&e)) handshake = *h;
    if (auto* m = std::get_if<MessageReceived>(&e)) received.push_back(std::move(m->message));
    if (auto* f = std::get_if<StreamFailed>(&e)) ADD_FAILURE() << f->error.to_string();
  };
  ASSERT_TRUE(stream.send(hypercore::to_bytes("before")));  // queued behind our header at once
  ASSERT_TRUE(node.pump(stream, on_event, [&] { return received.size() >= 2; }, std::chrono::seconds(30)))
      << "node stderr: " << node.stderr_text();
  ASSERT_TRUE(handshake);
  EXPECT_EQ(handshake->remote_public_key, b.public_key);
  std::string info(received[0].begin(), received[0].end());
  EXPECT_EQ(json_field(info, "handshakeHash"), to_hex(ours.hash));
  EXPECT_EQ(json_field(info, "publicKey"), to_hex(b.public_key));
  EXPECT_EQ(json_field(info, "remotePublicKey"), to_hex(a.public_key));
  EXPECT_EQ(received[1], inverted(hypercore::to_bytes("before")));
  std::vector<Bytes> sent;
  for (int k = 1; k <= 50; k++) {
    Bytes m(static_cast<size_t>(k * 37), static_cast<uint8_t>(k));
    ASSERT_TRUE(stream.send(m));
    sent.push_back(std::move(m));
  }
  ASSERT_TRUE(node.pump(stream, on_event, [&] { return received.size() >= 2 + sent.size(); },
                        std::chrono::seconds(30)))
      << "node stderr: " << node.stderr_text();
  for (size_t i = 0; i < sent.size(); i++) EXPECT_EQ(received[2 + i], inverted(sent[i])) << i;
  EXPECT_FALSE(stream.is_dead());
}

}  // namespace

TEST(SecretStreamInterop, KeyedWeInitiate) { run_keyed_against_node(true); }
TEST(SecretStreamInterop, KeyedNodeInitiates) { run_keyed_against_node(false); }
TEST(SecretStreamInterop, WeInitiateNodeResponds) { run_against_node(true); }
TEST(SecretStreamInterop, NodeInitiatesWeRespond) { run_against_node(false); }
