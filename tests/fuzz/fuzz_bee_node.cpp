// Hyperbee node and header blocks on hostile bytes (deep indexes, huge varints, truncated
// fields); a block that decodes must re-encode to bytes that decode to the same thing. The
// readers' two fast decoders agree with decode_node: decode_node_into (reusing a node that
// held another block) gives the same node, and decode_entry fails exactly when it fails and
// otherwise gives its key, value and delete flag (for a seq taken from the input).
#include <cstdlib>
#include <cstring>

#include "bee/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bee::ByteSpan in(data, size);
  (void)bee::decode_header(in);
  auto node = bee::decode_node(in);

  uint64_t seq = 1;
  if (size >= 2) seq = uint64_t(data[size - 1]) % 8;  // small: likely to be one of the keys
  auto entry = bee::decode_entry(in, seq);
  if (bool(entry) != bool(node)) std::abort();
  static bee::NodeBlock reused;  // keeps whatever the previous input left in it
  bool into = bool(bee::decode_node_into(in, reused));
  if (into != bool(node)) std::abort();
  if (!node) return 0;
  if (!(reused == *node)) std::abort();

  bool lists_seq = false;
  for (const auto& level : node->levels) {
    for (uint64_t k : level.keys) lists_seq = lists_seq || k == seq;
  }
  if (entry->key.size() != node->key.size() || !std::equal(entry->key.begin(), entry->key.end(), node->key.begin())) std::abort();
  if (entry->value.has_value() != node->value.has_value()) std::abort();
  if (entry->value && !std::equal(entry->value->begin(), entry->value->end(), node->value->begin(), node->value->end())) std::abort();
  if (entry->deletion != (!node->value && !lists_seq)) std::abort();

  auto again = bee::decode_node(bee::encode_node(*node));
  if (!again || !(*again == *node)) std::abort();
  return 0;
}
