// bee_quickstart: an ordered key/value database on disk, in a few lines.
//
//   bee_quickstart DIR
//
// Creates (or reopens) a database in DIR, writes a few users in one batch, reads one back,
// walks a key range in order, looks at an older version, and lists what changed. Every
// write is a signed block of a Hypercore log, byte-compatible with Node's Hyperbee, so the
// same directory can be served to peers and verified block by block.
#include <cstdio>
#include <string>

#include "bee/database.hpp"

using namespace hypercore;

namespace {

std::string text(const std::optional<Bytes>& b) { return b ? std::string(bee::as_string(*b)) : "(none)"; }

Result<void> run(const std::string& dir) {
  // Keys and values as UTF-8 text (the default); values of the "users" sub-database as JSON.
  HC_TRY(db, bee::Database::open(dir));
  bee::Db users = db->db().sub("users").with_encodings(bee::Encoding::utf8, bee::Encoding::json);

  uint64_t before = db->version();
  {
    HC_TRY(batch, users.batch());  // one append, one signature for all three
    HC_CHECK(batch.put(as_bytes("ada"), as_bytes(R"({"born": 1815, "lang": "notes"})")));
    HC_CHECK(batch.put(as_bytes("grace"), as_bytes(R"({"born": 1906, "lang": "COBOL"})")));
    HC_CHECK(batch.put(as_bytes("linus"), as_bytes(R"({"born": 1969, "lang": "C"})")));
    HC_CHECK(batch.flush());
  }
  HC_CHECK(db->put("motd", "hello from bee"));
  std::printf("version %llu -> %llu\n", static_cast<unsigned long long>(before),
              static_cast<unsigned long long>(db->version()));

  HC_TRY(grace, users.get(as_bytes("grace")));
  if (grace) std::printf("grace = %s (seq %llu)\n", text(grace->value).c_str(), static_cast<unsigned long long>(grace->seq));

  // An ordered range: users from "b" up to (not including) "m".
  bee::DbRange range;
  range.gte = to_bytes("b");
  range.lt = to_bytes("m");
  HC_TRY(it, users.range(range));
  while (true) {
    HC_TRY(entry, it.next());
    if (!entry) break;
    std::printf("  %s -> %s\n", text(entry->key).c_str(), text(entry->value).c_str());
  }

  // What changed between the version before this run and now.
  HC_TRY(changes, db->db().diff(before, {}));
  int n = 0;
  while (true) {
    HC_TRY(change, changes.next());
    if (!change) break;
    n++;
  }
  std::printf("%d keys differ from version %llu\n", n, static_cast<unsigned long long>(before));
  std::printf("database key %s\n", to_hex(db->key()).c_str());
  return db->close();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bee_quickstart DIR\n");
    return 64;
  }
  auto result = run(argv[1]);
  if (!result) {
    std::fprintf(stderr, "bee_quickstart: %s\n", result.error().to_string().c_str());
    return 1;
  }
  return 0;
}
