// Manifests, keys and signatures against the worked examples of the spec
// (../shared/spec/hypercore.md §3.2-§3.5, §4, §4.1, §7), which were checked against the
// reference, plus hostile decodes and the verification rules of §4.
#include <gtest/gtest.h>

#include "hypercore/compact_encoding.hpp"
#include "hypercore/crypto.hpp"
#include "hypercore/manifest.hpp"
#include "hypercore/merkle.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using namespace hypercore;

constexpr const char* kPk = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
constexpr const char* kDefaultNs = "4144eea531e483d54e0c14f4ca68e0644f355343ff6fcb0f005200e12cd747cb";
constexpr const char* kV1Key = "d8c3a0597903b28d751c6e0b7107775e388ec5a3cf669bdd1e7ec41b8b8f6e72";
constexpr const char* kV0Key = "a945135b724f9205a06c58bee34f342ac3c77ff0c09fa54ad6220c0eb3168fa8";
constexpr const char* kTree = "9fac70b50ca14efc4e91c833b204e75b8b5aad8b5881bfc0adb5ef38a3275b9c";
constexpr const char* kTreeHashL3 = "7ea73eb86179fb7328e73663f90f4c91256574af1112efe97fdf9309e03b67a7";

Hash h(const char* hex) { return *hash_from_hex(hex); }
Bytes b(const std::string& hex) { return *from_hex(hex); }

KeyPair seed_key_pair(uint8_t byte) {
  Seed seed;
  seed.fill(byte);
  return KeyPair::from_seed(seed);
}

// Roots of the log of the blocks "a", "b", ... (one letter each), as in §2.1.
std::vector<Node> roots_of(std::string_view letters) {
  RootStack stack;
  for (size_t i = 0; i < letters.size(); i++) stack.push(leaf_node(i, as_bytes(letters.substr(i, 1))), nullptr);
  return stack.roots();
}
Hash tree_hash_of(std::string_view letters) { return tree_hash(roots_of(letters)); }

TEST(Manifest, CapabilityConstants) {
  EXPECT_EQ(to_hex(blake2b({as_bytes("hypercore")})), "f7939b245918bbd3b167df469af1da5ba003e21218138ec62b7f4b6f0283de13");
  EXPECT_EQ(to_hex(caps::tree()), kTree);
  EXPECT_EQ(to_hex(caps::manifest()), "e64b7108eacce47cfc61ac850568f55f8b15b82ec5ed78c4ec597b036e2a1498");
  EXPECT_EQ(to_hex(caps::default_namespace()), kDefaultNs);
}

TEST(Manifest, SeedKeyPair) {
  KeyPair kp = seed_key_pair(1);
  EXPECT_EQ(to_hex(kp.public_key), kPk);
  EXPECT_EQ(to_hex(kp.secret_key), std::string("0101010101010101010101010101010101010101010101010101010101010101") + kPk);
}

TEST(Manifest, DefaultSignerV1EncodingAndHash) {
  Manifest m = Manifest::default_signer(seed_key_pair(1).public_key);
  Bytes enc = m.encode();
  EXPECT_EQ(enc.size(), 70u);
  EXPECT_EQ(to_hex(enc), std::string("010000010100") + kDefaultNs + kPk);
  EXPECT_EQ(to_hex(m.hash()), kV1Key);
  auto back = Manifest::decode(enc);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(*back, m);
}

TEST(Manifest, DefaultSignerV0EncodingAndHash) {
  Manifest m = Manifest::default_signer(seed_key_pair(1).public_key, 0);
  Bytes enc = m.encode();
  EXPECT_EQ(enc.size(), 68u);
  EXPECT_EQ(to_hex(enc), std::string("00000100") + kDefaultNs + kPk);
  EXPECT_EQ(to_hex(m.hash()), kV0Key);
  auto back = Manifest::decode(enc);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(*back, m);
}

