// The blocks of a Hyperbee 2 database (../shared/spec/hyperbee.md §2): the header in block 0
// and one node entry per later block, protobuf (proto2) encoded exactly as the reference
// writes them. Decoders take untrusted bytes and fail with errc::corrupt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"

namespace bee {

using hypercore::Bytes;
using hypercore::ByteSpan;
using hypercore::Error;
using hypercore::Result;

struct Metadata {
  std::optional<Bytes> content_feed;
  std::optional<Bytes> user_data;
  friend bool operator==(const Metadata&, const Metadata&) = default;
};

struct Header {
  std::string protocol = "hyperbee";
  std::optional<Metadata> metadata;
  friend bool operator==(const Header&, const Header&) = default;
};

// One tree node written by a block: key pointers (block seqs) in key order and, for an
// internal node, (seq, offset) child pointers flattened.
struct Level {
  std::vector<uint64_t> keys;
  std::vector<uint64_t> children;  // c0seq, c0offset, c1seq, c1offset, ...
  friend bool operator==(const Level&, const Level&) = default;
};

// A decoded node entry: the operation's key, its value (absent for deletes and value-less
// puts; present and possibly empty otherwise) and the tree nodes the block (re)wrote.
struct NodeBlock {
  Bytes key;
  std::optional<Bytes> value;
  std::vector<Level> levels;
  friend bool operator==(const NodeBlock&, const NodeBlock&) = default;
};

Bytes encode_header(const Header& header);
Result<Header> decode_header(ByteSpan block);

Bytes encode_node(const NodeBlock& node);
Result<NodeBlock> decode_node(ByteSpan block);
// decode_node into `node`, whose vectors keep their capacity (a reader decoding block after
// block allocates nothing once they are large enough). On failure `node` is unspecified.
Result<void> decode_node_into(ByteSpan block, NodeBlock& node);

// What a reader of block `seq` needs of it as an entry, as views into `block`: its key, its
// value and whether it is a delete (spec §2.4: no value, and `seq` is in none of its levels).
// Checks the block exactly as decode_node does (same errors), without allocating.
struct EntryView {
  ByteSpan key;
  std::optional<ByteSpan> value;
  bool deletion = false;
};
Result<EntryView> decode_entry(ByteSpan block, uint64_t seq);

// The payload of the `hyperbee` replication extension (hyperbee.md §11): a reader asks
// its peers to push the blocks a get or a range scan will read; they answer with cache
// messages listing those seqs. The extension never changes results, only round trips.
struct ExtensionMessage {
  struct Cache {  // answer: "download these seqs"; start/end = min seq / max seq + 1
    uint64_t start = 0;
    uint64_t end = 0;
    std::vector<uint64_t> blocks;
    friend bool operator==(const Cache&, const Cache&) = default;
  };
  struct Get {  // ask: the blocks on the path of `key` at `version`
    uint64_t version = 0;
    Bytes key;
    friend bool operator==(const Get&, const Get&) = default;
  };
  struct Iterator {  // ask: the blocks a range scan at `version` reads
    uint64_t version = 0;
    std::optional<Bytes> gte, gt, lte, lt;
    uint64_t limit = 0;  // 0 = unlimited
    bool reverse = false;
    std::vector<uint64_t> checkpoint;  // (seq, offset, i) per stack level, root first
    friend bool operator==(const Iterator&, const Iterator&) = default;
  };
  std::optional<Cache> cache;
  std::optional<Get> get;
  std::optional<Iterator> iterator;
  friend bool operator==(const ExtensionMessage&, const ExtensionMessage&) = default;
};

// The protobuf bytes as the reference encodes them (without Node's registerExtension
// length prefix, which belongs to the transport of extension messages).
Bytes encode_extension(const ExtensionMessage& message);
// errc::corrupt for undecodable bytes or lists beyond kMaxExtensionBlocks.
Result<ExtensionMessage> decode_extension(ByteSpan payload);

// Limits that keep hostile blocks from costing unbounded memory or time.
inline constexpr size_t kMaxLevelsPerBlock = 1 << 16;
inline constexpr size_t kMaxKeysPerLevel = 1 << 16;
inline constexpr size_t kMaxExtensionBlocks = 1 << 16;

}  // namespace bee
