#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include "net/connect/internal/relay_pairing.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace net::connect::detail {

namespace asio = boost::asio;
using hypercore::errc;

struct RelayPairing::Impl {
  explicit Impl(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
};

std::shared_ptr<RelayPairing> RelayPairing::create(asio::io_context& io, const hypercore::PublicKey& our_key,
                                                   bool is_initiator, const blind_relay::Token& token,
                                                   uint32_t stream_id, std::chrono::milliseconds timeout, Done done) {
  std::shared_ptr<RelayPairing> p(new RelayPairing());
  p->impl_ = std::make_unique<Impl>(io);
  p->our_key_ = our_key;
  p->is_initiator_ = is_initiator;
  p->token_ = token;
  p->stream_id_ = stream_id;
  p->done_ = std::move(done);
  std::weak_ptr<RelayPairing> weak = p;
  p->impl_->timer.expires_after(timeout);
  p->impl_->timer.async_wait([weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!ec && self) self->fail("the relay did not pair us in time");
  });
  return p;
}

RelayPairing::~RelayPairing() {
  if (impl_) impl_->timer.cancel();
}

PeerSetup RelayPairing::setup() {
  PeerSetup s;
  std::weak_ptr<RelayPairing> weak = weak_from_this();
  s.handlers.on_open = [weak](Peer& peer) {
    if (auto self = weak.lock()) self->on_open(peer);
  };
  s.handlers.on_close = [weak](Peer&, const std::optional<TransportError>& error) {
    auto self = weak.lock();
    if (!self || self->finished_) return;
    self->fail("the relay closed the connection" + (error ? ": " + error->message : std::string()));
  };
  return s;
}

void RelayPairing::on_open(Peer& peer) {
  std::weak_ptr<RelayPairing> weak = weak_from_this();
  auto& session = peer.session();
  // The relay (blind-relay's Server.accept) opens the channel too, with our key as id:
  // defer its open so that ours pairs with it.
  session.set_channel_handlers(
      [](const RemoteOpen& open) {
        return open.protocol == blind_relay::kProtocol ? OpenDecision::defer() : OpenDecision::reject();
      },
      [weak, &peer](const MuxEvent& e, TimePoint) {
        auto self = weak.lock();
        if (!self || self->finished_ || e.channel != self->channel_) return;
        if (e.kind == MuxEvent::Kind::opened) {
          blind_relay::PairMessage m{self->is_initiator_, self->token_, self->stream_id_, 0};
          (void)peer.session().mux().send(self->channel_, blind_relay::kPairType, blind_relay::encode_pair(m));
          return;
        }
        if (e.kind == MuxEvent::Kind::closed || e.kind == MuxEvent::Kind::rejected) {
          self->fail("the relay closed the blind-relay channel");
          return;
        }
        if (e.kind != MuxEvent::Kind::message || e.type != blind_relay::kPairType) return;
        auto m = blind_relay::decode_pair(e.payload);
        // BlindRelayClient._onpair: only the answer to our own request counts.
        if (!m || m->token != self->token_ || m->is_initiator != self->is_initiator_) return;
        if (m->id > 0xffffffffu) {
          self->fail("the relay named a stream id over 32 bits");
          return;
        }
        self->finish(static_cast<uint32_t>(m->id));
      });
  auto opened = session.mux().open(std::string(blind_relay::kProtocol), our_key_, {},
                                   ChannelOptions{blind_relay::kMessageTypes});
  if (!opened) {
    fail("cannot open the blind-relay channel: " + opened.error().message);
    return;
  }
  channel_ = *opened;
}

void RelayPairing::attach(std::shared_ptr<Peer> relay) { relay_ = std::move(relay); }

void RelayPairing::fail(const std::string& why) {
  finish(hypercore::fail(errc::timeout, "blind relay: " + why));
}

void RelayPairing::finish(hypercore::Result<uint32_t> result) {
  if (finished_) return;
  finished_ = true;
  impl_->timer.cancel();
  auto done = std::move(done_);
  if (done) done(std::move(result));
}

}  // namespace net::connect::detail
