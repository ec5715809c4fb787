// Error assertions for every error holder the tests meet: std::expected<T, E> (hypercore::
// Result, net::StreamResult, ...), std::optional<E> (a session's recorded failure) and a
// bare E, where E has a `code` and a `message` (hypercore::Error, net::StreamError,
// TransportError, ReplicationError, RemoteQueryError, ...).
//
//   EXPECT_ERRC(core->get(9), errc::out_of_range);
//   ASSERT_ERRC(r, errc::corrupt);                  // then r.error() is safe to read
//   EXPECT_ERRC_MSG(r, errc::out_of_range, "block 3");  // ...and the message contains it
//
// A holder with a value (or an empty optional) is a clean test failure, never a call of
// error() on a value: `EXPECT_FALSE(r); EXPECT_EQ(r.error().code, ...)` goes on into
// undefined behaviour when r succeeded. A wrong code prints the error's to_string(), so
// there is no need to stream `<< r.error()...` after these macros (and no safe way: gtest
// evaluates the streamed text on every failure, "holds a value" included).
// The functions are gtest predicate-formatters, so EXPECT_PRED_FORMAT2(bee_test::IsErrc,
// r, code) works too.
#pragma once

#include <expected>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

#include <gtest/gtest.h>

namespace bee_test {

namespace errc_detail {

// The error a holder carries, or nullptr when it holds a value (or nothing).
template <class T, class E>
const E* held_error(const std::expected<T, E>& r) {
  return r.has_value() ? nullptr : &r.error();
}
template <class E>
const E* held_error(const std::optional<E>& r) {
  return r.has_value() ? &*r : nullptr;
}
// An error itself (to_hypercore_error(e), a failure event's error): always held.
template <class E>
  requires requires(const E& e) {
    e.code;
    e.message;
  }
const E* held_error(const E& e) {
  return &e;
}

template <class E>
std::string describe(const E& e) {
  if constexpr (requires { e.to_string(); }) {
    return std::string(e.to_string());
  } else {
    std::ostringstream out;
    out << "code " << static_cast<long long>(e.code) << ": " << e.message;
    return out.str();
  }
}

// "errc::corrupt (corrupt)": the expression as written, and the code's stable name where
// its module has an errc_name() overload (found by argument-dependent lookup), else its
// number.
template <class Errc>
std::string describe_code(const char* expr, Errc code) {
  std::ostringstream out;
  out << expr << " (";
  if constexpr (requires { errc_name(code); }) {
    out << errc_name(code);
  } else {
    out << static_cast<long long>(code);
  }
  out << ")";
  return out.str();
}

template <class E, class Errc>
::testing::AssertionResult check(const char* result_expr, const char* errc_expr, const E* error, Errc expected) {
  if (error == nullptr) {
    return ::testing::AssertionFailure() << result_expr << " holds a value, expected the error "
                                         << describe_code(errc_expr, expected);
  }
  if (error->code != expected) {
    return ::testing::AssertionFailure() << result_expr << " failed with " << describe(*error)
                                         << "\n  expected the error " << describe_code(errc_expr, expected);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace errc_detail

// Predicate-formatter: success when `result` holds an error whose code is `expected`.
template <class Holder, class Errc>
::testing::AssertionResult IsErrc(const char* result_expr, const char* errc_expr, const Holder& result,
                                  Errc expected) {
  return errc_detail::check(result_expr, errc_expr, errc_detail::held_error(result), expected);
}

// Predicate-formatter: IsErrc, and the error's message contains `part`.
template <class Holder, class Errc>
::testing::AssertionResult IsErrcWithMessage(const char* result_expr, const char* errc_expr, const char* part_expr,
                                             const Holder& result, Errc expected, std::string_view part) {
  const auto* error = errc_detail::held_error(result);
  auto same_code = errc_detail::check(result_expr, errc_expr, error, expected);
  if (!same_code) return same_code;
  if (std::string_view(error->message).find(part) == std::string_view::npos) {
    return ::testing::AssertionFailure() << result_expr << " failed with " << errc_detail::describe(*error)
                                         << "\n  expected its message to contain " << part_expr << " (\"" << part
                                         << "\")";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace bee_test

#define EXPECT_ERRC(result, code) EXPECT_PRED_FORMAT2(::bee_test::IsErrc, result, code)
#define ASSERT_ERRC(result, code) ASSERT_PRED_FORMAT2(::bee_test::IsErrc, result, code)
#define EXPECT_ERRC_MSG(result, code, part) EXPECT_PRED_FORMAT3(::bee_test::IsErrcWithMessage, result, code, part)
#define ASSERT_ERRC_MSG(result, code, part) ASSERT_PRED_FORMAT3(::bee_test::IsErrcWithMessage, result, code, part)
