// The DNS codec and our service names: golden bytes from the spec (§4.1/§4.2 worked
// examples), round trips with compression, and hostile packets that must fail with
// errc::corrupt rather than crash, loop or allocate without bound.
#include <gtest/gtest.h>

#include "hypercore/crypto.hpp"
#include "net/mdns/dns_message.hpp"
#include "net/mdns/service_names.hpp"
#include "tests/support/expect_errc.hpp"

using namespace net::mdns;
using hypercore::errc;

namespace {

Bytes hex(std::string_view h) {
  std::string clean;
  for (char c : h)
    if (c != ' ' && c != '\n') clean += c;
  auto b = hypercore::from_hex(clean);
  EXPECT_TRUE(b.has_value()) << h;
  return b.value_or(Bytes{});
}

PublicKey sample_key() {
  PublicKey pk{};
  auto prefix = hex("042dec8075cc1594");
  std::copy(prefix.begin(), prefix.end(), pk.begin());
  for (size_t i = 8; i < pk.size(); i++) pk[i] = static_cast<uint8_t>(0xb0 + i);
  return pk;
}

void expect_corrupt(const Bytes& packet, std::string_view what) {
  auto m = decode_message(packet);
  EXPECT_ERRC_MSG(m, errc::corrupt, what);
}

// Header (id 0, flags, counts) followed by `body`.
Bytes packet(uint16_t qd, uint16_t an, const Bytes& body, uint16_t flags = 0) {
  Bytes p = {0, 0, uint8_t(flags >> 8), uint8_t(flags), uint8_t(qd >> 8), uint8_t(qd), uint8_t(an >> 8), uint8_t(an), 0, 0, 0, 0};
  p.insert(p.end(), body.begin(), body.end());
  return p;
}

}  // namespace

TEST(MdnsNames, SpecExampleTopicSubtype) {
  auto topic = hypercore::blake2b({hypercore::as_bytes("example-topic")});
  EXPECT_EQ(hypercore::to_hex(topic), "ca9882d8081512ee42cfe023e5ca2309d526b3cc21d916e658666cc1e0c2c26b");
  EXPECT_EQ(subtype_name(lan_id(topic)).to_string(), "_tjirvbqbrqhcrxeopheqc4rjchu._sub._p2pdb._udp.local");
  EXPECT_EQ(subtype_name(lan_id(topic)).labels[0].size(), 28u);
}

TEST(MdnsNames, Base32MatchesRfc4648Vectors) {
  // RFC 4648 §10, lower-cased, padding dropped.
  EXPECT_EQ(base32_lower(hypercore::as_bytes("")), "");
  EXPECT_EQ(base32_lower(hypercore::as_bytes("f")), "my");
  EXPECT_EQ(base32_lower(hypercore::as_bytes("fo")), "mzxq");
  EXPECT_EQ(base32_lower(hypercore::as_bytes("foo")), "mzxw6");
  EXPECT_EQ(base32_lower(hypercore::as_bytes("foob")), "mzxw6yq");
  EXPECT_EQ(base32_lower(hypercore::as_bytes("fooba")), "mzxw6ytb");
  EXPECT_EQ(base32_lower(hypercore::as_bytes("foobar")), "mzxw6ytboi");
}

TEST(MdnsNames, InstanceHostAndTxt) {
  PublicKey pk = sample_key();
  EXPECT_EQ(instance_label(pk), "p2pdb-042dec8075cc1594");
  EXPECT_EQ(instance_label(pk, 2), "p2pdb-042dec8075cc1594 (2)");
  EXPECT_EQ(instance_name(instance_label(pk)).to_string(), "p2pdb-042dec8075cc1594._p2pdb._udp.local");
  EXPECT_EQ(host_name(pk).to_string(), "p2pdb-042dec80.local");
  EXPECT_EQ(host_name(pk, 3).to_string(), "p2pdb-042dec80-3.local");
  auto txt = txt_strings(pk);
  ASSERT_EQ(txt.size(), 2u);
  EXPECT_EQ(txt[1], "pk=" + hypercore::to_hex(pk));
  EXPECT_EQ(parse_txt(TxtData{txt}), pk);
  EXPECT_EQ(parse_txt(TxtData{{"PK=" + hypercore::to_hex(pk), "V=1"}}), pk);
  EXPECT_FALSE(parse_txt(TxtData{{"v=2", txt[1]}}));
  EXPECT_FALSE(parse_txt(TxtData{{txt[1]}}));
  EXPECT_FALSE(parse_txt(TxtData{{"v=1", "pk=zz"}}));
  EXPECT_FALSE(parse_txt(TxtData{{"v=1"}}));
}

