#include "net/connect/server_handshake.hpp"

#include <utility>

#include "net/connect/client_handshake.hpp"  // random_hash

namespace net::connect {

ServerHandshakes::ServerHandshakes(hypercore::KeyPair key_pair, ServerHandshakeOptions options)
    : key_pair_(std::move(key_pair)), options_(std::move(options)) {}

std::optional<ServerAnswer> ServerHandshakes::on_handshake(hypercore::ByteSpan noise, const Ipv4Address& client_address,
                                                           bool direct, uint32_t local_stream_id, Millis now) {
  expire(now);
  std::string key(noise.begin(), noise.end());
  if (auto it = replies_.find(key); it != replies_.end()) return ServerAnswer{it->second.reply, std::nullopt};

  auto ik = NoiseIk::responder(key_pair_);
  auto received = ik.read_message(noise);
  if (!received) return std::nullopt;
  auto remote = decode_noise_payload(*received);
  if (!remote) return std::nullopt;
  if (options_.allow && !options_.allow(ik.remote_public_key(), *remote)) return std::nullopt;

  // server.js: a payload of another version gets VERSION_MISMATCH, one without UDX ABORTED;
  // both still get a reply so the client fails with a reason instead of a timeout.
  PayloadError error = PayloadError::none;
  if (!check_compatible(*remote)) {
    error = PayloadError::version_mismatch;
  } else if (!remote->udx) {
    error = PayloadError::aborted;
  }

  NoisePayload ours;
  ours.error = error;
  ours.firewall = options_.firewall;
  ours.addresses4 = options_.addresses4;
  ours.udx = UdxInfo{.version = 1, .reusable_socket = false, .id = error == PayloadError::none ? local_stream_id : 0u, .seq = 0};
  ours.secret_stream = SecretStreamInfo{};
  if (!options_.relay_addresses.empty()) ours.relay_addresses = options_.relay_addresses;
  std::optional<RelayPlan> our_relay;
  if (options_.relay_through && error == PayloadError::none) {
    our_relay = RelayPlan{*options_.relay_through, random_hash(), true};
    ours.relay_through = RelayThroughInfo{1, our_relay->relay, our_relay->token};
  }
  if (options_.firewall != Firewall::open && !options_.holepunch_relays.empty() && error == PayloadError::none) {
    ours.holepunch = HolepunchInfo{local_stream_id, options_.holepunch_relays};
  }
  auto reply = ik.write_message(encode_noise_payload(ours));
  if (!reply) return std::nullopt;

  while (order_.size() >= options_.max_pending && !order_.empty()) {
    replies_.erase(order_.front());
    order_.pop_front();
  }
  replies_.emplace(key, Remembered{*reply, now});
  order_.push_back(std::move(key));

  ServerAnswer answer{std::move(*reply), std::nullopt};
  if (error != PayloadError::none) return answer;
  AcceptedConnection accepted;
  accepted.keys = ik.outcome();
  accepted.remote_stream_id = static_cast<uint32_t>(remote->udx->id);
  accepted.remote_payload = std::move(*remote);
  accepted.local_stream_id = local_stream_id;
  accepted.client_address = client_address;
  // server.js: `if (remotePayload.firewall === OPEN || direct) onsocket(...)`.
  accepted.connect_now = direct || accepted.remote_payload.firewall == Firewall::open;
  if (!accepted.connect_now) {
    if (our_relay) {
      accepted.relay = our_relay;
    } else if (accepted.remote_payload.relay_through) {
      const auto& r = *accepted.remote_payload.relay_through;
      accepted.relay = RelayPlan{r.public_key, r.token, false};
    }
  }
  answer.accepted = std::move(accepted);
  return answer;
}

void ServerHandshakes::expire(Millis now) {
  while (!order_.empty()) {
    auto it = replies_.find(order_.front());
    if (it != replies_.end() && now - it->second.at < options_.remember) break;
    if (it != replies_.end()) replies_.erase(it);
    order_.pop_front();
  }
}

}  // namespace net::connect
