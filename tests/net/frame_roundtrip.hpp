// Test helper: decodes a whole protomux frame — control messages, batches (recursively)
// and hypercore channel messages — with our decoders and re-encodes it with our encoders.
// A frame that survives unchanged was understood field by field.
#pragma once

#include "hypercore/compact_encoding.hpp"
#include "net/replication/hypercore_messages.hpp"
#include "net/mux/protomux.hpp"

namespace net_test {

using hypercore::Bytes;
using hypercore::ByteSpan;
using hypercore::Result;

// `message` = `uint type ‖ payload` of one channel; returns it re-encoded.
inline Result<Bytes> reencode_message(uint64_t channel, ByteSpan message, int depth = 0);

inline Result<Bytes> reencode_control(uint64_t type, ByteSpan payload, int depth) {
  using namespace net;
  switch (type) {
    case kControlOpen: {
      HC_TRY(m, decode_open(payload));
      return encode_open(m);
    }
    case kControlReject: {
      HC_TRY(m, decode_reject(payload));
      return encode_reject(m);
    }
    case kControlClose: {
      HC_TRY(m, decode_close(payload));
      return encode_close(m);
    }
    case kControlBatch: {
      HC_TRY(items, decode_batch(payload));
      std::vector<BatchItem> out;
      for (const BatchItemView& item : items) {
        HC_TRY(again, reencode_message(item.channel, item.message, depth + 1));
        hypercore::cenc::Decoder in(again, "batch item");
        HC_TRY(item_type, in.uint());
        out.push_back({item.channel, item_type, Bytes(again.begin() + in.position(), again.end())});
      }
      return encode_batch(out);
    }
    default:
      return hypercore::fail(hypercore::errc::unsupported, "control type " + std::to_string(type));
  }
}

inline Result<Bytes> reencode_message(uint64_t channel, ByteSpan message, int depth) {
  hypercore::cenc::Decoder in(message, "message");
  HC_TRY(type, in.uint());
  ByteSpan payload = message.subspan(in.position());
  hypercore::cenc::Encoder e;
  e.uint(type);
  if (channel == 0) {
    HC_TRY(control, reencode_control(type, payload, depth));
    // control frames come back as `00 type ...`: strip the channel byte
    e = hypercore::cenc::Encoder{};
    e.fixed(ByteSpan(control).subspan(1));
    return e.take();
  }
  HC_TRY(m, net::decode_message(type, payload));
  net::encode_to(e, m);
  return e.take();
}

inline Result<Bytes> reencode_frame(ByteSpan frame) {
  hypercore::cenc::Decoder in(frame, "frame");
  HC_TRY(channel, in.uint());
  HC_TRY(message, reencode_message(channel, frame.subspan(in.position())));
  hypercore::cenc::Encoder e;
  e.uint(channel);
  e.fixed(message);
  return e.take();
}

}  // namespace net_test
