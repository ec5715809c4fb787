// Hostile bytes into the hyperdht value decoders and the record store: decoding must fail
// cleanly or round-trip byte for byte, and a store fed any request must not crash, must
// never accept an unsigned record, and must stay within its per-source limit.
#include <cstdint>
#include <cstdlib>

#include "net/dht/hyperdht_messages.hpp"
#include "net/dht/record_store.hpp"

using namespace net::dht;
using hypercore::Bytes;
using hypercore::ByteSpan;

namespace {

template <class T, class Enc, class Dec>
void round_trip(ByteSpan in, Dec decode, Enc encode) {
  auto v = decode(in);
  if (!v) return;
  Bytes once = encode(*v);
  auto again = decode(once);
  if (!again) abort();
  if (encode(*again) != once) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  round_trip<PeerRecord>(in, decode_peer_record, encode_peer_record);
  round_trip<AnnounceMessage>(in, decode_announce, encode_announce);
  round_trip<MutablePut>(in, decode_mutable_put, encode_mutable_put);
  round_trip<MutableRecord>(in, decode_mutable_record, encode_mutable_record);
  if (auto l = decode_lookup_reply(in)) {
    std::vector<Bytes> raw;
    for (const auto& p : l->peers) raw.push_back(encode_peer_record(p));
    if (!decode_lookup_reply(encode_lookup_reply(raw, l->bump))) abort();
  }

  // As a request to a storing node: byte 0 = command, then target, token, value.
  static RecordStore* store = [] {
    RecordStoreOptions o;
    o.seed = 1;
    o.records.max_per_source = 16;
    o.wall_clock = [] { return uint64_t{1'700'000'000'000}; };
    return new RecordStore(o, 0);
  }();
  static Millis now = 0;
  if (size < 1 + 64) return 0;
  Request r;
  r.command = data[0] % 12;
  hypercore::Hash target, token;
  std::copy(data + 1, data + 33, target.begin());
  std::copy(data + 33, data + 65, token.begin());
  r.target = target;
  r.token = token;
  if (size > 65) r.value = Bytes(data + 65, data + size);
  Ipv4Address from{{10, 0, 0, data[1]}, 1000};
  NodeId id = node_id(Ipv4Address{{127, 0, 0, 1}, 49738});
  size_t before = store->record_count() + store->forward_count();
  auto reply = store->handle(r, from, id, now += 1000);
  // Forging an Ed25519 signature is out of reach: announces from fuzz input never store.
  if (r.command == static_cast<uint32_t>(HyperCommand::announce) && store->record_count() + store->forward_count() > before)
    abort();
  if (store->records_from(from) > 16) abort();
  (void)reply;
  return 0;
}
