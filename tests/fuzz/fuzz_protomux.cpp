// A Mux driven by arbitrary input: frames from the peer interleaved with local calls
// (open, accept, reject, send, close), the remote-open handler's verdict also taken from
// the input. Whatever the peer sends, the Mux must fail with a value, never crash, and
// keep its invariants (a teardown is final; ids stay dense).
#include <cstdlib>
#include <string>

#include "net/mux/protomux.hpp"
#include "tests/fuzz/fuzz_input.hpp"

using namespace net;

using fuzz::Input;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  Mux mux;
  mux.set_max_buffered(1 << 16);
  uint8_t verdicts = in.byte();
  mux.on_remote_open([&](const RemoteOpen&) {
    verdicts = static_cast<uint8_t>(verdicts * 5 + 1);
    switch (verdicts % 3) {
      case 0: return OpenDecision::accept(Bytes{1, 2}, ChannelOptions{10});
      case 1: return OpenDecision::reject();
      default: return OpenDecision::defer();
    }
  });
  const std::string protocols[] = {"hypercore/alpha", "p", ""};
  while (in.n > 0) {
    uint8_t op = in.byte();
    uint64_t arg = in.byte() % 8;
    bool was_destroyed = mux.destroyed();
    switch (op % 8) {
      case 0: (void)mux.open(protocols[arg % 3], in.take(arg % 3), in.take(2)); break;
      case 1: (void)mux.accept(arg, {}); break;
      case 2: (void)mux.reject(arg); break;
      case 3: (void)mux.send(arg, in.byte(), in.take(3)); break;
      case 4: (void)mux.close(arg); break;
      default: {
        size_t len = in.byte();
        auto r = mux.receive(in.take(len));
        if (was_destroyed && r) std::abort();  // a torn-down mux accepts nothing
      }
    }
    if (was_destroyed && !mux.destroyed()) std::abort();
    (void)mux.take_output();
    (void)mux.take_events();
  }
  return 0;
}
