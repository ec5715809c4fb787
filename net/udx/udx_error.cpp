#include "net/udx/udx_error.hpp"

namespace net::udx {

const char* errc_name(UdxErrc e) {
  switch (e) {
    case UdxErrc::too_short: return "too_short";
    case UdxErrc::bad_magic: return "bad_magic";
    case UdxErrc::bad_version: return "bad_version";
    case UdxErrc::bad_data_offset: return "bad_data_offset";
    case UdxErrc::bad_sack: return "bad_sack";
    case UdxErrc::timeout: return "timeout";
    case UdxErrc::reset_by_peer: return "reset_by_peer";
    case UdxErrc::destroyed: return "destroyed";
    case UdxErrc::not_connected: return "not_connected";
    case UdxErrc::write_after_end: return "write_after_end";
    case UdxErrc::message_too_large: return "message_too_large";
    case UdxErrc::id_in_use: return "id_in_use";
    case UdxErrc::already_relaying: return "already_relaying";
  }
  return "unknown";
}

const std::error_category& udx_category() {
  static const hypercore::ErrcCategory<UdxErrc> category("udx");
  return category;
}

}  // namespace net::udx
