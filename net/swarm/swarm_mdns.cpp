// DiscoverySource over net/mdns's MdnsSocket. The topic's announce/lookup flags map to
// MdnsSocket::announce / browse; PeerFound / PeerGone become found / gone.
#include <map>
#include <string>

#include "net/mdns/mdns_socket.hpp"
#include "net/swarm/swarm_discovery.hpp"

namespace net::swarm {

namespace {

class MdnsDiscovery final : public DiscoverySource {
 public:
  explicit MdnsDiscovery(DiscoveryHandlers handlers) : handlers_(std::move(handlers)) {}
  ~MdnsDiscovery() override { close(); }

  void attach(std::unique_ptr<mdns::MdnsSocket> socket) { socket_ = std::move(socket); }

  void on_event(const mdns::MdnsEvent& event) {
    if (closed_) return;
    if (const auto* e = std::get_if<mdns::PeerFound>(&event)) {
      if (handlers_.found && !e->peer.ipv4.empty()) handlers_.found(e->topic, to_peer(e->peer));
    } else if (const auto* e = std::get_if<mdns::PeerGone>(&event)) {
      if (handlers_.gone) handlers_.gone(e->topic, to_peer(e->peer));
    }
  }

  hypercore::Result<void> join(hypercore::ByteSpan topic, JoinOptions options) override {
    if (closed_) return std::unexpected(hypercore::Error{hypercore::errc::closed, "discovery is closed"});
    std::string key(topic.begin(), topic.end());
    JoinOptions before = joined_.contains(key) ? joined_[key] : JoinOptions{false, false};
    if (options.announce && !before.announce) {
      if (auto r = socket_->announce(topic); !r) return r;
    } else if (!options.announce && before.announce) {
      socket_->unannounce(topic);
    }
    if (options.lookup && !before.lookup) socket_->browse(topic);
    if (!options.lookup && before.lookup) socket_->stop_browse(topic);
    joined_[key] = options;
    return {};
  }

  void leave(hypercore::ByteSpan topic) override {
    std::string key(topic.begin(), topic.end());
    auto it = joined_.find(key);
    if (closed_ || it == joined_.end()) return;
    if (it->second.announce) socket_->unannounce(topic);
    if (it->second.lookup) socket_->stop_browse(topic);
    joined_.erase(it);
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    if (socket_) socket_->close();
  }

 private:
  static DiscoveredPeer to_peer(const mdns::PeerInfo& info) {
    DiscoveredPeer peer;
    peer.key = info.public_key;
    peer.addresses = info.ipv4;
    peer.port = info.port;
    return peer;
  }

  DiscoveryHandlers handlers_;
  std::unique_ptr<mdns::MdnsSocket> socket_;
  std::map<std::string, JoinOptions> joined_;
  bool closed_ = false;
};

}  // namespace

hypercore::Result<std::unique_ptr<DiscoverySource>> open_mdns_discovery(boost::asio::io_context& io,
                                                                         MdnsDiscoveryOptions options,
                                                                         DiscoveryHandlers handlers) {
  auto discovery = std::make_unique<MdnsDiscovery>(std::move(handlers));
  mdns::MdnsOptions node;
  node.public_key = options.public_key;
  node.port = options.port;
  mdns::MdnsSocketOptions socket_options;
  socket_options.interfaces = options.interfaces;
  socket_options.port = options.mdns_port;
  // The handler refers to the discovery object, which owns the socket: it cannot outlive it.
  MdnsDiscovery* self = discovery.get();
  auto socket =
      mdns::MdnsSocket::open(io, node, socket_options, [self](const mdns::MdnsEvent& e) { self->on_event(e); });
  if (!socket) return std::unexpected(socket.error());
  discovery->attach(std::move(*socket));
  return discovery;
}

}  // namespace net::swarm
