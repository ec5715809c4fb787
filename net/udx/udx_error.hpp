// Named failures of UDX (docs/protocol/udx.md): malformed datagrams (the packet codec) and
// the ways a stream ends badly. A stream that reports one of the stream codes is closed.
#pragma once

#include <string>
#include <system_error>

#include "hypercore/error.hpp"

namespace net::udx {

enum class UdxErrc {
  // Codec: a datagram that is not a well-formed UDX packet.
  too_short = 1,      // fewer than the 20 header bytes
  bad_magic,          // first byte is not 0xFF
  bad_version,        // second byte is not 0x01
  bad_data_offset,    // the data offset points past the end of the datagram
  bad_sack,           // SACK area not a whole number of 8-byte blocks
  // Streams.
  timeout,            // a packet was not acknowledged after 6 retransmission timeouts
  reset_by_peer,      // the peer sent DESTROY
  destroyed,          // destroy() was called locally; later calls fail with this
  not_connected,      // write/send before connect()
  write_after_end,    // write()/end() after end()
  message_too_large,  // send_message() over kMaxMessageSize
  id_in_use,          // Multiplexer: a stream with this local id exists
  already_relaying,   // relay_to() on a stream that relays already
};

}  // namespace net::udx

template <>
struct std::is_error_code_enum<net::udx::UdxErrc> : std::true_type {};

namespace net::udx {

// Stable lower-case name ("reset_by_peer") for logs and tests.
const char* errc_name(UdxErrc e);

const std::error_category& udx_category();
inline std::error_code make_error_code(UdxErrc e) { return {static_cast<int>(e), udx_category()}; }

using UdxError = hypercore::BasicError<UdxErrc>;

template <class T>
using UdxResult = hypercore::Result<T, UdxError>;

inline std::unexpected<UdxError> udx_fail(UdxErrc code, std::string message) {
  return hypercore::fail(code, std::move(message));
}

}  // namespace net::udx
