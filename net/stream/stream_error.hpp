// Named failures of the encrypted transport (handshake, framing, stream ids, transport
// decryption). A connection that reports one is dead: the caller closes the socket, as
// the Node reference destroys the stream. Names follow the reference's messages where it
// has one ("Invalid header message received" -> invalid_header).
#pragma once

#include <string>
#include <system_error>

#include "hypercore/error.hpp"

namespace net {

enum class StreamErrc {
  handshake_failed = 1,  // a Noise message that is short, fails to decrypt, or carries a bad key
  invalid_header,        // the first frame after the handshake is not 56 bytes
  invalid_stream_id,     // ...or its first 32 bytes are not the peer's stream id
  invalid_message,       // a transport frame shorter than the 17-byte secretstream overhead
  decryption_failed,     // a transport frame that fails authentication
  frame_too_large,       // a length prefix over the configured (or Noise) limit
  message_too_large,     // send() of a plaintext that cannot fit one frame
  closed,                // the connection already failed
};

}  // namespace net

template <>
struct std::is_error_code_enum<net::StreamErrc> : std::true_type {};

namespace net {

// Stable lower-case name ("invalid_stream_id") for logs and tests.
const char* errc_name(StreamErrc e);

const std::error_category& stream_category();
inline std::error_code make_error_code(StreamErrc e) { return {static_cast<int>(e), stream_category()}; }

// message: what failed, e.g. "transport frame 3: authentication failed".
using StreamError = hypercore::BasicError<StreamErrc>;

template <class T>
using StreamResult = hypercore::Result<T, StreamError>;

inline std::unexpected<StreamError> stream_fail(StreamErrc code, std::string message) {
  return hypercore::fail(code, std::move(message));
}

}  // namespace net
