// Standard input read twice in bounded memory, for commands that check every line before
// they write anything (`bee batch`, `bee import`): the first pass checks, the second
// applies. A regular file is read again from where it started; anything else (a pipe) is
// copied to an unlinked temporary file during the first pass. Memory holds one line.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "hypercore/error.hpp"

namespace bee::cli {

class TwoPassLines {
 public:
  // A line's 1-based number in the input and its content: trimmed, never blank, never a
  // '#' comment (those are skipped).
  using Visit = std::function<hypercore::Result<void>(size_t number, std::string_view line)>;

  TwoPassLines() = default;
  ~TwoPassLines();
  TwoPassLines(const TwoPassLines&) = delete;
  TwoPassLines& operator=(const TwoPassLines&) = delete;

  // Every content line of stdin; stops at the first error `visit` returns.
  hypercore::Result<void> first_pass(const Visit& visit);
  // The same lines again, after a complete first pass.
  hypercore::Result<void> second_pass(const Visit& visit);

 private:
  hypercore::Result<void> read(std::FILE* in, std::FILE* copy, const Visit& visit);

  long start_ = -1;            // where stdin started, when it can seek
  std::FILE* spill_ = nullptr;  // the copy of a stdin that cannot
};

}  // namespace bee::cli
