// The error assertions themselves (expect_errc.hpp): a value, an empty optional or a wrong
// code is a clean failure with a readable message, never a read of error() on a value.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "hypercore/error.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using hypercore::errc;
using hypercore::Result;

// An error type with no to_string() and an enum with no errc_name(): printed by number.
enum class OtherErrc { first = 1, second };
struct OtherError {
  OtherErrc code;
  std::string message;
};

Result<int> value() { return 7; }
Result<int> failure() { return hypercore::fail(errc::out_of_range, "block 3 is beyond the length"); }

TEST(ExpectErrc, MatchingCodePasses) {
  EXPECT_ERRC(failure(), errc::out_of_range);
  ASSERT_ERRC(failure(), errc::out_of_range);
  EXPECT_ERRC_MSG(failure(), errc::out_of_range, "block 3");
  EXPECT_ERRC(std::optional<OtherError>(OtherError{OtherErrc::second, "x"}), OtherErrc::second);
  EXPECT_ERRC((OtherError{OtherErrc::first, "bare"}), OtherErrc::first);
  std::expected<void, OtherError> failed_void = std::unexpected(OtherError{OtherErrc::first, "y"});
  EXPECT_ERRC(failed_void, OtherErrc::first);
}

TEST(ExpectErrc, AValueFailsCleanly) {
  EXPECT_NONFATAL_FAILURE(EXPECT_ERRC(value(), errc::corrupt),
                          "value() holds a value, expected the error errc::corrupt (corrupt)");
  EXPECT_FATAL_FAILURE(ASSERT_ERRC(value(), errc::corrupt), "holds a value");
  EXPECT_NONFATAL_FAILURE(EXPECT_ERRC_MSG(value(), errc::corrupt, "x"), "holds a value");
  EXPECT_NONFATAL_FAILURE(EXPECT_ERRC(std::optional<OtherError>(), OtherErrc::first), "holds a value");
  EXPECT_NONFATAL_FAILURE(EXPECT_ERRC((std::expected<void, OtherError>()), OtherErrc::first), "holds a value");
}

TEST(ExpectErrc, AWrongCodePrintsTheError) {
  EXPECT_NONFATAL_FAILURE(EXPECT_ERRC(failure(), errc::corrupt),
                          "failed with out_of_range: block 3 is beyond the length\n"
                          "  expected the error errc::corrupt (corrupt)");
  EXPECT_NONFATAL_FAILURE(EXPECT_ERRC(std::optional<OtherError>(OtherError{OtherErrc::second, "why"}),
                                      OtherErrc::first),
                          "failed with code 2: why\n  expected the error OtherErrc::first (1)");
}

TEST(ExpectErrc, AMessageWithoutThePartFails) {
  EXPECT_NONFATAL_FAILURE(EXPECT_ERRC_MSG(failure(), errc::out_of_range, "block 4"),
                          "expected its message to contain \"block 4\" (\"block 4\")");
  EXPECT_NONFATAL_FAILURE(EXPECT_ERRC_MSG(failure(), errc::corrupt, "block 3"), "expected the error errc::corrupt");
}

}  // namespace
