// Helpers of the `bee` end-to-end tests: run the binary (path from BEE_CLI_PATH), check a
// failure is one line on stderr, read --json output, and the spec's vectors for seed 0x01.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <simdjson.h>

#include "tests/support/oracle.hpp"
#include "tests/support/temp_dir.hpp"

namespace cli_test {

namespace fs = std::filesystem;
using bee_test::ProcessResult;
using bee_test::TempDir;

// 32 x 0x01 as hex.
inline std::string seed01() {
  std::string s;
  for (int i = 0; i < 32; i++) s += "01";
  return s;
}

// Spec §3.1, §3.5, §3.6, §2.1 and §8.5 (seed 32 x 0x01, blocks "a","b","c" in one batch).
inline constexpr const char* kKey = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
inline constexpr const char* kDiscoveryKey = "c1feb82a2b3ba065ffed9f6addcf19ac250793bcab748986a1b4272c62da20e6";
inline constexpr const char* kId = "tkrq8zmwb8a3m9k15csu3q17qmfgqnp9dskbrg9uq1rydpyxp7qy";
inline constexpr const char* kTreeHashAbc = "7ea73eb86179fb7328e73663f90f4c91256574af1112efe97fdf9309e03b67a7";
inline constexpr const char* kSignatureAbc =
    "deb1a2d6b46b1ac51fa3111f84cd6d0874ab43f325e160aff4d3d95acfdfec67"
    "b399fd0bd4e09b86fdbf19bd894b28e0a9d4bbf58c4ccb326fc888d8428d960e";
inline constexpr const char* kEmptyTreeHash = "bb30a42c1e62f0afda5f0a4e8a562f7a13a24cea00ee81917b86b89e801314aa";

inline ProcessResult bee(std::vector<std::string> args, const std::string& stdin_text = "") {
  args.insert(args.begin(), BEE_CLI_PATH);
  return bee_test::run_process(args, stdin_text);
}

inline std::string describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out.substr(0, 500) + "\nstderr: " + r.err;
}

#define EXPECT_OK(r) EXPECT_EQ((r).exit_code, 0) << describe(r)
#define ASSERT_OK(r) ASSERT_EQ((r).exit_code, 0) << describe(r)

// A failure: the expected status, nothing on stdout, exactly one line on stderr that
// starts with `prefix` and mentions `needle`.
inline void expect_failure(const ProcessResult& r, int exit_code, const std::string& prefix, const std::string& needle) {
  EXPECT_EQ(r.exit_code, exit_code) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << describe(r);
  EXPECT_TRUE(r.err.ends_with("\n")) << describe(r);
  EXPECT_TRUE(r.err.starts_with(prefix)) << "expected prefix '" << prefix << "'\n" << describe(r);
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "'\n" << describe(r);
}

// Parsed JSON output; fields are read with the accessors below.
class Json {
 public:
  explicit Json(const std::string& text) : padded_(text) { error_ = parser_.parse(padded_).get(root_); }
  bool ok() const { return error_ == simdjson::SUCCESS && root_.is_object(); }
  std::string str(const char* key) const {
    std::string_view v;
    if (root_[key].get_string().get(v)) return "<missing " + std::string(key) + ">";
    return std::string(v);
  }
  int64_t num(const char* key) const {
    uint64_t v;
    if (root_[key].get_uint64().get(v)) return -1;
    return static_cast<int64_t>(v);
  }
  bool flag(const char* key) const {
    bool v = false;
    EXPECT_EQ(root_[key].get_bool().get(v), simdjson::SUCCESS) << key;
    return v;
  }
  bool is_null(const char* key) const { return root_[key].is_null(); }
  simdjson::dom::element root() const { return root_; }

 private:
  simdjson::padded_string padded_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  simdjson::error_code error_;
};

// A core in `dir` made from seed 0x01 holding "a","b","c" (one batch).
inline void make_abc(const std::string& dir) {
  ASSERT_OK(bee({"core", "create", dir, "--seed", seed01()}));
  auto r = bee({"core", "append", dir, "a", "b", "c"});
  ASSERT_OK(r);
  ASSERT_EQ(r.out, "3\n");
}


}  // namespace cli_test
