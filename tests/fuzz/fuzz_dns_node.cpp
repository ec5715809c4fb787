// An MdnsNode (announcing and browsing one topic) fed arbitrary datagrams from arbitrary
// sources, with time advancing between them. Whatever the link says, the node must not
// crash, must settle to a wakeup in the future, and everything it sends must decode.
#include <cstdlib>

#include "net/mdns/mdns_node.hpp"
#include "tests/fuzz/fuzz_input.hpp"

using namespace net::mdns;

using fuzz::Input;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  MdnsOptions options;
  options.public_key.fill(0x42);
  options.port = 40000;
  options.addresses = {{10, 0, 0, 1}};
  options.seed = 1;
  options.max_cache_records = 64;
  MdnsNode node(options, [](OutgoingPacket p) {
    if (!decode_message(p.bytes)) std::abort();
  });
  const uint8_t topic[] = {'t'};
  Time now{0};
  if (!node.announce(topic, now)) std::abort();
  node.browse(topic, now);
  Time wake = node.poll(now);
  while (in.n > 0) {
    uint8_t op = in.byte();
    if (op & 1) {
      size_t len = size_t{in.byte()} << 2 | (op >> 6);
      Endpoint from{{10, 0, 0, static_cast<uint8_t>(in.byte() % 4)}, (op & 2) ? kMdnsPort : uint16_t{40000}};
      node.receive(in.take(len), from, now);
      wake = node.poll(now);
    } else {
      // Jump to the next wakeup, or some distance ahead.
      now = (op & 2) && wake != kNever ? std::max(now, wake) : now + Time{int64_t{op} * 97};
      wake = node.poll(now);
    }
    // Work already due is done by polling again at the same time (a time jump may leave a
    // few refresh steps overdue); it must settle, never spin.
    for (int i = 0; i < 16 && wake <= now; i++) wake = node.poll(now);
    if (wake <= now) std::abort();
    (void)node.take_events();
  }
  node.leave(now);
  return 0;
}
