#include "net/mdns/internal/outbox.hpp"

#include <algorithm>

namespace net::mdns::internal {

namespace {

constexpr Time kOwnPacketMemory{2000};

uint64_t fnv1a(ByteSpan bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

size_t entries(const Message& m) {
  return m.questions.size() + m.answers.size() + m.authorities.size() + m.additionals.size();
}

}  // namespace

Outbox::Outbox(SendFunction send, size_t max_packet_bytes, std::vector<Ipv4> own_addresses)
    : send_(std::move(send)), max_bytes_(max_packet_bytes), own_addresses_(std::move(own_addresses)) {}

void Outbox::send(const Message& message, Time now, std::optional<Endpoint> to) {
  std::vector<Message> packets;
  Message current;
  current.id = message.id;
  current.flags = message.flags;
  // Appends one entry; if the packet grows past the limit, the entry starts a new one.
  auto add = [&](auto member, const auto& item) {
    (current.*member).push_back(item);
    auto bytes = encode_message(current);
    if (!bytes) {
      (current.*member).pop_back();
      return;
    }
    if (bytes->size() <= max_bytes_ || entries(current) == 1) return;
    (current.*member).pop_back();
    packets.push_back(current);
    current.questions.clear(), current.answers.clear(), current.authorities.clear(), current.additionals.clear();
    (current.*member).push_back(item);
  };
  for (const auto& q : message.questions) add(&Message::questions, q);
  for (const auto& r : message.answers) add(&Message::answers, r);
  for (const auto& r : message.authorities) add(&Message::authorities, r);
  for (const auto& r : message.additionals) add(&Message::additionals, r);
  if (entries(current) > 0) packets.push_back(std::move(current));
  for (size_t i = 0; i < packets.size(); i++) {
    if (!message.is_response() && i + 1 < packets.size()) packets[i].flags |= kFlagTruncated;
    emit(packets[i], now, to);
  }
}

void Outbox::emit(const Message& message, Time now, const std::optional<Endpoint>& to) {
  auto bytes = encode_message(message);
  if (!bytes) return;
  if (!to) {
    forget_old(now);
    recent_.emplace_back(now, fnv1a(*bytes));
  }
  send_(OutgoingPacket{std::move(*bytes), to});
}

void Outbox::forget_old(Time now) {
  while (!recent_.empty() && recent_.front().first + kOwnPacketMemory < now) recent_.pop_front();
}

bool Outbox::is_own(ByteSpan packet, const Endpoint& from, Time now) {
  bool from_us = from.address[0] == 127 ||
                 std::find(own_addresses_.begin(), own_addresses_.end(), from.address) != own_addresses_.end();
  if (!from_us) return false;
  forget_old(now);
  uint64_t h = fnv1a(packet);
  return std::any_of(recent_.begin(), recent_.end(), [&](const auto& e) { return e.second == h; });
}

}  // namespace net::mdns::internal