TEST(MdnsCodec, SpecSubtypeQueryIs69Bytes) {
  auto topic = hypercore::blake2b({hypercore::as_bytes("example-topic")});
  Message q;
  q.questions.push_back({subtype_name(lan_id(topic)), rr_type::kPtr, kClassIn, false});
  auto bytes = encode_message(q);
  ASSERT_TRUE(bytes);
  Bytes expected = hex(
      "000000000001000000000000"
      "1c 5f746a697276627162727168637278656f706865716334726a636875"
      "04 5f737562 06 5f7032706462 04 5f756470 05 6c6f63616c 00"
      "000c 0001");
  EXPECT_EQ(expected.size(), 69u);
  EXPECT_EQ(hypercore::to_hex(*bytes), hypercore::to_hex(expected));

  auto decoded = decode_message(expected);
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  ASSERT_EQ(decoded->questions.size(), 1u);
  EXPECT_EQ(decoded->questions[0].name, subtype_name(lan_id(topic)));
  EXPECT_FALSE(decoded->questions[0].unicast_response);

  // The QU form differs only in the top bit of the class (0x8001).
  q.questions[0].unicast_response = true;
  auto qu = encode_message(q);
  ASSERT_TRUE(qu);
  expected[68] = 0x01, expected[67] = 0x80;
  EXPECT_EQ(*qu, expected);
  EXPECT_TRUE(decode_message(*qu)->questions[0].unicast_response);
}

TEST(MdnsCodec, SpecSrvAndTxtRdata) {
  PublicKey pk = sample_key();
  auto srv = make_srv(instance_name(instance_label(pk)), 49737, host_name(pk), kTtlSrv);
  EXPECT_EQ(hypercore::to_hex(rdata_bytes(srv, false)),
            "00000000c2490e70327064622d30343264656338300" "56c6f63616c00");
  auto txt = make_txt(instance_name(instance_label(pk)), txt_strings(pk), kTtlTxt);
  Bytes t = rdata_bytes(txt, false);
  ASSERT_EQ(t.size(), 4u + 1 + 67);
  EXPECT_EQ(hypercore::to_hex(ByteSpan(t.data(), 7)), "03763d3143706b");
  EXPECT_EQ(hypercore::to_hex(ByteSpan(t.data() + 7, 6)), "3d3034326465");  // "=042de"
}

