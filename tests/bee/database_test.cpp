// bee::Database: what open() creates, refuses and finds; reopening; read-only opens (in this
// process and against another process holding the database, see database_holder.cpp);
// in-memory databases; and that the options reach the layers below.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>

#include "bee/database.hpp"
#include "tests/support/expect_errc.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using bee::Database;
using bee::DatabaseOptions;
using hypercore::errc;

// Every file under `dir` with its bytes, to show that nothing on disk changed.
std::map<std::string, std::string> files_under(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    out[std::filesystem::relative(e.path(), dir).string()] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  return out;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A database with a few keys, closed again.
void make_database(const std::string& path) {
  auto db = Database::open(path);
  ASSERT_TRUE(db.has_value()) << db.error().to_string();
  ASSERT_TRUE((*db)->put("a", "1").has_value());
  ASSERT_TRUE((*db)->put("b", "2").has_value());
  ASSERT_TRUE((*db)->close().has_value());
}

TEST(Database, OpenCreatesAMissingFolder) {
  bee_test::TempDir dir;
  std::string path = dir / "nested/db";
  auto db = Database::open(path);
  ASSERT_TRUE(db.has_value()) << db.error().to_string();
  EXPECT_TRUE(std::filesystem::is_directory(path));
  EXPECT_TRUE((*db)->writable());
  EXPECT_EQ((*db)->path(), path);
  EXPECT_EQ((*db)->version(), 1u);
  auto put = (*db)->put("hello", "world");
  ASSERT_TRUE(put.has_value()) << put.error().to_string();
  EXPECT_TRUE(*put);
  auto got = (*db)->get("hello");
  ASSERT_TRUE(got.has_value()) << got.error().to_string();
  EXPECT_EQ(*got, "world");
  auto missing = (*db)->get("nobody");
  ASSERT_TRUE(missing.has_value()) << missing.error().to_string();
  EXPECT_FALSE(missing->has_value());
}

TEST(Database, WithoutCreateIfMissingAMissingOrEmptyFolderIsNotFound) {
  bee_test::TempDir dir;
  DatabaseOptions options;
  options.create_if_missing = false;
  std::string missing = dir / "missing";
  auto r = Database::open(missing, options);
  ASSERT_ERRC_MSG(r, errc::not_found, missing);
  EXPECT_FALSE(std::filesystem::exists(missing));

  std::string empty = dir / "empty";
  std::filesystem::create_directory(empty);
  r = Database::open(empty, options);
  ASSERT_ERRC_MSG(r, errc::not_found, empty);
  EXPECT_TRUE(std::filesystem::is_empty(empty));
}

TEST(Database, ErrorIfExistsRefusesAnExistingDatabase) {
  bee_test::TempDir dir;
  DatabaseOptions options;
  options.error_if_exists = true;
  std::string path = dir / "db";
  {
    auto fresh = Database::open(path, options);  // nothing there yet: created
    ASSERT_TRUE(fresh.has_value()) << fresh.error().to_string();
    ASSERT_TRUE((*fresh)->put("k", "v").has_value());
  }
  auto before = files_under(path);
  auto r = Database::open(path, options);
  ASSERT_ERRC_MSG(r, errc::already_exists, path);
  EXPECT_EQ(files_under(path), before);
}

TEST(Database, APathThatIsAFileIsAnInvalidArgument) {
  bee_test::TempDir dir;
  std::string path = dir / "file";
  { std::ofstream(path) << "not a database"; }
  for (bool read_only : {false, true}) {
    DatabaseOptions options;
    options.read_only = read_only;
    auto r = Database::open(path, options);
    ASSERT_ERRC(r, errc::invalid_argument);
    EXPECT_TRUE(contains(r.error().message, path) && contains(r.error().message, "is a file")) << r.error().message;
  }
  auto empty = Database::open("");
  ASSERT_ERRC(empty, errc::invalid_argument);
}

TEST(Database, ReopenSeesEarlierWritesAndKeepsItsKey) {
  bee_test::TempDir dir;
  std::string path = dir / "db";
  hypercore::Hash key{};
  {
    auto db = Database::open(path);
    ASSERT_TRUE(db.has_value()) << db.error().to_string();
    key = (*db)->key();
    EXPECT_EQ((*db)->discovery_key(), hypercore::discovery_key(key));
    ASSERT_TRUE((*db)->put("a", "1").has_value());
    ASSERT_TRUE((*db)->put("b", "2").has_value());
    ASSERT_TRUE((*db)->del("a").has_value());
    // No close(): the destructor closes.
  }
  {
    auto db = Database::open(path);
    ASSERT_TRUE(db.has_value()) << db.error().to_string();
    EXPECT_EQ((*db)->key(), key);
    EXPECT_EQ((*db)->version(), 4u);
    EXPECT_EQ((*db)->get("a").value(), std::nullopt);
    EXPECT_EQ((*db)->get("b").value(), "2");
    ASSERT_TRUE((*db)->put("c", "3").has_value());
    ASSERT_TRUE((*db)->close().has_value());
  }
  auto db = Database::open(path);
  ASSERT_TRUE(db.has_value()) << db.error().to_string();
  EXPECT_EQ((*db)->key(), key);
  EXPECT_EQ((*db)->get("c").value(), "3");
  EXPECT_EQ((*db)->version(), 5u);
}

TEST(Database, RangeGoesInKeyOrderBetweenStringBounds) {
  auto db = Database::open_in_memory();
  ASSERT_TRUE(db.has_value()) << db.error().to_string();
  for (const char* key : {"pear", "apple", "fig", "banana", "cherry"}) ASSERT_TRUE((*db)->put(key, "fruit").has_value());
  auto collect = [&](std::optional<std::string_view> gte, std::optional<std::string_view> lt) {
    std::string keys;
    auto it = (*db)->range(gte, lt);
    EXPECT_TRUE(it.has_value()) << it.error().to_string();
    if (!it) return keys;
    while (true) {
      auto entry = it->next();
      EXPECT_TRUE(entry.has_value()) << entry.error().to_string();
      if (!entry || !*entry) break;
      keys += std::string(bee::as_string((*entry)->key)) + " ";
    }
    return keys;
  };
  EXPECT_EQ(collect(std::nullopt, std::nullopt), "apple banana cherry fig pear ");
  EXPECT_EQ(collect("b", "f"), "banana cherry ");
  EXPECT_EQ(collect("cherry", std::nullopt), "cherry fig pear ");
  EXPECT_EQ(collect(std::nullopt, "banana"), "apple ");
}

TEST(Database, ReadOnlyNeverCreatesAnything) {
  bee_test::TempDir dir;
  DatabaseOptions options;
  options.read_only = true;
  std::string missing = dir / "missing";
  auto r = Database::open(missing, options);
  ASSERT_ERRC(r, errc::not_found);
  EXPECT_TRUE(contains(r.error().message, missing) && contains(r.error().message, "read-only")) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(missing));

  std::string empty = dir / "empty";
  std::filesystem::create_directory(empty);
  r = Database::open(empty, options);
  ASSERT_ERRC(r, errc::not_found);
  EXPECT_TRUE(std::filesystem::is_empty(empty));
}

