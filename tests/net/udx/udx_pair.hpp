// A connected pair of streams (id 1 on side a, id 2 on side b) in a Sim.
#pragma once

#include <gtest/gtest.h>

#include "udx_sim.hpp"

namespace udx_sim {

struct Pair {
  explicit Pair(Policy policy = {}, StreamOptions oa = {}, StreamOptions ob = {}) : sim(std::move(policy)) {
    sa = *sim.a.mux.create_stream(1, oa);
    sb = *sim.b.mux.create_stream(2, ob);
    sa->connect(2, sim.b.address, sim.now);
    sb->connect(1, sim.a.address, sim.now);
  }
  Sim sim;
  Stream* sa;
  Stream* sb;

  bool both_closed() { return sim.a.closed.contains(1) && sim.b.closed.contains(2); }
};

// Writes `ab` from a and `ba` from b, ends both, runs until both closed; checks bytes.
inline void exchange(Pair& p, const hypercore::Bytes& ab, const hypercore::Bytes& ba, const std::string& label) {
  // Large writes in pieces, as an application would.
  for (size_t off = 0; off < ab.size(); off += 65536) {
    ASSERT_TRUE(p.sa->write(std::span(ab).subspan(off, std::min<size_t>(65536, ab.size() - off)), p.sim.now));
  }
  for (size_t off = 0; off < ba.size(); off += 65536) {
    ASSERT_TRUE(p.sb->write(std::span(ba).subspan(off, std::min<size_t>(65536, ba.size() - off)), p.sim.now));
  }
  ASSERT_TRUE(p.sa->end(p.sim.now));
  ASSERT_TRUE(p.sb->end(p.sim.now));
  ASSERT_TRUE(p.sim.run([&] { return p.both_closed(); }, Millis(3600000))) << label << " at " << p.sim.now.count() << " ms";
  EXPECT_EQ(p.sim.b.received[2], ab) << label;
  EXPECT_EQ(p.sim.a.received[1], ba) << label;
  EXPECT_TRUE(p.sim.a.remote_ended[1]) << label;
  EXPECT_TRUE(p.sim.b.remote_ended[2]) << label;
  EXPECT_FALSE(p.sim.a.closed[1].value().has_value()) << label << ": " << p.sim.a.closed[1]->value().to_string();
  EXPECT_FALSE(p.sim.b.closed[2].value().has_value()) << label << ": " << p.sim.b.closed[2]->value().to_string();
}

}  // namespace udx_sim
