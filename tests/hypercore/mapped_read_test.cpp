// Reads of a directory storage go through memory mappings (hypercore/internal/mapped_file.hpp).
// A file that another program truncates or damages under a reader gives errc::corrupt, never
// SIGBUS or wrong bytes; a file grown by another handle reads right; a SIGBUS that is not a
// guarded read still kills the process as it would without the library.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "hypercore/core.hpp"
#include "hypercore/storage.hpp"
#include "tests/support/expect_errc.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hypercore;

namespace {

Bytes pattern(size_t n, uint8_t salt) {
  Bytes b(n);
  for (size_t i = 0; i < n; i++) b[i] = static_cast<uint8_t>(i * 31 + salt);
  return b;
}

std::shared_ptr<File> open_file(const std::string& root, const std::string& name, bool map_reads = true) {
  DirectoryStorageOptions o;
  o.map_reads = map_reads;
  auto storage = open_directory_storage(root, o);
  EXPECT_TRUE(storage);
  auto f = (*storage)->open(name, true);
  EXPECT_TRUE(f);
  return *f;
}

std::string find_file(const std::string& root, const std::string& name) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().filename() == name) return e.path().string();
  }
  ADD_FAILURE() << "no file named " << name << " under " << root;
  return {};
}

// A core in `root` holding `blocks` blocks of pattern(200, i).
std::shared_ptr<Core> core_with_blocks(const std::string& root, int blocks) {
  auto storage = open_directory_storage(root);
  EXPECT_TRUE(storage);
  auto core = Core::create(*storage, KeyPair::random());
  EXPECT_TRUE(core);
  for (int i = 0; i < blocks; i++) EXPECT_TRUE((*core)->append(pattern(200, uint8_t(i))));
  return std::move(*core);
}

// Reads every block: each is the bytes written or errc::corrupt. Returns how many were corrupt.
int count_corrupt(Core& core, uint64_t blocks) {
  int corrupt = 0;
  for (uint64_t i = 0; i < blocks; i++) {
    auto b = core.get(i);
    if (b) {
      EXPECT_EQ(*b, pattern(200, uint8_t(i))) << "block " << i;
    } else {
      EXPECT_ERRC(b, errc::corrupt) << "block " << i;
      ++corrupt;
    }
  }
  return corrupt;
}

TEST(MappedRead, ReadsWhatWasWrittenAcrossRemaps) {
  bee_test::TempDir dir;
  auto f = open_file(dir.path(), "data");
  ASSERT_TRUE(f->reads_from_memory());
  // Grows past the first mapping (1 MiB) several times, reading after each write.
  Bytes all;
  for (int i = 0; i < 40; i++) {
    Bytes chunk = pattern(100000 + i, uint8_t(i));
    ASSERT_TRUE(f->write(all.size(), chunk));
    all.insert(all.end(), chunk.begin(), chunk.end());
    Bytes back(all.size());
    auto n = f->read(0, back);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, all.size());
    ASSERT_EQ(back, all);
  }
  // Past the end: a short read, the rest zeros, as with pread.
  Bytes tail(64, 0xff);
  auto n = f->read(all.size() - 10, tail);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 10u);
  EXPECT_EQ(tail[10], 0xff);  // bytes beyond what was read are the caller's
}

TEST(MappedRead, SeesWhatAnotherHandleAppended) {
  bee_test::TempDir dir;
  auto reader = open_file(dir.path(), "data");
  ASSERT_TRUE(reader->write(0, pattern(5000, 1)));
  Bytes first(5000);
  ASSERT_TRUE(reader->read(0, first));
  // Another storage (another process, for the file) appends: beyond what the reader knows.
  auto writer = open_file(dir.path(), "data");
  ASSERT_TRUE(writer->write(5000, pattern(3000, 2)));
  Bytes more(3000);
  auto n = reader->read(5000, more);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3000u);
  EXPECT_EQ(more, pattern(3000, 2));
}

