// Core behaviour through its public API, on memory and directory storage.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "hypercore/core.hpp"
#include "hypercore/fault_storage.hpp"
#include "tests/support/expect_errc.hpp"
#include "tests/support/temp_dir.hpp"

using namespace hypercore;

namespace {

KeyPair seed_key_pair(uint8_t fill) {
  Seed seed;
  seed.fill(fill);
  return KeyPair::from_seed(seed);
}

std::vector<ByteSpan> spans(const std::vector<std::string>& blocks) {
  std::vector<ByteSpan> out;
  for (const auto& b : blocks) out.push_back(as_bytes(b));
  return out;
}

std::string str(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Spec §4.1: seed 0x01, blocks a, b, c in one append.
TEST(Core, MatchesSpecWorkedExample) {
  auto core = Core::create(make_memory_storage(), seed_key_pair(1));
  ASSERT_TRUE(core) << core.error().to_string();
  std::vector<std::string> blocks = {"a", "b", "c"};
  ASSERT_EQ((*core)->append(spans(blocks)).value(), 3u);
  EXPECT_EQ(to_hex((*core)->key()), "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");
  EXPECT_EQ(to_hex((*core)->discovery_key()), "c1feb82a2b3ba065ffed9f6addcf19ac250793bcab748986a1b4272c62da20e6");
  EXPECT_EQ(to_hex((*core)->tree_hash()), "7ea73eb86179fb7328e73663f90f4c91256574af1112efe97fdf9309e03b67a7");
  EXPECT_EQ(to_hex((*core)->signature()),
            "deb1a2d6b46b1ac51fa3111f84cd6d0874ab43f325e160aff4d3d95acfdfec67"
            "b399fd0bd4e09b86fdbf19bd894b28e0a9d4bbf58c4ccb326fc888d8428d960e");
  EXPECT_EQ((*core)->byte_length(), 3u);
  EXPECT_EQ(str((*core)->get(1).value()), "b");
}

// Spec §7: truncate(2) after a,b,c,d gives fork 1 and a known signature; then append x.
TEST(Core, TruncateMatchesSpec) {
  auto core = std::move(*Core::create(make_memory_storage(), seed_key_pair(1)));
  std::vector<std::string> blocks = {"a", "b", "c", "d"};
  ASSERT_TRUE(core->append(spans(blocks)));
  ASSERT_TRUE(core->truncate(2));
  EXPECT_EQ(core->fork(), 1u);
  EXPECT_EQ(core->length(), 2u);
  EXPECT_EQ(to_hex(core->signature()),
            "db498b9168f7e6704c90055542c29ecea01dd8a49552d9f0960ee177926725a3"
            "58cd01a560461e5c889bdb90785ed138f54f929c017f5e3ae25b81172e95940d");
  ASSERT_TRUE(core->append(as_bytes("x")));
  EXPECT_EQ(to_hex(core->tree_hash()), "a35f3ca53e74d1bae8d58facca4ce4b387c19197206f0faa19a24f4438161aea");
  EXPECT_EQ(to_hex(core->signature()),
            "5a02d32f6f08771f6b36bb97b86502010ce5841fa8ee1a1b789fc5dcf083f97d"
            "8c4821a492d056d604e8c0bf535033f2500cb83896963f9bca680b99cb275409");
  EXPECT_EQ(str(core->get(2).value()), "x");
  EXPECT_ERRC(core->get(3), errc::out_of_range);
  ASSERT_TRUE(core->truncate(0));
  EXPECT_EQ(core->fork(), 2u);
  EXPECT_TRUE(core->signature().empty());
}

TEST(Core, ReopensFromDirectoryWithSameState) {
  bee_test::TempDir dir;
  Hash tree;
  Bytes sig;
  {
    auto storage = *open_directory_storage(dir.path());
    auto core = std::move(*Core::create(storage, seed_key_pair(7)));
    for (int i = 0; i < 100; i++) ASSERT_TRUE(core->append(as_bytes("block " + std::to_string(i))));
    tree = core->tree_hash();
    sig = core->signature();
    ASSERT_TRUE(core->close());
  }
  auto storage = *open_directory_storage(dir.path());
  auto core = Core::open(storage);
  ASSERT_TRUE(core) << core.error().to_string();
  EXPECT_EQ((*core)->length(), 100u);
  EXPECT_EQ((*core)->tree_hash(), tree);
  EXPECT_EQ((*core)->signature(), sig);
  EXPECT_TRUE((*core)->writable());
  EXPECT_EQ(str((*core)->get(42).value()), "block 42");
  EXPECT_TRUE((*core)->verify()) << (*core)->verify().error().to_string();
  ASSERT_TRUE((*core)->append(as_bytes("more")));
  EXPECT_EQ((*core)->length(), 101u);
}

TEST(Core, ReopenWithoutCloseReplaysTheLog) {
  auto storage = make_memory_storage();
  Hash tree;
  {
    auto core = std::move(*Core::create(storage, seed_key_pair(3)));
    for (int i = 0; i < 10; i++) ASSERT_TRUE(core->append(as_bytes(std::string(i * 10, 'x'))));
    ASSERT_TRUE(core->truncate(5));
    ASSERT_TRUE(core->append(as_bytes("after")));
    tree = core->tree_hash();
  }  // no close(): nothing checkpointed since the truncation
  auto core = std::move(*Core::open(storage));
  EXPECT_EQ(core->length(), 6u);
  EXPECT_EQ(core->fork(), 1u);
  EXPECT_EQ(core->tree_hash(), tree);
  EXPECT_EQ(str(core->get(5).value()), "after");
  EXPECT_TRUE(core->verify());
}

// A crash at any storage operation of create(): the location then holds a core, or none
// (not_found, so create() can run again) -- never a "corrupt" core that had no block.
TEST(Core, ACrashDuringCreateLeavesACoreOrNone) {
  for (uint64_t fail_at = 1; fail_at <= 40; ++fail_at) {
    for (double torn : {0.0, 0.3, 0.9}) {
      auto storage = std::make_shared<FaultStorage>();
      storage->set_plan({.fail_at = fail_at, .torn_fraction = torn});
      auto pair = KeyPair::random();
      auto created = Core::create(storage, pair);
      created = std::unexpected(Error{errc::closed, ""});  // the process dies: drop the core
      storage->set_plan({});
      auto opened = Core::open(storage);
      if (opened) continue;
      ASSERT_ERRC(opened, errc::not_found) << "fail_at " << fail_at << " torn " << torn;
      ASSERT_TRUE(Core::create(storage, pair)) << "fail_at " << fail_at;
    }
  }
}

TEST(Core, CreateRefusesAnExistingCoreAndOpenNeedsOne) {
  auto storage = make_memory_storage();
  { auto core = std::move(*Core::create(storage, seed_key_pair(1))); ASSERT_TRUE(core->close()); }
  EXPECT_ERRC(Core::create(storage, seed_key_pair(2)), errc::already_exists);
  EXPECT_ERRC(Core::open(make_memory_storage()), errc::not_found);
}

TEST(Core, SecondOpenOfTheSameCoreIsRefused) {
  auto storage = make_memory_storage();
  auto first = std::move(*Core::create(storage, seed_key_pair(1)));
  auto second = Core::open(storage);
  ASSERT_ERRC(second, errc::locked);
}

// Every file of a directory storage, by name.
std::map<std::string, std::string> files_of(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    out[e.path().filename().string()] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  return out;
}

TEST(Core, ReadOnlyOpenReplaysTheLogInMemoryAndWritesNothing) {
  bee_test::TempDir dir;
  Hash tree;
  {
    auto storage = *open_directory_storage(dir.path());
    auto core = std::move(*Core::create(storage, seed_key_pair(4)));
    for (int i = 0; i < 10; i++) ASSERT_TRUE(core->append(as_bytes("block " + std::to_string(i))));
    ASSERT_TRUE(core->close());
    core = std::move(*Core::open(storage));
    for (int i = 10; i < 15; i++) ASSERT_TRUE(core->append(as_bytes("block " + std::to_string(i))));
    tree = core->tree_hash();
  }  // no close(): blocks 10..14 are only in the log, past the checkpoint
  // A torn record at the end, as a crash mid-append leaves: a writer would cut it off.
  { std::ofstream(dir / "log", std::ios::binary | std::ios::app) << std::string(40, '\x01'); }
  auto before = files_of(dir.path());

  auto storage = *open_directory_storage(dir.path(), {.create_if_missing = false});
  CoreOptions options;
  options.read_only = true;
  auto core = Core::open(storage, options);
  ASSERT_TRUE(core.has_value()) << core.error().to_string();
  EXPECT_FALSE((*core)->writable());
  EXPECT_EQ((*core)->length(), 15u);
  EXPECT_EQ((*core)->tree_hash(), tree);
  EXPECT_EQ(str((*core)->get(14).value()), "block 14");
  EXPECT_TRUE((*core)->verify());
  auto append = (*core)->append(as_bytes("no"));
  ASSERT_ERRC_MSG(append, errc::session_not_writable, "read-only");
  ASSERT_ERRC((*core)->truncate(3), errc::session_not_writable);
  EXPECT_TRUE((*core)->flush());
  EXPECT_TRUE((*core)->close());
  EXPECT_EQ(files_of(dir.path()), before);

  auto writer = Core::open(storage);
  ASSERT_TRUE(writer.has_value()) << writer.error().to_string();
  EXPECT_EQ((*writer)->length(), 15u);
}

TEST(Core, ReadOnlyOpensShareTheLockButNotWithAWriter) {
  for (bool on_disk : {false, true}) {
    SCOPED_TRACE(on_disk ? "directory" : "memory");
    bee_test::TempDir dir;
    auto storage = on_disk ? *open_directory_storage(dir.path()) : make_memory_storage();
    CoreOptions read_only;
    read_only.read_only = true;
    auto writer = Core::create(storage, seed_key_pair(5));
    ASSERT_TRUE(writer.has_value()) << writer.error().to_string();
    auto refused = Core::open(storage, read_only);
    ASSERT_ERRC_MSG(refused, errc::locked, "open for writing");
    ASSERT_TRUE((*writer)->close());  // releases the lock

    auto first = Core::open(storage, read_only);
    auto second = Core::open(storage, read_only);
    ASSERT_TRUE(first.has_value()) << first.error().to_string();
    ASSERT_TRUE(second.has_value()) << second.error().to_string();
    auto blocked = Core::open(storage);
    ASSERT_ERRC_MSG(blocked, errc::locked, "open read-only");
    first->reset();
    ASSERT_FALSE(Core::open(storage));  // the second reader still holds it
    second->reset();
    auto reopened = Core::open(storage);
    ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  }
}

TEST(Core, ReadOnlyIsAnOptionOfOpenOnly) {
  CoreOptions options;
  options.read_only = true;
  auto storage = make_memory_storage();
  auto created = Core::create(storage, seed_key_pair(1), options);
  ASSERT_ERRC(created, errc::invalid_argument);
  auto replica = Core::open_replica(storage, seed_key_pair(1).public_key, options);
  ASSERT_ERRC(replica, errc::invalid_argument);
  EXPECT_FALSE(*storage->exists("header"));
}

TEST(Core, ManyCoresInOneStorage) {
  bee_test::TempDir dir;
  auto storage = *open_directory_storage(dir.path(), {.max_open_files = 8});
  std::vector<std::unique_ptr<Core>> cores;
  for (int i = 0; i < 40; i++) {
    CoreOptions o;
    o.prefix = "cores/" + std::to_string(i);
    cores.push_back(std::move(*Core::create(storage, seed_key_pair(static_cast<uint8_t>(i)), o)));
    ASSERT_TRUE(cores.back()->append(as_bytes("core " + std::to_string(i))));
  }
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 40; i++) {
      ASSERT_TRUE(cores[i]->append(as_bytes("round " + std::to_string(round))));
      EXPECT_EQ(str(cores[i]->get(0).value()), "core " + std::to_string(i));
    }
  }
  for (auto& c : cores) EXPECT_TRUE(c->verify());
}

