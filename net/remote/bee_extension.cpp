#include "net/remote/bee_extension.hpp"

#include <algorithm>

#include "bee/read_trace.hpp"
#include "hypercore/compact_encoding.hpp"

namespace net {

namespace {
// The reference's batch size for cache messages (extension.js FLUSH_BATCH).
constexpr size_t kCacheBatch = 128;
}  // namespace

Bytes frame_bee_extension(const bee::ExtensionMessage& message) {
  hypercore::cenc::Encoder e;
  e.buffer(bee::encode_extension(message));
  return e.take();
}

std::optional<bee::ExtensionMessage> parse_bee_extension(ByteSpan payload) {
  hypercore::cenc::Decoder d(payload, "hyperbee extension");
  auto body = d.buffer();
  if (!body || !d.done()) return std::nullopt;
  auto m = bee::decode_extension(*body);
  if (!m) return std::nullopt;
  return std::move(*m);
}

BeeExtensionResponder::BeeExtensionResponder(hypercore::Core& core, BeeExtensionResponderOptions options)
    : core_(core), options_(options) {}

bool BeeExtensionResponder::take_budget(TimePoint now) {
  const double capacity = 2.0 * double(options_.blocks_per_second);
  if (!refilled_) {
    tokens_ = capacity;
  } else {
    double seconds = std::chrono::duration<double>(now - *refilled_).count();
    tokens_ = std::min(capacity, tokens_ + std::max(0.0, seconds) * double(options_.blocks_per_second));
  }
  refilled_ = now;
  return tokens_ >= 1.0;
}

void BeeExtensionResponder::on_event(const ReplicatorEvent& event, Replicator& replicator, TimePoint now) {
  if (event.kind != ReplicatorEvent::Kind::extension || event.extension_name != kBeeExtensionName) return;
  auto message = parse_bee_extension(event.extension_payload);
  if (!message || (!message->get && !message->iterator)) return;  // a cache (we do not ask) or junk
  for (int kind = 0; kind < 2; kind++) {
    const bool is_get = kind == 0;
    if (is_get ? !message->get : !message->iterator) continue;
    uint64_t version = is_get ? message->get->version : message->iterator->version;
    if (version == 0 || version > core_.length()) continue;  // as the reference: not ours to answer
    if (!take_budget(now)) {
      asks_dropped_++;
      continue;
    }
    size_t max_blocks = std::min<size_t>(bee::kMaxTracedBlocks, size_t(tokens_));
    std::vector<uint64_t> seqs = is_get ? bee::trace_get(core_, version, message->get->key, max_blocks)
                                        : bee::trace_range(core_, *message->iterator, max_blocks);
    tokens_ -= double(seqs.size() + 1);
    asks_answered_++;
    blocks_offered_ += seqs.size();
    for (size_t at = 0; at < seqs.size(); at += kCacheBatch) {
      bee::ExtensionMessage::Cache cache;
      cache.blocks.assign(seqs.begin() + long(at), seqs.begin() + long(std::min(seqs.size(), at + kCacheBatch)));
      cache.start = *std::min_element(cache.blocks.begin(), cache.blocks.end());
      cache.end = *std::max_element(cache.blocks.begin(), cache.blocks.end()) + 1;
      bee::ExtensionMessage reply;
      reply.cache = std::move(cache);
      if (!replicator.send_extension(kBeeExtensionName, frame_bee_extension(reply))) return;
    }
  }
}

}  // namespace net
