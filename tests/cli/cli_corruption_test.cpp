// Corruption through the `bee` binary: damaged store files make a command fail with one
// clean line, or read correct data, never crash or print wrong bytes.
#include <fstream>
#include <iterator>

#include "tests/cli/cli_support.hpp"

namespace {

using namespace cli_test;

struct State {
  int64_t length;
  std::string tree_hash;
  std::string signature;
};

// Damages one file of a copy of a good store in several ways and runs info, get and verify
// on each: a command either fails with one `corrupt` line (exit 1) or reports a state the
// log really had, with the right bytes. Never a crash or wrong data.
TEST(CliCorruption, DamagedFilesFailCleanlyOrReadCorrectData) {
  TempDir tmp;
  std::string good = tmp / "good";
  ASSERT_OK(bee({"core", "create", good, "--seed", seed01()}));
  std::vector<State> states = {{0, kEmptyTreeHash, ""}};
  auto record_state = [&] {
    Json info(bee({"core", "info", good, "--json"}).out);
    states.push_back({info.num("length"), info.str("treeHash"), info.is_null("signature") ? "" : info.str("signature")});
  };
  ASSERT_OK(bee({"core", "append", good, "block0", "block1", "block2", "block3", "block4"}));
  record_state();
  ASSERT_OK(bee({"core", "append", good, "block5", "block6", "block7", "block8", "block9"}));
  record_state();
  ASSERT_EQ(states.back().length, 10);

  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(good)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), good).string());
  }
  ASSERT_FALSE(files.empty());

  // Where a file holds the bytes of block 7, if it does: damage there must not be read back.
  auto find_block7 = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return content.find("block7");
  };

  enum class Damage { flip_first, flip_middle, flip_last, flip_block7, truncate_half, empty };
  int runs = 0;
  int failures_seen = 0;
  bool block7_damaged = false;
  for (const auto& file : files) {
    for (Damage damage : {Damage::flip_first, Damage::flip_middle, Damage::flip_last, Damage::flip_block7,
                          Damage::truncate_half, Damage::empty}) {
      std::string dir = tmp / ("case" + std::to_string(runs++));
      fs::copy(good, dir, fs::copy_options::recursive);
      std::string path = dir + "/" + file;
      auto size = fs::file_size(path);
      size_t block7_at = find_block7(path);
      if (size == 0 && damage != Damage::empty) continue;
      if (damage == Damage::flip_block7 && block7_at == std::string::npos) continue;
      auto flip = [&](uint64_t offset) {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(offset));
        char c = 0;
        f.get(c);
        f.seekp(static_cast<std::streamoff>(offset));
        f.put(static_cast<char>(c ^ 0x5a));
      };
      switch (damage) {
        case Damage::flip_first: flip(0); break;
        case Damage::flip_middle: flip(size / 2); break;
        case Damage::flip_last: flip(size - 1); break;
        case Damage::flip_block7:
          flip(block7_at + 5);
          block7_damaged = true;
          break;
        case Damage::truncate_half: fs::resize_file(path, size / 2); break;
        case Damage::empty: fs::resize_file(path, 0); break;
      }
      SCOPED_TRACE(file + " damage " + std::to_string(static_cast<int>(damage)));

      auto check_failure = [&](const ProcessResult& r, std::vector<std::string> codes) {
        failures_seen++;
        EXPECT_EQ(r.exit_code, 1) << describe(r);
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << describe(r);
        bool named = std::any_of(codes.begin(), codes.end(),
                                 [&](const std::string& c) { return r.err.find(": " + c + ": ") != std::string::npos; });
        EXPECT_TRUE(named) << describe(r);
      };

      int64_t length = -1;
      auto info = bee({"core", "info", dir, "--json"});
      if (info.exit_code == 0) {
        Json json(info.out);
        ASSERT_TRUE(json.ok()) << info.out;
        EXPECT_EQ(json.str("key"), kKey);
        length = json.num("length");
        auto it = std::find_if(states.begin(), states.end(), [&](const State& s) { return s.length == length; });
        ASSERT_NE(it, states.end()) << "a length the log never had: " << info.out;
        EXPECT_EQ(json.str("treeHash"), it->tree_hash);
        EXPECT_EQ(json.is_null("signature") ? "" : json.str("signature"), it->signature);
      } else {
        check_failure(info, {"corrupt"});
      }

      auto get = bee({"core", "get", dir, "7", "--hex"});
      if (get.exit_code == 0) {
        EXPECT_EQ(get.out, "626c6f636b37\n") << "wrong bytes for block 7";
      } else if (length >= 0 && length <= 7) {
        check_failure(get, {"corrupt", "out_of_range"});
      } else {
        check_failure(get, {"corrupt"});
      }

      auto verify = bee({"core", "verify", dir});
      if (verify.exit_code == 0) {
        EXPECT_TRUE(verify.out.starts_with("ok: ")) << describe(verify);
      } else {
        check_failure(verify, {"corrupt", "invalid_signature"});
      }
      fs::remove_all(dir);
    }
  }
  // The damage must have hit the block bytes and been noticed somewhere, or the test
  // proves nothing.
  EXPECT_TRUE(block7_damaged) << "no file holds the bytes of block 7";
  EXPECT_GT(failures_seen, 0);
}

}  // namespace
