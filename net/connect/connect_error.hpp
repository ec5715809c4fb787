// Named failures of the HyperDHT connect layer's sans-I/O pieces (Noise IK, the handshake,
// holepunch and payload codecs). A failed Noise handshake is final; a decode failure means
// "drop the message silently", as the Node reference does with malformed input.
#pragma once

#include <string>
#include <system_error>

#include "hypercore/error.hpp"

namespace net::connect {

enum class ConnectErrc {
  handshake_failed = 1,  // a Noise IK message that is short, fails to decrypt, or carries a bad key
  out_of_turn,           // write/read called when it is not that side's turn
  malformed,             // a message or payload that does not decode (truncated, hostile length)
  incompatible,          // a Noise payload whose version is not 1 (reported, not a parse error)
  decryption_failed,     // a holepunch payload that fails secretbox authentication
  server_aborted,        // the server's payload carries an error (ABORTED) or no UDX data
  try_later,             // the server is busy (TRY_LATER): retry later
  cannot_holepunch,      // no path: both sides behind random NATs, or no relay to punch through
};

}  // namespace net::connect

template <>
struct std::is_error_code_enum<net::connect::ConnectErrc> : std::true_type {};

namespace net::connect {

// Stable lower-case name ("malformed") for logs and tests.
const char* errc_name(ConnectErrc e);

const std::error_category& connect_category();
inline std::error_code make_error_code(ConnectErrc e) { return {static_cast<int>(e), connect_category()}; }

using ConnectError = hypercore::BasicError<ConnectErrc>;

template <class T>
using ConnectResult = hypercore::Result<T, ConnectError>;

inline std::unexpected<ConnectError> connect_fail(ConnectErrc code, std::string message) {
  return hypercore::fail(code, std::move(message));
}

}  // namespace net::connect