TEST(MdnsCodec, ResponseRoundTripsWithCompressionAndFlags) {
  PublicKey pk = sample_key();
  auto instance = instance_name(instance_label(pk));
  Message m;
  m.flags = kFlagResponse | kFlagAuthoritative;
  m.answers.push_back(make_ptr(service_type_name(), instance, kTtlPtr));
  m.additionals.push_back(make_srv(instance, 40404, host_name(pk), kTtlSrv));
  m.additionals.push_back(make_txt(instance, txt_strings(pk), kTtlTxt));
  m.additionals.push_back(make_a(host_name(pk), {10, 77, 0, 2}, kTtlHost));
  m.additionals.push_back(make_aaaa(host_name(pk), {0xfe, 0x80, 15, 1}, kTtlHost));
  m.additionals.push_back({host_name(pk), rr_type::kNsec, kClassIn, true, 120, OpaqueData{{0xc0, 0x0c, 0, 1, 0x40}}});
  auto compressed = encode_message(m);
  auto plain = encode_message(m, false);
  ASSERT_TRUE(compressed && plain);
  EXPECT_LT(compressed->size() + 80, plain->size());
  for (const Bytes* bytes : {&*compressed, &*plain}) {
    auto d = decode_message(*bytes);
    ASSERT_TRUE(d) << d.error().to_string();
    EXPECT_TRUE(d->is_response());
    ASSERT_EQ(d->answers.size(), 1u);
    ASSERT_EQ(d->additionals.size(), 5u);
    EXPECT_EQ(std::get<PtrData>(d->answers[0].data).target, instance);
    EXPECT_FALSE(d->answers[0].cache_flush);
    const auto& srv = std::get<SrvData>(d->additionals[0].data);
    EXPECT_EQ(srv.port, 40404);
    EXPECT_EQ(srv.target, host_name(pk));
    EXPECT_TRUE(d->additionals[0].cache_flush);
    EXPECT_EQ(d->additionals[0].ttl, kTtlSrv);
    EXPECT_EQ(parse_txt(std::get<TxtData>(d->additionals[1].data)), pk);
    EXPECT_EQ(std::get<AData>(d->additionals[2].data).address, (std::array<uint8_t, 4>{10, 77, 0, 2}));
    EXPECT_EQ(std::get<AaaaData>(d->additionals[3].data).address[0], 0xfe);
    EXPECT_EQ(std::get<OpaqueData>(d->additionals[4].data).bytes.size(), 5u);
    for (size_t i = 0; i < m.additionals.size(); i++) EXPECT_EQ(record_key(d->additionals[i]), record_key(m.additionals[i]));
  }
}

TEST(MdnsCodec, NamesCompareCaseInsensitivelyAndKeepOddBytes) {
  EXPECT_EQ(DnsName::parse("Foo.LOCAL"), DnsName::parse("foo.local"));
  EXPECT_NE(DnsName::parse("foo.local"), DnsName::parse("foo.bar.local"));
  DnsName odd{{"avahi peer.x", "local"}};
  EXPECT_EQ(odd.to_string(), "avahi peer\\.x.local");
  EXPECT_NE(odd.key(), DnsName::parse("avahi peer.x.local").key());
  Message m;
  m.questions.push_back({odd, rr_type::kAny, kClassIn, true});
  auto d = decode_message(*encode_message(m));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->questions[0].name.labels, odd.labels);
  EXPECT_EQ(record_key(make_ptr(DnsName::parse("A.local"), DnsName::parse("X.local"), 1)),
            record_key(make_ptr(DnsName::parse("a.local"), DnsName::parse("x.LOCAL"), 4500)));
}

TEST(MdnsCodec, EncoderRefusesBadNames) {
  Message m;
  m.questions.push_back({DnsName{{std::string(64, 'a'), "local"}}, rr_type::kA, kClassIn, false});
  EXPECT_ERRC(encode_message(m), errc::invalid_argument);
  m.questions[0].name = DnsName{{"", "local"}};
  EXPECT_ERRC(encode_message(m), errc::invalid_argument);
  m.questions[0].name = DnsName{std::vector<std::string>(5, std::string(60, 'a'))};
  EXPECT_ERRC(encode_message(m), errc::invalid_argument);
  Message t;
  t.answers.push_back(make_txt(DnsName::parse("x.local"), {std::string(256, 'a')}, 1));
  EXPECT_ERRC(encode_message(t), errc::invalid_argument);
}

TEST(MdnsCodecHostile, CompressionPointerToItselfIsALoop) {
  // Question name at offset 12 is a pointer to offset 12.
  expect_corrupt(packet(1, 0, hex("c00c 0001 0001")), "forward or looping");
}

TEST(MdnsCodecHostile, CompressionPointerForward) {
  // Pointer to offset 18, after the name: forward pointers are refused.
  expect_corrupt(packet(1, 0, hex("c012 0001 0001 0161 00")), "forward or looping");
}

TEST(MdnsCodecHostile, TwoPointersChasingEachOther) {
  // Name 1 at 12: "a" + pointer to 17 (forward). Name 2 at 17 points back to 12; its
  // target 12 is below 17, but from there the walk meets the pointer to 17 again.
  Bytes body = hex("0161 c011 0001 0001 c00c 0001 0001");
  expect_corrupt(packet(2, 0, body), "forward or looping");
  // A label then a pointer back to the start of its own name.
  expect_corrupt(packet(2, 0, hex("0161 00 0001 0001 0162 c013 0001 0001")), "forward or looping");
}

