// The group formats on hostile bytes: an op, a key/value view record and a writer list
// either fail to decode or round-trip exactly.
#include <cstdlib>

#include "multi/kv_view.hpp"
#include "multi/op.hpp"
#include "net/multi/writer_list.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hypercore::ByteSpan in(data, size);
  if (auto op = multi::decode_op(in)) {
    auto again = multi::decode_op(multi::encode_op(*op));
    if (!again || !(*again == *op)) std::abort();
  }
  if (auto record = multi::decode_kv_record(in)) {
    auto again = multi::decode_kv_record(multi::encode_kv_record(*record));
    if (!again || !(*again == *record)) std::abort();
  }
  if (auto list = net::multi::decode_writer_list(in)) {
    auto again = net::multi::decode_writer_list(net::multi::encode_writer_list(*list));
    if (!again || !(*again == *list)) std::abort();
  }
  return 0;
}
