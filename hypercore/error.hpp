// Errors are values: every fallible call returns Result<T>. The codes mirror the
// reference implementation's names so that logs and tests read the same on both sides.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
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

// One error model for every module: each module has its own errc enum with an
// error_category and an errc_name() overload, and its errors are BasicError<its errc>.
// The fields callers act on are structured, so no code reads a message to decide.
template <class Errc>
struct BasicError {
  Errc code;
  std::string message;  // names what failed and why, e.g. "block 17: not stored locally"
  // The block (or node) index the failure is about, where there is one: a read that stops
  // on a block this process does not hold sets it, and remote reads fetch exactly it.
  std::optional<uint64_t> block = std::nullopt;
  // The lower layer's code this error wraps, when it names the failure better than `code`
  // (a remote read failing on a refused connect: io_error). Empty when there is none.
  std::error_code cause = {};

  // "invalid_signature: block 17: ..." — what a command-line tool prints.
  std::string to_string() const { return std::string(errc_name(code)) + ": " + message; }
  std::error_code error_code() const { return make_error_code(code); }
};

using Error = BasicError<errc>;

template <class T, class E = Error>
using Result = std::expected<T, E>;

// fail(code, message): the error of a Result, for any module's errc.
template <class Errc>
  requires std::is_error_code_enum_v<Errc>
std::unexpected<BasicError<Errc>> fail(Errc code, std::string message) {
  return std::unexpected<BasicError<Errc>>(BasicError<Errc>{code, std::move(message)});
}

// The error_category of a module's errc: its name, and errc_name() as each code's message.
template <class Errc>
class ErrcCategory final : public std::error_category {
 public:
  explicit ErrcCategory(const char* name) : name_(name) {}
  const char* name() const noexcept override { return name_; }
  std::string message(int code) const override { return errc_name(static_cast<Errc>(code)); }

 private:
  const char* name_;
};

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
