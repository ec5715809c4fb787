#include "net/connect/holepunch_rounds.hpp"

#include <algorithm>
#include <string>

namespace net::connect {

namespace {

// secure-payload.js token(addr) hashes addr.host, the dotted string.
std::string host_of(const Ipv4Address& a) {
  std::string s = a.to_string();
  return s.substr(0, s.rfind(':'));
}

bool is_random(Firewall f) { return f == Firewall::random; }

}  // namespace

// --- client (connect.js) ---------------------------------------------------------------------

ClientPunch::ClientPunch(const std::array<uint8_t, 32>& holepunch_secret, const NoisePayload& server_payload,
                         const Ipv4Address& relay_address, const Ipv4Address& server_address, RandomPunchGate& gate,
                         bool firewalled, Millis now, ClientPunchOptions options)
    : secure_(holepunch_secret, options.token_secret),
      puncher_(true, server_payload.firewall, gate, firewalled, options.puncher),
      gate_(gate),
      options_(options),
      client_relay_(relay_address),
      server_address_(server_address) {
  if (!server_payload.holepunch || server_payload.holepunch->relays.empty()) {
    fail(ConnectErrc::cannot_holepunch, "the server offers no holepunch relays", now, false);
    return;
  }
  id_ = server_payload.holepunch->id;
  // pickServerRelay: the server's relay that is also ours, else its first.
  const auto& relays = server_payload.holepunch->relays;
  auto same = std::find_if(relays.begin(), relays.end(), [&](const RelayInfo& r) { return r.relay_address == relay_address; });
  server_relay_ = same != relays.end() ? *same : relays.front();
  // probeRound: a low-TTL packet to where we think the server is opens our mapping, then
  // round one through the server's relay.
  if (options_.fast_open) puncher_.open_session(server_address_);
  HolepunchPayload p = base(false);
  if (options_.fast_open) p.remote_address = server_address_;
  send(server_relay_.relay_address, server_relay_.peer_address, p);
  state_ = State::probe_wait;
}

HolepunchPayload ClientPunch::base(bool punching) const {
  HolepunchPayload p;
  p.firewall = puncher_.nat().firewall();
  p.punching = punching;
  p.addresses = puncher_.nat().addresses();
  return p;
}

void ClientPunch::send(const Ipv4Address& relay, const Ipv4Address& peer, const HolepunchPayload& payload) {
  HolepunchPayload p = payload;
  p.round = round_++;
  out_.push_back(HolepunchRequest{relay, peer, id_, secure_.encrypt(p)});
}

std::optional<HolepunchRequest> ClientPunch::take_request() {
  if (out_.empty()) return std::nullopt;
  HolepunchRequest r = std::move(out_.front());
  out_.erase(out_.begin());
  return r;
}

void ClientPunch::fail(ConnectErrc code, std::string why, Millis now, bool notify) {
  if (failure_ || puncher_.connected()) return;
  if (notify) {
    // connect.js abort(): tell the server through its relay, then give up.
    HolepunchPayload p;
    p.error = PayloadError::aborted;
    send(server_relay_.relay_address, server_relay_.peer_address, p);
  }
  puncher_.destroy(now);
  failure_ = ConnectError{code, std::move(why)};
  state_ = State::done;
}

void ClientPunch::on_reply(hypercore::ByteSpan sealed, const Ipv4Address& peer_address, const Ipv4Address& to,
                           const Ipv4Address& from, Millis now) {
  if (state_ != State::probe_wait && state_ != State::punch_wait) return;
  if (puncher_.connected()) {
    // A probe (the server's fast-mode answer) came through first: that is the path.
    state_ = State::done;
    return;
  }
  bool punch_round = state_ == State::punch_wait;
  auto remote = secure_.decrypt(sealed);
  if (!remote) {
    fail(ConnectErrc::decryption_failed, "the holepunch reply does not decrypt", now, false);
    return;
  }
  if (remote->error == PayloadError::try_later) {
    fail(ConnectErrc::try_later, "the server is punching another random NAT: try again later", now, false);
    return;
  }
  if (remote->error != PayloadError::none) {
    fail(ConnectErrc::server_aborted,
         "the server aborted the holepunch (error " + std::to_string(static_cast<uint32_t>(remote->error)) + ")", now,
         false);
    return;
  }
  if (!punch_round) {
    // Round one carried no token of ours, so nothing is verified yet.
    puncher_.update_remote(remote->punching, remote->firewall, remote->addresses, std::nullopt);
    puncher_.nat().add(to, from);
    probe_peer_ = peer_address;
    remote_token_ = remote->token;
    if (puncher_.remote_firewall() == Firewall::unknown) {
      // Give a server that does not know its NAT yet a moment (it may see our fast-open probe).
      state_ = State::sleeping;
      wake_ = now + options_.unknown_wait;
      return;
    }
    state_ = State::analyzing;
    after_analysis(now);
    return;
  }
  bool echoed = remote->remote_token && *remote->remote_token == secure_.token(host_of(server_address_));
  std::optional<std::array<uint8_t, 4>> verified;
  if (echoed) verified = server_address_.host;
  puncher_.update_remote(remote->punching, remote->firewall, remote->addresses, verified);
  if (!puncher_.remote_punching()) {
    fail(ConnectErrc::cannot_holepunch, "the server is not holepunching", now, false);
    return;
  }
  if (!puncher_.punch(now)) {
    fail(ConnectErrc::cannot_holepunch, "the server is not holepunchable (no verified address)", now, false);
    return;
  }
  state_ = State::punching;
}

void ClientPunch::on_request_failed(Millis now) {
  if (state_ != State::probe_wait && state_ != State::punch_wait) return;
  fail(ConnectErrc::cannot_holepunch, "the relay did not answer our holepunch request", now, false);
}

void ClientPunch::after_analysis(Millis now) {
  if (!puncher_.nat().analyzed()) return;
  Firewall local = puncher_.nat().firewall();
  Firewall remote = puncher_.remote_firewall();
  if ((remote == Firewall::unknown || !remote_token_) && !retried_) {
    // One more probe round: the server may know its NAT (and our address) by now.
    retried_ = true;
    if (options_.fast_open) puncher_.open_session(server_address_);
    HolepunchPayload p = base(false);
    if (options_.fast_open) p.remote_address = server_address_;
    send(server_relay_.relay_address, server_relay_.peer_address, p);
    state_ = State::probe_wait;
    return;
  }
  if (remote == Firewall::unknown || local == Firewall::unknown) {
    fail(ConnectErrc::cannot_holepunch, "holepunch probe timeout: a NAT type stayed unknown", now, true);
    return;
  }
  if (is_random(remote) && is_random(local)) {
    fail(ConnectErrc::cannot_holepunch, "both peers are behind random NATs", now, true);
    return;
  }
  // The server rerolled its socket: aim at the address its relay saw the probe reply from.
  if (server_relay_.relay_address == client_relay_ && !(server_address_ == probe_peer_)) {
    server_address_ = probe_peer_;
    puncher_.open_session(server_address_);
  }
  // roundPunch: our NAT view is final now that we tell it.
  puncher_.nat().freeze();
  if ((is_random(remote) || is_random(local)) && gate_.busy(now)) {
    fail(ConnectErrc::try_later, "a random-NAT punch is already running here: try again later", now, false);
    return;
  }
  HolepunchPayload p = base(true);
  p.token = secure_.token(host_of(server_address_));
  p.remote_token = remote_token_;
  send(client_relay_, server_address_, p);
  state_ = State::punch_wait;
}

std::optional<Millis> ClientPunch::next_timeout() const {
  std::optional<Millis> t = puncher_.next_timeout();
  if (state_ == State::sleeping && wake_ && (!t || *wake_ < *t)) t = wake_;
  return t;
}

void ClientPunch::advance(Millis now) {
  if (state_ == State::done) return;
  puncher_.advance(now);
  if (puncher_.connected()) {
    state_ = State::done;
    return;
  }
  if (state_ == State::sleeping && wake_ && now >= *wake_) {
    state_ = State::analyzing;
    wake_.reset();
  }
  if (state_ == State::analyzing) after_analysis(now);
  if (state_ == State::punching) {
    if (puncher_.connected()) {
      state_ = State::done;
    } else if (puncher_.aborted()) {
      fail(ConnectErrc::cannot_holepunch, "no probe came through the NATs", now, false);
    }
  }
}

// --- server (server.js _onpeerholepunch) ----------------------------------------------------

ServerPunch::ServerPunch(const std::array<uint8_t, 32>& holepunch_secret, Firewall remote_firewall,
                         RandomPunchGate& gate, bool firewalled, HolepuncherOptions options,
                         std::optional<std::array<uint8_t, 32>> token_secret)
    : secure_(holepunch_secret, token_secret), puncher_(false, remote_firewall, gate, firewalled, options), gate_(gate) {}

HolepunchAnswer ServerPunch::abort(PayloadError error, Millis now) {
  aborted_ = true;
  HolepunchPayload p;
  p.error = error;
  p.round = round_;
  puncher_.destroy(now);
  return HolepunchAnswer{secure_.encrypt(p), false};
}

ServerPunch::Status ServerPunch::on_holepunch(hypercore::ByteSpan sealed, const Ipv4Address& peer_address,
                                              bool from_our_relay, Millis now) {
  auto remote = secure_.decrypt(sealed);
  if (!remote) return Status::drop;
  if (aborted_ || remote->error != PayloadError::none) {
    round_ = std::max(round_, remote->round);
    answer_ = abort(PayloadError::aborted, now);
    return Status::answer;
  }
  hypercore::Hash token = secure_.token(host_of(peer_address));
  bool echoed = from_our_relay && remote->remote_token && *remote->remote_token == token;
  if (remote->round >= round_) {
    round_ = remote->round;
    std::optional<std::array<uint8_t, 4>> verified;
    if (echoed) verified = peer_address.host;
    puncher_.update_remote(remote->punching, remote->firewall, remote->addresses, verified);
  }
  pending_ = std::move(*remote);
  pending_peer_ = peer_address;
  pending_from_relay_ = from_our_relay;
  if (!puncher_.nat().analyzed()) return Status::wait;
  answer_ = resume(now);
  return answer_ ? Status::answer : Status::drop;
}

std::optional<HolepunchAnswer> ServerPunch::resume(Millis now) {
  if (!pending_) return std::nullopt;
  HolepunchPayload remote = std::move(*pending_);
  pending_.reset();
  if (aborted_) return abort(PayloadError::aborted, now);
  Holepuncher& p = puncher_;
  if (!p.remote_punching() && p.unstable()) return abort(PayloadError::aborted, now);
  Firewall local = p.nat().firewall();
  // Fast mode: the client opened a session to an address of ours; answer it at once.
  if ((local == Firewall::consistent || local == Firewall::open) && remote.remote_address && p.nat().addresses()) {
    const auto& ours = *p.nat().addresses();
    if (std::find(ours.begin(), ours.end(), *remote.remote_address) != ours.end()) p.ping(pending_peer_);
  }
  if (p.remote_punching()) {
    if ((is_random(p.remote_firewall()) || is_random(local)) && gate_.busy(now) && !p.punching()) {
      return abort(PayloadError::try_later, now);
    }
    if (!p.punch(now)) return abort(PayloadError::aborted, now);
  }
  if (p.nat().firewall() != Firewall::unknown) p.nat().freeze();
  HolepunchPayload out;
  out.firewall = p.nat().firewall();
  out.round = round_;
  out.connected = p.connected();
  out.punching = p.punching();
  out.addresses = p.nat().addresses();
  if (pending_from_relay_) out.token = secure_.token(host_of(pending_peer_));
  out.remote_token = remote.token;
  return HolepunchAnswer{secure_.encrypt(out), true};
}

}  // namespace net::connect