TEST(Database, ReadOnlyRefusesWritesAndChangesNothingOnDisk) {
  bee_test::TempDir dir;
  std::string path = dir / "db";
  make_database(path);
  auto before = files_under(path);

  DatabaseOptions options;
  options.read_only = true;
  {
    auto db = Database::open(path, options);
    ASSERT_TRUE(db.has_value()) << db.error().to_string();
    EXPECT_FALSE((*db)->writable());
    EXPECT_EQ((*db)->get("a").value(), "1");
    uint64_t version = (*db)->version();

    auto put = (*db)->put("a", "changed");
    ASSERT_ERRC_MSG(put, errc::session_not_writable, "read-only");
    auto del = (*db)->del("b");
    ASSERT_ERRC(del, errc::session_not_writable);
    auto batch = (*db)->db().batch();
    ASSERT_TRUE(batch.has_value()) << batch.error().to_string();
    ASSERT_TRUE(batch->put(hypercore::as_bytes("c"), hypercore::as_bytes("3")).has_value());
    auto flushed = batch->flush();
    ASSERT_ERRC(flushed, errc::session_not_writable);

    // The refused writes left the database as it was, in memory too.
    EXPECT_EQ((*db)->version(), version);
    EXPECT_EQ((*db)->get("a").value(), "1");
    EXPECT_EQ((*db)->get("b").value(), "2");
    EXPECT_EQ((*db)->get("c").value(), std::nullopt);
    ASSERT_TRUE((*db)->close().has_value());
  }
  { auto dropped = Database::open(path, options); }  // destroyed without close()
  EXPECT_EQ(files_under(path), before);

  auto writer = Database::open(path);
  ASSERT_TRUE(writer.has_value()) << writer.error().to_string();
  EXPECT_EQ((*writer)->get("a").value(), "1");
  EXPECT_EQ((*writer)->get("c").value(), std::nullopt);
}

