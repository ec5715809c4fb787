// Child process of database_test: opens the database in DIR (read-write, or read-only with
// "read-only"), writes "ready <version>" on stdout once it holds it, and keeps it open until
// stdin reaches its end; then closes it and writes "closed". A watchdog ends it after 60 s
// whatever the parent does. Usage: database_holder DIR [read-only]
#include <unistd.h>

#include <cstdio>
#include <string>

#include "bee/database.hpp"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) return 64;
  alarm(60);
  bee::DatabaseOptions options;
  options.read_only = argc == 3 && std::string(argv[2]) == "read-only";
  auto db = bee::Database::open(argv[1], options);
  if (!db) {
    std::printf("error %s\n", db.error().to_string().c_str());
    return 1;
  }
  if (!options.read_only) {
    for (const char* key : {"child-1", "child-2"}) {
      if (auto put = (*db)->put(key, "written by the child"); !put) {
        std::printf("error %s\n", put.error().to_string().c_str());
        return 1;
      }
    }
  }
  std::printf("ready %llu\n", static_cast<unsigned long long>((*db)->version()));
  std::fflush(stdout);
  char buf[256];
  while (::read(0, buf, sizeof buf) > 0) {
  }
  if (auto closed = (*db)->close(); !closed) {
    std::printf("error %s\n", closed.error().to_string().c_str());
    return 1;
  }
  std::printf("closed\n");
  return 0;
}
