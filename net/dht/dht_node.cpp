#include "net/dht/dht_node.hpp"

#include <sodium.h>

#include <algorithm>

#include "hypercore/crypto.hpp"
#include "net/dht/internal/query.hpp"
#include "net/dht/internal/request_io.hpp"

namespace net::dht {

using hypercore::Bytes;

namespace {

uint64_t seed_of(uint64_t seed) {
  if (seed != 0) return seed;
  hypercore::crypto_init();
  uint64_t s = 0;
  randombytes_buf(&s, sizeof s);
  return s | 1;
}

template <size_t N>
std::array<uint8_t, N> random_bytes(std::mt19937_64& rng) {
  std::array<uint8_t, N> out{};
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

}  // namespace

DhtNode::DhtNode(DhtNodeOptions options, SendFn send, Millis now)
    : options_(std::move(options)),
      send_(std::move(send)),
      now_(now),
      rng_(seed_of(options_.seed)),
      table_(std::make_unique<RoutingTable>(random_bytes<32>(rng_), options_.k)),
      tokens_(random_bytes<64>(rng_)),
      io_(std::make_unique<detail::RequestIo>(send_, static_cast<uint16_t>(rng_()), now)) {
  firewalled_ = options_.firewalled;
  adaptive_ = !options_.ephemeral.has_value();
  tick_ = 1 + rng_() % 64;  // 0 means "never" in the node records
  refresh_ticks_ = 1 + rng_() % kRefreshTicks;
  stable_ticks_ = adaptive_ ? kStableTicks : 0;
  next_tick_at_ = now + kTickInterval;
  last_tick_at_ = now;
  if (options_.ephemeral == false && options_.known_address) {
    // A node told its public address needs no NAT check: persistent from the start.
    ephemeral_ = false;
    firewalled_ = false;
    table_ = std::make_unique<RoutingTable>(node_id(*options_.known_address), options_.k);
  }
  io_->on_timeout = [this](const detail::RequestIo::Outgoing& r) {
    stats_.timeouts++;
    if (r.to_id) remove_node(*r.to_id);
  };
}

DhtNode::~DhtNode() = default;

size_t DhtNode::inflight_requests() const { return io_->inflight(); }
uint64_t DhtNode::transmissions() const { return io_->transmissions(); }

uint64_t DhtNode::send_request(Request message, const Ipv4Address& to, std::optional<NodeId> to_id, int retries,
                               std::function<void(const detail::ReplyEvent&)> on_reply,
                               std::function<void(detail::RequestFailure)> on_error, std::function<void()> on_cycle,
                               Socket socket, bool force) {
  if (sends_id(socket)) message.id = id();
  detail::RequestIo::Outgoing out{std::move(message), to,     to_id,
                                  socket,             retries, std::move(on_reply),
                                  std::move(on_error), std::move(on_cycle)};
  return io_->send(std::move(out), now_, force);
}

void DhtNode::request(const Ipv4Address& to, bool internal, uint32_t command, std::optional<NodeId> target,
                      std::optional<Bytes> value, std::optional<NodeId> token, ReplyFn on_reply, FailFn on_fail,
                      Millis now) {
  advance(now);
  send_plain(to, internal, command, target, std::move(value), token, std::move(on_reply), std::move(on_fail));
}

void DhtNode::send_plain(const Ipv4Address& to, bool internal, uint32_t command, std::optional<NodeId> target,
                         std::optional<Bytes> value, std::optional<NodeId> token, ReplyFn on_reply, FailFn on_fail) {
  Request m;
  m.internal = internal;
  m.command = command;
  m.target = target;
  m.value = std::move(value);
  m.token = token;
  send_request(
      std::move(m), to, std::nullopt, kRequestRetries,
      [this, on_reply = std::move(on_reply)](const detail::ReplyEvent& e) {
        if (on_reply) on_reply(to_query_reply(e, 1));
      },
      [on_fail = std::move(on_fail)](detail::RequestFailure) {
        if (on_fail) on_fail();
      },
      {}, request_socket());
}

void DhtNode::ping(const Ipv4Address& to, ReplyFn on_reply, FailFn on_fail, Millis now) {
  advance(now);
  send_plain(to, true, static_cast<uint32_t>(Command::ping), std::nullopt, std::nullopt, std::nullopt,
             std::move(on_reply), std::move(on_fail));
}

void DhtNode::query(const NodeId& target, QueryOptions options, QueryDataFn on_data, QueryDoneFn on_done,
                    Millis now) {
  advance(now);
  // A user query postpones the idle refresh, as in the reference.
  refresh_ticks_ = kRefreshTicks;
  start_query(target, std::move(options), std::move(on_data), std::move(on_done));
  std::erase_if(queries_, [](const auto& x) { return x->finished(); });
}

std::shared_ptr<detail::Query> DhtNode::start_query(const NodeId& target, QueryOptions options, QueryDataFn on_data,
                                                    QueryDoneFn on_done) {
  auto q = std::make_shared<detail::Query>(*this, target, std::move(options), std::move(on_data), std::move(on_done),
                                           now_);
  queries_.push_back(q);
  q->start();
  return q;
}

void DhtNode::find_node(const NodeId& target, QueryDataFn on_data, QueryDoneFn on_done, Millis now) {
  query(target, QueryOptions{}, std::move(on_data), std::move(on_done), now);
}

QueryReply DhtNode::to_query_reply(const detail::ReplyEvent& e, int hop) const {
  QueryReply r;
  r.from = e.from;
  r.from_id = e.from_id;
  r.to = e.message.to;
  r.token = e.message.token;
  r.value = e.message.value;
  r.error = e.message.error;
  r.closer = e.message.closer_nodes;
  r.hop = hop;
  return r;
}

void DhtNode::receive(Socket socket, const Ipv4Address& from, hypercore::ByteSpan datagram, Millis now) {
  advance(now);
  if (from.port == 0) return;
  auto message = decode_message(datagram);
  if (!message) {
    stats_.dropped_datagrams++;
    return;
  }
  if (recording_server_hosts_ && socket == Socket::server) server_socket_hosts_.push_back(from);
  if (auto* req = std::get_if<Request>(&*message)) {
    on_request_message(std::move(*req), from, socket);
  } else {
    on_response_message(std::get<Response>(*message), from, socket);
  }
  std::erase_if(queries_, [](const auto& x) { return x->finished(); });
}

void DhtNode::on_request_message(Request request, const Ipv4Address& from, Socket socket) {
  stats_.requests_received++;
  IncomingRequest req{std::move(request), from, std::nullopt, socket};
  // A claimed id counts only if it is the hash of the address the datagram came from.
  if (req.message.id && *req.message.id == node_id(from)) req.from_id = req.message.id;
  if (req.message.token && !tokens_.verify(from, *req.message.token)) {
    send_reply(req.message, from, socket, kInvalidToken, std::nullopt, true, true);
    return;
  }
  bool external = socket != request_socket();
  if (req.from_id) add_node_from_network(!external, from, req.from_id, req.message.to);
  if (req.message.internal) {
    handle_internal(req);
    return;
  }
  if (!on_request || !on_request(req)) send_reply(req.message, from, socket, kUnknownCommand, std::nullopt, false, true);
}

void DhtNode::handle_internal(const IncomingRequest& req) {
  const Request& m = req.message;
  switch (static_cast<Command>(m.command)) {
    case Command::ping:
      send_reply(m, req.from, req.socket, 0, std::nullopt, false, false);
      return;
    case Command::ping_nat: {
      // Answer on the port the requester asked for, to test its other socket.
      if (!m.value || m.value->size() < 2) return;
      uint16_t port = static_cast<uint16_t>((*m.value)[0] | ((*m.value)[1] << 8));
      if (port == 0) return;
      Ipv4Address to{req.from.host, port};
      send_reply(m, to, req.socket, 0, std::nullopt, false, false);
      return;
    }
    case Command::find_node:
      if (!m.target) return;
      send_reply(m, req.from, req.socket, 0, std::nullopt, false, true);
      return;
    case Command::down_hint: {
      if (!m.value || m.value->size() < 6) return;
      if (checks_ < kMaxChecks) {
        NodeId hinted = node_id(Ipv4Address::decode(m.value->data()));
        TableNode* node = table_->get(hinted);
        if (node && (node->pinged < tick_ || node->down_hints == 0)) {
          node->down_hints++;
          check(hinted);
        }
      }
      send_reply(m, req.from, req.socket, 0, std::nullopt, false, false);
      return;
    }
    case Command::delayed_ping: {
      if (!m.value || m.value->size() < 4) return;
      const Bytes& v = *m.value;
      uint32_t delay = static_cast<uint32_t>(v[0] | (v[1] << 8) | (v[2] << 16)) | (static_cast<uint32_t>(v[3]) << 24);
      if (delay > kMaxPingDelay) return;
      Response r;
      r.tid = m.tid;
      r.to = req.from;
      if (sends_id(req.socket)) r.id = id();
      delayed_.push_back({now_ + delay, req.socket, req.from, encode_response(r)});
      return;
    }
  }
  send_reply(m, req.from, req.socket, kUnknownCommand, std::nullopt, false, m.target.has_value());
}

void DhtNode::reply(const IncomingRequest& request, uint32_t error, std::optional<Bytes> value, bool token,
                    bool closer_nodes) {
  send_reply(request.message, request.from, request.socket, error, std::move(value), token, closer_nodes);
}

void DhtNode::reply_to(const IncomingRequest& request, const Ipv4Address& to, uint32_t error,
                       std::optional<Bytes> value, bool token, bool closer_nodes, std::optional<Socket> socket) {
  send_reply(request.message, to, socket.value_or(request.socket), error, std::move(value), token, closer_nodes);
}

void DhtNode::relay(const IncomingRequest& request, Bytes value, const Ipv4Address& to, std::optional<Socket> socket) {
  Socket from = socket.value_or(request.socket);
  Request m;
  m.tid = request.message.tid;
  m.to = to;
  if (sends_id(from)) m.id = id();
  m.command = request.message.command;
  m.target = request.message.target;
  m.value = std::move(value);
  auto bytes = encode_request(m);
  send_(from, to, bytes);
}

void DhtNode::send_reply(const Request& request, const Ipv4Address& to, Socket socket, uint32_t error,
                         std::optional<Bytes> value, bool token, bool closer_nodes) {
  Response r;
  r.tid = request.tid;
  r.to = to;
  if (sends_id(socket)) r.id = id();
  if (token) r.token = tokens_.token(to);
  if (closer_nodes && request.target) {
    for (const TableNode* n : table_->closest(*request.target, table_->k())) r.closer_nodes.push_back(n->address);
  }
  r.error = error;
  r.value = std::move(value);
  auto bytes = encode_response(r);
  send_(socket, to, bytes);
}

void DhtNode::on_response_message(const Response& response, const Ipv4Address& from, Socket socket) {
  stats_.responses_received++;
  std::optional<NodeId> from_id;
  if (response.id && *response.id == node_id(from)) from_id = response.id;
  bool external = socket != request_socket();
  detail::ReplyEvent event{response, from, from_id, socket};
  bool matched = io_->on_reply(event, [&] { add_node_from_network(!external, from, from_id, response.to); });
  if (!matched) stats_.dropped_datagrams++;
}

void DhtNode::nat_add(const Ipv4Address& to) { nat_.add(to); }

void DhtNode::add_node_from_network(bool sample, const Ipv4Address& from, const std::optional<NodeId>& id,
                                    const Ipv4Address& to) {
  if (!id) {
    // Id-less replies (bootstrap nodes, ephemeral peers): one NAT sample per address, at most
    // as many as there are bootstrap nodes.
    if (non_persistent_samples_.size() >= std::max<size_t>(1, options_.bootstrap.size())) return;
    if (std::find(non_persistent_samples_.begin(), non_persistent_samples_.end(), from) !=
        non_persistent_samples_.end())
      return;
    non_persistent_samples_.push_back(from);
    nat_add(to);
    return;
  }
  if (TableNode* old = table_->get(*id)) {
    if (sample && (old->sampled == 0 || tick_ - old->sampled >= kOldNode)) {
      old->to = to;
      old->sampled = tick_;
      nat_add(to);
    }
    old->pinged = old->seen = tick_;
    old->touched = ++touch_seq_;
    return;
  }
  TableNode n;
  n.id = *id;
  n.address = from;
  n.to = to;
  add_node(n);
}

void DhtNode::add_node(TableNode node) {
  if (node.id == id()) return;
  node.added = node.pinged = node.seen = tick_;
  node.touched = ++touch_seq_;
  node.sampled = 0;
  auto result = table_->add(node);
  if (result == RoutingTable::AddResult::full) {
    on_full_row(node);
    return;
  }
  if (result != RoutingTable::AddResult::added) return;
  if (node.to.port != 0) {
    if (TableNode* stored = table_->get(node.id)) stored->sampled = tick_;
    nat_add(node.to);
  }
}

void DhtNode::remove_node(const NodeId& id) { table_->remove(id); }

void DhtNode::on_full_row(const TableNode& newcomer) {
  if (!bootstrapped_ || repinging_ >= kMaxRepinging) return;
  const TableNode* oldest = nullptr;
  for (const TableNode* n : table_->row_for(newcomer.id)) {
    if (n->pinged == tick_) continue;
    if (!oldest || oldest->pinged > n->pinged || (oldest->pinged == n->pinged && oldest->added > n->added)) oldest = n;
  }
  if (!oldest) return;
  if (tick_ - oldest->pinged < kRecentNode && tick_ - oldest->added > kOldNode) return;
  // Ping the stalest entry; replace it by the newcomer unless the ping refreshes it.
  NodeId old_id = oldest->id;
  Ipv4Address old_addr = oldest->address;
  uint64_t last_touch = oldest->touched;
  table_->get(old_id)->pinged = tick_;
  repinging_++;
  auto swap = [this, old_id, newcomer]() {
    repinging_--;
    remove_node(old_id);
    add_node(newcomer);
  };
  send_ping(
      old_addr,
      [this, old_id, last_touch, swap](const QueryReply&) {
        const TableNode* n = table_->get(old_id);
        if (!n || n->touched <= last_touch) return swap();
        repinging_--;
      },
      swap);
}

void DhtNode::check(const NodeId& id) {
  TableNode* node = table_->get(id);
  if (!node) return;
  node->pinged = tick_;
  uint64_t last_touch = node->touched;
  checks_++;
  send_ping(
      node->address,
      [this, id, last_touch](const QueryReply&) {
        checks_--;
        // Answered without a valid id (e.g. the address now belongs to someone else): drop.
        const TableNode* n = table_->get(id);
        if (n && n->touched <= last_touch) remove_node(id);
      },
      [this, id]() {
        checks_--;
        remove_node(id);
      });
}

void DhtNode::send_down_hint(const Ipv4Address& to, const Ipv4Address& down) {
  if (down_hints_this_tick_ >= kMaxDownHintsPerTick) return;
  down_hints_this_tick_++;
  stats_.down_hints_sent++;
  auto six = down.encode();
  Request m;
  m.internal = true;
  m.command = static_cast<uint32_t>(Command::down_hint);
  m.value = Bytes(six.begin(), six.end());
  send_request(std::move(m), to, std::nullopt, kRequestRetries, {}, {}, {}, request_socket());
}

}  // namespace net::dht
