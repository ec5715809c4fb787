// Errors are values: every fallible call returns Result<T>. The codes mirror the
// reference implementation's names so that logs and tests read the same on both sides.
#pragma once

#include <expected>
#include <string>
#include <system_error>
#include <utility>

namespace hypercore {

enum class errc {
  invalid_argument = 1,   // a caller passed something the contract forbids
  invalid_signature,      // a signature does not verify for the core's key
  invalid_proof,          // a Merkle proof does not match the tree it claims
  block_not_available,    // the block (or node) is not stored locally
  session_not_writable,   // a write on a core opened without its secret key
  corrupt,                // stored bytes fail their checksum or do not decode
  io_error,               // the operating system refused a read, write or sync
  not_found,              // no core (or file) at the given location
  already_exists,         // create() on a location that holds a core
  bad_manifest,           // a manifest that does not decode or does not match the key
  block_too_large,        // an append of a block over the size limit
  out_of_range,           // an index or length beyond what the core has
  closed,                 // the object was closed
  unsupported,            // a feature this implementation refuses to guess at
  locked,                 // another process has the core open (the reference's ELOCKED)
  timeout,                // a deadline passed before an answer came (remote reads, connects)
};

const std::error_category& hypercore_category();

inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), hypercore_category()}; }

// Stable lower-case name of a code ("invalid_signature"), for logs, JSON and tests.
const char* errc_name(errc e);

struct Error {
  errc code;
  std::string message;  // names what failed and why, e.g. "block 17: not stored locally"

  // "invalid_signature: block 17: ..." — what a command-line tool prints.
  std::string to_string() const;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(errc code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace hypercore

template <>
struct std::is_error_code_enum<hypercore::errc> : std::true_type {};

// Propagates the error of a Result expression, else yields its value.
#define HC_TRY(var, expr)                                        \
  auto var##_result_ = (expr);                                   \
  if (!var##_result_) return std::unexpected(std::move(var##_result_.error())); \
  auto var = std::move(*var##_result_)

// Propagates the error of a Result<void> (or any Result whose value is unused).
#define HC_CHECK(expr)                                           \
  do {                                                           \
    auto hc_check_result_ = (expr);                              \
    if (!hc_check_result_) return std::unexpected(std::move(hc_check_result_.error())); \
  } while (0)
