// A lossy UDP link in user space, for machines whose kernel has no netem: a relay between
// two endpoints on 127.0.0.1 with two sockets of its own. Side A talks to `a_facing`, side B
// to `b_facing`; what one receives goes out of the other, towards the last address seen on
// that side (or the configured one), after loss, delay, jitter (which reorders) and
// duplication drawn from a seeded generator. Runs on the caller's io_context.
#pragma once

#include <utility>  // before Asio (Boost 1.74 uses std::exchange without it)

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <cstdio>
#include <string>
#include <vector>

namespace udx_test {

struct Impairment {
  double loss = 0;       // probability a datagram is dropped
  double duplicate = 0;  // probability it is sent twice
  std::chrono::milliseconds delay{0};
  std::chrono::milliseconds jitter{0};  // uniform extra delay in [0, jitter]: reorders
};

class Relay : public std::enable_shared_from_this<Relay> {
 public:
  using udp = boost::asio::ip::udp;
  using Clock = std::chrono::steady_clock;

  Relay(boost::asio::io_context& io, Impairment impairment, uint32_t seed = 1)
      : io_(io), sockets_{udp::socket(io), udp::socket(io)}, timer_(io), impairment_(impairment), rng_(seed) {
    for (auto& s : sockets_) {
      s.open(udp::v4());
      s.set_option(boost::asio::socket_base::receive_buffer_size(8 << 20));
      s.bind(udp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), 0));
    }
  }

  // Where each side's datagrams go once forwarded (side 0 = A, 1 = B).
  void set_peer(int side, uint16_t port) { peers_[side] = udp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), port); }
  uint16_t port(int side) const { return sockets_[side].local_endpoint().port(); }

  void start() {
    for (int side = 0; side < 2; side++) receive(side);
  }
  void stop() {
    stopped_ = true;
    boost::system::error_code ec;
    for (auto& s : sockets_) s.close(ec);
    timer_.cancel();
  }

  uint64_t forwarded = 0, dropped = 0, duplicated = 0;
  bool trace = false;  // keep the last 400 forwarded headers in `log`
  std::vector<std::string> log;

 private:
  struct Pending {
    int out_side;
    std::vector<uint8_t> bytes;
  };

  void receive(int side) {
    std::weak_ptr<Relay> w = weak_from_this();
    sockets_[side].async_receive_from(boost::asio::buffer(buf_[side]), from_[side],
                                      [w, side](const boost::system::error_code& ec, size_t n) {
                                        auto self = w.lock();
                                        if (!self || self->stopped_ || ec == boost::asio::error::operation_aborted) return;
                                        if (!ec) self->on_datagram(side, n);
                                        self->receive(side);
                                      });
  }

  void on_datagram(int side, size_t n) {
    std::uniform_real_distribution<> u(0, 1);
    if (u(rng_) < impairment_.loss) {
      dropped++;
      return;
    }
    const int copies = u(rng_) < impairment_.duplicate ? 2 : 1;
    if (copies == 2) duplicated++;
    for (int i = 0; i < copies; i++) {
      auto at = Clock::now() + impairment_.delay;
      if (impairment_.jitter.count() > 0) {
        at += std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(0, impairment_.jitter.count())(rng_));
      }
      queue_.emplace(at, Pending{1 - side, std::vector<uint8_t>(buf_[side].begin(), buf_[side].begin() + n)});
    }
    flush();
  }

  void flush() {
    const auto now = Clock::now();
    while (!queue_.empty() && queue_.begin()->first <= now) {
      auto node = queue_.extract(queue_.begin());
      const auto& p = node.mapped();
      boost::system::error_code ec;
      sockets_[p.out_side].send_to(boost::asio::buffer(p.bytes), peers_[p.out_side], 0, ec);
      if (trace && p.bytes.size() >= 20) {
        auto u32 = [&](size_t o) { return p.bytes[o] | p.bytes[o + 1] << 8 | p.bytes[o + 2] << 16 | (uint32_t)p.bytes[o + 3] << 24; };
        char line[200];
        std::snprintf(line, sizeof line, "%s t=%02x id=%u rwnd=%u seq=%u ack=%u len=%zu\n", p.out_side == 1 ? "us->node" : "node->us",
                      p.bytes[2], u32(4), u32(8), u32(12), u32(16), p.bytes.size());
        log.push_back(line);
        if (log.size() > 400) log.erase(log.begin());
      }
      forwarded++;
    }
    if (queue_.empty()) return;
    const auto next = queue_.begin()->first;
    if (armed_ && armed_at_ <= next) return;
    armed_ = true;
    armed_at_ = next;
    timer_.expires_at(next);
    std::weak_ptr<Relay> w = weak_from_this();
    timer_.async_wait([w](const boost::system::error_code& ec) {
      auto self = w.lock();
      if (!self || self->stopped_ || ec == boost::asio::error::operation_aborted) return;
      self->armed_ = false;
      self->flush();
    });
  }

  boost::asio::io_context& io_;
  std::array<udp::socket, 2> sockets_;
  std::array<udp::endpoint, 2> peers_;  // [0]: where datagrams out of socket 0 go (side A)
  std::array<udp::endpoint, 2> from_;
  std::array<std::array<uint8_t, 65536>, 2> buf_{};
  boost::asio::steady_timer timer_;
  Impairment impairment_;
  std::mt19937 rng_;
  std::multimap<Clock::time_point, Pending> queue_;
  bool armed_ = false;
  Clock::time_point armed_at_{};
  bool stopped_ = false;
};

}  // namespace udx_test
