#include "hypercore/error.hpp"

namespace hypercore {

const char* errc_name(errc e) {
  switch (e) {
    case errc::invalid_argument: return "invalid_argument";
    case errc::invalid_signature: return "invalid_signature";
    case errc::invalid_proof: return "invalid_proof";
    case errc::block_not_available: return "block_not_available";
    case errc::session_not_writable: return "session_not_writable";
    case errc::corrupt: return "corrupt";
    case errc::io_error: return "io_error";
    case errc::not_found: return "not_found";
    case errc::already_exists: return "already_exists";
    case errc::bad_manifest: return "bad_manifest";
    case errc::block_too_large: return "block_too_large";
    case errc::out_of_range: return "out_of_range";
    case errc::closed: return "closed";
    case errc::unsupported: return "unsupported";
    case errc::locked: return "locked";
    case errc::timeout: return "timeout";
  }
  return "unknown_error";
}

const std::error_category& hypercore_category() {
  static const ErrcCategory<errc> category("hypercore");
  return category;
}

}  // namespace hypercore