TEST(Core, ErrorsNameWhatFailed) {
  auto core = std::move(*Core::create(make_memory_storage(), seed_key_pair(1)));
  auto r = core->get(3);
  EXPECT_ERRC_MSG(r, errc::out_of_range, "block 3");
  CoreOptions o;
  o.max_block_size = 4;
  auto small = std::move(*Core::create(make_memory_storage(), seed_key_pair(1), o));
  EXPECT_ERRC(small->append(as_bytes("too long")), errc::block_too_large);
  EXPECT_EQ(small->length(), 0u);
  EXPECT_ERRC(core->truncate(5), errc::out_of_range);
}

TEST(Core, ReplicaWithoutSecretKeyIsNotWritable) {
  auto writer = std::move(*Core::create(make_memory_storage(), seed_key_pair(1)));
  auto replica = Core::open_replica(make_memory_storage(), writer->key());
  ASSERT_TRUE(replica) << replica.error().to_string();
  EXPECT_FALSE((*replica)->writable());
  EXPECT_ERRC((*replica)->append(as_bytes("x")), errc::session_not_writable);
  EXPECT_ERRC((*replica)->get(0), errc::block_not_available);
}

TEST(Core, KeyPairOptionMakesAStoreWithoutSecretWritable) {
  auto storage = make_memory_storage();
  KeyPair kp = seed_key_pair(9);
  { auto replica = std::move(*Core::open_replica(storage, kp.public_key)); ASSERT_TRUE(replica->close()); }
  CoreOptions o;
  o.key_pair = seed_key_pair(8);
  EXPECT_ERRC(Core::open(storage, o), errc::invalid_argument);
  o.key_pair = kp;
  auto core = std::move(*Core::open(storage, o));
  EXPECT_TRUE(core->writable());
  ASSERT_TRUE(core->append(as_bytes("signed with the given key")));
}

