// Fault injection: a short clone over a duplex that breaks on the N-th chunk, for every N
// from the first chunk to past the last. Never a crash or a hang; whatever the replica
// stored verifies, and a fresh connection afterwards completes the clone.
#include <gtest/gtest.h>

#include "tests/net/replication_test_util.hpp"

namespace {

using namespace repl_test;

TEST(ReplicatorFault, CloneBrokenAtEveryChunk) {
  auto writer = make_writer(13);
  ReplicatorOptions all;
  all.download_all = true;
  all.max_inflight = 4;

  auto clone = [&](Core& replica, size_t fail_at, size_t* chunks_used) {
    TimePoint now = Clock::now();
    PeerSession a(NoiseRole::responder), b(NoiseRole::initiator);
    a.add_core(*writer, {}, now);
    b.add_core(replica, all, now);
    Duplex d{endpoint(a, now), endpoint(b, now)};
    d.rng.seed(7);
    d.max_chunk = 97;
    d.fail_at = fail_at;
    EXPECT_TRUE(d.run());
    if (chunks_used) *chunks_used = d.chunks;
    EXPECT_FALSE(a.failed()) << a.error()->to_string();
    EXPECT_FALSE(b.failed()) << b.error()->to_string();
  };

  size_t total = 0;
  {
    auto replica = make_replica(*writer);
    clone(*replica, SIZE_MAX, &total);
    ASSERT_EQ(replica->contiguous_length(), 13u);
  }
  ASSERT_GT(total, 10u);
  for (size_t n = 1; n <= total + 1; n++) {
    SCOPED_TRACE("broken at chunk " + std::to_string(n) + " of " + std::to_string(total));
    auto replica = make_replica(*writer);
    clone(*replica, n, nullptr);
    EXPECT_LE(replica->length(), 13u);
    auto ok = replica->verify();
    ASSERT_TRUE(ok) << ok.error().to_string();
    for (uint64_t i = 0; i < replica->length(); i++) {
      if (replica->has(i)) {
        EXPECT_EQ(replica->get(i).value(), content(i));
      }
    }
    if (replica->length() > 0) {
      EXPECT_EQ(replica->signature(), writer->signature());
    }
    // A new connection finishes the job.
    clone(*replica, SIZE_MAX, nullptr);
    EXPECT_EQ(replica->contiguous_length(), 13u);
    EXPECT_EQ(replica->tree_hash(), writer->tree_hash());
  }
}

}  // namespace
