// Lookup latency and messages per lookup on simulated networks of 2,000 and 10,000 real
// DhtNodes (tests/net/dht_sim, ../shared/spec/dht.md §6) at 0 %, 20 % and 50 % silent
// churn. A plain driver rather than Google Benchmark: one virtual-time run per network,
// printed as a table beside the spec's idealised figures.
// usage: dht_sim_bench [nodes...] [--lookups N] [--warmup W] [--seed S] [--alpha A] [--closest-first]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/net/dht_sim/sim_network.hpp"

int main(int argc, char** argv) {
  std::vector<size_t> sizes;
  size_t lookups = 300, warmup = 0, alpha = net::dht::kConcurrency;
  uint64_t seed = 1;
  bool closest_first = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> unsigned long { return i + 1 < argc ? std::strtoul(argv[++i], nullptr, 10) : 0; };
    if (a == "--lookups") lookups = next();
    else if (a == "--warmup") warmup = next();
    else if (a == "--seed") seed = next();
    else if (a == "--alpha") alpha = next();
    else if (a == "--closest-first") closest_first = true;
    else sizes.push_back(std::strtoul(a.c_str(), nullptr, 10));
  }
  if (sizes.empty()) sizes = {2000, 10000};
  std::printf("| n | dead | hops to closest | rounds | messages | visits | latency (ms) | top-k recall | "
              "first found | table (k·log2(n/k)+k) | wall (s) |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (size_t n : sizes) {
    auto t0 = std::chrono::steady_clock::now();
    dht_sim::ScenarioConfig c;
    c.nodes = n;
    c.seed = seed;
    c.warmup_lookups = warmup;
    c.concurrency = alpha;
    c.closest_first = closest_first;
    dht_sim::LookupScenario sim(c);
    for (double dead : {0.0, 0.2, 0.5}) {
      auto r = sim.measure(dead, lookups);
      double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("| %zu | %.0f %% | %.2f | %.2f | %.1f | %.1f | %.0f | %.3f | %.2f | %.0f (%.0f) | %.1f |\n", n,
                  dead * 100, r.hops_to_closest, r.rounds, r.messages, r.visits, r.latency_ms, r.recall,
                  r.first_found_rate, r.table_size, r.expected_table_size, wall);
      std::fflush(stdout);
    }
  }
  return 0;
}
