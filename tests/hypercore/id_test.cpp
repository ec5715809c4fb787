// z-base-32 ids and key parsing (../shared/spec/hypercore.md §3.6). The fixed vectors
// were printed by the reference's z32 1.1.0 and hypercore-id-encoding 1.3.0.
#include <gtest/gtest.h>

#include <random>

#include "hypercore/crypto.hpp"
#include "hypercore/id.hpp"
#include "hypercore/manifest.hpp"
#include "tests/support/expect_errc.hpp"

namespace {

using namespace hypercore;

constexpr const char* kKey = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
constexpr const char* kId = "tkrq8zmwb8a3m9k15csu3q17qmfgqnp9dskbrg9uq1rydpyxp7qy";

Hash key() { return *hash_from_hex(kKey); }

TEST(Id, ReferenceVectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"00", "yy"},
      {"ff", "9h"},
      {"0102", "yrby"},
      {"f0f0f0", "6daxy"},
      {"deadbeef", "54s575a"},
      {"0123456789", "yrtwk3hj"},
      {"48656c6c6f2c20776f726c6421", "jb1sa5dxfoo8q551pt1nn"},
  };
  for (auto [hex, z32] : vectors) {
    Bytes bytes = *from_hex(hex);
    EXPECT_EQ(z32_encode(bytes), z32) << hex;
    auto back = z32_decode(z32);
    ASSERT_TRUE(back) << z32;
    EXPECT_EQ(to_hex(*back), hex);
  }
}

TEST(Id, CoreIds) {
  EXPECT_EQ(key_to_id(key()), kId);
  // The ids of the seed-0x01 manifest keys (v1 and v0), as the reference's core.id prints them.
  KeyPair kp = KeyPair::from_seed(Seed{[] {
    Seed s;
    s.fill(1);
    return s;
  }()});
  EXPECT_EQ(key_to_id(Manifest::default_signer(kp.public_key).hash()), "5db4ysm3yq3e47ehpafznb5zmahe7tpd37ujzze6x5nbznhxp33y");
  EXPECT_EQ(key_to_id(Manifest::default_signer(kp.public_key, 0).hash()), "ifntgs51j6jymedcmn9qgu3wfmbhq99oanx4k1ssregy7cast6wy");
}

TEST(Id, RoundTripsEveryLength) {
  std::mt19937_64 rng(7);
  for (size_t len = 0; len <= 70; len++) {
    for (int rep = 0; rep < 20; rep++) {
      Bytes data(len);
      for (auto& b : data) b = static_cast<uint8_t>(rng());
      std::string text = z32_encode(data);
      EXPECT_EQ(text.size(), (len * 8 + 4) / 5);
      auto back = z32_decode(text);
      ASSERT_TRUE(back) << text;
      EXPECT_EQ(*back, data);
    }
  }
}

TEST(Id, DecodeRejectsBadInput) {
  for (std::string_view bad : {"y", "yyy", "yyyyyy", "yyyyyyyyy", "Yy", "y0", "yl", "yv", "y ", "y\xff"}) {
    auto r = z32_decode(bad);
    ASSERT_ERRC(r, errc::invalid_argument) << bad;
  }
  // The four unused low bits of the last of 52 characters are ignored, as in the reference.
  std::string loose = kId;
  loose.back() = 'b';  // 'y' = 0, 'b' = 1
  EXPECT_EQ(to_hex(*z32_decode(loose)), kKey);
}

TEST(Id, ParseKey) {
  std::string upper = kKey;
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  for (std::string text : {std::string(kId), std::string(kKey), upper, "pear://" + std::string(kId),
                           "pear://" + std::string(kId) + "/some/path", "pear://" + std::string(kKey) + "/",
                           "pear://" + std::string(kKey)}) {
    auto k = parse_key(text);
    ASSERT_TRUE(k) << text << ": " << k.error().to_string();
    EXPECT_EQ(*k, key()) << text;
  }
}

TEST(Id, ParseKeyRejects) {
  std::string id = kId, hex = kKey;
  std::string upper_id = id;
  for (auto& c : upper_id) c = static_cast<char>(std::toupper(c));
  for (std::string text : {std::string(), id.substr(1), id + "y", hex.substr(2), hex + "00", hex.substr(0, 63) + "g",
                           upper_id, " " + id.substr(1), std::string("pear://"), "pear:/" + id, "pear://" + id + "y/x",
                           id + "/path", "PEAR://" + id}) {
    auto k = parse_key(text);
    ASSERT_ERRC(k, errc::invalid_argument) << text;
    EXPECT_FALSE(k.error().message.empty());
  }
}

}  // namespace