TEST(Database, ReadOnlyOpensShareAFolderButNotWithAWriterInThisProcess) {
  bee_test::TempDir dir;
  std::string path = dir / "db";
  make_database(path);
  DatabaseOptions read_only;
  read_only.read_only = true;
  {
    auto writer = Database::open(path);
    ASSERT_TRUE(writer.has_value()) << writer.error().to_string();
    auto reader = Database::open(path, read_only);
    ASSERT_ERRC_MSG(reader, errc::locked, "open for writing by another process");
  }
  auto first = Database::open(path, read_only);
  auto second = Database::open(path, read_only);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  EXPECT_EQ((*first)->get("b").value(), "2");
  EXPECT_EQ((*second)->get("b").value(), "2");
  auto writer = Database::open(path);
  ASSERT_ERRC_MSG(writer, errc::locked, "open read-only");
}

// database_holder running with pipes to its stdin and stdout; killed if still running when
// this goes out of scope. Every wait is bounded.
class Holder {
 public:
  Holder(const std::string& path, bool read_only) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
      const char* mode = read_only ? "read-only" : nullptr;
      execl(DATABASE_HOLDER_PATH, DATABASE_HOLDER_PATH, path.c_str(), mode, static_cast<char*>(nullptr));
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    fcntl(stdout_, F_SETFL, O_NONBLOCK);
  }
  ~Holder() {
    release();
    if (pid_ > 0 && !wait_exit(std::chrono::seconds(10))) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) close(stdout_);
  }

  // The next line the child writes, or "" after `timeout`.
  std::string read_line(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || stdout_ < 0) return "";
      pollfd p{stdout_, POLLIN, 0};
      poll(&p, 1, static_cast<int>(left.count()));
      char buf[256];
      ssize_t n = read(stdout_, buf, sizeof buf);
      if (n > 0) buffer_.append(buf, static_cast<size_t>(n));
      if (n == 0) return "";  // the child closed its output
    }
  }

  // Ends the child's stdin: it closes the database and exits.
  void release() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }

  // Whether the child exited (status 0) within `timeout`.
  bool wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int status = 0;
      pid_t done = waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  int exit_status() const { return exit_status_; }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1;
  std::string buffer_;
  int exit_status_ = -1;
};

constexpr auto kChildWait = std::chrono::seconds(20);