TEST(Manifest, TwoSignersAllowPatchPrologue) {
  Manifest m;
  m.version = 1;
  m.allow_patch = true;
  m.quorum = 2;  // the default for two signers: floor(2/2) + 1
  Hash aa, bb, cc;
  aa.fill(0xaa);
  bb.fill(0xbb);
  cc.fill(0xcc);
  m.signers = {Signer{caps::default_namespace(), aa}, Signer{caps::default_namespace(), bb}};
  m.prologue = Prologue{cc, 300};
  Bytes enc = m.encode();
  EXPECT_EQ(to_hex(enc), std::string("0103000202") + "00" + kDefaultNs + to_hex(aa) + "00" + kDefaultNs + to_hex(bb) +
                             to_hex(cc) + "fd2c01");
  EXPECT_EQ(to_hex(m.hash()), "75dcc89ba3f7960ee3af59e898f6af30a44bd854afe671c211843145e9c9cde8");
  auto back = Manifest::decode(enc);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(*back, m);
}

TEST(Manifest, V0Layouts) {
  Hash cc;
  cc.fill(0xcc);
  // Prologue only: the length is not encoded and decodes as 0, quorum 0.
  Manifest prologue_only;
  prologue_only.version = 0;
  prologue_only.quorum = 0;
  prologue_only.prologue = Prologue{cc, 0};
  EXPECT_EQ(to_hex(prologue_only.encode()), "000000" + to_hex(cc));
  EXPECT_EQ(*Manifest::decode(prologue_only.encode()), prologue_only);

  // Several signers (or allowPatch, or quorum != 1) use type 2 with a signer array.
  Manifest multi = Manifest::default_signer(seed_key_pair(1).public_key, 0);
  multi.signers.push_back(Signer{caps::default_namespace(), seed_key_pair(2).public_key});
  multi.quorum = 2;
  multi.allow_patch = true;
  EXPECT_EQ(to_hex(multi.encode()), std::string("0000020102") + "0200" + kDefaultNs + kPk + "00" + kDefaultNs +
                                        to_hex(seed_key_pair(2).public_key));
  EXPECT_EQ(*Manifest::decode(multi.encode()), multi);
}

TEST(Manifest, DecodeRejectsHostileBytes) {
  Manifest two = Manifest::default_signer(seed_key_pair(1).public_key);
  two.signers.push_back(Signer{caps::default_namespace(), seed_key_pair(2).public_key});
  two.prologue = Prologue{tree_hash_of("ab"), 2};
  for (const Manifest& m : {two, Manifest::default_signer(seed_key_pair(1).public_key, 0)}) {
    Bytes enc = m.encode();
    for (size_t n = 0; n < enc.size(); n++) {
      auto r = Manifest::decode(ByteSpan(enc).first(n));
      ASSERT_FALSE(r) << "prefix of " << n << " bytes decoded";
      EXPECT_TRUE(r.error().code == errc::corrupt || r.error().code == errc::bad_manifest) << r.error().to_string();
    }
    Bytes trailing = enc;
    trailing.push_back(0);
    EXPECT_FALSE(Manifest::decode(trailing));
  }
  auto code = [](const std::string& hex) {
    auto r = Manifest::decode(b(hex));
    return r ? std::string("decoded") : std::string(errc_name(r.error().code));
  };
  EXPECT_EQ(code("04000001"), "bad_manifest");           // unknown version (hypercore 11 knows 0-3)
  EXPECT_EQ(code("0100010100"), "bad_manifest");         // unknown hash type
  EXPECT_EQ(code("000100"), "bad_manifest");             // v0 unknown hash type
  EXPECT_EQ(code("000003"), "bad_manifest");             // v0 unknown layout
  EXPECT_EQ(code("01000001" "01" "01" + std::string(128, '0')), "bad_manifest");  // unknown signature type
  EXPECT_EQ(code("01000001" "feffffffff"), "corrupt");   // 4 billion signers, no bytes
  EXPECT_EQ(code("01000001" "ffffffffffffffffff"), "corrupt");
  EXPECT_EQ(code("0000020001" "fe01001000"), "corrupt");  // over the array limit
  EXPECT_EQ(code(""), "corrupt");
  EXPECT_EQ(code("01"), "corrupt");

  // decode_from leaves the rest of a larger message to the caller.
  Bytes enc = two.encode();
  enc.push_back(0x42);
  cenc::Decoder in(enc, "message");
  auto m = Manifest::decode_from(in);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, two);
  EXPECT_EQ(in.remaining(), 1u);
}

