#include "bee/cli/line_input.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace bee::cli {

using hypercore::errc;
using hypercore::fail;
using hypercore::Result;

namespace {

std::string_view content(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  size_t start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos || line[start] == '#') return {};
  return line.substr(start);
}

}  // namespace

TwoPassLines::~TwoPassLines() {
  if (spill_) std::fclose(spill_);
}

Result<void> TwoPassLines::read(std::FILE* in, std::FILE* copy, const Visit& visit) {
  char* buffer = nullptr;
  size_t capacity = 0;
  size_t number = 0;
  Result<void> result;
  while (true) {
    errno = 0;
    ssize_t n = ::getline(&buffer, &capacity, in);
    if (n < 0) {
      if (std::ferror(in)) result = fail(errc::io_error, std::string("reading stdin: ") + std::strerror(errno));
      break;
    }
    number++;
    if (copy && std::fwrite(buffer, 1, size_t(n), copy) != size_t(n)) {
      result = fail(errc::io_error, std::string("copying stdin to a temporary file: ") + std::strerror(errno));
      break;
    }
    std::string_view line = content(std::string_view(buffer, size_t(n)));
    if (line.empty()) continue;
    result = visit(number, line);
    if (!result) break;
  }
  std::free(buffer);
  return result;
}

Result<void> TwoPassLines::first_pass(const Visit& visit) {
  struct stat st;
  if (::fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) start_ = std::ftell(stdin);
  if (start_ < 0) {
    spill_ = std::tmpfile();
    if (!spill_) return fail(errc::io_error, std::string("creating a temporary file for stdin: ") + std::strerror(errno));
  }
  return read(stdin, spill_, visit);
}

Result<void> TwoPassLines::second_pass(const Visit& visit) {
  std::FILE* in = spill_ ? spill_ : stdin;
  if (spill_ && std::fflush(spill_) != 0) return fail(errc::io_error, std::string("writing a temporary file: ") + std::strerror(errno));
  if (std::fseek(in, spill_ ? 0 : start_, SEEK_SET) != 0) {
    return fail(errc::io_error, std::string("reading stdin again: ") + std::strerror(errno));
  }
  std::clearerr(in);
  return read(in, nullptr, visit);
}

}  // namespace bee::cli
