// End-to-end tests of the database commands of the `bee` binary: round trips through the
// real binary in each encoding and in subs, failures as one line with the right status, and
// `bee batch` / `bee import` against the reference: the blocks, tree hash and signature
// must equal those `node vectors.js bee` produces for the same op files.
#include <fstream>

#include "hypercore/bytes.hpp"

#include "tests/cli/cli_support.hpp"

namespace cli_test {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

TEST(DbCli, SpecWorkedExampleThroughPutAndDel) {
  TempDir tmp;
  std::string dir = tmp / "db";
  auto created = bee({"create", dir, "--seed", seed01()});
  ASSERT_OK(created);
  EXPECT_EQ(created.out, std::string(kKey) + "\n");
  for (auto [k, v] : {std::pair{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}}) ASSERT_OK(bee({"put", dir, k, v}));
  auto del = bee({"del", dir, "c", "--json"});
  ASSERT_OK(del);
  EXPECT_EQ(del.out, "{\"written\":true,\"version\":7}\n");
  ASSERT_OK(bee({"put", dir, "c2", "6"}));
  // Spec §9.1, every block.
  auto blocks = bee({"blocks", dir});
  ASSERT_OK(blocks);
  EXPECT_EQ(lines(blocks.out), (std::vector<std::string>{
                                   "0a086879706572626565", "0a050a030a01011201611a0131", "0a060a040a0201021201621a0132",
                                   "0a070a050a030102031201631a0133", "0a080a060a04010203041201641a0134",
                                   "0a090a070a0501020304051201651a0135", "0a080a060a0401020405120163",
                                   "0a090a070a050102070405120263321a0136"}));
  auto info = bee({"core", "info", dir, "--json"});
  ASSERT_OK(info);
  Json json(info.out);
  EXPECT_EQ(json.str("treeHash"), "4bed0b717c6574fa5d3603db7e913105f43b865be550f2c70bd3a2604162dade");
  EXPECT_EQ(json.str("signature"),
            "b277e125e7eff423550de1aa700ae733732de1ed493cd8babfb708d7ec08a07a433bf978b628020ecbd9e466f56876081f16cdcda9ff30470e30bed77412af01");

  auto range = bee({"range", dir, "--gte", "b", "--lt", "e"});
  ASSERT_OK(range);
  EXPECT_EQ(range.out, "b\t2\nc2\t6\nd\t4\n");
  auto reversed = bee({"range", dir, "--reverse", "--limit", "2", "--json"});
  ASSERT_OK(reversed);
  EXPECT_EQ(reversed.out,
            "{\"seq\":5,\"key\":\"e\",\"value\":\"5\",\"keyHex\":\"65\",\"valueHex\":\"35\"}\n"
            "{\"seq\":4,\"key\":\"d\",\"value\":\"4\",\"keyHex\":\"64\",\"valueHex\":\"34\"}\n");
  auto get = bee({"get", dir, "c2"});
  ASSERT_OK(get);
  EXPECT_EQ(get.out, "6\n");
  auto old = bee({"get", dir, "c", "--version", "6", "--json"});
  ASSERT_OK(old);
  EXPECT_EQ(old.out, "{\"seq\":3,\"key\":\"c\",\"value\":\"3\",\"keyHex\":\"63\",\"valueHex\":\"33\"}\n");
  auto history = bee({"history", dir, "--gte", "-2"});
  ASSERT_OK(history);
  EXPECT_EQ(history.out, "6\tdel\tc\n7\tput\tc2\t6\n");
  auto diff = bee({"diff", dir, "6", "--json"});
  ASSERT_OK(diff);
  EXPECT_EQ(diff.out,
            "{\"left\":{\"seq\":3,\"key\":\"c\",\"value\":\"3\",\"keyHex\":\"63\",\"valueHex\":\"33\"},\"right\":null}\n"
            "{\"left\":null,\"right\":{\"seq\":7,\"key\":\"c2\",\"value\":\"6\",\"keyHex\":\"6332\",\"valueHex\":\"36\"}}\n");
  auto diff_text = bee({"diff", dir, "6", "8"});
  ASSERT_OK(diff_text);
  EXPECT_EQ(diff_text.out, "-\tc\t3\t\n+\tc2\t\t6\n");
}

TEST(DbCli, EncodingsSubsAndErrors) {
  TempDir tmp;
  std::string dir = tmp / "db";
  ASSERT_OK(bee({"create", dir}));
  // json: keys are canonicalised, JSON null is "no value".
  ASSERT_OK(bee({"put", dir, "{ \"b\" : 1, \"a\": 2.50 }", "[1e21, \"x\"]", "--encoding", "json"}));
  auto got = bee({"get", dir, "{\"b\":1,\"a\":2.5}", "--encoding", "json", "--json"});
  ASSERT_OK(got);
  EXPECT_EQ(got.out,
            "{\"seq\":1,\"key\":{\"b\":1,\"a\":2.5},\"value\":[1e+21,\"x\"],\"keyHex\":\"" +
                hypercore::to_hex(hypercore::as_bytes("{\"b\":1,\"a\":2.5}")) + "\",\"valueHex\":\"" +
                hypercore::to_hex(hypercore::as_bytes("[1e+21,\"x\"]")) + "\"}\n");
  // binary: hex on the command line and in text output.
  ASSERT_OK(bee({"put", dir, "00ff", "", "--encoding", "binary", "--sub", "bin", "--sep", "3a"}));
  auto bin = bee({"range", dir, "--encoding", "binary", "--sub", "bin", "--sep", "3a", "--json"});
  ASSERT_OK(bin);
  EXPECT_EQ(bin.out, "{\"seq\":2,\"key\":\"00ff\",\"value\":\"\",\"keyHex\":\"00ff\",\"valueHex\":\"\"}\n");
  // Nested subs: prefix "a" 00 "b" 00, visible from the parent sub's range (reference quirk).
  ASSERT_OK(bee({"put", dir, "k", "v", "--sub", "a", "--sub", "b"}));
  auto nested = bee({"range", dir, "--sub", "a", "--json"});
  ASSERT_OK(nested);
  EXPECT_EQ(nested.out, "{\"seq\":3,\"key\":\"b\\u0000k\",\"value\":\"v\",\"keyHex\":\"62006b\",\"valueHex\":\"76\"}\n");
  auto raw = bee({"get", dir, "610062006b", "--key-encoding", "binary"});
  ASSERT_OK(raw);
  EXPECT_EQ(raw.out, "v\n");
  auto valueless = bee({"put", dir, "novalue"});
  ASSERT_OK(valueless);
  auto nv = bee({"get", dir, "novalue", "--json"});
  EXPECT_EQ(nv.out, "{\"seq\":4,\"key\":\"novalue\",\"value\":null,\"keyHex\":\"6e6f76616c7565\",\"valueHex\":null}\n");

  expect_failure(bee({"get", dir, "missing"}), 1, "bee get: ", "not_found");
  expect_failure(bee({"get", dir, "{bad", "--encoding", "json"}), 64, "bee get: ", "invalid JSON at offset 1");
  expect_failure(bee({"put", dir, "zz", "--key-encoding", "binary"}), 64, "bee put: ", "hex");
  expect_failure(bee({"range", dir, "--encoding", "ascii"}), 64, "bee range: ", "binary, utf-8 or json");
  expect_failure(bee({"get", tmp / "nowhere", "a"}), 1, "bee get: ", "not_found");
  expect_failure(bee({"get", dir, "a", "--version", "99"}), 1, "bee get: ", "out_of_range");
  expect_failure(bee({"put", dir}), 64, "bee put: ", "missing argument KEY");
  expect_failure(bee({"import", tmp / "imp"}, "0a086879706572626565\n"), 64, "bee import: ", "--seed");
  expect_failure(bee({"batch", dir}, "{\"op\":\"put\"}\n"), 1, "bee batch: ", "stdin line 1");
  // Nothing of a bad script is applied.
  auto before = bee({"blocks", dir});
  expect_failure(bee({"batch", dir}, "{\"op\":\"put\",\"key\":\"x\",\"value\":\"1\"}\nnot json\n"), 1, "bee batch: ",
                 "stdin line 2");
  EXPECT_EQ(bee({"blocks", dir}).out, before.out);
  // The log commands still work on a database directory.
  EXPECT_OK(bee({"core", "verify", dir}));
}

// `bee batch` reads its input twice with bounded memory: from a regular file it reads the
// file again, from a pipe it replays a temporary copy; both apply the same ops. --group N
// makes up to N consecutive put/del ops one append: the same content in as many blocks, with
// fewer signatures and node copies. A bad line anywhere still leaves the store untouched.
TEST(DbCli, BatchStreamsItsInputAndGroupsOps) {
  TempDir tmp;
  std::string script;
  for (int i = 0; i < 3000; i++) {
    int k = int((i * 2654435761u) % 1000);
    if (i % 7 == 3) {
      script += "{\"op\":\"del\",\"key\":\"k" + std::to_string(k) + "\"}\n";
    } else {
      script += "{\"op\":\"put\",\"key\":\"k" + std::to_string(k) + "\",\"value\":\"v" + std::to_string(i) + "\"}\n";
    }
    if (i == 1000) script += "# a comment, then a blank line\n\n";
    if (i == 1500) script += "{\"op\":\"batch\",\"ops\":[{\"op\":\"put\",\"key\":\"b1\",\"value\":\"x\"},{\"op\":\"del\",\"key\":\"k1\"}]}\n";
    if (i == 2000) script += "{\"op\":\"put\",\"key\":\"s\",\"value\":\"in a sub\",\"sub\":[\"users\"]}\n";
    if (i == 2500) script += "{\"op\":\"put\",\"key\":\"k5\",\"value\":\"cas\",\"cas\":\"never\"}\n";
  }
  std::string file = tmp / "ops.jsonl";
  std::ofstream(file) << script;
  auto from_file = [&](const std::string& dir, const std::string& extra) {
    return bee_test::run_process({"/bin/sh", "-c", std::string(BEE_CLI_PATH) + " batch " + dir + " --seed " + seed01() +
                                                       " --json " + extra + " < " + file});
  };

  std::string a = tmp / "a", b = tmp / "b", c = tmp / "c";
  auto ra = from_file(a, "");
  ASSERT_OK(ra);
  auto rb = bee({"batch", b, "--seed", seed01(), "--json"}, script);
  ASSERT_OK(rb);
  Json ja(ra.out), jb(rb.out);
  EXPECT_EQ(ja.num("ops"), 3003);
  EXPECT_EQ(ja.str("treeHash"), jb.str("treeHash"));
  EXPECT_EQ(ja.num("length"), jb.num("length"));

  auto rc = from_file(c, "--group 500");
  ASSERT_OK(rc);
  Json jc(rc.out);
  EXPECT_EQ(jc.num("ops"), 3003);
  EXPECT_EQ(jc.num("length"), ja.num("length"));  // a block per op all the same
  EXPECT_LT(jc.num("byteLength"), ja.num("byteLength"));
  EXPECT_NE(jc.str("treeHash"), ja.str("treeHash"));
  for (std::vector<std::string> sub : {std::vector<std::string>{}, std::vector<std::string>{"--sub", "users"}}) {
    std::vector<std::string> ra_args = {"range", a}, rc_args = {"range", c};
    ra_args.insert(ra_args.end(), sub.begin(), sub.end());
    rc_args.insert(rc_args.end(), sub.begin(), sub.end());
    auto range_a = bee(ra_args), range_c = bee(rc_args);
    ASSERT_OK(range_a);
    EXPECT_GT(range_a.out.size(), 10u);
    EXPECT_EQ(range_a.out, range_c.out);
  }
  EXPECT_OK(bee({"core", "verify", c}));

  // A bad last line: nothing is written, from a file or a pipe, grouped or not.
  std::ofstream(file, std::ios::app) << "{\"op\":\"put\",\"key\":\"late\"\n";
  auto before = bee({"blocks", a});
  expect_failure(from_file(a, "--group 100"), 1, "bee batch: ", "stdin line 3006");
  expect_failure(bee({"batch", a}, script + "not json\n"), 1, "bee batch: ", "stdin line 3006");
  EXPECT_EQ(bee({"blocks", a}).out, before.out);
  for (const char* bad : {"0", "x", "100001"}) {
    expect_failure(bee({"batch", a, "--group", bad}), 64, "bee batch: ", "--group");
  }
}

// `bee batch` == `node vectors.js bee`, and `bee import` of the reference's blocks gives the
// same signed log.
// BEE_CACHE_MB sets the decoded-node cache of every bee a command opens. A cache of 1 MiB
// is far smaller than what the reads below touch, so they run through evictions; a
// malformed value fails before anything is opened or created.
TEST(DbCli, CacheSizeFromTheEnvironment) {
  struct ScopedEnv {
    explicit ScopedEnv(const char* value) { setenv("BEE_CACHE_MB", value, 1); }
    ~ScopedEnv() { unsetenv("BEE_CACHE_MB"); }
  };
  TempDir tmp;
  std::string dir = tmp / "db";
  {
    ScopedEnv small("1");
    ASSERT_OK(bee({"create", dir, "--seed", seed01()}));
    std::string ops;
    for (int i = 0; i < 6000; i++) ops += "{\"op\":\"put\",\"key\":\"k" + std::to_string(i) + "\",\"value\":\"" + std::string(200, 'v') + "\"}\n";
    ASSERT_OK(bee({"batch", dir}, ops));
    auto got = bee({"get", dir, "k1234"});
    ASSERT_OK(got);
    EXPECT_EQ(got.out, std::string(200, 'v') + "\n");
    auto range = bee({"range", dir, "--gte", "k2", "--lt", "k3", "--json"});
    ASSERT_OK(range);
    EXPECT_EQ(std::count(range.out.begin(), range.out.end(), '\n'), 1111);  // k2, k20..k29, k200..k299, k2000..k2999
  }
  for (const char* bad : {"0", "abc", "12x", "-5", "99999999999"}) {
    ScopedEnv env(bad);
    expect_failure(bee({"get", dir, "k1"}), 1, "bee get: ", "BEE_CACHE_MB");
    std::string fresh = tmp / (std::string("fresh-") + bad);
    expect_failure(bee({"create", fresh}), 1, "bee create: ", "invalid_argument");
    EXPECT_FALSE(fs::exists(fresh)) << bad;
  }
}

TEST(DbCliInterop, BatchAndImportMatchTheReference) {
  TempDir tmp;
  struct Case {
    std::string encoding;
    std::vector<std::string> random_ops;  // vectors.js random-ops arguments
    std::string extra;                    // hand-written ops appended to the file
  };
  std::vector<Case> cases = {
      {"utf-8", {"--seed", "7", "--count", "300", "--batch-ratio", "0.2", "--cas-ratio", "0.2", "--null-ratio", "0.1"},
       "{\"op\":\"put\",\"key\":\"x\",\"value\":\"y\",\"sub\":[\"users\",\"admins\"],\"sep\":\"3a\"}\n"
       "{\"op\":\"batch\",\"sub\":[\"s\"],\"ops\":[{\"op\":\"put\",\"key\":\"a\",\"value\":\"1\"},{\"op\":\"del\",\"key\":\"a\",\"cas\":{\"expect\":\"1\"}}]}\n"},
      {"binary", {"--seed", "8", "--count", "300", "--batch-ratio", "0.2", "--cas-ratio", "0.2", "--keys", "40"}, ""},
      {"json", {"--seed", "9", "--count", "300", "--batch-ratio", "0.2", "--cas-ratio", "0.2", "--null-ratio", "0.1"},
       "{\"op\":\"put\",\"key\":{\"z\":1,\"10\":[1.50,-0]},\"value\":{\"2\":\"b\",\"1\":1e21}}\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.encoding);
    std::vector<std::string> args = {"random-ops", "--encoding", c.encoding};
    args.insert(args.end(), c.random_ops.begin(), c.random_ops.end());
    auto ops = bee_test::run_node("vectors.js", args);
    ASSERT_TRUE(ops) << ops.error().to_string();
    std::string script = *ops + c.extra;
    std::string ops_file = tmp / (c.encoding + ".jsonl");
    std::ofstream(ops_file) << script;

    auto ref_out = bee_test::run_node("vectors.js", {"bee", "--seed", seed01(), "--ops", ops_file, "--encoding", c.encoding,
                                                     "--no-entries"});
    ASSERT_TRUE(ref_out) << ref_out.error().to_string();
    Json ref(*ref_out);
    ASSERT_TRUE(ref.ok());
    std::string ref_blocks;
    for (auto b : ref.root()["blocks"].get_array()) ref_blocks += std::string(std::string_view(b.get_string().value())) + "\n";

    std::string dir = tmp / ("db-" + c.encoding);
    auto applied = bee({"batch", dir, "--seed", seed01(), "--encoding", c.encoding, "--json"}, script);
    ASSERT_OK(applied);
    Json ours(applied.out);
    EXPECT_EQ(ours.str("treeHash"), ref.str("treeHash"));
    EXPECT_EQ(ours.str("signature"), ref.str("signature"));
    EXPECT_EQ(ours.num("length"), ref.num("length"));
    auto blocks = bee({"blocks", dir});
    ASSERT_OK(blocks);
    EXPECT_EQ(blocks.out, ref_blocks);

    // Import the reference's blocks into a new store: same signed log, same export.
    std::string imported = tmp / ("imp-" + c.encoding);
    auto imp = bee({"import", imported, "--seed", seed01(), "--json", "--expect-tree-hash", ref.str("treeHash")}, ref_blocks);
    ASSERT_OK(imp);
    Json imp_json(imp.out);
    EXPECT_EQ(imp_json.str("signature"), ref.str("signature"));
    EXPECT_EQ(bee({"export", imported}).out, ref_blocks);
  }
}

}  // namespace
}  // namespace cli_test
