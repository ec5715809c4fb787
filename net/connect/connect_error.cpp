#include "net/connect/connect_error.hpp"

namespace net::connect {

const char* errc_name(ConnectErrc e) {
  switch (e) {
    case ConnectErrc::handshake_failed: return "handshake_failed";
    case ConnectErrc::out_of_turn: return "out_of_turn";
    case ConnectErrc::malformed: return "malformed";
    case ConnectErrc::incompatible: return "incompatible";
    case ConnectErrc::decryption_failed: return "decryption_failed";
    case ConnectErrc::server_aborted: return "server_aborted";
    case ConnectErrc::try_later: return "try_later";
    case ConnectErrc::cannot_holepunch: return "cannot_holepunch";
  }
  return "unknown";
}

const std::error_category& connect_category() {
  static const hypercore::ErrcCategory<ConnectErrc> category("connect");
  return category;
}

}  // namespace net::connect
