// Limits and small helpers shared by the proof responder (proof.cpp) and verifier (proof_verify.cpp).
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "hypercore/error.hpp"
#include "hypercore/merkle.hpp"

namespace hypercore::internal {

// Longest tree (in blocks) either side accepts: index arithmetic then stays far below
// 2^64, and the reference, computing in doubles, is exact only below 2^53 anyway.
inline constexpr uint64_t kMaxLength = uint64_t{1} << 56;
inline constexpr uint64_t kMaxIndex = 2 * kMaxLength;

inline std::string str(uint64_t n) { return std::to_string(n); }

inline Result<uint64_t> checked_sum(std::span<const Node> nodes, const char* what) {
  uint64_t sum = 0;
  for (const Node& n : nodes) {
    if (n.size > std::numeric_limits<uint64_t>::max() - sum) {
      return fail(errc::invalid_proof, std::string(what) + ": node sizes overflow 64 bits");
    }
    sum += n.size;
  }
  return sum;
}

// The full roots of the tree `patch` blocks longer than the one with `roots` (of
// `length` blocks), proven by `patch_nodes` (the patch list of a multisig field): the
// reference's generateUpgrade + verifyUpgrade (lib/verifier.js). errc::invalid_proof when
// a node is missing or the nodes do not extend `roots`. Defined in proof_verify.cpp.
Result<std::vector<Node>> extend_by_patch(std::span<const Node> roots, uint64_t length, uint64_t patch,
                                          std::span<const Node> patch_nodes);

}  // namespace hypercore::internal