TEST(Database, OpenWhileAnotherProcessWritesFailsWithLockedAndNamesTheWriter) {
  bee_test::TempDir dir;
  std::string path = dir / "db";
  make_database(path);

  Holder writer(path, false);
  ASSERT_TRUE(writer.started());
  std::string ready = writer.read_line(kChildWait);
  ASSERT_EQ(ready.rfind("ready ", 0), 0u) << "the child said: '" << ready << "'";
  auto before = files_under(path);

  DatabaseOptions read_only;
  read_only.read_only = true;
  auto reader = Database::open(path, read_only);
  EXPECT_ERRC_MSG(reader, errc::locked, "database " + path + " is open for writing by another process");
  auto second_writer = Database::open(path);
  EXPECT_ERRC_MSG(second_writer, errc::locked, "open for writing");
  EXPECT_EQ(files_under(path), before);  // the refused opens wrote nothing

  // Once the writer has closed, a reader sees everything it wrote.
  writer.release();
  EXPECT_EQ(writer.read_line(kChildWait), "closed");
  ASSERT_TRUE(writer.wait_exit(kChildWait));
  EXPECT_EQ(writer.exit_status(), 0);
  auto after = Database::open(path, read_only);
  ASSERT_TRUE(after.has_value()) << after.error().to_string();
  EXPECT_EQ((*after)->get("child-2").value(), "written by the child");
  EXPECT_EQ((*after)->get("a").value(), "1");
}

TEST(Database, AWriterIsRefusedWhileAnotherProcessReads) {
  bee_test::TempDir dir;
  std::string path = dir / "db";
  make_database(path);

  Holder reader(path, true);
  ASSERT_TRUE(reader.started());
  std::string ready = reader.read_line(kChildWait);
  ASSERT_EQ(ready, "ready 3") << "the child said: '" << ready << "'";

  DatabaseOptions read_only;
  read_only.read_only = true;
  auto second_reader = Database::open(path, read_only);  // readers share
  ASSERT_TRUE(second_reader.has_value()) << second_reader.error().to_string();
  ASSERT_TRUE((*second_reader)->close().has_value());
  auto writer = Database::open(path);
  ASSERT_ERRC_MSG(writer, errc::locked, "open read-only");

  reader.release();
  EXPECT_EQ(reader.read_line(kChildWait), "closed");
  ASSERT_TRUE(reader.wait_exit(kChildWait));
  auto reopened = Database::open(path);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  ASSERT_TRUE((*reopened)->put("after", "the reader").has_value());
}

TEST(Database, InMemoryWorksAndIsLostWhenDestroyed) {
  {
    auto db = Database::open_in_memory();
    ASSERT_TRUE(db.has_value()) << db.error().to_string();
    EXPECT_EQ((*db)->path(), "memory");
    EXPECT_TRUE((*db)->writable());
    ASSERT_TRUE((*db)->put("k", "v").has_value());
    EXPECT_EQ((*db)->get("k").value(), "v");
    EXPECT_EQ((*db)->version(), 2u);
  }
  auto fresh = Database::open_in_memory();
  ASSERT_TRUE(fresh.has_value()) << fresh.error().to_string();
  EXPECT_EQ((*fresh)->version(), 1u);
  EXPECT_EQ((*fresh)->get("k").value(), std::nullopt);

  DatabaseOptions read_only;
  read_only.read_only = true;
  auto r = Database::open_in_memory(read_only);
  ASSERT_ERRC(r, errc::invalid_argument);
}

TEST(Database, EncodingsApply) {
  DatabaseOptions options;
  options.value_encoding = bee::Encoding::json;
  auto db = Database::open_in_memory(options);
  ASSERT_TRUE(db.has_value()) << db.error().to_string();
  EXPECT_EQ((*db)->db().key_encoding(), bee::Encoding::utf8);
  EXPECT_EQ((*db)->db().value_encoding(), bee::Encoding::json);
  ASSERT_TRUE((*db)->put("doc", R"({"b": 1, "a" : 2.50})").has_value());
  EXPECT_EQ((*db)->get("doc").value(), R"({"b":1,"a":2.5})");  // stored as JSON.stringify writes it
  auto bad = (*db)->put("doc", "{not json");
  ASSERT_ERRC(bad, errc::invalid_argument);

  // utf-8 keys (the default) refuse bytes that are not UTF-8; binary takes anything.
  std::string not_utf8("\xff\xfe", 2);
  auto refused = (*db)->put(not_utf8, "1");
  ASSERT_ERRC(refused, errc::invalid_argument);
  options.key_encoding = bee::Encoding::binary;
  options.value_encoding = bee::Encoding::binary;
  auto binary = Database::open_in_memory(options);
  ASSERT_TRUE(binary.has_value()) << binary.error().to_string();
  ASSERT_TRUE((*binary)->put(not_utf8, not_utf8).has_value());
  EXPECT_EQ((*binary)->get(not_utf8).value(), not_utf8);
  // The bee below holds exactly those bytes.
  auto raw = (*binary)->bee().get(hypercore::as_bytes(not_utf8));
  ASSERT_TRUE(raw.has_value()) << raw.error().to_string();
  ASSERT_TRUE(raw->has_value());
  EXPECT_EQ(bee::as_string(*(*raw)->value), not_utf8);
}

