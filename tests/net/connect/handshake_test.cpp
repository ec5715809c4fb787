// The server and client halves of PEER_HANDSHAKE (net/connect/server_handshake.hpp,
// client_handshake.hpp) against each other: the keys and UDX ids both sides end with, the
// path the client picks for each kind of reply, the reference's refusals, and repeats and
// floods at the server.
#include <gtest/gtest.h>

#include "net/connect/client_handshake.hpp"
#include "net/connect/server_handshake.hpp"
#include "tests/support/expect_errc.hpp"

namespace net::connect {
namespace {

using std::chrono::milliseconds;

Ipv4Address addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) { return Ipv4Address{{a, b, c, d}, port}; }

HandshakeMessage reply_from(const hypercore::Bytes& noise, std::optional<Ipv4Address> peer = std::nullopt) {
  HandshakeMessage message;
  message.mode = RelayMode::reply;
  message.noise = noise;
  message.peer_address = peer;
  return message;
}

ServerHandshakeOptions server_options(Firewall firewall, std::vector<Ipv4Address> addresses4,
                                      std::vector<Ipv4Address> relays = {}) {
  ServerHandshakeOptions options;
  options.firewall = firewall;
  options.addresses4 = std::move(addresses4);
  options.relay_addresses = std::move(relays);
  return options;
}

hypercore::KeyPair seeded(uint8_t byte) {
  hypercore::Seed seed;
  seed.fill(byte);
  return hypercore::KeyPair::from_seed(seed);
}

TEST(ConnectHandshake, DirectHandshakeAgreesOnKeysAndStreamIds) {
  auto server_keys = seeded(2);
  ServerHandshakes server(server_keys, server_options(Firewall::unknown, {addr(127, 0, 0, 1, 5000)}));
  ClientHandshake client(seeded(1), server_keys.public_key, 0x11223344);
  ASSERT_FALSE(client.noise().empty());

  auto answer = server.on_handshake(client.noise(), addr(127, 0, 0, 1, 6000), /*direct=*/true, 0x55667788,
                                    milliseconds(0));
  ASSERT_TRUE(answer);
  ASSERT_TRUE(answer->accepted);
  const auto& accepted = *answer->accepted;
  EXPECT_EQ(accepted.remote_stream_id, 0x11223344u);
  EXPECT_EQ(accepted.local_stream_id, 0x55667788u);
  EXPECT_TRUE(accepted.connect_now);
  EXPECT_EQ(accepted.client_address, addr(127, 0, 0, 1, 6000));
  EXPECT_EQ(accepted.keys.remote_public_key, seeded(1).public_key);

  auto connected = client.on_reply(reply_from(answer->noise),
                                   addr(127, 0, 0, 1, 5000));
  ASSERT_TRUE(connected) << connected.error().message;
  EXPECT_EQ(connected->path, ConnectPath::direct);
  EXPECT_EQ(connected->target, addr(127, 0, 0, 1, 5000));
  EXPECT_EQ(connected->remote_stream_id, 0x55667788u);
  EXPECT_EQ(connected->keys.tx, accepted.keys.rx);
  EXPECT_EQ(connected->keys.rx, accepted.keys.tx);
  EXPECT_EQ(connected->keys.handshake_hash, accepted.keys.handshake_hash);
  EXPECT_EQ(connected->keys.remote_public_key, server_keys.public_key);
  EXPECT_TRUE(client.complete());
  // A second reply (another relay's copy) is refused: the first one won.
  EXPECT_ERRC(client.on_reply(reply_from(answer->noise),
                              addr(127, 0, 0, 1, 5000)),
              ConnectErrc::out_of_turn);
}

TEST(ConnectHandshake, AForgedReplyDoesNotSpoilTheGenuineOne) {
  auto server_keys = seeded(2);
  ServerHandshakes server(server_keys);
  ClientHandshake client(seeded(1), server_keys.public_key, 7);
  auto answer = server.on_handshake(client.noise(), addr(127, 0, 0, 1, 6000), true, 9, milliseconds(0));
  ASSERT_TRUE(answer);
  hypercore::Bytes forged = answer->noise;
  forged[40] ^= 1;
  EXPECT_ERRC(client.on_reply(reply_from(forged), addr(127, 0, 0, 1, 5000)), ConnectErrc::handshake_failed);
  EXPECT_ERRC(client.on_reply(reply_from(hypercore::Bytes(10, 1)), addr(127, 0, 0, 1, 5000)),
              ConnectErrc::handshake_failed);
  EXPECT_FALSE(client.complete());
  auto connected = client.on_reply(reply_from(answer->noise), addr(127, 0, 0, 1, 5000));
  ASSERT_TRUE(connected) << connected.error().message;
  EXPECT_EQ(connected->remote_stream_id, 9u);
}

TEST(ConnectHandshake, RelayedToAnOpenServerDialsItsFirstPublicAddress) {
  auto server_keys = seeded(2);
  ServerHandshakes server(server_keys, server_options(Firewall::open, {addr(192, 168, 1, 5, 5000), addr(203, 1, 2, 3, 5000)},
                                               {addr(198, 51, 1, 1, 49737)}));
  ClientHandshake client(seeded(1), server_keys.public_key, 7);
  auto answer = server.on_handshake(client.noise(), addr(81, 2, 3, 4, 6000), /*direct=*/false, 9, milliseconds(0));
  ASSERT_TRUE(answer && answer->accepted);
  EXPECT_FALSE(answer->accepted->connect_now);  // the client dials us

  // The relay reports the server where it saw it.
  auto connected = client.on_reply(
      reply_from(answer->noise, addr(10, 9, 9, 9, 7000)),
      addr(198, 51, 1, 1, 49737));
  ASSERT_TRUE(connected) << connected.error().message;
  EXPECT_EQ(connected->path, ConnectPath::open_server);
  EXPECT_EQ(connected->target, addr(203, 1, 2, 3, 5000));  // 192.168/16 is skipped as a bogon
  ASSERT_TRUE(connected->remote_payload.relay_addresses);
  EXPECT_EQ(*connected->remote_payload.relay_addresses, std::vector<Ipv4Address>{addr(198, 51, 1, 1, 49737)});
}

TEST(ConnectHandshake, RelayedWithOnlyPrivateAddressesDialsWhereTheRelaySawTheServer) {
  auto server_keys = seeded(2);
  ServerHandshakes server(server_keys, server_options(Firewall::unknown, {addr(127, 0, 0, 1, 5000)}));
  ClientHandshake client(seeded(1), server_keys.public_key, 7);
  auto answer = server.on_handshake(client.noise(), addr(127, 0, 0, 1, 6000), false, 9, milliseconds(0));
  ASSERT_TRUE(answer && answer->accepted);
  auto connected = client.on_reply(
      reply_from(answer->noise, addr(127, 0, 0, 1, 5001)),
      addr(127, 0, 0, 1, 49737));
  ASSERT_TRUE(connected);
  EXPECT_EQ(connected->path, ConnectPath::open_server);
  EXPECT_EQ(connected->target, addr(127, 0, 0, 1, 5001));
  EXPECT_FALSE(connected->holepunch_offered);
}

TEST(ConnectHandshake, AFirewalledServerOfferingHolepunchIsDialledWhereTheRelaySawIt) {
  // A Node server that does not know its public address offers its relays for punching.
  auto server_keys = seeded(2);
  ClientHandshake client(seeded(1), server_keys.public_key, 7);
  auto responder = NoiseIk::responder(server_keys);
  ASSERT_TRUE(responder.read_message(client.noise()));
  NoisePayload payload;
  payload.holepunch = HolepunchInfo{.id = 3, .relays = {RelayInfo{addr(127, 0, 0, 1, 49737), addr(127, 0, 0, 1, 5001)}}};
  payload.addresses4 = {addr(127, 0, 0, 1, 5000)};
  payload.udx = UdxInfo{.id = 42};
  payload.secret_stream = SecretStreamInfo{};
  auto reply = responder.write_message(encode_noise_payload(payload));
  ASSERT_TRUE(reply);
  auto connected = client.on_reply(
      reply_from(*reply, addr(127, 0, 0, 1, 5001)),
      addr(127, 0, 0, 1, 49737));
  ASSERT_TRUE(connected);
  EXPECT_EQ(connected->path, ConnectPath::relayed_address);
  EXPECT_EQ(connected->target, addr(127, 0, 0, 1, 5001));
  EXPECT_TRUE(connected->holepunch_offered);
  EXPECT_EQ(connected->remote_stream_id, 42u);
}

TEST(ConnectHandshake, TheSameNoiseTwiceGetsTheSameReplyAndOneConnection) {
  auto server_keys = seeded(2);
  ServerHandshakes server(server_keys);
  ClientHandshake client(seeded(1), server_keys.public_key, 7);
  auto first = server.on_handshake(client.noise(), addr(127, 0, 0, 1, 6000), false, 1, milliseconds(0));
  auto second = server.on_handshake(client.noise(), addr(127, 0, 0, 1, 6000), false, 2, milliseconds(100));
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(first->accepted);
  EXPECT_FALSE(second->accepted);
  EXPECT_EQ(first->noise, second->noise);
  // Once forgotten, the same bytes are a new handshake (a replay the client cannot use: its
  // Noise state has moved on).
  auto later = server.on_handshake(client.noise(), addr(127, 0, 0, 1, 6000), false, 3, milliseconds(20000));
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->accepted);
  EXPECT_EQ(server.remembered(), 1u);
}

