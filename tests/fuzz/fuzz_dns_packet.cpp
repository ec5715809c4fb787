// The mDNS packet codec on arbitrary bytes: decoding must fail with a value, never crash
// or loop; whatever decodes must re-encode (with and without compression) to bytes that
// decode to the same records, since a responder echoes what it received.
#include <cstdlib>

#include "net/mdns/dns_message.hpp"

using namespace net::mdns;

namespace {

void check_same(const Message& a, const Message& b) {
  if (a.id != b.id || a.flags != b.flags || a.questions.size() != b.questions.size()) std::abort();
  for (size_t i = 0; i < a.questions.size(); i++) {
    const auto& x = a.questions[i];
    const auto& y = b.questions[i];
    if (!(x.name == y.name) || x.type != y.type || x.qclass != y.qclass || x.unicast_response != y.unicast_response)
      std::abort();
  }
  const std::vector<ResourceRecord>* sa[] = {&a.answers, &a.authorities, &a.additionals};
  const std::vector<ResourceRecord>* sb[] = {&b.answers, &b.authorities, &b.additionals};
  for (int s = 0; s < 3; s++) {
    if (sa[s]->size() != sb[s]->size()) std::abort();
    for (size_t i = 0; i < sa[s]->size(); i++) {
      const auto& x = (*sa[s])[i];
      const auto& y = (*sb[s])[i];
      if (record_key(x) != record_key(y) || x.ttl != y.ttl || x.cache_flush != y.cache_flush) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = decode_message(ByteSpan(data, size));
  if (!decoded) {
    if (decoded.error().code != hypercore::errc::corrupt) std::abort();
    return 0;
  }
  for (bool compress : {true, false}) {
    // Labels with a 0 length cannot come out of the decoder, but a decoded name may be
    // fine on the wire yet an opaque rdata may hold anything: encoding may still refuse
    // (e.g. a compressed copy exceeding limits is impossible, so refusal is a bug).
    auto encoded = encode_message(*decoded, compress);
    if (!encoded) std::abort();
    auto again = decode_message(*encoded);
    if (!again) std::abort();
    check_same(*decoded, *again);
  }
  return 0;
}
