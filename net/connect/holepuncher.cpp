#include "net/connect/holepuncher.hpp"

#include <algorithm>

namespace net::connect {

namespace {

// holepuncher.js coerceFirewall: an open side punches like a consistent one.
Firewall coerce(Firewall f) { return f == Firewall::open ? Firewall::consistent : f; }

}  // namespace

// --- NatAnalyzer ---------------------------------------------------------------------------

void NatAnalyzer::add_sample(std::vector<Sample>& samples, const Ipv4Address& address) {
  // nat.js addSample: bump the hits and keep the list sorted by hits, most first.
  for (size_t i = 0; i < samples.size(); i++) {
    if (!(samples[i].address == address)) continue;
    samples[i].hits++;
    for (; i > 0 && samples[i - 1].hits < samples[i].hits; i--) std::swap(samples[i - 1], samples[i]);
    return;
  }
  samples.push_back(Sample{address, 1});
}

void NatAnalyzer::add(const Ipv4Address& to, const Ipv4Address& from) {
  if (std::find(visited_.begin(), visited_.end(), from) != visited_.end()) return;
  visited_.push_back(from);
  add_sample(hosts_, Ipv4Address{to.host, 0});
  add_sample(full_, to);
  if ((++sampled_ >= 3 || !firewalled_) && !frozen_) update();
  if (firewall_ == Firewall::consistent || firewall_ == Firewall::open || sampled_ >= kMinSamples) resolved_ = true;
}

void NatAnalyzer::unfreeze() {
  frozen_ = false;
  update_firewall();
  update_addresses();
}

void NatAnalyzer::update() {
  if (firewalled_ && firewall_ == Firewall::open) firewall_ = Firewall::unknown;
  update_firewall();
  update_addresses();
}

void NatAnalyzer::update_firewall() {
  if (!firewalled_) {
    firewall_ = Firewall::open;
    return;
  }
  if (sampled_ < 3) return;
  int max = full_[0].hits;
  if (max >= 3) {
    firewall_ = Firewall::consistent;
  } else if (max == 1) {
    firewall_ = Firewall::random;
  } else if (hosts_.size() == 1 && sampled_ > 3) {
    // Two equal samples of four from one host: two bad ones.
    firewall_ = Firewall::random;
  } else if (hosts_.size() > 1 && full_[1].hits > 1) {
    // A double hit on two different addresses: assume consistent (multi-homed).
    firewall_ = Firewall::consistent;
  } else if (sampled_ > 4) {
    firewall_ = Firewall::random;
  }
}

void NatAnalyzer::update_addresses() {
  if (firewall_ == Firewall::unknown) {
    addresses_.reset();
  } else if (firewall_ == Firewall::random) {
    addresses_ = std::vector<Ipv4Address>{hosts_[0].address};
  } else if (firewall_ == Firewall::consistent) {
    std::vector<Ipv4Address> out;
    for (const auto& s : full_) {
      if (s.hits >= 2 || out.size() < 2) out.push_back(s.address);
    }
    addresses_ = std::move(out);
  }
  // open: nat.js leaves the addresses as they were.
}

// --- Holepuncher ---------------------------------------------------------------------------

Holepuncher::Holepuncher(bool initiator, Firewall remote_firewall, RandomPunchGate& gate, bool firewalled,
                         HolepuncherOptions options)
    : initiator_(initiator),
      gate_(gate),
      options_(options),
      rng_(options.seed ? *options.seed : std::random_device{}()),
      nat_(firewalled),
      remote_firewall_(remote_firewall) {}

Holepuncher::~Holepuncher() {
  if (randomized_) gate_.active--;
}

void Holepuncher::update_remote(bool punching, Firewall firewall,
                                const std::optional<std::vector<Ipv4Address>>& addresses,
                                std::optional<std::array<uint8_t, 4>> verified) {
  std::vector<RemoteAddress> out;
  if (addresses) {
    for (const auto& a : *addresses) {
      bool was = std::any_of(remote_addresses_.begin(), remote_addresses_.end(),
                             [&](const RemoteAddress& r) { return r.verified && r.address.host == a.host; });
      out.push_back(RemoteAddress{a, (verified && *verified == a.host) || was});
    }
  }
  remote_firewall_ = firewall;
  remote_addresses_ = std::move(out);
  remote_punching_ = punching;
}

bool Holepuncher::unstable() const {
  Firewall local = nat_.firewall();
  return (remote_firewall_ == Firewall::random && local == Firewall::random) || local == Firewall::unknown;
}

std::optional<Ipv4Address> Holepuncher::verified_address() const {
  for (const auto& r : remote_addresses_) {
    if (r.verified) return r.address;
  }
  return std::nullopt;
}

void Holepuncher::randomized(bool on, Millis now) {
  if (on && !randomized_) {
    randomized_ = true;
    gate_.active++;
  } else if (!on && randomized_) {
    randomized_ = false;
    gate_.active--;
    gate_.last = now;
  }
}

bool Holepuncher::punch(Millis now) {
  if (punch_result_) return *punch_result_;
  punch_result_ = false;
  if (destroyed_ || connection_ || remote_addresses_.empty()) return false;
  Firewall local = coerce(nat_.firewall());
  Firewall remote = coerce(remote_firewall_);
  if (local == Firewall::consistent && remote == Firewall::consistent) {
    mode_ = Mode::consistent;
    // The responder waits a second first: the initiator's fast-open probe just went out.
    next_ = initiator_ ? now : now + options_.consistent_interval;
  } else if (auto verified = verified_address(); !verified) {
    return false;
  } else if (local == Firewall::consistent && remote == Firewall::random) {
    randomized(true, now);
    target_ = *verified;
    mode_ = Mode::random_probes;
    next_ = now;
  } else if (local == Firewall::random && remote == Firewall::consistent) {
    randomized(true, now);
    target_ = *verified;
    // Birthday sockets, each opening its mapping with a low-TTL probe, in one burst.
    while (sockets_ < options_.birthday_sockets) probe(sockets_++, target_, true);
    mode_ = Mode::keep_alive;
    next_ = now + Millis(100);
  } else {
    return false;
  }
  punching_ = true;
  punch_result_ = true;
  return true;
}

void Holepuncher::step(Millis now) {
  switch (mode_) {
    case Mode::idle:
      next_.reset();
      return;
    case Mode::consistent:
      if (++tries_ > options_.consistent_rounds) {
        destroy(now);
        return;
      }
      for (const auto& r : remote_addresses_) {
        // Unverified addresses only every fourth round.
        if (!r.verified && (tries_ & 3) != 0) continue;
        probe(0, r.address, false);
      }
      next_ = now + options_.consistent_interval;
      return;
    case Mode::random_probes: {
      if (tries_++ >= options_.random_tries) {
        destroy(now);
        return;
      }
      auto port = static_cast<uint16_t>(1000 + rng_() % 64536);
      probe(0, Ipv4Address{target_.host, port}, false);
      next_ = now + options_.random_interval;
      return;
    }
    case Mode::keep_alive:
      if (tries_++ >= options_.random_tries) {
        destroy(now);
        return;
      }
      if (cursor_ == sockets_) {
        cursor_ = 0;
        low_ttl_round_ = false;
      }
      probe(cursor_++, target_, low_ttl_round_);
      next_ = now + options_.random_interval;
      return;
  }
}

void Holepuncher::on_probe(size_t socket, const Ipv4Address& from, Millis now) {
  if (destroyed_ || socket >= sockets_) return;
  if (!initiator_) {
    // The responder answers each probe; the initiator's UDX packet then fixes the path.
    probe(socket, from, false);
    return;
  }
  if (connection_) return;
  connection_ = PunchConnection{socket, from};
  punching_ = false;
  mode_ = Mode::idle;
  next_.reset();
  randomized(false, now);
}

std::vector<PunchProbe> Holepuncher::take_probes() { return std::exchange(probes_, {}); }

std::optional<Millis> Holepuncher::next_timeout() const { return next_; }

void Holepuncher::advance(Millis now) {
  // Catch up round by round if the caller was late (each step sets the next deadline).
  for (int guard = 0; guard < 64 && next_ && *next_ <= now && !destroyed_ && !connection_; guard++) step(*next_);
}

void Holepuncher::destroy(Millis now) {
  if (destroyed_) return;
  destroyed_ = true;
  punching_ = false;
  mode_ = Mode::idle;
  next_.reset();
  if (!connection_) randomized(false, now);
}

}  // namespace net::connect
