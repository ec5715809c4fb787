// hello_db: the smallest complete program. Opens (or creates) the database in ./hello.db,
// writes a key, reads it back. Every call returns a Result: the value, or an error to print.
// Next step: examples/bee_quickstart.cpp (batches, ranges, sub-databases, versions).
#include <cstdio>

#include "bee/database.hpp"

int fail(const bee::Error& error) {
  std::fprintf(stderr, "hello_db: %s\n", error.to_string().c_str());
  return 1;
}

int main() {
  auto opened = bee::Database::open("hello.db");  // created if missing; closed when it goes
  if (!opened) return fail(opened.error());
  bee::Database& db = **opened;

  if (auto put = db.put("hello", "world"); !put) return fail(put.error());
  auto value = db.get("hello");  // Result<std::optional<std::string>>
  if (!value) return fail(value.error());
  std::printf("hello = %s\n", value->value_or("(missing)").c_str());
}
