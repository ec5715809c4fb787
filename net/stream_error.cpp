#include "net/stream_error.hpp"

namespace net {

const char* stream_errc_name(StreamErrc e) {
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

namespace {
class StreamCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "secret_stream"; }
  std::string message(int ev) const override { return stream_errc_name(static_cast<StreamErrc>(ev)); }
};
}  // namespace

const std::error_category& stream_category() {
  static const StreamCategory category;
  return category;
}

}  // namespace net