TEST(Database, CacheAndWriteOptionsReachTheBee) {
  DatabaseOptions options;
  options.cache_bytes = 4096;  // far below the data: reads go to the log and still work
  options.always_duplicate = false;
  options.metadata = bee::Metadata{std::nullopt, hypercore::to_bytes("hello")};
  auto db = Database::open_in_memory(options);
  ASSERT_TRUE(db.has_value()) << db.error().to_string();
  EXPECT_EQ((*db)->bee().options().cache_bytes, 4096u);
  EXPECT_FALSE((*db)->bee().options().always_duplicate);
  for (int i = 0; i < 500; i++) {
    ASSERT_TRUE((*db)->put("key " + std::to_string(i), std::string(100, 'x')).has_value());
  }
  for (int i = 0; i < 500; i += 37) EXPECT_EQ((*db)->get("key " + std::to_string(i)).value(), std::string(100, 'x'));
  auto again = (*db)->put("key 3", std::string(100, 'x'));  // same value: no block with always_duplicate off
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_FALSE(*again);
  auto header = (*db)->bee().header();
  ASSERT_TRUE(header.has_value()) << header.error().to_string();
  ASSERT_TRUE(header->metadata.has_value());
  EXPECT_EQ(header->metadata->user_data, hypercore::to_bytes("hello"));

  auto defaults = Database::open_in_memory();
  ASSERT_TRUE(defaults.has_value()) << defaults.error().to_string();
  EXPECT_EQ((*defaults)->bee().options().cache_bytes, bee::BeeOptions{}.cache_bytes);
}

TEST(Database, KeyPairSignsANewDatabaseAndMustSignAnExistingOne) {
  bee_test::TempDir dir;
  std::string path = dir / "db";
  hypercore::Seed seed;
  seed.fill(9);
  DatabaseOptions options;
  options.key_pair = hypercore::KeyPair::from_seed(seed);
  {
    auto db = Database::open(path, options);
    ASSERT_TRUE(db.has_value()) << db.error().to_string();
    EXPECT_EQ((*db)->key(), options.key_pair->public_key);
  }
  auto same = Database::open(path, options);
  ASSERT_TRUE(same.has_value()) << same.error().to_string();
  ASSERT_TRUE((*same)->close().has_value());
  options.key_pair = hypercore::KeyPair::random();
  auto other = Database::open(path, options);
  ASSERT_ERRC(other, errc::invalid_argument);
}

TEST(Database, CloseIsIdempotentAndLaterCallsFailClosed) {
  bee_test::TempDir dir;
  std::string path = dir / "db";
  auto db = Database::open(path);
  ASSERT_TRUE(db.has_value()) << db.error().to_string();
  ASSERT_TRUE((*db)->put("k", "v").has_value());
  ASSERT_TRUE((*db)->close().has_value());
  ASSERT_TRUE((*db)->close().has_value());
  auto put = (*db)->put("k", "w");
  ASSERT_ERRC(put, errc::closed);
  auto get = (*db)->get("k");
  ASSERT_ERRC(get, errc::closed);
  // Closing released the folder: it opens again while the closed object still exists.
  auto again = Database::open(path);
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_EQ((*again)->get("k").value(), "v");
}

}  // namespace
