// MdnsNode: decodes, routes each packet to the responder and the browser, and merges
// their wakeups. The protocol logic lives in responder.cpp and browser.cpp.
#include "net/mdns/mdns_node.hpp"

#include <algorithm>

#include "net/mdns/internal/browser.hpp"
#include "net/mdns/internal/outbox.hpp"
#include "net/mdns/internal/responder.hpp"

namespace net::mdns {

std::string Endpoint::to_string() const {
  return std::to_string(address[0]) + "." + std::to_string(address[1]) + "." + std::to_string(address[2]) + "." +
         std::to_string(address[3]) + ":" + std::to_string(port);
}

MdnsNode::MdnsNode(MdnsOptions options, SendFunction send)
    : options_(std::move(options)), rng_(options_.seed ? options_.seed : std::random_device{}()) {
  outbox_ = std::make_unique<internal::Outbox>(std::move(send), options_.max_packet_bytes, options_.addresses);
  responder_ = std::make_unique<internal::Responder>(options_, rng_, *outbox_, events_);
  browser_ = std::make_unique<internal::Browser>(options_, rng_, *outbox_, events_);
}

MdnsNode::~MdnsNode() = default;

Result<void> MdnsNode::announce(ByteSpan topic, Time now) { return responder_->announce(topic, now); }
void MdnsNode::unannounce(ByteSpan topic, Time now) { responder_->unannounce(topic, now); }
void MdnsNode::browse(ByteSpan topic, Time now) { browser_->browse(topic, now); }
void MdnsNode::stop_browse(ByteSpan topic, Time) { browser_->stop(topic); }

void MdnsNode::leave(Time now) {
  responder_->leave(now);
  browser_->stop_all();
}

void MdnsNode::receive(ByteSpan packet, const Endpoint& from, Time now) {
  // Malformed packets are dropped silently: nothing on the link is owed an error.
  auto message = decode_message(packet);
  if (!message) return;
  if (message->is_response()) {
    // RFC 6762 §11/§6: responses must come from port 5353; others are spoofing or
    // confused unicast resolvers.
    if (from.port != kMdnsPort) return;
    responder_->on_response(*message, now);
    browser_->on_response(*message, now);
  } else {
    responder_->on_query(*message, from, now);
    if (!outbox_->is_own(packet, from, now)) browser_->on_query(*message, now);
  }
}

Time MdnsNode::poll(Time now) {
  Time a = responder_->poll(now);
  Time b = browser_->poll(now);
  return std::min(a, b);
}

std::vector<MdnsEvent> MdnsNode::take_events() { return std::exchange(events_, {}); }

std::string MdnsNode::instance() const { return responder_->instance(); }
DnsName MdnsNode::host() const { return responder_->host(); }
bool MdnsNode::announced() const { return responder_->announced(); }

std::vector<PeerInfo> MdnsNode::peers(ByteSpan topic, Time now) const { return browser_->peers(topic, now); }

}  // namespace net::mdns