TEST(MdnsCodecHostile, LegalBackwardChainDecodes) {
  // "b.local" at 12; "a" + pointer to 12 at 25; "c" + pointer to 25 at 33.
  Bytes body = hex("0162 056c6f63616c 00 0001 0001  0161 c00c 0001 0001  0163 c019 0001 0001");
  auto m = decode_message(packet(3, 0, body));
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->questions[2].name.to_string(), "c.a.b.local");
}

TEST(MdnsCodecHostile, TruncatedEverywhere) {
  PublicKey pk = sample_key();
  Message m;
  m.flags = kFlagResponse | kFlagAuthoritative;
  m.questions.push_back({service_type_name(), rr_type::kPtr, kClassIn, false});
  m.answers.push_back(make_ptr(service_type_name(), instance_name(instance_label(pk)), kTtlPtr));
  m.answers.push_back(make_srv(instance_name(instance_label(pk)), 1, host_name(pk), kTtlSrv));
  m.answers.push_back(make_txt(instance_name(instance_label(pk)), txt_strings(pk), kTtlTxt));
  m.answers.push_back(make_a(host_name(pk), {1, 2, 3, 4}, kTtlHost));
  Bytes full = *encode_message(m);
  ASSERT_TRUE(decode_message(full));
  for (size_t n = 0; n < full.size(); n++) {
    auto d = decode_message(ByteSpan(full.data(), n));
    ASSERT_ERRC(d, errc::corrupt) << "prefix of " << n << " bytes decoded";
  }
}

TEST(MdnsCodecHostile, HugeCountsAreRefusedBeforeAllocating) {
  expect_corrupt(packet(0xFFFF, 0xFFFF, hex("00 0001 0001")), "section counts exceed the packet");
  expect_corrupt(packet(1, 0, {}), "section counts exceed the packet");
}

TEST(MdnsCodecHostile, RdataLengthsMustMatch) {
  // A record with rdlength 5.
  expect_corrupt(packet(0, 1, hex("00 0001 0001 00000078 0005 0102030405")), "A rdata is not 4 bytes");
  expect_corrupt(packet(0, 1, hex("00 001c 0001 00000078 0004 01020304")), "AAAA rdata is not 16 bytes");
  // PTR whose name ends before the rdlength says.
  expect_corrupt(packet(0, 1, hex("00 000c 0001 00000078 0004 016100 ff")), "does not match");
  // PTR whose name runs beyond its rdlength.
  expect_corrupt(packet(0, 1, hex("00 000c 0001 00000078 0002 0161 00")), "overruns");
  // TXT string longer than the rdata.
  expect_corrupt(packet(0, 1, hex("00 0010 0001 00000078 0003 0561 6263")), "TXT string overruns");
  // SRV shorter than its fixed part.
  expect_corrupt(packet(0, 1, hex("00 0021 0001 00000078 0003 000000")), "SRV rdata too short");
  // rdlength beyond the packet.
  expect_corrupt(packet(0, 1, hex("00 0001 0001 00000078 00ff 01020304")), "rdata runs past the end");
}

TEST(MdnsCodecHostile, BadLabelsAndLongNames) {
  expect_corrupt(packet(1, 0, hex("4161 00 0001 0001")), "unsupported label type");
  expect_corrupt(packet(1, 0, hex("0561 00 0001 0001")), "past the end");
  // 5 labels of 63 bytes: 320 wire bytes.
  Bytes body;
  for (int i = 0; i < 5; i++) {
    body.push_back(63);
    body.insert(body.end(), 63, 'a');
  }
  body.insert(body.end(), {0, 0, 1, 0, 1});
  expect_corrupt(packet(1, 0, body), "longer than 255");
  expect_corrupt(Bytes(11, 0), "12-byte header");
}

TEST(MdnsCodecHostile, TrailingBytesAreIgnoredAndEmptyTxtDecodes) {
  auto m = decode_message(packet(0, 1, hex("00 0010 0001 00000078 0001 00  ffff")));
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_TRUE(std::get<TxtData>(m->answers[0].data).strings.empty());
}