TEST(ConnectHandshake, AFloodOfHandshakesKeepsBoundedState) {
  auto server_keys = seeded(2);
  ServerHandshakeOptions options;
  options.max_pending = 16;
  ServerHandshakes server(server_keys, options);
  for (int i = 0; i < 200; ++i) {
    ClientHandshake client(hypercore::KeyPair::random(), server_keys.public_key, static_cast<uint32_t>(i));
    ASSERT_TRUE(server.on_handshake(client.noise(), addr(127, 0, 0, 1, 6000), false, 1, milliseconds(i)));
    EXPECT_LE(server.remembered(), 16u);
  }
}

TEST(ConnectHandshake, GarbageAndRefusedKeysAreDroppedSilently) {
  auto server_keys = seeded(2);
  ServerHandshakeOptions options;
  options.allow = [](const hypercore::PublicKey& remote, const NoisePayload&) { return remote != seeded(9).public_key; };
  ServerHandshakes server(server_keys, options);
  hypercore::Bytes garbage(105, 0x5a);
  EXPECT_FALSE(server.on_handshake(garbage, addr(127, 0, 0, 1, 6000), true, 1, milliseconds(0)));
  EXPECT_FALSE(server.on_handshake({}, addr(127, 0, 0, 1, 6000), true, 1, milliseconds(0)));
  // A message for another server's key does not decrypt.
  ClientHandshake stranger(seeded(1), seeded(3).public_key, 7);
  EXPECT_FALSE(server.on_handshake(stranger.noise(), addr(127, 0, 0, 1, 6000), true, 1, milliseconds(0)));
  ClientHandshake refused(seeded(9), server_keys.public_key, 7);
  EXPECT_FALSE(server.on_handshake(refused.noise(), addr(127, 0, 0, 1, 6000), true, 1, milliseconds(0)));
  EXPECT_EQ(server.remembered(), 0u);
}

