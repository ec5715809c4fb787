#include "bee/cli/net_common.hpp"

#include <cstdio>

#include "bee/cli/db_store.hpp"

namespace bee::cli {

std::optional<uint16_t> parse_port(const std::string& text) {
  auto v = parse_uint(text);
  if (!v || *v > 65535) return std::nullopt;
  return static_cast<uint16_t>(*v);
}

std::expected<PeerAddress, std::string> peer_option(const ParsedArgs& args) {
  auto text = args.value("peer");
  if (!text) return std::unexpected("missing --peer HOST:PORT");
  auto colon = text->rfind(':');
  std::optional<uint16_t> port;
  if (colon != std::string::npos) port = parse_port(text->substr(colon + 1));
  if (colon == std::string::npos || colon == 0 || !port || *port == 0) {
    return std::unexpected("--peer needs HOST:PORT, got '" + *text + "'");
  }
  return PeerAddress{text->substr(0, colon), *port};
}

std::expected<uint64_t, std::string> timeout_option(const ParsedArgs& args, uint64_t default_ms) {
  auto text = args.value("timeout");
  if (!text) return default_ms;
  // Bounded so that deadlines computed from it cannot overflow a clock (~24.8 days).
  constexpr uint64_t kMaxMs = (uint64_t{1} << 31) - 1;
  auto parsed = parse_uint(*text);
  if (!parsed || *parsed == 0 || *parsed > kMaxMs) {
    return std::unexpected("--timeout needs a number of milliseconds from 1 to " + std::to_string(kMaxMs));
  }
  return *parsed;
}

int transport_error(const Invocation& inv, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", inv.name.c_str(), message.c_str());
  return kExitFailure;
}

}  // namespace bee::cli
