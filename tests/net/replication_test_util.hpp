// Helpers for the replicator tests: writer cores, an in-memory duplex that moves bytes
// between two endpoints in random-sized chunks (and can break on the N-th chunk), and a
// hand-driven fake peer built from the raw SecretStream + Mux for hostile tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hypercore/core.hpp"
#include "net/replication/hypercore_messages.hpp"
#include "net/replication/peer_session.hpp"
#include "net/mux/protomux.hpp"
#include "net/stream/secret_stream.hpp"

namespace repl_test {

using namespace net;
using hypercore::Bytes;
using hypercore::Core;

inline Bytes content(uint64_t i) {
  Bytes b(3 + (i * 7) % 50, static_cast<uint8_t>(i));
  b[0] = static_cast<uint8_t>(i >> 8);
  return b;
}

inline std::unique_ptr<Core> make_writer(uint64_t n, uint8_t seed_byte = 0x21) {
  hypercore::Seed seed;
  seed.fill(seed_byte);
  auto w = Core::create(hypercore::make_memory_storage(), hypercore::KeyPair::from_seed(seed));
  EXPECT_TRUE(w) << w.error().to_string();
  for (uint64_t i = 0; i < n; i++) EXPECT_TRUE((*w)->append(content(i)));
  return std::move(*w);
}

inline std::unique_ptr<Core> make_replica(const Core& writer) {
  auto r = Core::open_replica(hypercore::make_memory_storage(), writer.key());
  EXPECT_TRUE(r) << r.error().to_string();
  return std::move(*r);
}

// One end of a connection as the duplex sees it.
struct Endpoint {
  std::function<void(ByteSpan)> feed;
  std::function<Bytes()> take_output;
};

inline Endpoint endpoint(PeerSession& s, const TimePoint& now) {
  return {[&s, &now](ByteSpan b) { s.feed(b, now); }, [&s] { return s.take_output(); }};
}

// Moves bytes both ways in random-sized chunks until neither side has anything to send
// (or the round limit is hit). With fail_at = N the N-th chunk is lost and the duplex is
// broken from then on (both directions dropped), like a connection reset.
struct Duplex {
  Duplex(Endpoint ea, Endpoint eb) : a(std::move(ea)), b(std::move(eb)) {}
  Endpoint a, b;
  std::mt19937 rng{1};
  size_t max_chunk = 4096;
  size_t chunks = 0;
  size_t fail_at = SIZE_MAX;
  bool broken = false;
  Bytes ab, ba;

  bool run(size_t max_rounds = 200000) {
    for (size_t round = 0; round < max_rounds; round++) {
      Bytes oa = a.take_output(), ob = b.take_output();
      if (!broken) {
        ab.insert(ab.end(), oa.begin(), oa.end());
        ba.insert(ba.end(), ob.begin(), ob.end());
      }
      if (ab.empty() && ba.empty()) return true;
      deliver(ab, b);
      deliver(ba, a);
    }
    return false;
  }

  void deliver(Bytes& queue, Endpoint& to) {
    if (queue.empty()) return;
    if (broken) {
      queue.clear();
      return;
    }
    size_t n = std::min(queue.size(), 1 + static_cast<size_t>(rng() % max_chunk));
    if (++chunks == fail_at) {
      broken = true;
      ab.clear();
      ba.clear();
      return;
    }
    Bytes chunk(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
    queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
    to.feed(chunk);
  }
};

inline std::vector<SessionEvent> drain(PeerSession& s, std::vector<SessionEvent>& log) {
  auto e = s.take_events();
  log.insert(log.end(), e.begin(), e.end());
  return e;
}

inline size_t count(const std::vector<SessionEvent>& log, ReplicatorEvent::Kind kind) {
  size_t n = 0;
  for (const auto& e : log) n += e.event.kind == kind;
  return n;
}

inline const ReplicationError* first_error(const std::vector<SessionEvent>& log) {
  for (const auto& e : log)
    if (e.event.kind == ReplicatorEvent::Kind::peer_error && e.event.error) return &*e.event.error;
  return nullptr;
}

// A peer driven by hand: the real transport and multiplexer, but every hypercore message
// is chosen by the test. It opens the channel for `key` as soon as the handshake is done
// (with the correct capability unless `capability_override` is set).
struct FakePeer {
  SecretStream stream;
  Mux mux;
  NoiseRole role;
  Hash key;
  std::optional<Hash> capability_override;
  uint64_t channel = 0;
  bool opened = false;
  bool dead = false;
  std::vector<Message> received;
  std::function<void(FakePeer&)> on_open;
  std::function<void(FakePeer&, const Message&)> on_message;

  FakePeer(NoiseRole r, const Hash& core_key) : stream(r == NoiseRole::initiator), role(r), key(core_key) {}

  void send(const Message& m) {
    ASSERT_TRUE(mux.send(channel, static_cast<uint64_t>(message_type(m)), encode_message(m)));
  }
  void send_raw(uint64_t type, ByteSpan payload) { ASSERT_TRUE(mux.send(channel, type, payload)); }

  void feed(ByteSpan bytes) {
    for (auto& e : stream.feed(bytes)) {
      if (std::holds_alternative<HandshakeDone>(e)) {
        Handshake h;
        h.capability = capability_override.value_or(capability(role, stream.handshake_hash(), key));
        channel = mux.open(std::string(kHypercoreProtocol), hypercore::discovery_key(key), encode_handshake(h),
                           ChannelOptions{kHypercoreMessageTypes})
                      .value();
      } else if (auto* m = std::get_if<MessageReceived>(&e)) {
        if (!mux.receive(m->message)) dead = true;
      } else {
        dead = true;
      }
      for (auto& me : mux.take_events()) {
        if (me.kind == MuxEvent::Kind::opened) {
          opened = true;
          if (on_open) on_open(*this);
        } else if (me.kind == MuxEvent::Kind::message) {
          auto msg = decode_message(me.type, me.payload);
          if (!msg) continue;
          received.push_back(*msg);
          if (on_message) on_message(*this, *msg);
        }
      }
    }
  }

  Bytes take_output() {
    for (auto& f : mux.take_output()) (void)stream.send(f);
    return stream.take_output();
  }

  Endpoint endpoint() {
    return {[this](ByteSpan b) { feed(b); }, [this] { return take_output(); }};
  }
};

}  // namespace repl_test