// Answers `payload` (raw bytes) from a client, as our server does, and returns the error the
// server put in its reply.
PayloadError server_error_for(hypercore::ByteSpan client_payload) {
  auto server_keys = seeded(2);
  ServerHandshakes server(server_keys);
  auto initiator = NoiseIk::initiator(seeded(1), server_keys.public_key);
  auto message = initiator.write_message(client_payload);
  EXPECT_TRUE(message);
  auto answer = server.on_handshake(*message, addr(127, 0, 0, 1, 6000), true, 1, milliseconds(0));
  EXPECT_TRUE(answer);
  EXPECT_FALSE(answer->accepted);
  auto reply = initiator.read_message(answer->noise);
  EXPECT_TRUE(reply);
  auto decoded = decode_noise_payload(*reply);
  EXPECT_TRUE(decoded);
  return decoded->error;
}

TEST(ConnectHandshake, ServerRepliesVersionMismatchAndAbortedAsTheReferenceDoes) {
  const uint8_t version2[] = {0x02};
  EXPECT_EQ(server_error_for(version2), PayloadError::version_mismatch);
  NoisePayload no_udx;
  no_udx.secret_stream = SecretStreamInfo{};
  EXPECT_EQ(server_error_for(encode_noise_payload(no_udx)), PayloadError::aborted);
}

TEST(ConnectHandshake, ClientNamesTheServersRefusals) {
  auto server_keys = seeded(2);
  for (auto [error, expected] : {std::pair{PayloadError::aborted, ConnectErrc::server_aborted},
                                 std::pair{PayloadError::try_later, ConnectErrc::try_later}}) {
    ClientHandshake client(seeded(1), server_keys.public_key, 7);
    auto responder = NoiseIk::responder(server_keys);
    ASSERT_TRUE(responder.read_message(client.noise()));
    NoisePayload payload;
    payload.error = error;
    payload.udx = UdxInfo{.id = 1};
    auto reply = responder.write_message(encode_noise_payload(payload));
    ASSERT_TRUE(reply);
    EXPECT_ERRC(client.on_reply(reply_from(*reply), addr(127, 0, 0, 1, 1)),
                expected);
  }
  // No UDX data: nothing to connect to.
  ClientHandshake client(seeded(1), server_keys.public_key, 7);
  auto responder = NoiseIk::responder(server_keys);
  ASSERT_TRUE(responder.read_message(client.noise()));
  auto reply = responder.write_message(encode_noise_payload(NoisePayload{}));
  ASSERT_TRUE(reply);
  EXPECT_ERRC(client.on_reply(reply_from(*reply), addr(127, 0, 0, 1, 1)),
              ConnectErrc::server_aborted);
  // A version-2 server.
  ClientHandshake client2(seeded(1), server_keys.public_key, 7);
  auto responder2 = NoiseIk::responder(server_keys);
  ASSERT_TRUE(responder2.read_message(client2.noise()));
  const uint8_t version2[] = {0x02};
  auto reply2 = responder2.write_message(version2);
  ASSERT_TRUE(reply2);
  EXPECT_ERRC(client2.on_reply(reply_from(*reply2), addr(127, 0, 0, 1, 1)),
              ConnectErrc::incompatible);
}

}  // namespace
}  // namespace net::connect
