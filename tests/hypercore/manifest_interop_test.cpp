// Manifests and signature verification against the Node reference
// (tests/interop/manifest_vectors.js): encodings, hashes and decodes of random manifests
// (both versions, 0-4 signers, own namespaces, allowPatch, quorum defaults and odd
// quorums, prologues), and the reference's verdict on signature fields we build.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <random>
#include <string>
#include <vector>

#include "hypercore/crypto.hpp"
#include "hypercore/manifest.hpp"
#include "hypercore/merkle.hpp"
#include "tests/support/oracle.hpp"

namespace {

using namespace hypercore;

struct Case {
  Manifest manifest;
  bool default_quorum = false;         // sent to the reference as "quorum": null
  std::vector<bool> default_namespace;  // per signer: sent as "namespace": null
  std::vector<KeyPair> keys;            // the signers' key pairs
};

struct Verification {
  size_t manifest = 0;
  Hash tree_hash{};
  uint64_t length = 0;
  uint64_t fork = 0;
  Bytes signature;
  std::string what;
};

std::vector<Case> random_cases(size_t count, std::mt19937_64& rng) {
  auto below = [&](uint64_t n) { return rng() % n; };
  std::vector<Case> out(count);
  for (Case& c : out) {
    Manifest& m = c.manifest;
    m.version = below(10) < 7 ? 1 : 0;
    uint64_t r = below(100);
    size_t signers = r < 10 ? 0 : r < 45 ? 1 : r < 70 ? 2 : r < 85 ? 3 : 4;
    for (size_t i = 0; i < signers; i++) {
      Seed seed;
      for (auto& byte : seed) byte = static_cast<uint8_t>(rng());
      c.keys.push_back(KeyPair::from_seed(seed));
      Signer s{caps::default_namespace(), c.keys.back().public_key};
      bool default_ns = below(2) == 0;
      if (!default_ns) {
        for (auto& byte : s.namespace_id) byte = static_cast<uint8_t>(rng());
      }
      c.default_namespace.push_back(default_ns);
      m.signers.push_back(s);
    }
    m.allow_patch = below(10) < 3;
    c.default_quorum = below(2) == 0;
    m.quorum = c.default_quorum ? (signers == 0 ? 0 : signers / 2 + 1) : below(signers + 2);
    if (below(10) < 3) {
      Prologue p;
      for (auto& byte : p.hash) byte = static_cast<uint8_t>(rng());
      p.length = below(8);
      m.prologue = p;
    }
  }
  return out;
}

Hash random_tree_hash(std::mt19937_64& rng, uint64_t length) {
  RootStack stack;
  for (uint64_t i = 0; i < length; i++) {
    uint8_t byte = static_cast<uint8_t>(rng());
    stack.push(leaf_node(i, ByteSpan(&byte, 1)), nullptr);
  }
  return tree_hash(stack.roots());
}

// Signature fields of every interesting shape for one manifest.
void add_verifications(size_t index, const Case& c, std::mt19937_64& rng, std::vector<Verification>* out) {
  const Manifest& m = c.manifest;
  Identity id = Identity::from_manifest(m);
  uint64_t length = 1 + rng() % 12, fork = rng() % 3;
  Hash th = random_tree_hash(rng, length);
  auto add = [&](std::string what, Bytes sig, uint64_t len = 0, const Hash* hash = nullptr) {
    out->push_back(Verification{index, hash ? *hash : th, len ? len : length, fork, std::move(sig), std::move(what)});
  };

  std::vector<SignerProof> proofs;
  for (size_t i = 0; i < m.signers.size(); i++) {
    proofs.push_back(SignerProof{i, sign(c.keys[i].secret_key, id.signable_for(i, th, length, fork))});
  }
  std::shuffle(proofs.begin(), proofs.end(), rng);
  add("all signers", id.assemble(proofs));
  size_t quorum = static_cast<size_t>(std::min<uint64_t>(m.quorum, proofs.size()));
  add("quorum signers", id.assemble(std::span(proofs).first(quorum)));
  add("no proofs", id.assemble({}));
  add("empty field", {});
  add("all signers, other length", id.assemble(proofs), length + 1);
  if (!proofs.empty()) {
    add("one proof", id.assemble(std::span(proofs).first(1)));
    add("raw signature", Bytes(proofs[0].signature.begin(), proofs[0].signature.end()));
    std::vector<SignerProof> twice = {proofs[0], proofs[0]};
    add("same signer twice", id.assemble(twice));
    std::vector<SignerProof> flipped = proofs;
    flipped[0].signature[rng() % 64] ^= static_cast<uint8_t>(1 << (rng() % 8));
    add("flipped bit", id.assemble(flipped));
    std::vector<SignerProof> out_of_range = proofs;
    out_of_range[0].signer = m.signers.size();
    add("signer out of range", id.assemble(out_of_range));
    size_t who = rng() % m.signers.size();
    auto own = id.sign(c.keys[who], th, length, fork);
    if (own) add("sign() by one signer", *own);
  }
  if (m.prologue) {
    add("inside the prologue", {}, m.prologue->length ? m.prologue->length : 1, &m.prologue->hash);
    if (m.prologue->length > 1) add("below the prologue", {}, m.prologue->length - 1, &m.prologue->hash);
  }
}

std::string hex_or_null(bool null, ByteSpan bytes) { return null ? "null" : "\"" + to_hex(bytes) + "\""; }

std::string to_json(const std::vector<Case>& cases, const std::vector<Verification>& verifications) {
  std::string out = "{\"manifests\":[";
  for (size_t i = 0; i < cases.size(); i++) {
    const Case& c = cases[i];
    const Manifest& m = c.manifest;
    if (i) out += ',';
    out += "{\"version\":" + std::to_string(m.version) + ",\"allowPatch\":" + (m.allow_patch ? "true" : "false") +
           ",\"quorum\":" + (c.default_quorum ? "null" : std::to_string(m.quorum)) + ",\"signers\":[";
    for (size_t s = 0; s < m.signers.size(); s++) {
      out += (s ? ",{" : "{");
      out += "\"namespace\":" + hex_or_null(c.default_namespace[s], m.signers[s].namespace_id) + ",\"publicKey\":\"" +
             to_hex(m.signers[s].public_key) + "\"}";
    }
    out += "],\"prologue\":";
    out += m.prologue ? "{\"hash\":\"" + to_hex(m.prologue->hash) + "\",\"length\":" + std::to_string(m.prologue->length) + "}"
                      : "null";
    out += "}";
  }
  out += "],\"verifications\":[";
  for (size_t i = 0; i < verifications.size(); i++) {
    const Verification& v = verifications[i];
    if (i) out += ',';
    out += "{\"manifest\":" + std::to_string(v.manifest) + ",\"treeHash\":\"" + to_hex(v.tree_hash) + "\",\"length\":" +
           std::to_string(v.length) + ",\"fork\":" + std::to_string(v.fork) + ",\"signature\":\"" + to_hex(v.signature) + "\"}";
  }
  return out + "]}";
}

std::string str(simdjson::dom::element e) { return std::string(std::string_view(e)); }

// What the reference decoded, in our struct.
Manifest from_json(simdjson::dom::element e) {
  Manifest m;
  m.version = uint64_t(e["version"]);
  m.allow_patch = bool(e["allowPatch"]);
  m.quorum = uint64_t(e["quorum"]);
  for (simdjson::dom::element s : simdjson::dom::array(e["signers"])) {
    m.signers.push_back(Signer{*hash_from_hex(str(s["namespace"])), *hash_from_hex(str(s["publicKey"]))});
  }
  if (!e["prologue"].is_null()) {
    m.prologue = Prologue{*hash_from_hex(str(e["prologue"]["hash"])), uint64_t(e["prologue"]["length"])};
  }
  return m;
}

TEST(ManifestInterop, EncodingsHashesAndVerdictsMatchTheReference) {
  std::mt19937_64 rng(0x3a41f35e);
  std::vector<Case> cases = random_cases(300, rng);
  std::vector<Verification> verifications;
  for (size_t i = 0; i < cases.size(); i++) add_verifications(i, cases[i], rng, &verifications);

  auto json = bee_test::run_node(bee_test::interop_script("manifest_vectors.js"), {}, to_json(cases, verifications));
  ASSERT_TRUE(json) << json.error().to_string();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(*json).get(doc), simdjson::SUCCESS);
  simdjson::dom::array manifests = doc["manifests"];
  simdjson::dom::array verdicts = doc["verifications"];
  ASSERT_EQ(manifests.size(), cases.size());
  ASSERT_EQ(verdicts.size(), verifications.size());

  size_t i = 0;
  for (simdjson::dom::element expected : manifests) {
    const Manifest& m = cases[i].manifest;
    SCOPED_TRACE("manifest " + std::to_string(i++));
    EXPECT_EQ(to_hex(m.encode()), str(expected["encoding"]));
    EXPECT_EQ(to_hex(m.hash()), str(expected["hash"]));
    auto decoded = Manifest::decode(*from_hex(str(expected["encoding"])));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(*decoded, from_json(expected["decoded"]));
  }

  size_t accepted = 0, rejected = 0;
  i = 0;
  for (simdjson::dom::element verdict : verdicts) {
    const Verification& v = verifications[i++];
    Identity id = Identity::from_manifest(cases[v.manifest].manifest);
    bool ours = id.verify(v.tree_hash, v.length, v.fork, v.signature);
    EXPECT_EQ(ours, bool(verdict)) << "verification " << i - 1 << " (" << v.what << ") of manifest " << v.manifest
                                   << ": " << to_hex(cases[v.manifest].manifest.encode());
    (ours ? accepted : rejected)++;
  }
  // Both verdicts must be well represented, or the comparison says little.
  EXPECT_GT(accepted, 200u);
  EXPECT_GT(rejected, 1000u);
}

}  // namespace
