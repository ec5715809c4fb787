// Blocks given to `bee core append`: command-line arguments (UTF-8 text or hex), or JSON
// lines on stdin. Everything is decoded before anything is appended, so a bad line leaves
// the core untouched.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"

namespace bee::cli {

// One block per argument: its bytes, or hex-decoded when `hex` is set. The error names the
// argument that is not hex.
hypercore::Result<std::vector<hypercore::Bytes>> blocks_from_args(std::span<const std::string> args, bool hex);

// One JSON string per line (hex-decoded when `hex` is set); lines holding only whitespace
// are skipped. Fails with errc::invalid_argument naming the first bad line (1-based).
hypercore::Result<std::vector<hypercore::Bytes>> blocks_from_json_lines(std::string_view text, bool hex);

// All of standard input, in binary.
hypercore::Result<std::string> read_stdin();

}  // namespace bee::cli
