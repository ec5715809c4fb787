// Child process of core_crash_test: appends deterministic blocks to a core in a directory
// until killed, writing "<length>\n" to stdout after every append call returned (that is,
// once the blocks are acknowledged). Usage: crash_writer DIR os|sync
#include <unistd.h>

#include <cstdio>
#include <string>

#include "hypercore/core.hpp"

using namespace hypercore;

// Block i's content, which the parent recomputes to check what survived.
Bytes block_content(uint64_t i) {
  Bytes b(17 + (i * 31) % 700);
  for (size_t k = 0; k < b.size(); k++) b[k] = static_cast<uint8_t>(i * 7 + k);
  return b;
}

int main(int argc, char** argv) {
  if (argc != 3) return 64;
  CoreOptions options;
  options.durability = std::string(argv[2]) == "sync" ? Durability::sync : Durability::os;
  options.checkpoint_bytes = 64 * 1024;  // checkpoints happen while the parent is killing us
  auto storage = open_directory_storage(argv[1]);
  if (!storage) return 1;
  auto core = Core::open(*storage, options);
  if (!core && core.error().code == errc::not_found) {
    Seed seed{};
    core = Core::create(*storage, KeyPair::from_seed(seed), options);
  }
  if (!core) {
    std::fprintf(stderr, "crash_writer: %s\n", core.error().to_string().c_str());
    return 1;
  }
  for (uint64_t round = 0;; round++) {
    uint64_t start = (*core)->length();
    std::vector<Bytes> batch(1 + round % 5);
    for (size_t k = 0; k < batch.size(); k++) batch[k] = block_content(start + k);
    std::vector<ByteSpan> spans(batch.begin(), batch.end());
    auto r = (*core)->append(spans);
    if (!r) {
      std::fprintf(stderr, "crash_writer: %s\n", r.error().to_string().c_str());
      return 1;
    }
    std::string line = std::to_string(*r) + "\n";
    if (::write(1, line.data(), line.size()) < 0) return 1;
  }
}