TEST(Manifest, CompatIsDecidedByBytes) {
  KeyPair kp = seed_key_pair(1);
  Manifest v1 = Manifest::default_signer(kp.public_key);
  Manifest v0 = Manifest::default_signer(kp.public_key, 0);
  EXPECT_TRUE(v1.is_compat_for(kp.public_key));
  EXPECT_TRUE(v0.is_compat_for(kp.public_key));
  EXPECT_FALSE(v1.is_compat_for(v1.hash()));
  Manifest two = v1;
  two.signers.push_back(v1.signers[0]);
  EXPECT_FALSE(two.is_compat_for(kp.public_key));
}

TEST(Identity, KeysAndDiscoveryKeys) {
  KeyPair kp = seed_key_pair(1);
  Identity compat = Identity::compat(kp.public_key);
  EXPECT_EQ(to_hex(compat.key()), kPk);
  EXPECT_TRUE(compat.compat());
  ASSERT_TRUE(compat.manifest());
  EXPECT_EQ(*compat.manifest(), Manifest::default_signer(kp.public_key));
  EXPECT_EQ(to_hex(discovery_key(compat.key())), "c1feb82a2b3ba065ffed9f6addcf19ac250793bcab748986a1b4272c62da20e6");

  Identity v1 = Identity::from_manifest(Manifest::default_signer(kp.public_key));
  EXPECT_EQ(to_hex(v1.key()), kV1Key);
  EXPECT_FALSE(v1.compat());
  EXPECT_EQ(to_hex(discovery_key(v1.key())), "fb892b1c77fdcb05dcbd234607208b7036e00a13e7f2cc0bbaa463924e57865a");

  Identity v0 = Identity::from_manifest(Manifest::default_signer(kp.public_key, 0));
  EXPECT_EQ(to_hex(v0.key()), kV0Key);
  EXPECT_FALSE(v0.compat());

  Identity reader = Identity::from_key(kp.public_key);
  EXPECT_TRUE(reader.compat());
  EXPECT_FALSE(reader.manifest());
}

TEST(Identity, CompatSignableAndSignatures) {
  KeyPair kp = seed_key_pair(1);
  Identity id = Identity::compat(kp.public_key);
  Hash th = tree_hash_of("abc");
  ASSERT_EQ(to_hex(th), kTreeHashL3);
  EXPECT_EQ(to_hex(id.signable(th, 3, 0)), std::string(kTree) + kTreeHashL3 + "0300000000000000" + "0000000000000000");
  auto sig = id.sign(kp, th, 3, 0);
  ASSERT_TRUE(sig);
  EXPECT_EQ(to_hex(*sig),
            "deb1a2d6b46b1ac51fa3111f84cd6d0874ab43f325e160aff4d3d95acfdfec67"
            "b399fd0bd4e09b86fdbf19bd894b28e0a9d4bbf58c4ccb326fc888d8428d960e");
  EXPECT_TRUE(id.verify(th, 3, 0, *sig));

  // Intermediate states of three separate appends, and "d" appended.
  struct Step {
    std::string_view letters;
    const char* tree_hash;
    const char* signature;
  };
  const Step steps[] = {
      {"a", "b06219c834e8e4da41e42b3c8239f4d1805a388c5dd03eff3777e6532ec72f27",
       "4b3054adb773889bc33ee4ad77b277e24d87efd4f9079e32b5746740b7270dd9ddeab0604207fdc569f3c32687dc54aa14902fb8fde3504c1762f267f3b6600b"},
      {"ab", "3424a063fb40dfef317c8ca38fb8c37dfdbccac669582f6f9cddd22bbdf9c044",
       "85441bcb4602f2a4eeef01e06240c322835f3dc3d5bf6ceacf5f74d7b92116127c35f8ffcf0a7ad22a401ea99031bf6e8a28cd92456fa2de764feac2da2d4e09"},
      {"abcd", "b7376d22cec3ccbd0b5e6b7cabcc6a4f0c140b49f82020da6f5d4d8f6fd97d1f",
       "4d328936dd017fbf2b48b6729c2dfe741e672226382e4dc8f289d26217c9726eb61032f34707dc202b76d9cf63d8c7d6636fc931ed7d01cc798c1ffaa313390f"},
  };
  for (const Step& s : steps) {
    Hash t = tree_hash_of(s.letters);
    EXPECT_EQ(to_hex(t), s.tree_hash) << s.letters;
    auto step_sig = id.sign(kp, t, s.letters.size(), 0);
    ASSERT_TRUE(step_sig);
    EXPECT_EQ(to_hex(*step_sig), s.signature) << s.letters;
  }
}

