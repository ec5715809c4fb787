// The `bee-multi/1` channel's one message (docs/format/multiwriter.md §Wire): the writers
// a peer tracks for a group and how much of each it holds. It is a hint: who may write is
// decided by the root's log, never by what a peer claims here.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "hypercore/bytes.hpp"
#include "hypercore/error.hpp"

namespace net::multi {

inline constexpr std::string_view kGroupProtocol = "bee-multi/1";
inline constexpr uint64_t kWriterListMessage = 0;
// Writers in one list at most (a group has at most GroupOptions::max_writers).
inline constexpr uint64_t kMaxListedWriters = 4096;

struct ListedWriter {
  hypercore::Hash key{};
  uint64_t length = 0;  // blocks 0..length-1 held by the sender
  friend bool operator==(const ListedWriter&, const ListedWriter&) = default;
};

hypercore::Bytes encode_writer_list(const std::vector<ListedWriter>& writers);
// errc::corrupt for a truncated or oversized list, errc::unsupported for a later version.
hypercore::Result<std::vector<ListedWriter>> decode_writer_list(hypercore::ByteSpan bytes);

}  // namespace net::multi
