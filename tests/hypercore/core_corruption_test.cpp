// Flip, truncate and zero bytes in every file of a stored core: opening and reading either
// fail with a named error or return exactly the data that was written. Never a crash,
// never wrong bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "hypercore/core.hpp"
#include "hypercore/fault_storage.hpp"
#include "tests/support/expect_errc.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hypercore;

namespace {

Bytes block_content(uint64_t i) {
  Bytes b(1 + (i * 13) % 300);
  for (size_t k = 0; k < b.size(); k++) b[k] = static_cast<uint8_t>(i + k * 3);
  return b;
}

// Builds a core with `checkpointed` blocks checkpointed by close() and `tail` more in the
// log only. Returns the storage.
std::shared_ptr<FaultStorage> build(uint64_t checkpointed, uint64_t tail) {
  auto storage = std::make_shared<FaultStorage>();
  Seed seed{};
  {
    auto core = std::move(*Core::create(storage, KeyPair::from_seed(seed)));
    for (uint64_t i = 0; i < checkpointed; i++) EXPECT_TRUE(core->append(block_content(i)));
    EXPECT_TRUE(core->close());
  }
  auto core = std::move(*Core::open(storage));
  for (uint64_t i = checkpointed; i < checkpointed + tail; i++) EXPECT_TRUE(core->append(block_content(i)));
  return storage;
}

const std::vector<errc> kNamedErrors = {errc::corrupt, errc::not_found, errc::unsupported, errc::bad_manifest};

// Opens and reads everything; fails the test on wrong data or an unnamed failure.
void check_never_wrong(const std::shared_ptr<FaultStorage>& storage, uint64_t written, const std::string& what) {
  auto core = Core::open(storage);
  if (!core) {
    EXPECT_NE(std::find(kNamedErrors.begin(), kNamedErrors.end(), core.error().code), kNamedErrors.end())
        << what << ": " << core.error().to_string();
    EXPECT_FALSE(core.error().message.empty()) << what;
    return;
  }
  ASSERT_LE((*core)->length(), written) << what;
  for (uint64_t i = 0; i < (*core)->length(); i++) {
    auto b = (*core)->get(i);
    if (b) {
      ASSERT_EQ(*b, block_content(i)) << what << ": block " << i << " returned wrong bytes";
    } else {
      ASSERT_ERRC(b, errc::corrupt) << what << ": block " << i;
    }
  }
  auto v = (*core)->verify();
  if (!v) {
    EXPECT_TRUE(v.error().code == errc::corrupt || v.error().code == errc::invalid_signature) << what;
  }
}

TEST(CoreCorruption, EveryFileEveryMutation) {
  const std::vector<std::string> files = {"header", "log", "index", "tree", "bitfield"};
  std::mt19937_64 rng(7);
  int cases = 0;
  for (const auto& file : files) {
    for (int trial = 0; trial < 60; trial++) {
      auto storage = build(40, 25);
      Bytes bytes = storage->contents(file).value();
      if (bytes.empty()) continue;
      std::string what = file + " trial " + std::to_string(trial);
      switch (trial % 4) {
        case 0: {  // flip one bit
          size_t at = rng() % bytes.size();
          bytes[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
          what += " flip at " + std::to_string(at);
          break;
        }
        case 1: {  // truncate
          size_t to = rng() % bytes.size();
          bytes.resize(to);
          what += " truncated to " + std::to_string(to);
          break;
        }
        case 2: {  // zero a range
          size_t at = rng() % bytes.size();
          size_t n = std::min<size_t>(bytes.size() - at, 1 + rng() % 200);
          std::fill_n(bytes.begin() + static_cast<ptrdiff_t>(at), n, 0);
          what += " zeroed " + std::to_string(n) + " at " + std::to_string(at);
          break;
        }
        case 3: {  // random garbage over a range
          size_t at = rng() % bytes.size();
          size_t n = std::min<size_t>(bytes.size() - at, 1 + rng() % 64);
          for (size_t k = 0; k < n; k++) bytes[at + k] = static_cast<uint8_t>(rng());
          what += " garbage " + std::to_string(n) + " at " + std::to_string(at);
          break;
        }
      }
      ASSERT_TRUE(storage->set_contents(file, bytes));
      check_never_wrong(storage, 65, what);
      if (::testing::Test::HasFatalFailure()) return;
      cases++;
    }
  }
  EXPECT_GT(cases, 250);
}

TEST(CoreCorruption, BothHeaderSlotsBadIsANamedError) {
  auto storage = build(10, 0);
  Bytes header = storage->contents("header").value();
  for (size_t i = 0; i < header.size(); i += 4096) header[i] ^= 0xff;  // both slots' magic
  ASSERT_TRUE(storage->set_contents("header", header));
  auto core = Core::open(storage);
  ASSERT_ERRC_MSG(core, errc::corrupt, "header");
}

TEST(CoreCorruption, DamagedLogRecordBeforeIntactOnesIsCorruptNotTruncated) {
  auto storage = build(5, 20);  // 20 records after the checkpoint
  Bytes log = storage->contents("log").value();
  // Damage a byte early in the replayed region; later records stay intact.
  size_t size_before = log.size();
  log[log.size() / 2] ^= 0x40;
  ASSERT_TRUE(storage->set_contents("log", log));
  auto core = Core::open(storage);
  if (core) {
    // The flip may have landed in the checkpointed part (read through checksums) ...
    for (uint64_t i = 0; i < (*core)->length(); i++) {
      auto b = (*core)->get(i);
      if (b) {
        ASSERT_EQ(*b, block_content(i));
      }
    }
  } else {
    EXPECT_ERRC_MSG(core, errc::corrupt, "log");
    // ... and a refused open must not have cut the log.
    EXPECT_EQ(storage->contents("log").value().size(), size_before);
  }
}

TEST(CoreCorruption, DirectoryStoreWithDamagedFileFailsCleanly) {
  bee_test::TempDir dir;
  {
    auto storage = *open_directory_storage(dir.path());
    Seed seed{};
    auto core = std::move(*Core::create(storage, KeyPair::from_seed(seed)));
    for (uint64_t i = 0; i < 30; i++) ASSERT_TRUE(core->append(block_content(i)));
    ASSERT_TRUE(core->close());
  }
  {
    // The last record ends with block 29's 78 bytes and at most 7 bytes of padding.
    std::fstream f(dir / "log", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    f.seekp(static_cast<std::streamoff>(f.tellg()) - 20);
    f.put('\x5a');
  }
  auto storage = *open_directory_storage(dir.path());
  auto core = Core::open(storage);
  ASSERT_TRUE(core) << core.error().to_string();
  bool saw_corrupt = false;
  for (uint64_t i = 0; i < 30; i++) {
    auto b = (*core)->get(i);
    if (b) {
      EXPECT_EQ(*b, block_content(i));
    } else {
      EXPECT_ERRC_MSG(b, errc::corrupt, dir.path());
      saw_corrupt = true;
    }
  }
  EXPECT_TRUE(saw_corrupt);
  auto verified = (*core)->verify();
  ASSERT_ERRC(verified, errc::corrupt);
}

}  // namespace