// §7: a,b,c,d -> truncate(2) (fork 1) -> append x.
TEST(Identity, TruncationSignatures) {
  KeyPair kp = seed_key_pair(1);
  Identity id = Identity::compat(kp.public_key);
  Hash t2 = tree_hash_of("ab");
  EXPECT_EQ(to_hex(*id.sign(kp, t2, 2, 1)),
            "db498b9168f7e6704c90055542c29ecea01dd8a49552d9f0960ee177926725a358cd01a560461e5c889bdb90785ed138f54f929c017f5e3ae25b81172e95940d");
  EXPECT_EQ(to_hex(leaf_hash(as_bytes("x"))), "d0af04455e98871ea1577bc2eab2c72ccbf8bcd7d841750185ef1c059338cc66");
  Hash t3 = tree_hash_of("abx");
  EXPECT_EQ(to_hex(t3), "a35f3ca53e74d1bae8d58facca4ce4b387c19197206f0faa19a24f4438161aea");
  EXPECT_EQ(to_hex(*id.sign(kp, t3, 3, 1)),
            "5a02d32f6f08771f6b36bb97b86502010ce5841fa8ee1a1b789fc5dcf083f97d8c4821a492d056d604e8c0bf535033f2500cb83896963f9bca680b99cb275409");
}

TEST(Identity, ManifestV1Signature) {
  KeyPair kp = seed_key_pair(1);
  Identity id = Identity::from_manifest(Manifest::default_signer(kp.public_key));
  Hash th = h(kTreeHashL3);
  EXPECT_EQ(to_hex(id.signable(th, 3, 0)),
            std::string(kTree) + kV1Key + kTreeHashL3 + "0300000000000000" + "0000000000000000");
  auto sig = id.sign(kp, th, 3, 0);
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->size(), 68u);
  EXPECT_EQ(to_hex(*sig),
            "0100ffc0d71651d8c0c24962a662c90f411f371945e3514669899d3189b832a1bd96"
            "0415ee04d8ccb4c4159506ad230d223f33ca3dce6aa6d16d27e9fbd47efa25050000");
  EXPECT_TRUE(id.verify(th, 3, 0, *sig));
}

TEST(Identity, ManifestV0Signature) {
  KeyPair kp = seed_key_pair(1);
  Identity id = Identity::from_manifest(Manifest::default_signer(kp.public_key, 0));
  Hash th = h(kTreeHashL3);
  EXPECT_EQ(to_hex(id.signable(th, 3, 0)),
            std::string(kTree) + kDefaultNs + kTreeHashL3 + "0300000000000000" + "0000000000000000");
  auto sig = id.sign(kp, th, 3, 0);
  ASSERT_TRUE(sig);
  EXPECT_EQ(to_hex(*sig),
            "623287c8cb21898c31f4d060c90b31e95923f1874c660ad6160b218459d4427a"
            "6b5fba23bd4ecb6cfc11a378d341b0f9d851ef3a4b07702edea826f572ce2d04");
  EXPECT_TRUE(id.verify(th, 3, 0, *sig));
}

TEST(Identity, SignRefusesAnUndeclaredSigner) {
  KeyPair kp = seed_key_pair(1), other = seed_key_pair(2);
  Hash th = h(kTreeHashL3);
  for (const Identity& id : {Identity::compat(kp.public_key), Identity::from_key(kp.public_key),
                             Identity::from_manifest(Manifest::default_signer(kp.public_key))}) {
    auto r = id.sign(other, th, 3, 0);
    ASSERT_ERRC(r, errc::invalid_argument);
  }
}