TEST(MappedRead, AFileTruncatedUnderTheReaderIsCorruptNotACrash) {
  bee_test::TempDir dir;
  auto f = open_file(dir.path(), "data");
  ASSERT_TRUE(f->write(0, pattern(1 << 20, 3)));
  Bytes some(4096);
  ASSERT_TRUE(f->read(0, some));  // mapped now, knowing 1 MiB
  ASSERT_EQ(::truncate((dir / "data").c_str(), 4096), 0);
  Bytes far(4096);
  auto r = f->read(512 * 1024, far);
  EXPECT_ERRC_MSG(r, errc::corrupt, "another program truncated it");
  // The reader goes on: what is still there reads, what is gone reads as the end of file.
  auto head = f->read(0, some);
  ASSERT_TRUE(head);
  EXPECT_EQ(*head, 4096u);
  Bytes written = pattern(1 << 20, 3);
  EXPECT_EQ(some, Bytes(written.begin(), written.begin() + 4096));
  auto again = f->read(512 * 1024, far);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
}

TEST(MappedRead, ACoreWhoseLogIsTruncatedUnderItGivesCorrupt) {
  bee_test::TempDir dir;
  auto core = core_with_blocks(dir.path(), 3000);
  for (uint64_t i = 0; i < 3000; i += 100) ASSERT_TRUE(core->get(i));
  ASSERT_EQ(::truncate(find_file(dir.path(), "log").c_str(), 4096), 0);
  EXPECT_GT(count_corrupt(*core, 3000), 2900);
}

TEST(MappedRead, ADamagedLogUnderTheReaderFailsItsChecksum) {
  bee_test::TempDir dir;
  auto core = core_with_blocks(dir.path(), 100);
  ASSERT_TRUE(core->get(50));
  // Another program overwrites the middle of the log: the mapping shows it at once.
  std::string log = find_file(dir.path(), "log");
  int fd = ::open(log.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  Bytes junk(8192, 0x5a);
  ASSERT_EQ(::pwrite(fd, junk.data(), junk.size(), 4096), ssize_t(junk.size()));
  ::close(fd);
  EXPECT_GE(count_corrupt(*core, 100), 20);  // 8 KiB of junk over records of a little more than 200 bytes
}

TEST(MappedRead, ReadsAreTheSameWithAndWithoutMapping) {
  bee_test::TempDir dir;
  auto mapped = open_file(dir.path(), "data", true);
  auto plain = open_file(dir.path(), "data", false);
  EXPECT_FALSE(plain->reads_from_memory());
  ASSERT_TRUE(mapped->write(0, pattern(300000, 9)));
  std::mt19937_64 rng(7);
  for (int i = 0; i < 500; i++) {
    uint64_t offset = rng() % 310000;
    Bytes a(rng() % 9000), b(a.size());
    auto na = mapped->read(offset, a);
    auto nb = plain->read(offset, b);
    ASSERT_TRUE(na && nb);
    ASSERT_EQ(*na, *nb) << "offset " << offset;
    ASSERT_TRUE(std::equal(a.begin(), a.begin() + long(*na), b.begin())) << "offset " << offset;
  }
}

TEST(MappedReadDeathTest, AFaultOutsideAGuardedReadStillKillsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  bee_test::TempDir dir;
  auto f = open_file(dir.path(), "data");
  ASSERT_TRUE(f->write(0, pattern(8192, 1)));
  Bytes b(16);
  ASSERT_TRUE(f->read(0, b));  // the library's handler is installed
  EXPECT_DEATH(
      {
        int fd = ::open((dir / "data").c_str(), O_RDWR);
        auto* p = static_cast<volatile uint8_t*>(::mmap(nullptr, 8192, PROT_READ, MAP_SHARED, fd, 0));
        if (::ftruncate(fd, 0) != 0) std::abort();
        std::printf("%d\n", p[4096]);  // SIGBUS, not ours to catch
      },
      "");
}

}  // namespace