TEST(Core, SeekFindsBlockAndOffset) {
  auto core = std::move(*Core::create(make_memory_storage(), seed_key_pair(1)));
  std::vector<std::string> blocks = {"aa", "bbb", "c"};
  ASSERT_TRUE(core->append(spans(blocks)));
  std::vector<std::pair<uint64_t, std::pair<uint64_t, uint64_t>>> cases = {
      {0, {0, 0}}, {1, {0, 1}}, {2, {1, 0}}, {4, {1, 2}}, {5, {2, 0}}, {6, {3, 0}}};
  for (auto& [bytes, want] : cases) EXPECT_EQ(core->seek(bytes).value(), want) << bytes;
  EXPECT_ERRC(core->seek(7), errc::out_of_range);
}

// At a boundary the reference lands on an empty block: a, b, "", c -> seek(2) = (2, 0).
TEST(Core, SeekAtABoundaryLandsOnAnEmptyBlockLikeTheReference) {
  auto core = std::move(*Core::create(make_memory_storage(), seed_key_pair(1)));
  std::vector<std::string> blocks = {"a", "b", "", "c"};
  ASSERT_TRUE(core->append(spans(blocks)));
  EXPECT_EQ(core->seek(2).value(), (std::pair<uint64_t, uint64_t>{2, 0}));
  EXPECT_EQ(core->seek(3).value(), (std::pair<uint64_t, uint64_t>{4, 0}));
}