// Every single-bit change of the signature, tree hash, length or fork is refused.
TEST(Identity, VerifyRejectsFlippedBits) {
  KeyPair kp = seed_key_pair(1);
  Hash th = h(kTreeHashL3);
  for (const Identity& id : {Identity::compat(kp.public_key), Identity::from_key(kp.public_key),
                             Identity::from_manifest(Manifest::default_signer(kp.public_key)),
                             Identity::from_manifest(Manifest::default_signer(kp.public_key, 0))}) {
    Bytes sig = *id.sign(kp, th, 3, 0);
    ASSERT_TRUE(id.verify(th, 3, 0, sig));
    for (size_t bit = 0; bit < sig.size() * 8; bit++) {
      Bytes bad = sig;
      bad[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
      EXPECT_FALSE(id.verify(th, 3, 0, bad)) << "signature bit " << bit;
    }
    for (size_t bit = 0; bit < 256; bit++) {
      Hash bad = th;
      bad[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
      EXPECT_FALSE(id.verify(bad, 3, 0, sig)) << "tree hash bit " << bit;
    }
    for (size_t bit = 0; bit < 64; bit++) {
      EXPECT_FALSE(id.verify(th, 3 ^ (uint64_t{1} << bit), 0, sig)) << "length bit " << bit;
      EXPECT_FALSE(id.verify(th, 3, uint64_t{1} << bit, sig)) << "fork bit " << bit;
    }
    EXPECT_FALSE(id.verify(th, 3, 0, {}));
    EXPECT_FALSE(id.verify(th, 3, 0, ByteSpan(sig).first(sig.size() - 1)));
    Bytes longer = sig;
    longer.push_back(0);
    EXPECT_FALSE(id.verify(th, 3, 0, longer));
  }
}

TEST(Identity, LearnManifest) {
  KeyPair kp = seed_key_pair(1), other = seed_key_pair(2);
  Manifest v1 = Manifest::default_signer(kp.public_key);
  Manifest v0 = Manifest::default_signer(kp.public_key, 0);

  // A compat reader accepts any manifest compat for its key, and stays compat.
  Identity reader = Identity::from_key(kp.public_key);
  ASSERT_TRUE(reader.learn_manifest(v0));
  EXPECT_TRUE(reader.compat());
  EXPECT_EQ(*reader.manifest(), v0);
  // The first manifest is kept.
  ASSERT_TRUE(reader.learn_manifest(v1));
  EXPECT_EQ(*reader.manifest(), v0);

  // A reader whose key is a manifest hash accepts that manifest and leaves compat mode.
  Identity by_hash = Identity::from_key(v1.hash());
  auto wrong = by_hash.learn_manifest(Manifest::default_signer(other.public_key));
  ASSERT_ERRC(wrong, errc::bad_manifest);
  ASSERT_TRUE(by_hash.learn_manifest(v1));
  EXPECT_FALSE(by_hash.compat());
  Hash th = h(kTreeHashL3);
  EXPECT_TRUE(by_hash.verify(th, 3, 0, *Identity::from_manifest(v1).sign(kp, th, 3, 0)));

  // A manifest-mode identity does not accept a merely compat manifest.
  Identity non_compat = Identity::from_manifest(v1);
  EXPECT_FALSE(non_compat.learn_manifest(v0));
  // Nor does a compat reader accept another signer's manifest.
  EXPECT_FALSE(Identity::from_key(kp.public_key).learn_manifest(Manifest::default_signer(other.public_key)));
  Manifest two = v1;
  two.signers.push_back(Signer{caps::default_namespace(), other.public_key});
  EXPECT_FALSE(Identity::from_key(kp.public_key).learn_manifest(two));
}

// Two signers: quorum rules, distinct in-range signer indexes, in both field layouts.
TEST(Identity, MultiSignerQuorum) {
  KeyPair k1 = seed_key_pair(1), k2 = seed_key_pair(2), k3 = seed_key_pair(3);
  Hash th = h(kTreeHashL3);
  for (uint64_t version : {1u, 0u}) {
    Manifest m = Manifest::default_signer(k1.public_key, version);
    m.signers.push_back(Signer{caps::default_namespace(), k2.public_key});
    m.quorum = 2;
    Identity id = Identity::from_manifest(m);
    SCOPED_TRACE("version " + std::to_string(version));
    Signature s1 = sign(k1.secret_key, id.signable_for(0, th, 3, 0));
    Signature s2 = sign(k2.secret_key, id.signable_for(1, th, 3, 0));
    const SignerProof both[] = {{0, s1}, {1, s2}};
    const SignerProof swapped[] = {{1, s2}, {0, s1}};
    const SignerProof twice[] = {{0, s1}, {0, s1}};
    const SignerProof out_of_range[] = {{0, s1}, {2, s2}};
    const SignerProof wrong_index[] = {{1, s1}, {0, s2}};
    EXPECT_TRUE(id.verify(th, 3, 0, id.assemble(both)));
    EXPECT_TRUE(id.verify(th, 3, 0, id.assemble(swapped)));
    EXPECT_FALSE(id.verify(th, 3, 0, id.assemble(std::span(both).first(1))));
    EXPECT_FALSE(id.verify(th, 3, 0, id.assemble(twice)));
    EXPECT_FALSE(id.verify(th, 3, 0, id.assemble(out_of_range)));
    EXPECT_FALSE(id.verify(th, 3, 0, id.assemble(wrong_index)));
    EXPECT_FALSE(id.verify(th, 3, 1, id.assemble(both)));
    EXPECT_FALSE(id.sign(k3, th, 3, 0));

    // Quorum 1: one signer's sign() is enough, whichever signer it is.
    m.quorum = 1;
    Identity one = Identity::from_manifest(m);
    EXPECT_TRUE(one.verify(th, 3, 0, *one.sign(k1, th, 3, 0)));
    EXPECT_TRUE(one.verify(th, 3, 0, *one.sign(k2, th, 3, 0)));
    // Quorum 0 never verifies.
    m.quorum = 0;
    Identity none = Identity::from_manifest(m);
    EXPECT_FALSE(none.verify(th, 3, 0, none.assemble(both)));
  }
}

TEST(Identity, V1SingleSignerField) {
  KeyPair kp = seed_key_pair(1);
  Hash th = h(kTreeHashL3);
  Identity id = Identity::from_manifest(Manifest::default_signer(kp.public_key));
  Signature raw = sign(kp.secret_key, id.signable(th, 3, 0));
  // A raw 64-byte signature is not a v1 signature field.
  EXPECT_FALSE(id.verify(th, 3, 0, raw));
  const SignerProof proof[] = {{0, raw}};
  Bytes field = id.assemble(proof);
  EXPECT_EQ(to_hex(field), "0100" + to_hex(raw) + "0000");
  EXPECT_TRUE(id.verify(th, 3, 0, field));

  // patch > 0 without allowPatch: the reference ignores the patch and checks this state;
  // we refuse the field (a patched proof signs a longer tree, so no signer makes this one).
  Bytes patched = field;
  patched[66] = 1;
  EXPECT_FALSE(id.verify(th, 3, 0, patched));
  // With allowPatch a patched proof signs a longer tree, which we do not rebuild: refused.
  Manifest m = Manifest::default_signer(kp.public_key);
  m.allow_patch = true;
  Identity patching = Identity::from_manifest(m);
  const SignerProof patch_proof[] = {{0, sign(kp.secret_key, patching.signable(th, 3, 0))}};
  Bytes ok = patching.assemble(patch_proof);
  EXPECT_TRUE(patching.verify(th, 3, 0, ok));
  ok[66] = 1;
  EXPECT_FALSE(patching.verify(th, 3, 0, ok));
  // Hostile proof counts fail to decode instead of allocating.
  EXPECT_FALSE(id.verify(th, 3, 0, b("feffffff7f")));
  EXPECT_FALSE(id.verify(th, 3, 0, b("fe00001000")));
}

TEST(Identity, V1Prologue) {
  KeyPair kp = seed_key_pair(1);
  Manifest m = Manifest::default_signer(kp.public_key);
  Hash t2 = tree_hash_of("ab");
  m.prologue = Prologue{t2, 2};
  Identity id = Identity::from_manifest(m);
  // States up to the prologue length are fixed by the manifest, no signature needed.
  EXPECT_TRUE(id.verify(t2, 2, 0, {}));
  EXPECT_TRUE(id.verify(t2, 2, 7, {}));
  EXPECT_FALSE(id.verify(tree_hash_of("ax"), 2, 0, {}));
  EXPECT_FALSE(id.verify(tree_hash_of("a"), 1, 0, *id.sign(kp, tree_hash_of("a"), 1, 0)));
  // Beyond it the usual signature rules apply.
  Hash t3 = tree_hash_of("abc");
  EXPECT_FALSE(id.verify(t3, 3, 0, {}));
  EXPECT_TRUE(id.verify(t3, 3, 0, *id.sign(kp, t3, 3, 0)));
}

}  // namespace
