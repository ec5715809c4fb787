#include "net/stream/stream_error.hpp"

namespace net {

const char* errc_name(StreamErrc e) {
  switch (e) {
    case StreamErrc::handshake_failed: return "handshake_failed";
    case StreamErrc::invalid_header: return "invalid_header";
    case StreamErrc::invalid_stream_id: return "invalid_stream_id";
    case StreamErrc::invalid_message: return "invalid_message";
    case StreamErrc::decryption_failed: return "decryption_failed";
    case StreamErrc::frame_too_large: return "frame_too_large";
    case StreamErrc::message_too_large: return "message_too_large";
    case StreamErrc::closed: return "closed";
  }
  return "unknown";
}

const std::error_category& stream_category() {
  static const hypercore::ErrcCategory<StreamErrc> category("secret_stream");
  return category;
}

}  // namespace net
