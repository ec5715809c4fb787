#include "net/connect/client_handshake.hpp"

#include <sodium.h>

#include <string>

#include "net/connect/address_class.hpp"

namespace net::connect {

// 32 random bytes: a blind-relay token (blind-relay's token()).
hypercore::Hash random_hash() {
  hypercore::Hash h;
  randombytes_buf(h.data(), h.size());
  return h;
}

const char* path_name(ConnectPath path) {
  switch (path) {
    case ConnectPath::direct: return "direct";
    case ConnectPath::open_server: return "open_server";
    case ConnectPath::relayed_address: return "relayed_address";
    case ConnectPath::holepunch: return "holepunch";
    case ConnectPath::relay: return "relay";
    case ConnectPath::lan: return "lan";
  }
  return "unknown";
}

ClientHandshake::ClientHandshake(const hypercore::KeyPair& key_pair, const hypercore::PublicKey& server,
                                 uint32_t local_stream_id, ClientHandshakeOptions options)
    : ik_(NoiseIk::initiator(key_pair, server, options.ephemeral)), local_stream_id_(local_stream_id) {
  // connect.js connectThroughNode: our payload names our UDX stream and asks for the
  // secret stream; holepunch info is the server's to offer.
  NoisePayload ours;
  ours.firewall = options.firewall;
  ours.addresses4 = std::move(options.addresses4);
  ours.udx = UdxInfo{.version = 1, .reusable_socket = false, .id = local_stream_id_, .seq = 0};
  ours.secret_stream = SecretStreamInfo{};
  if (options.relay_through) {
    our_relay_ = RelayPlan{*options.relay_through, random_hash(), true};
    ours.relay_through = RelayThroughInfo{1, our_relay_->relay, our_relay_->token};
  }
  if (auto message = ik_.write_message(encode_noise_payload(ours))) request_ = std::move(*message);
}

ConnectResult<ClientConnect> ClientHandshake::on_reply(const HandshakeMessage& reply, const Ipv4Address& sent_to) {
  if (ik_.complete()) return connect_fail(ConnectErrc::out_of_turn, "the handshake is already complete");
  // On a copy: a reply that does not decrypt (forged by a relay, garbled) leaves the
  // handshake able to take the genuine one from another relay.
  NoiseIk trial = ik_;
  auto received = trial.read_message(reply.noise);
  if (!received) return std::unexpected(received.error());
  ik_ = std::move(trial);
  auto payload = decode_noise_payload(*received);
  if (!payload) return std::unexpected(payload.error());
  if (auto compatible = check_compatible(*payload); !compatible) return std::unexpected(compatible.error());
  if (payload->error == PayloadError::try_later) {
    return connect_fail(ConnectErrc::try_later, "the server is busy (TRY_LATER): try again later");
  }
  if (payload->error != PayloadError::none) {
    return connect_fail(ConnectErrc::server_aborted,
                        "the server refused the connection (error " +
                            std::to_string(static_cast<uint32_t>(payload->error)) + ")");
  }
  if (!payload->udx) return connect_fail(ConnectErrc::server_aborted, "the server sent no UDX stream id");

  ClientConnect result;
  result.keys = ik_.outcome();
  result.remote_stream_id = static_cast<uint32_t>(payload->udx->id);
  // router.js peerHandshake: the server's address is what the relay saw (peerAddress), or
  // where we sent it; relayed when those differ.
  Ipv4Address server_address = reply.peer_address.value_or(sent_to);
  bool relayed = !(server_address == sent_to);
  result.holepunch_offered = payload->holepunch && !payload->holepunch->relays.empty();
  if (!relayed) {
    result.target = sent_to;
    result.path = ConnectPath::direct;
  } else if (payload->firewall == Firewall::open || !result.holepunch_offered) {
    result.target = server_address;
    for (const auto& address : payload->addresses4) {
      if (!is_bogon(address.host)) {
        result.target = address;
        break;
      }
    }
    result.path = ConnectPath::open_server;
  } else {
    result.target = server_address;
    result.path = ConnectPath::relayed_address;
  }
  // connect.js relayConnection: the server's relay and token first, else ours.
  if (payload->relay_through) {
    result.relay = RelayPlan{payload->relay_through->public_key, payload->relay_through->token, false};
  } else {
    result.relay = our_relay_;
  }
  result.remote_payload = std::move(*payload);
  return result;
}

}  // namespace net::connect
