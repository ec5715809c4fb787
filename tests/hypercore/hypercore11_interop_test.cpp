// Manifests v2/v3 and patched multisig fields against hypercore 11.39.5
// (tests/interop/hypercore11_vectors.js run on tests/oracle11, installed by
// scripts/setup.sh into .cache/oracle11 or $BEE_ORACLE11_DIR). Skipped when node or the
// install is missing.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <string>

#include "hypercore/manifest.hpp"
#include "hypercore/merkle.hpp"
#include "tests/support/oracle.hpp"

namespace {

using namespace hypercore;

std::string oracle11_dir() {
  if (const char* env = std::getenv("BEE_ORACLE11_DIR"); env && *env) return env;
  return std::string(BEE_SOURCE_DIR) + "/.cache/oracle11";
}

std::string str(simdjson::dom::element e) { return std::string(std::string_view(e)); }

class Hypercore11Vectors : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = oracle11_dir();
    if (!std::filesystem::exists(dir + "/node_modules/hypercore")) GTEST_SKIP() << "no hypercore 11 in " << dir;
    auto r = bee_test::run_process({"node", bee_test::interop_script("hypercore11_vectors.js")}, "",
                                   {"NODE_PATH=" + dir + "/node_modules"});
    if (r.exit_code == 127) GTEST_SKIP() << "node not found";
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json_ = r.out;
    ASSERT_EQ(parser_.parse(json_).get(doc_), simdjson::SUCCESS);
  }

  std::string json_;
  simdjson::dom::parser parser_;
  simdjson::dom::element doc_;
};

TEST_F(Hypercore11Vectors, ManifestsV2AndV3) {
  size_t i = 0;
  for (simdjson::dom::element v : simdjson::dom::array(doc_["manifests"])) {
    SCOPED_TRACE("manifest " + std::to_string(i++));
    Bytes encoding = *from_hex(str(v["encoding"]));
    auto m = Manifest::decode(encoding);
    ASSERT_TRUE(m) << m.error().to_string();
    simdjson::dom::element d = v["decoded"];
    EXPECT_EQ(m->version, uint64_t(d["version"]));
    EXPECT_EQ(m->allow_patch, bool(d["allowPatch"]));
    EXPECT_EQ(m->quorum, uint64_t(d["quorum"]));
    ASSERT_EQ(m->signers.size(), simdjson::dom::array(d["signers"]).size());
    EXPECT_EQ(m->prologue.has_value(), !d["prologue"].is_null());
    if (d["linked"].is_null()) {
      EXPECT_FALSE(m->linked);
    } else {
      ASSERT_TRUE(m->linked);
      std::vector<std::string> keys;
      for (const Hash& k : *m->linked) keys.push_back(to_hex(k));
      std::vector<std::string> expected;
      for (simdjson::dom::element k : simdjson::dom::array(d["linked"])) expected.push_back(str(k));
      EXPECT_EQ(keys, expected);
    }
    if (d["userData"].is_null()) {
      EXPECT_FALSE(m->user_data);
    } else {
      ASSERT_TRUE(m->user_data);
      EXPECT_EQ(to_hex(*m->user_data), str(d["userData"]));
    }
    // Byte for byte: re-encoding and the key derivation.
    EXPECT_EQ(to_hex(m->encode()), str(v["encoding"]));
    EXPECT_EQ(to_hex(m->hash()), str(v["hash"]));
    Identity id = Identity::from_manifest(*m);
    EXPECT_EQ(to_hex(id.key()), str(v["hash"]));
  }
  EXPECT_GE(i, 8u);
}

TEST_F(Hypercore11Vectors, PatchedMultisigVerdictsMatch) {
  size_t i = 0, accepted = 0;
  for (simdjson::dom::element v : simdjson::dom::array(doc_["multisig"])) {
    std::string tamper = v["tamper"].is_null() ? "none" : str(v["tamper"]);
    SCOPED_TRACE("case " + std::to_string(i++) + " length " + std::to_string(uint64_t(v["length"])) + " signed " +
                 std::to_string(uint64_t(v["longer"])) + " tamper " + tamper);
    auto m = Manifest::decode(*from_hex(str(v["manifest"])));
    ASSERT_TRUE(m) << m.error().to_string();
    Identity id = Identity::from_manifest(*m);
    RootStack stack;
    uint64_t index = 0;
    for (simdjson::dom::element b : simdjson::dom::array(v["blocks"])) {
      Bytes block = *from_hex(str(b));
      stack.push(leaf_node(index++, block), nullptr);
    }
    ASSERT_EQ(to_hex(tree_hash(stack.roots())), str(v["treeHash"]));
    Bytes signature = *from_hex(str(v["signature"]));
    bool ours = id.verify(stack.roots(), index, 0, signature);
    EXPECT_EQ(ours, bool(v["verified"]));
    if (ours) accepted++;
    // Without the roots, a patched field cannot be checked.
    if (uint64_t(v["longer"]) > index && m->quorum > 1) {
      EXPECT_FALSE(id.verify(tree_hash(stack.roots()), index, 0, signature));
    }
    // Another fork is another signed state.
    EXPECT_FALSE(id.verify(stack.roots(), index, 1, signature));
  }
  EXPECT_GE(accepted, 10u);
  EXPECT_GE(i - accepted, 3u);
}

}  // namespace
