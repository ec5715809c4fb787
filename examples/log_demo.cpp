// log_demo: the life of a Hypercore log on disk, step by step.
//
//   log_demo DIR
//
// Creates a log in DIR (which must not hold one yet) with a fixed demo key, appends blocks
// one at a time and as a batch, closes it, reopens it, reads the blocks back, verifies the
// whole store, appends again and truncates. It leaves a valid log in DIR, so afterwards
// `bee core info DIR`, `bee core get DIR 0` and `bee core verify DIR` work on it.
//
// Every library call returns a Result (std::expected): HC_TRY unwraps a value or returns
// the error, HC_CHECK does the same for calls without a value.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "hypercore/core.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/storage.hpp"

using namespace hypercore;

namespace {

// First 16 hex digits of the tree hash: enough to watch it change.
std::string short_hash(const Hash& hash) { return to_hex(hash).substr(0, 16) + "..."; }

void print_state(const char* step, const Core& core) {
  std::printf("%-28s length %-3llu byte length %-4llu tree hash %s\n", step,
              static_cast<unsigned long long>(core.length()), static_cast<unsigned long long>(core.byte_length()),
              short_hash(core.tree_hash()).c_str());
}

Result<void> run(const std::string& dir) {
  // A fixed seed gives the same key (and the same hashes and signatures) on every run.
  // Real applications use KeyPair::random() and keep the store, which holds the secret key.
  Seed seed;
  seed.fill(0x42);
  KeyPair key_pair = KeyPair::from_seed(seed);

  // 1. Create the log. One core per directory: the files go straight into DIR.
  HC_TRY(storage, open_directory_storage(dir));
  HC_TRY(core, Core::create(storage, key_pair));
  std::printf("created a log in %s\n  key %s\n", dir.c_str(), to_hex(core->key()).c_str());

  // 2. Append blocks one at a time: each append signs the new length.
  for (std::string_view text : {"hello", "world"}) {
    HC_CHECK(core->append(as_bytes(text)));
    print_state(("append \"" + std::string(text) + "\"").c_str(), *core);
  }

  // 3. Append a batch: several blocks, one signature.
  std::vector<ByteSpan> batch = {as_bytes("one"), as_bytes("two"), as_bytes("three")};
  HC_CHECK(core->append(batch));
  print_state("append batch of 3", *core);

  // 4. Close, then reopen from disk. The stored secret key makes it writable again.
  HC_CHECK(core->close());
  core.reset();
  HC_TRY(reopened, Core::open(storage));
  CoreInfo info = reopened->info();
  std::printf("reopened: length %llu, byte length %llu, fork %llu, writable %s\n",
              static_cast<unsigned long long>(info.length), static_cast<unsigned long long>(info.byte_length),
              static_cast<unsigned long long>(info.fork), info.writable ? "yes" : "no");
  std::printf("  signature %s...\n", to_hex(info.signature).substr(0, 32).c_str());

  // 5. Read every block back.
  for (uint64_t i = 0; i < reopened->length(); i++) {
    HC_TRY(block, reopened->get(i));
    std::printf("  block %llu: %.*s\n", static_cast<unsigned long long>(i), static_cast<int>(block.size()),
                reinterpret_cast<const char*>(block.data()));
  }

  // 6. Verify: re-hash every block, rebuild the tree, check the signature.
  HC_CHECK(reopened->verify());
  std::printf("verified %llu blocks\n", static_cast<unsigned long long>(reopened->length()));

  // 7. Append once more, then truncate: truncation drops the last blocks and bumps the
  //    fork, so peers holding the old blocks know the history changed.
  HC_CHECK(reopened->append(as_bytes("four")));
  print_state("append \"four\"", *reopened);
  HC_CHECK(reopened->truncate(4));
  print_state("truncate to 4", *reopened);
  std::printf("  fork is now %llu; blocks 4 and 5 were dropped\n", static_cast<unsigned long long>(reopened->fork()));

  HC_CHECK(reopened->close());
  std::printf("done: %s holds a valid log of 4 blocks\n", dir.c_str());
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: log_demo DIR\n");
    return 64;
  }
  if (auto result = run(argv[1]); !result) {
    std::fprintf(stderr, "log_demo: %s\n", result.error().to_string().c_str());
    return 1;
  }
  return 0;
}
