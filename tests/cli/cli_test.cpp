// End-to-end tests of the `bee` binary: every command run as a process in a temporary
// directory, its stdout parsed (JSON with simdjson), its failures checked to be exactly one
// line on stderr with the documented exit status. One test compares `bee core info` with
// the Node reference's vectors for the same seed and blocks.
#include <fstream>
#include <string_view>

#include "tests/cli/cli_support.hpp"

namespace {

using namespace cli_test;

// ------------------------------------------------------------------ round trips

TEST(CliCore, CreatePrintsTheKeyOfTheSeed) {
  TempDir tmp;
  auto r = bee({"core", "create", tmp / "log", "--seed", seed01()});
  EXPECT_OK(r);
  EXPECT_EQ(r.out, std::string(kKey) + "\n");
  EXPECT_EQ(r.err, "");

  auto j = bee({"core", "create", tmp / "log2", "--seed=" + seed01(), "--json"});
  ASSERT_OK(j);
  Json json(j.out);
  ASSERT_TRUE(json.ok()) << j.out;
  EXPECT_EQ(json.str("key"), kKey);
  EXPECT_EQ(json.str("discoveryKey"), kDiscoveryKey);
  EXPECT_EQ(json.str("id"), kId);
}

TEST(CliCore, CreateWithoutSeedMakesDistinctRandomKeys) {
  TempDir tmp;
  auto a = bee({"core", "create", tmp / "a"});
  auto b = bee({"core", "create", tmp / "b"});
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(a.out.size(), 65u);
  EXPECT_NE(a.out, b.out);
}

TEST(CliCore, AppendBatchMatchesSpecVectors) {
  TempDir tmp;
  make_abc(tmp / "log");
  auto r = bee({"core", "info", tmp / "log", "--json"});
  ASSERT_OK(r);
  Json info(r.out);
  ASSERT_TRUE(info.ok()) << r.out;
  EXPECT_EQ(info.str("key"), kKey);
  EXPECT_EQ(info.str("discoveryKey"), kDiscoveryKey);
  EXPECT_EQ(info.str("id"), kId);
  EXPECT_EQ(info.num("length"), 3);
  EXPECT_EQ(info.num("byteLength"), 3);
  EXPECT_EQ(info.num("contiguousLength"), 3);
  EXPECT_EQ(info.num("fork"), 0);
  EXPECT_EQ(info.str("treeHash"), kTreeHashAbc);
  EXPECT_EQ(info.str("signature"), kSignatureAbc);
  EXPECT_TRUE(info.flag("writable"));
}

TEST(CliCore, InfoTextIsAlignedLines) {
  TempDir tmp;
  make_abc(tmp / "log");
  auto r = bee({"core", "info", tmp / "log"});
  ASSERT_OK(r);
  std::string expected = std::string("key                ") + kKey + "\n" +
                         "discovery key      " + kDiscoveryKey + "\n" +
                         "id                 " + kId + "\n" +
                         "length             3\n"
                         "byte length        3\n"
                         "contiguous length  3\n"
                         "fork               0\n"
                         "tree hash          " + kTreeHashAbc + "\n" +
                         "signature          " + kSignatureAbc + "\n" +
                         "writable           yes\n";
  EXPECT_EQ(r.out, expected);
}

TEST(CliCore, EmptyLogHasNoSignature) {
  TempDir tmp;
  ASSERT_OK(bee({"core", "create", tmp / "log", "--seed", seed01()}));
  auto r = bee({"core", "info", tmp / "log", "--json"});
  ASSERT_OK(r);
  Json info(r.out);
  ASSERT_TRUE(info.ok()) << r.out;
  EXPECT_EQ(info.num("length"), 0);
  EXPECT_EQ(info.num("byteLength"), 0);
  EXPECT_EQ(info.str("treeHash"), kEmptyTreeHash);
  EXPECT_TRUE(info.is_null("signature"));

  auto v = bee({"core", "verify", tmp / "log"});
  EXPECT_OK(v);
  EXPECT_EQ(v.out, std::string("ok: 0 blocks, tree hash ") + kEmptyTreeHash + ", no signature (empty log)\n");

  // No blocks on stdin appends nothing and reports the unchanged length.
  auto a = bee({"core", "append", tmp / "log"});
  EXPECT_OK(a);
  EXPECT_EQ(a.out, "0\n");
}

TEST(CliCore, GetPrintsRawHexAndJson) {
  TempDir tmp;
  std::string dir = tmp / "log";
  ASSERT_OK(bee({"core", "create", dir}));
  auto a = bee({"core", "append", dir, "--hex", "00ff0a0d", "68656c6c6f", "", "--json"});
  ASSERT_OK(a);
  Json appended(a.out);
  ASSERT_TRUE(appended.ok()) << a.out;
  EXPECT_EQ(appended.num("length"), 3);
  EXPECT_EQ(appended.num("byteLength"), 9);

  auto raw = bee({"core", "get", dir, "0"});
  EXPECT_OK(raw);
  EXPECT_EQ(raw.out, std::string("\x00\xff\x0a\x0d", 4));
  auto hex = bee({"core", "get", dir, "1", "--hex"});
  EXPECT_OK(hex);
  EXPECT_EQ(hex.out, "68656c6c6f\n");
  auto empty = bee({"core", "get", dir, "2"});
  EXPECT_OK(empty);
  EXPECT_EQ(empty.out, "");

  auto j = bee({"core", "get", dir, "1", "--json"});
  ASSERT_OK(j);
  Json block(j.out);
  ASSERT_TRUE(block.ok()) << j.out;
  EXPECT_EQ(block.num("index"), 1);
  EXPECT_EQ(block.str("hex"), "68656c6c6f");
  EXPECT_EQ(block.num("byteLength"), 5);
}

TEST(CliCore, AppendsAccumulateAndBlocksMayStartWithDash) {
  TempDir tmp;
  std::string dir = tmp / "log";
  ASSERT_OK(bee({"core", "create", dir, "--seed", seed01()}));
  EXPECT_EQ(bee({"core", "append", dir, "a"}).out, "1\n");
  EXPECT_EQ(bee({"core", "append", dir, "b", "c"}).out, "3\n");
  // Same state as one batch of three, so the same tree hash and signature.
  Json info(bee({"core", "info", dir, "--json"}).out);
  EXPECT_EQ(info.str("treeHash"), kTreeHashAbc);
  EXPECT_EQ(info.str("signature"), kSignatureAbc);

  EXPECT_EQ(bee({"core", "append", dir, "--", "-x", "--json"}).out, "5\n");
  EXPECT_EQ(bee({"core", "get", dir, "3"}).out, "-x");
  EXPECT_EQ(bee({"core", "get", dir, "4"}).out, "--json");
}

TEST(CliCore, VerifyReportsTheCheckedState) {
  TempDir tmp;
  make_abc(tmp / "log");
  auto r = bee({"core", "verify", tmp / "log"});
  EXPECT_OK(r);
  EXPECT_EQ(r.out, std::string("ok: 3 blocks, tree hash ") + kTreeHashAbc + ", signature valid\n");

  auto j = bee({"core", "verify", tmp / "log", "--json"});
  ASSERT_OK(j);
  Json json(j.out);
  ASSERT_TRUE(json.ok()) << j.out;
  EXPECT_TRUE(json.flag("ok"));
  EXPECT_EQ(json.num("length"), 3);
  EXPECT_EQ(json.str("treeHash"), kTreeHashAbc);
  EXPECT_EQ(json.str("signature"), kSignatureAbc);
}

// ------------------------------------------------------------------ stdin JSON lines

TEST(CliCore, AppendReadsJsonLinesFromStdin) {
  TempDir tmp;
  std::string dir = tmp / "log";
  ASSERT_OK(bee({"core", "create", dir, "--seed", seed01()}));
  // Blank lines, CRLF and surrounding spaces are all accepted.
  auto r = bee({"core", "append", dir}, "\"a\"\n\n\"b\"\r\n   \n  \"c\"  ");
  ASSERT_OK(r);
  EXPECT_EQ(r.out, "3\n");
  Json info(bee({"core", "info", dir, "--json"}).out);
  EXPECT_EQ(info.str("treeHash"), kTreeHashAbc);
  EXPECT_EQ(info.str("signature"), kSignatureAbc);

  // JSON escapes are decoded to UTF-8 bytes.
  ASSERT_OK(bee({"core", "append", dir}, "\"\\u00e9\\n\\\"q\\\"\"\n"));
  EXPECT_EQ(bee({"core", "get", dir, "3", "--hex"}).out, "c3a90a227122\n");
}

TEST(CliCore, AppendReadsHexJsonLines) {
  TempDir tmp;
  std::string dir = tmp / "log";
  ASSERT_OK(bee({"core", "create", dir, "--seed", seed01()}));
  auto r = bee({"core", "append", dir, "--hex", "--json"}, "\"61\"\n\"62\"\n\"63\"\n");
  ASSERT_OK(r);
  Json appended(r.out);
  EXPECT_EQ(appended.num("length"), 3);
  EXPECT_EQ(appended.num("byteLength"), 3);
  EXPECT_EQ(Json(bee({"core", "info", dir, "--json"}).out).str("treeHash"), kTreeHashAbc);
}

TEST(CliCore, ManyStdinLinesGiveTheSameLogAsOneBatch) {
  // 2500 lines cross the stdin batch size; the final state must not depend on batching.
  TempDir tmp;
  std::vector<std::string> args = {"core", "append", tmp / "batch"};
  std::string lines;
  for (int i = 0; i < 2500; i++) {
    std::string block = "block " + std::to_string(i);
    args.push_back(block);
    lines += "\"" + block + "\"\n";
  }
  ASSERT_OK(bee({"core", "create", tmp / "batch", "--seed", seed01()}));
  ASSERT_OK(bee({"core", "create", tmp / "stdin", "--seed", seed01()}));
  ASSERT_OK(bee(args));
  auto r = bee({"core", "append", tmp / "stdin"}, lines);
  ASSERT_OK(r);
  EXPECT_EQ(r.out, "2500\n");

  Json a(bee({"core", "info", tmp / "batch", "--json"}).out);
  Json b(bee({"core", "info", tmp / "stdin", "--json"}).out);
  EXPECT_EQ(a.num("length"), 2500);
  EXPECT_EQ(a.str("treeHash"), b.str("treeHash"));
  EXPECT_EQ(a.str("signature"), b.str("signature"));
  EXPECT_EQ(a.num("byteLength"), b.num("byteLength"));
  EXPECT_EQ(bee({"core", "get", tmp / "stdin", "1234"}).out, "block 1234");
  EXPECT_OK(bee({"core", "verify", tmp / "stdin"}));
}

TEST(CliCore, BadStdinLineNamesTheLineAndAppendsNothing) {
  TempDir tmp;
  std::string dir = tmp / "log";
  ASSERT_OK(bee({"core", "create", dir}));
  expect_failure(bee({"core", "append", dir}, "\"a\"\n\"b\"\n{bad\n\"d\"\n"), 1, "bee core append: ", "line 3");
  expect_failure(bee({"core", "append", dir}, "\"a\"\n\n42\n"), 1, "bee core append: ", "line 3: expected a JSON string");
  expect_failure(bee({"core", "append", dir}, "\"a\" \"b\"\n"), 1, "bee core append: ", "line 1");
  expect_failure(bee({"core", "append", dir}, "\"unterminated\n"), 1, "bee core append: ", "line 1");
  expect_failure(bee({"core", "append", dir, "--hex"}, "\"00\"\n\"0g\"\n"), 1, "bee core append: ", "line 2");
  EXPECT_EQ(Json(bee({"core", "info", dir, "--json"}).out).num("length"), 0);
}

// ------------------------------------------------------------------ errors

TEST(CliErrors, UsageErrorsExit64WithOneLine) {
  TempDir tmp;
  std::string dir = tmp / "log";
  make_abc(dir);
  struct Case {
    std::vector<std::string> args;
    std::string prefix;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{}, "bee: ", "missing command"},
      {{"frob"}, "bee: ", "unknown command 'frob'"},
      {{"--frob"}, "bee: ", "unknown option --frob"},
      {{"core"}, "bee core: ", "missing command"},
      {{"core", "frob"}, "bee core: ", "unknown command 'frob'"},
      {{"core", "info"}, "bee core info: ", "missing argument DIR"},
      {{"core", "info", dir, "--bogus"}, "bee core info: ", "unknown option --bogus"},
      {{"core", "info", dir, "extra"}, "bee core info: ", "unexpected argument 'extra'"},
      {{"core", "info", ""}, "bee core info: ", "DIR is empty"},
      {{"core", "info", dir, "--json=yes"}, "bee core info: ", "--json takes no value"},
      {{"core", "info", dir, "--json", "--json"}, "bee core info: ", "--json given twice"},
      {{"core", "get", dir}, "bee core get: ", "missing argument INDEX"},
      {{"core", "get", dir, "x1"}, "bee core get: ", "'x1'"},
      {{"core", "get", dir, "-1"}, "bee core get: ", "unknown option -1"},
      {{"core", "get", dir, "99999999999999999999999"}, "bee core get: ", "INDEX"},
      {{"core", "get", dir, "1", "2"}, "bee core get: ", "unexpected argument '2'"},
      {{"core", "create", tmp / "new", "--seed"}, "bee core create: ", "--seed needs a value"},
      {{"core", "create", tmp / "new", "--seed", "0102"}, "bee core create: ", "64 hex digits"},
      {{"core", "create", tmp / "new", "--seed", std::string(64, 'z')}, "bee core create: ", "64 hex digits"},
      {{"core", "append", dir, "--hex", "61", "6"}, "bee core append: ", "block 1 ('6') is not hex"},
      {{"core", "verify", dir, "-x"}, "bee core verify: ", "unknown option -x"},
      {{"help", "frob"}, "bee help: ", "unknown command group 'frob'"},
      {{"help", "core", "frob"}, "bee help: ", "unknown command 'frob'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.args));
    auto r = bee(c.args);
    expect_failure(r, 64, c.prefix, c.needle);
    EXPECT_NE(r.err.find("(see 'bee "), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(tmp / "new"));
  // Nothing was appended by the rejected command.
  EXPECT_EQ(Json(bee({"core", "info", dir, "--json"}).out).num("length"), 3);
}

TEST(CliErrors, MissingDirectoryIsNotCreated) {
  TempDir tmp;
  std::string missing = tmp / "missing";
  expect_failure(bee({"core", "info", missing}), 1, "bee core info: not_found: ", missing);
  expect_failure(bee({"core", "get", missing, "0"}), 1, "bee core get: not_found: ", missing);
  expect_failure(bee({"core", "verify", missing}), 1, "bee core verify: not_found: ", missing);
  expect_failure(bee({"core", "append", missing, "a"}), 1, "bee core append: not_found: ", missing);
  EXPECT_FALSE(fs::exists(missing));
}

TEST(CliErrors, DirectoryWithoutACore) {
  TempDir tmp;
  std::string empty = tmp / "empty";
  fs::create_directory(empty);
  expect_failure(bee({"core", "info", empty}), 1, "bee core info: not_found: ", "");
  expect_failure(bee({"core", "append", empty, "a"}), 1, "bee core append: not_found: ", "");
  std::ofstream(tmp / "file") << "not a directory";
  expect_failure(bee({"core", "info", tmp / "file"}), 1, "bee core info: ", "not a directory");
  expect_failure(bee({"core", "create", tmp / "file"}), 1, "bee core create: ", "not a directory");
}

TEST(CliErrors, CreateOnAnExistingCoreFails) {
  TempDir tmp;
  make_abc(tmp / "log");
  expect_failure(bee({"core", "create", tmp / "log"}), 1, "bee core create: already_exists: ", "");
  expect_failure(bee({"core", "create", tmp / "log", "--seed", seed01()}), 1, "bee core create: already_exists", "");
  // The existing log is untouched.
  EXPECT_EQ(Json(bee({"core", "info", tmp / "log", "--json"}).out).str("treeHash"), kTreeHashAbc);
}

TEST(CliErrors, BlockIndexOutOfRange) {
  TempDir tmp;
  make_abc(tmp / "log");
  expect_failure(bee({"core", "get", tmp / "log", "7"}), 1, "bee core get: block 7: ", "out_of_range");
  expect_failure(bee({"core", "get", tmp / "log", "3", "--json"}), 1, "bee core get: block 3: ", "out_of_range");
  expect_failure(bee({"core", "get", tmp / "log", "18446744073709551615"}), 1, "bee core get: block 18446744073709551615: ",
                 "out_of_range");
}

// ------------------------------------------------------------------ help

TEST(CliHelp, HelpAndVersion) {
  auto main_help = bee({"--help"});
  EXPECT_OK(main_help);
  for (const char* name : {"core create", "core append", "core info", "core get", "core verify"}) {
    EXPECT_NE(main_help.out.find(name), std::string::npos) << name;
  }
  EXPECT_EQ(bee({"help"}).out, main_help.out);
  EXPECT_EQ(bee({"-h"}).out, main_help.out);

  auto group = bee({"core", "--help"});
  EXPECT_OK(group);
  EXPECT_NE(group.out.find("append"), std::string::npos);
  EXPECT_EQ(bee({"help", "core"}).out, group.out);

  auto append = bee({"help", "core", "append"});
  EXPECT_OK(append);
  EXPECT_TRUE(append.out.starts_with("Usage: bee core append DIR [BLOCK...] [options]\n")) << append.out;
  for (const char* option : {"--seed HEX", "--hex", "--json", "--help"}) {
    EXPECT_NE(append.out.find(option), std::string::npos) << option;
  }
  EXPECT_EQ(bee({"core", "append", "--help"}).out, append.out);
  EXPECT_EQ(bee({"core", "append", "somewhere", "-h"}).out, append.out);

  auto version = bee({"--version"});
  EXPECT_OK(version);
  EXPECT_TRUE(version.out.starts_with("bee ")) << version.out;
  EXPECT_EQ(std::count(version.out.begin(), version.out.end(), '\n'), 1);
}

// True for "bee <n>.<n>.<n> (git <12 hex digits>[-dirty])\n". Parsed by hand: std::regex makes
// g++ 12 warn -Wmaybe-uninitialized inside libstdc++ at -O2 with ASan (GCC bug 105616).
bool is_version_line(std::string_view s) {
  auto skip = [&s](std::string_view text) {
    if (!s.starts_with(text)) return false;
    s.remove_prefix(text.size());
    return true;
  };
  auto skip_run = [&s](auto is_char, size_t min, size_t max) {
    size_t n = 0;
    while (n < s.size() && is_char(s[n])) n++;
    if (n < min || n > max) return false;
    s.remove_prefix(n);
    return true;
  };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  auto hex = [&](char c) { return digit(c) || (c >= 'a' && c <= 'f'); };
  constexpr size_t kAny = std::string_view::npos;
  if (!(skip("bee ") && skip_run(digit, 1, kAny) && skip(".") && skip_run(digit, 1, kAny) && skip(".") &&
        skip_run(digit, 1, kAny) && skip(" (git ") && skip_run(hex, 12, 12))) {
    return false;
  }
  skip("-dirty");
  return skip(")\n") && s.empty();
}

TEST(CliTool, VersionLineShape) {
  EXPECT_TRUE(is_version_line("bee 0.1.0 (git 0123456789ab)\n"));
  EXPECT_TRUE(is_version_line("bee 10.20.30 (git 0123456789ab-dirty)\n"));
  EXPECT_FALSE(is_version_line("bee 0.1 (git 0123456789ab)\n"));
  EXPECT_FALSE(is_version_line("bee 0.1.0 (git 0123456789a)\n"));
  EXPECT_FALSE(is_version_line("bee 0.1.0 (git 0123456789abc)\n"));
  EXPECT_FALSE(is_version_line("bee 0.1.0 (git 0123456789AB)\n"));
  EXPECT_FALSE(is_version_line("bee 0.1.0 (git 0123456789ab)"));
  EXPECT_FALSE(is_version_line("bee 0.1.0 (git 0123456789ab)\nx"));
}

// The version line names the commit of the source tree the tool was built from.
TEST(CliTool, VersionNamesTheGitCommit) {
  auto head = bee_test::run_process({"git", "-C", BEE_SOURCE_DIR, "rev-parse", "--short=12", "HEAD"});
  ASSERT_EQ(head.exit_code, 0) << head.err;
  std::string commit = head.out.substr(0, head.out.find('\n'));
  ASSERT_EQ(commit.size(), 12u) << head.out;
  auto version = bee({"--version"});
  ASSERT_OK(version);
  EXPECT_TRUE(is_version_line(version.out)) << version.out;
  EXPECT_NE(version.out.find("(git " + commit), std::string::npos) << version.out << " vs HEAD " << commit;
}

// `bee completion bash` is a valid bash script that completes groups, commands and options.
TEST(CliTool, BashCompletionCompletesCommandsAndOptions) {
  auto script = bee({"completion", "bash"});
  ASSERT_OK(script);
  EXPECT_NE(script.out.find("complete -o filenames -F _bee bee"), std::string::npos);
  TempDir dir;
  std::string path = dir.path() + "/bee.bash";
  {
    std::ofstream out(path);
    out << script.out;
  }
  // Each case: the words typed so far (the last one being completed) -> COMPREPLY.
  auto complete = [&](const std::string& words) {
    std::string program = "source '" + path + "'; COMP_WORDS=(" + words + "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _bee; echo \"${COMPREPLY[*]}\"";
    auto r = bee_test::run_process({"bash", "-c", program});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    return r.out.substr(0, r.out.find('\n'));
  };
  EXPECT_EQ(complete("bee core ap"), "append");
  EXPECT_EQ(complete("bee dht lo"), "lookup");
  EXPECT_EQ(complete("bee ran"), "range");
  EXPECT_EQ(complete("bee range ./db --rev"), "--reverse");
  EXPECT_EQ(complete("bee core append ./log --se"), "--seed");
  EXPECT_EQ(complete("bee help co"), "core");
  EXPECT_EQ(complete("bee completion b"), "bash");
  std::string top = complete("bee ''");
  for (const char* word : {"core", "dht", "put", "serve", "query", "--version"}) {
    EXPECT_NE((" " + top + " ").find(std::string(" ") + word + " "), std::string::npos) << word << " in: " << top;
  }
  // An option that takes a hex value offers no file names.
  EXPECT_EQ(complete("bee core create ./log --seed ''"), "");

  expect_failure(bee({"completion", "zsh"}), 64, "bee completion: ", "bee completion bash");
}

// ------------------------------------------------------------------ reference

TEST(CliReference, InfoMatchesNodeVectors) {
  const std::vector<std::string> blocks = {"68656c6c6f", "00ff", "776f726c64", "21", "0a0b0c0d0e"};
  std::string list = "[";
  for (size_t i = 0; i < blocks.size(); i++) list += (i ? ",\"" : "\"") + blocks[i] + "\"";
  list += "]";
  auto reference = bee_test::run_node("vectors.js", {"core", "--seed", seed01(), "--blocks", list});
  ASSERT_TRUE(reference.has_value()) << reference.error().to_string();
  simdjson::dom::parser parser;
  simdjson::padded_string padded(*reference);
  simdjson::dom::element ref;
  ASSERT_EQ(parser.parse(padded).get(ref), simdjson::SUCCESS);
  simdjson::dom::array lengths;
  ASSERT_EQ(ref["lengths"].get_array().get(lengths), simdjson::SUCCESS);
  simdjson::dom::element last;
  ASSERT_EQ(lengths.at(lengths.size() - 1).get(last), simdjson::SUCCESS);

  TempDir tmp;
  std::string dir = tmp / "log";
  ASSERT_OK(bee({"core", "create", dir, "--seed", seed01()}));
  std::vector<std::string> append = {"core", "append", dir, "--hex"};
  append.insert(append.end(), blocks.begin(), blocks.end());
  ASSERT_OK(bee(append));
  auto r = bee({"core", "info", dir, "--json"});
  ASSERT_OK(r);
  Json ours(r.out);
  ASSERT_TRUE(ours.ok()) << r.out;

  auto ref_str = [](simdjson::dom::element e, const char* key) {
    std::string_view v;
    EXPECT_EQ(e[key].get_string().get(v), simdjson::SUCCESS) << key;
    return std::string(v);
  };
  auto ref_num = [](simdjson::dom::element e, const char* key) {
    uint64_t v = 0;
    EXPECT_EQ(e[key].get_uint64().get(v), simdjson::SUCCESS) << key;
    return static_cast<int64_t>(v);
  };
  EXPECT_EQ(ours.str("key"), ref_str(ref, "key"));
  EXPECT_EQ(ours.str("discoveryKey"), ref_str(ref, "discoveryKey"));
  EXPECT_EQ(ours.str("id"), ref_str(ref, "id"));
  EXPECT_EQ(ours.num("length"), ref_num(last, "length"));
  EXPECT_EQ(ours.num("byteLength"), ref_num(last, "byteLength"));
  EXPECT_EQ(ours.num("fork"), ref_num(last, "fork"));
  EXPECT_EQ(ours.str("treeHash"), ref_str(last, "treeHash"));
  EXPECT_EQ(ours.str("signature"), ref_str(last, "signature"));
}

}  // namespace