TEST(Core, SnapshotIsFixedAndGoesStaleOnTruncation) {
  auto core = std::move(*Core::create(make_memory_storage(), seed_key_pair(1)));
  std::vector<std::string> blocks = {"a", "b", "c"};
  ASSERT_TRUE(core->append(spans(blocks)));
  Snapshot snap = core->snapshot();
  ASSERT_TRUE(core->append(as_bytes("d")));
  EXPECT_EQ(snap.length(), 3u);
  EXPECT_ERRC(snap.get(3), errc::out_of_range);
  EXPECT_EQ(str(snap.get(2).value()), "c");
  ASSERT_TRUE(core->truncate(2));
  EXPECT_EQ(str(snap.get(1).value()), "b");
  EXPECT_ERRC(snap.get(2), errc::out_of_range);
}

TEST(Core, EmptyBlocksAndLargeBatches) {
  auto core = std::move(*Core::create(make_memory_storage(), seed_key_pair(1)));
  std::vector<std::string> blocks(5000);
  for (size_t i = 0; i < blocks.size(); i++) blocks[i] = std::string(i % 7, static_cast<char>('a' + i % 26));
  ASSERT_TRUE(core->append(spans(blocks)));
  EXPECT_EQ(core->length(), 5000u);
  for (size_t i = 0; i < blocks.size(); i += 97) EXPECT_EQ(str(core->get(i).value()), blocks[i]);
  EXPECT_TRUE(core->verify());
  EXPECT_EQ(core->contiguous_length(), 5000u);
}

TEST(Core, WatchReportsAppendsAndTruncations) {
  auto core = std::move(*Core::create(make_memory_storage(), seed_key_pair(1)));
  std::vector<CoreEvent> events;
  auto handle = core->watch([&](const CoreEvent& e) { events.push_back(e); });
  std::vector<std::string> blocks = {"a", "b", "c"};
  ASSERT_TRUE(core->append(spans(blocks)));
  ASSERT_TRUE(core->truncate(1));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, CoreEvent::Kind::append);
  EXPECT_EQ(events[0].previous_length, 0u);
  EXPECT_EQ(events[0].length, 3u);
  EXPECT_EQ(events[1].kind, CoreEvent::Kind::truncate);
  EXPECT_EQ(events[1].length, 1u);
  EXPECT_EQ(events[1].fork, 1u);
  handle.reset();
  ASSERT_TRUE(core->append(as_bytes("d")));
  EXPECT_EQ(events.size(), 2u);
}

TEST(Core, ClosedCoreRefusesCalls) {
  auto core = std::move(*Core::create(make_memory_storage(), seed_key_pair(1)));
  ASSERT_TRUE(core->append(as_bytes("a")));
  ASSERT_TRUE(core->close());
  EXPECT_ERRC(core->append(as_bytes("b")), errc::closed);
  EXPECT_ERRC(core->get(0), errc::closed);
}

}  // namespace
