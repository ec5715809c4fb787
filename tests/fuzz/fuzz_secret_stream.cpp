// SecretStream on hostile bytes, at each phase: a fresh responder (msg1), a responder
// after msg1 (msg3), an initiator after a valid msg2 (header frame), and an open
// initiator (transport frames). Input byte 0 picks the phase, byte 1 the chunk size.
// Invariants: no crash, nothing after a failure, a dead stream stays silent.
#include <cstdlib>

#include "net/stream/secret_stream.hpp"

using namespace net;
using hypercore::ByteSpan;
using hypercore::Bytes;

namespace {

SecretStreamOptions keys(uint8_t s, uint8_t e) {
  hypercore::Seed a, b;
  a.fill(s);
  b.fill(e);
  SecretStreamOptions o;
  o.keys = {hypercore::KeyPair::from_seed(a), hypercore::KeyPair::from_seed(b)};
  o.max_frame_size = 1 << 16;  // keeps the fuzzer's memory bounded
  return o;
}

Bytes frame_at(const Bytes& wire, size_t index) {
  size_t pos = 0;
  for (size_t i = 0;; i++) {
    size_t n = wire[pos] | (wire[pos + 1] << 8) | (wire[pos + 2] << 16);
    if (i == index) return Bytes(wire.begin() + pos, wire.begin() + pos + 3 + n);
    pos += 3 + n;
  }
}

// A valid transcript with the §2.8 keys, computed once (headers are random, so the
// responder's header frame is captured from this one run).
struct Prefix {
  Bytes msg1, msg2, msg3, r_header;
  Prefix() {
    SecretStream i(true, keys(1, 3)), r(false, keys(2, 4));
    msg1 = i.take_output();
    r.feed(msg1);
    msg2 = r.take_output();
    i.feed(msg2);
    msg3 = frame_at(i.take_output(), 0);
    r.feed(msg3);
    r_header = r.take_output();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Prefix prefix;
  if (size < 2) return 0;
  int phase = data[0] % 4;
  size_t chunk = size_t{data[1]} + 1;
  ByteSpan in(data + 2, size - 2);

  SecretStream s = phase < 2 ? SecretStream(false, keys(2, 4)) : SecretStream(true, keys(1, 3));
  if (phase == 1) s.feed(prefix.msg1);
  if (phase >= 2) s.feed(prefix.msg2);
  if (phase == 3) {
    s.feed(prefix.r_header);
    if (!s.is_open()) std::abort();
  }
  (void)s.take_output();

  bool failed = false;
  for (size_t pos = 0; pos < in.size(); pos += chunk) {
    auto events = s.feed(in.subspan(pos, std::min(chunk, in.size() - pos)));
    for (const auto& e : events) {
      if (failed) std::abort();  // nothing may follow a failure
      if (std::holds_alternative<StreamFailed>(e)) failed = true;
      if (auto* m = std::get_if<MessageReceived>(&e); m && m->message.empty()) std::abort();
    }
    if (failed != s.is_dead()) std::abort();
    (void)s.take_output();
    (void)s.send(ByteSpan(data, std::min<size_t>(size, 8)));
  }
  return 0;
}
